import { Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import type { KeyCreated } from '../../core/protocol/api.js';
import { parseDuration } from '../../core/util/duration.js';

export default class KeysCreate extends BaseCommand<typeof KeysCreate> {
  static summary = 'Issue a virtual key (wk_…) that clients use instead of a provider key.';
  static description = `The key is printed once and never stored: Warden keeps only its SHA-256. Give it to an SDK or tool as
its API key, with the base URL pointed at the daemon. Provider keys never leave the daemon.`;
  static examples = [
    '<%= config.bin %> keys create --project checkout',
    '<%= config.bin %> keys create --project checkout --name ci --expires 30d',
    'KEY=$(<%= config.bin %> keys create --project demo --json | jq -r .key)',
  ];
  static flags = {
    project: Flags.string({ description: 'project the key bills and reports to', required: true }),
    name: Flags.string({ description: 'a label to recognise the key by' }),
    expires: Flags.string({ description: 'lifetime, e.g. 12h, 30d, 2w (default: no expiry)' }),
  };

  async run(): Promise<KeyCreated> {
    const expiresInMs = this.flags.expires ? parseDuration(this.flags.expires, '--expires') : undefined;
    const client = await this.daemon();
    const k = await client.request<KeyCreated>('POST', '/keys', {
      project: this.flags.project,
      name: this.flags.name,
      expires_in_ms: expiresInMs,
    });
    if (!this.jsonEnabled()) {
      this.log(k.key);
      this.note(`Created key ${k.id} for project ${k.project}${k.expires_at ? `, expires ${k.expires_at}` : ''}. It is shown only now: store it safely.`);
    }
    return k;
  }
}
