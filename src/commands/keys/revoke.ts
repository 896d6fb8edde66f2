import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import type { KeyInfo } from '../../core/protocol/api.js';

export default class KeysRevoke extends BaseCommand<typeof KeysRevoke> {
  static summary = 'Revoke a virtual key: the proxy refuses it from the next request on.';
  static examples = ['<%= config.bin %> keys revoke key_0m3abc…', '<%= config.bin %> keys revoke wk_AbC123'];
  static args = {
    key: Args.string({ description: 'key id (or a unique prefix of it, or the display prefix wk_…)', required: true }),
  };

  async run(): Promise<KeyInfo> {
    const client = await this.daemon();
    const k = await client.request<KeyInfo>('POST', `/keys/${encodeURIComponent(this.args.key)}/revoke`);
    if (!this.jsonEnabled()) this.log(`Revoked ${k.id} (${k.prefix}…, project ${k.project}).`);
    return k;
  }
}
