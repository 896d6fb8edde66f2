import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import type { KeyCreated } from '../../core/protocol/api.js';
import { parseDuration } from '../../core/util/duration.js';

export default class KeysRotate extends BaseCommand<typeof KeysRotate> {
  static summary = 'Replace a virtual key with a new one (same project and name); the old one stops working.';
  static examples = ['<%= config.bin %> keys rotate key_0m3abc…', '<%= config.bin %> keys rotate key_0m3abc… --expires 30d'];
  static args = {
    key: Args.string({ description: 'key id (or a unique prefix of it, or the display prefix wk_…)', required: true }),
  };
  static flags = {
    expires: Flags.string({ description: 'lifetime of the new key (default: the old key\'s lifetime)' }),
  };

  async run(): Promise<KeyCreated & { replaces: string }> {
    const expiresInMs = this.flags.expires ? parseDuration(this.flags.expires, '--expires') : undefined;
    const client = await this.daemon();
    const k = await client.request<KeyCreated & { replaces: string }>('POST', `/keys/${encodeURIComponent(this.args.key)}/rotate`, {
      expires_in_ms: expiresInMs,
    });
    if (!this.jsonEnabled()) {
      this.log(k.key);
      this.note(`Key ${k.replaces} is revoked; its replacement is ${k.id}. The new key is shown only now.`);
    }
    return k;
  }
}
