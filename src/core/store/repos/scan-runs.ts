// Scan run history: a row per `warden scan` and its `scan.completed` audit event, written in one
// IMMEDIATE transaction so the history and the audit chain never disagree.
import type { Kysely, Selectable } from 'kysely';
import { appendAuditEvents } from '../../audit/chain.js';
import type { Store } from '../db.js';
import type { Database, ScanRunsTable } from '../schema.js';

export type ScanRunRow = Selectable<ScanRunsTable>;

export interface ScanRunInput {
  id: string;
  /** Epoch ms from the caller's clock. */
  startedAt: number;
  root: string;
  files: number;
  durationMs: number;
  bySeverity: Record<string, number>;
  byRule: Record<string, number>;
  exitCode: number;
  /** Who ran it: `cli:<user>`, ... */
  actor: string;
}

/** Records a run and appends its `scan.completed` audit event (counts only: no code, no secrets). */
export function recordScanRun(store: Pick<Store, 'sqlite'>, run: ScanRunInput): ScanRunRow {
  const row: ScanRunRow = {
    id: run.id,
    started_at: Math.trunc(run.startedAt),
    root: run.root,
    files: run.files,
    duration_ms: Math.round(run.durationMs),
    by_severity: JSON.stringify(run.bySeverity),
    by_rule: JSON.stringify(run.byRule),
    exit_code: run.exitCode,
  };
  const sqlite = store.sqlite;
  sqlite
    .transaction(() => {
      sqlite
        .prepare(
          'INSERT INTO scan_runs (id, started_at, root, files, duration_ms, by_severity, by_rule, exit_code) VALUES (@id, @started_at, @root, @files, @duration_ms, @by_severity, @by_rule, @exit_code)',
        )
        .run(row);
      appendAuditEvents(sqlite, [
        {
          ts: row.started_at + row.duration_ms,
          type: 'scan.completed',
          actor: run.actor,
          subject: run.id,
          data: {
            root: run.root,
            files: run.files,
            duration_ms: row.duration_ms,
            by_severity: run.bySeverity,
            by_rule: run.byRule,
            findings: Object.values(run.byRule).reduce((a, b) => a + b, 0),
            exit_code: run.exitCode,
          },
        },
      ]);
    })
    .immediate();
  return row;
}

/** The most recent runs, newest first. */
export async function listScanRuns(db: Kysely<Database>, limit = 50): Promise<ScanRunRow[]> {
  return db.selectFrom('scan_runs').selectAll().orderBy('started_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}
