import { BaseCommand } from '../../base-command.js';
import type { ProviderInfo } from '../../core/protocol/api.js';

export default class ProvidersList extends BaseCommand<typeof ProvidersList> {
  static summary = 'List the upstream providers the daemon can route to, and where each key comes from.';
  static examples = ['<%= config.bin %> providers list', '<%= config.bin %> providers list --json'];

  async run(): Promise<ProviderInfo[]> {
    const client = await this.daemon();
    const list = await client.request<ProviderInfo[]>('GET', '/providers');
    if (!this.jsonEnabled()) {
      if (list.length === 0) this.log('No providers. Add one: warden providers set openai --type openai --api-key-stdin');
      else this.log(this.table(['name', 'type', 'base url', 'key', 'from'], list.map((p) => [p.name, p.type, p.base_url, p.key_source, p.origin])));
    }
    return list;
  }
}
