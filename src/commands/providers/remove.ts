import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';

export default class ProvidersRemove extends BaseCommand<typeof ProvidersRemove> {
  static summary = 'Remove a stored provider and delete its key from the keychain or encrypted file.';
  static examples = ['<%= config.bin %> providers remove ollama'];
  static args = { name: Args.string({ description: 'provider name', required: true }) };

  async run(): Promise<{ name: string; removed: boolean }> {
    const client = await this.daemon();
    const r = await client.request<{ name: string; removed: boolean }>('DELETE', `/providers/${encodeURIComponent(this.args.name)}`);
    if (!this.jsonEnabled()) this.log(`Removed provider ${r.name} and its stored key.`);
    return r;
  }
}
