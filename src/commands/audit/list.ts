// `warden audit list`: recent entries of the tamper-evident audit log, newest first.
import { Flags } from '@oclif/core';
import { BaseCommand, sinceFlag } from '../../base-command.js';
import { canonicalJson } from '../../core/audit/canonical-json.js';
import { decodeAuditEvent, listAuditEvents, type AuditEvent } from '../../core/store/repos/audit.js';
import { parseSince } from '../../core/util/duration.js';

export interface AuditListResult {
  since: number | null;
  count: number;
  events: AuditEvent[];
}

export default class AuditList extends BaseCommand<typeof AuditList> {
  static override summary = 'List audit log events, newest first.';

  static override description = `The audit log records governance actions — keys created, rotated and revoked, policies loaded,
requests denied, budgets exceeded, configuration changed — as an append-only, hash-chained sequence:
each event's hash covers its contents and the previous event's hash, so editing, deleting or
reordering any event is detected by \`warden audit verify\`.

Each event has a sequence number (seq), a time, a type (dotted, e.g. key.created), the actor that
caused it, an optional subject (what it was about) and a JSON data object. Use \`warden audit show SEQ\`
for one event in full and \`warden audit export\` for the whole log.`;

  static override examples = [
    '<%= config.bin %> audit list',
    '<%= config.bin %> audit list --since 7d --type "key.*"',
    '<%= config.bin %> audit list --type request.denied --limit 200 --json',
  ];

  static override flags = {
    since: sinceFlag,
    type: Flags.string({ description: 'only events of this type; end with * for a prefix (key.*)' }),
    limit: Flags.integer({ description: 'show at most this many events', default: 50, min: 1, max: 100_000 }),
  };

  public override async run(): Promise<AuditListResult> {
    const { flags } = this;
    const since = flags.since === undefined ? undefined : parseSince(flags.since, this.deps.clock.now());
    const store = await this.readStore();
    const events = (await listAuditEvents(store.db, { since, type: flags.type, limit: flags.limit })).map(decodeAuditEvent);

    if (!this.jsonEnabled()) {
      if (events.length === 0) {
        this.log('No audit events match.');
      } else {
        this.log(
          this.table(
            ['Seq', 'Time (UTC)', 'Type', 'Actor', 'Subject', 'Data'],
            events.map((e) => [e.seq, new Date(e.ts).toISOString().replace('T', ' ').slice(0, 19), e.type, e.actor, e.subject, brief(e.data)]),
          ),
        );
        if (events.length === flags.limit) this.note(`showing the newest ${flags.limit}; use --limit or --since to see others`);
      }
    }
    return { since: since ?? null, count: events.length, events };
  }
}

function brief(data: unknown): string {
  let text: string;
  try {
    text = typeof data === 'string' ? data : canonicalJson(data);
  } catch {
    text = String(data);
  }
  return text.length > 60 ? `${text.slice(0, 59)}…` : text;
}
