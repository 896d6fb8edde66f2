// `warden audit show SEQ`: one audit event in full, with a check of its own hash.
import { Args } from '@oclif/core';
import { BaseCommand } from '../../base-command.js';
import { rowHashMatches } from '../../core/audit/verify.js';
import { WardenError } from '../../core/errors.js';
import { decodeAuditEvent, getAuditEvent, type AuditEvent } from '../../core/store/repos/audit.js';

export interface AuditShowResult {
  event: AuditEvent;
  /** Whether the event's stored hash matches its contents (the link to its neighbours is checked by `audit verify`). */
  hash_ok: boolean;
}

export default class AuditShow extends BaseCommand<typeof AuditShow> {
  static override summary = 'Show one audit event by its sequence number.';

  static override description = `Prints every field of an audit event: seq, time, type, actor, subject, the full data object, and
the two hashes that chain it into the log — prev_hash (the previous event's hash) and hash (SHA-256
of this event's canonical JSON, prev_hash included).

"Hash ok" says whether this event's contents still match its hash. Whether it is still linked to its
neighbours is the job of \`warden audit verify\`, which checks the whole chain.`;

  static override examples = ['<%= config.bin %> audit show 42', '<%= config.bin %> audit show 42 --json'];

  static override args = {
    // A string parsed here: an oclif integer arg's parse failure would not surface as a usage error.
    seq: Args.string({ description: 'sequence number of the event (see `warden audit list`)', required: true }),
  };

  public override async run(): Promise<AuditShowResult> {
    const seq = /^\d+$/.test(this.args.seq) ? Number(this.args.seq) : Number.NaN;
    if (!Number.isSafeInteger(seq) || seq < 1) {
      throw new WardenError('invalid_seq', `"${this.args.seq}" is not a sequence number`, { hint: 'seq is a positive integer, e.g. 42' });
    }
    const store = await this.readStore();
    const row = await getAuditEvent(store.db, seq);
    if (!row) {
      throw new WardenError('audit_event_not_found', `no audit event with seq ${seq}`, {
        hint: 'list recent ones with `warden audit list`',
      });
    }
    const event = decodeAuditEvent(row);
    const hashOk = rowHashMatches(row);

    if (!this.jsonEnabled()) {
      this.log(
        this.table(
          ['Field', 'Value'],
          [
            ['seq', event.seq],
            ['time', `${new Date(event.ts).toISOString()} (${event.ts})`],
            ['type', event.type],
            ['actor', event.actor],
            ['subject', event.subject],
            ['prev_hash', event.prev_hash],
            ['hash', event.hash],
            ['hash ok', hashOk ? 'yes' : 'NO — the event was altered after it was written'],
          ],
        ),
      );
      this.log(`data:\n${typeof event.data === 'string' ? event.data : JSON.stringify(event.data, null, 2)}`);
    }
    return { event, hash_ok: hashOk };
  }
}
