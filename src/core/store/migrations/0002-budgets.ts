// Migration 0002: budgets and the alerts they fired. Append-only: never edit after it has landed.
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('budgets')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('period', 'text', (c) => c.notNull())
    .addColumn('limit_micros', 'integer', (c) => c.notNull())
    .addColumn('hard', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('alert_pcts', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('tz', 'text', (c) => c.notNull())
    .addColumn('webhook_url', 'text')
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .execute();
  // One budget per target and period kind: `budget set` on the same triple updates it.
  await db.schema.createIndex('budgets_target').on('budgets').columns(['scope', 'name', 'period']).unique().execute();

  // An alert fires once per budget, period and threshold, across daemon restarts.
  await db.schema
    .createTable('budget_alerts')
    .addColumn('budget_id', 'text', (c) => c.notNull())
    .addColumn('period_start', 'integer', (c) => c.notNull())
    .addColumn('threshold_pct', 'integer', (c) => c.notNull())
    .addColumn('fired_at', 'integer', (c) => c.notNull())
    .addColumn('spent_micros', 'integer', (c) => c.notNull())
    .addColumn('limit_micros', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('budget_alerts_pk', ['budget_id', 'period_start', 'threshold_pct'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations are append-only; there is no down');
}
