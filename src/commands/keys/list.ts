import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import type { KeyInfo } from '../../core/protocol/api.js';

export default class KeysList extends BaseCommand<typeof KeysList> {
  static summary = 'List virtual keys (never the keys themselves: ids and display prefixes).';
  static examples = ['<%= config.bin %> keys list', '<%= config.bin %> keys list --project checkout --json'];
  static flags = {
    project: Flags.string({ description: 'only keys of this project' }),
    sessions: Flags.boolean({ description: 'include the per-session keys `warden run` and `warden env` create' }),
  };

  async run(): Promise<KeyInfo[]> {
    const client = await this.daemon();
    const q = new URLSearchParams();
    if (this.flags.project) q.set('project', this.flags.project);
    if (this.flags.sessions) q.set('sessions', '1');
    const keys = await client.request<KeyInfo[]>('GET', `/keys${q.size ? `?${q}` : ''}`);
    if (!this.jsonEnabled()) {
      if (keys.length === 0) this.log('No keys yet. Create one: warden keys create --project NAME');
      else
        this.log(
          this.table(
            ['id', 'prefix', 'project', 'name', 'state', 'created', 'expires', 'last used'],
            keys.map((k) => [k.id, `${k.prefix}…`, k.project, k.name, k.state, k.created_at.slice(0, 16), k.expires_at?.slice(0, 16), k.last_used_at?.slice(0, 16)]),
          ),
        );
    }
    return keys;
  }
}
