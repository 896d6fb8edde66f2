// `warden audit export`: writes the audit log as CSV, JSON or JSON Lines, complete enough to re-verify.
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Flags } from '@oclif/core';
import { BaseCommand, sinceFlag } from '../../base-command.js';
import { WardenError } from '../../core/errors.js';
import { decodeAuditEvent, streamAuditEvents, type AuditEventRow } from '../../core/store/repos/audit.js';
import { parseSince } from '../../core/util/duration.js';

const FORMATS = ['csv', 'json', 'jsonl'] as const;
type ExportFormat = (typeof FORMATS)[number];

const CSV_COLUMNS = ['seq', 'ts', 'ts_ms', 'type', 'actor', 'subject', 'data', 'prev_hash', 'hash'] as const;

export interface AuditExportResult {
  format: ExportFormat;
  /** The file written, or null for stdout. */
  output: string | null;
  since: number | null;
  count: number;
  firstSeq: number | null;
  lastSeq: number | null;
}

export default class AuditExport extends BaseCommand<typeof AuditExport> {
  static override summary = 'Export the audit log as CSV, JSON or JSON Lines.';

  static override description = `Writes audit events in seq order to stdout, or to --output FILE (created 0600: audit data can be
sensitive). Each event carries everything needed to re-verify the chain away from this machine:
seq, ts (ISO 8601, UTC, millisecond precision), ts_ms (the same instant in epoch ms, as hashed),
type, actor, subject, data, prev_hash and hash. In csv, data is the event's canonical JSON text;
in json (one array) and jsonl (one event per line), data is a JSON object.

Re-verify an export with \`warden audit verify --file FILE\` (json or jsonl). An export made with
--since starts mid-chain; verify it with --partial, which checks it from its first event on.

With --json, --output is required and the command prints a summary (count, first and last seq)
instead of the events.`;

  static override examples = [
    '<%= config.bin %> audit export > audit.jsonl',
    '<%= config.bin %> audit export --format csv --output audit.csv',
    '<%= config.bin %> audit export --format json --since 30d --output last-month.json',
    '<%= config.bin %> audit export --output audit.jsonl --json',
  ];

  static override flags = {
    format: Flags.option({ options: FORMATS, default: 'jsonl' as const, description: 'output format' })(),
    since: sinceFlag,
    output: Flags.string({ char: 'o', description: 'write to this file instead of stdout' }),
  };

  public override async run(): Promise<AuditExportResult> {
    const { flags } = this;
    if (this.jsonEnabled() && flags.output === undefined) {
      throw new WardenError('json_needs_output', '--json prints a summary, so the export itself needs --output FILE', {
        hint: 'add --output audit.jsonl, or drop --json to stream the export to stdout',
      });
    }
    const since = flags.since === undefined ? undefined : parseSince(flags.since, this.deps.clock.now());
    const store = await this.readStore();

    const summary: AuditExportResult = {
      format: flags.format,
      output: flags.output ?? null,
      since: since ?? null,
      count: 0,
      firstSeq: null,
      lastSeq: null,
    };
    const format = flags.format;
    async function* chunks(): AsyncGenerator<string> {
      if (format === 'csv') yield `${CSV_COLUMNS.join(',')}\n`;
      if (format === 'json') yield '[';
      for await (const row of streamAuditEvents(store.db, { since })) {
        summary.count += 1;
        summary.firstSeq ??= row.seq;
        summary.lastSeq = row.seq;
        if (format === 'csv') yield `${csvLine(row)}\n`;
        else if (format === 'json') yield `${summary.count === 1 ? '\n' : ',\n'}${JSON.stringify(record(row))}`;
        else yield `${JSON.stringify(record(row))}\n`;
      }
      if (format === 'json') yield summary.count === 0 ? ']\n' : '\n]\n';
    }

    if (flags.output === undefined) {
      await pipeline(Readable.from(chunks()), process.stdout, { end: false });
    } else {
      const file = flags.output;
      try {
        await pipeline(Readable.from(chunks()), fs.createWriteStream(file, { mode: 0o600 }));
      } catch (e) {
        fs.rmSync(file, { force: true });
        if (e instanceof WardenError) throw e;
        throw new WardenError('export_failed', `cannot write ${file}: ${(e as Error).message}`, { cause: e });
      }
      this.note(`exported ${summary.count} audit event(s) to ${file}`);
    }
    return summary;
  }
}

function record(row: AuditEventRow): Record<string, unknown> {
  const e = decodeAuditEvent(row);
  return {
    seq: e.seq,
    ts: new Date(e.ts).toISOString(),
    ts_ms: e.ts,
    type: e.type,
    actor: e.actor,
    subject: e.subject,
    data: e.data,
    prev_hash: e.prev_hash,
    hash: e.hash,
  };
}

function csvLine(row: AuditEventRow): string {
  // data verbatim: the canonical JSON text Warden stored (and hashed).
  const cells = [String(row.seq), new Date(row.ts).toISOString(), String(row.ts), row.type, row.actor, row.subject ?? '', row.data, row.prev_hash, row.hash];
  return cells.map(csvCell).join(',');
}

function csvCell(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}
