// Migration 0005: one row per `warden scan` run — where, how many files, how long, what it found
// (counts by severity and by rule, as JSON) and the exit code it ended with. Append-only: never edit
// after it has landed.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('scan_runs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('started_at', 'integer', (c) => c.notNull())
    .addColumn('root', 'text', (c) => c.notNull())
    .addColumn('files', 'integer', (c) => c.notNull())
    .addColumn('duration_ms', 'integer', (c) => c.notNull())
    .addColumn('by_severity', 'text', (c) => c.notNull())
    .addColumn('by_rule', 'text', (c) => c.notNull())
    .addColumn('exit_code', 'integer', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('scan_runs_started_at').on('scan_runs').columns(['started_at']).execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations are append-only; there is no down');
}
