// Queries for budgets: definitions, the alerts they fired, and the spend they start from — settled
// request costs per principal in a period, summed as integer micro-dollars so the sum is exact.
import { sql, type Kysely, type Selectable } from 'kysely';
import type { BudgetAlertsTable, BudgetsTable, Database } from '../schema.js';

export type BudgetRow = Selectable<BudgetsTable>;
export type BudgetAlertRow = Selectable<BudgetAlertsTable>;

export async function listBudgetRows(db: Kysely<Database>): Promise<BudgetRow[]> {
  return db.selectFrom('budgets').selectAll().orderBy('created_at', 'asc').orderBy('id', 'asc').execute();
}

export async function getBudgetRow(db: Kysely<Database>, id: string): Promise<BudgetRow | undefined> {
  return db.selectFrom('budgets').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findBudgetByTarget(db: Kysely<Database>, scope: string, name: string, period: string): Promise<BudgetRow | undefined> {
  return db.selectFrom('budgets').selectAll().where('scope', '=', scope).where('name', '=', name).where('period', '=', period).executeTakeFirst();
}

/** Inserts, or replaces the row with the same id. */
export async function saveBudgetRow(db: Kysely<Database>, row: BudgetRow): Promise<void> {
  await db
    .insertInto('budgets')
    .values(row)
    .onConflict((oc) =>
      oc.column('id').doUpdateSet({
        limit_micros: row.limit_micros,
        hard: row.hard,
        alert_pcts: row.alert_pcts,
        tz: row.tz,
        webhook_url: row.webhook_url,
        updated_at: row.updated_at,
      }),
    )
    .execute();
}

export async function deleteBudgetRow(db: Kysely<Database>, id: string): Promise<boolean> {
  const r = await db.deleteFrom('budgets').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** One settled-spend group: requests of one key and project (user and team come from the key). */
export interface SpendGroup {
  key_id: string | null;
  project: string | null;
  user: string | null;
  team: string | null;
  micros: number;
}

/**
 * Settled spend of requests started in [start, end), grouped by key and project. Rows in flight
 * (cost_usd still null) and rows without a price count nothing. Rides on the started_at index.
 */
export async function spendGroups(db: Kysely<Database>, start: number, end: number): Promise<SpendGroup[]> {
  const rows = await db
    .selectFrom('requests as r')
    .leftJoin('virtual_keys as k', 'k.id', 'r.key_id')
    .select([
      'r.key_id as key_id',
      'r.project as project',
      'k.user as user',
      'k.team as team',
      sql<number>`sum(cast(round(r.cost_usd * 1000000) as integer))`.as('micros'),
    ])
    .where('r.started_at', '>=', start)
    .where('r.started_at', '<', end)
    .where('r.cost_usd', 'is not', null)
    .groupBy(['r.key_id', 'r.project'])
    .execute();
  return rows.map((r) => ({ ...r, micros: Number(r.micros ?? 0) }));
}

/** Thresholds already fired, for the given (budget, period start) pairs. */
export async function firedAlerts(db: Kysely<Database>, since: number): Promise<BudgetAlertRow[]> {
  return db.selectFrom('budget_alerts').selectAll().where('period_start', '>=', since).execute();
}

export async function insertBudgetAlert(db: Kysely<Database>, row: BudgetAlertRow): Promise<void> {
  await db
    .insertInto('budget_alerts')
    .values(row)
    .onConflict((oc) => oc.columns(['budget_id', 'period_start', 'threshold_pct']).doNothing())
    .execute();
}

/** Ids of usable, non-session keys with exactly this name (a key budget may be set by key name). */
export async function keyIdsNamed(db: Kysely<Database>, name: string): Promise<string[]> {
  const rows = await db
    .selectFrom('virtual_keys')
    .select('id')
    .where('name', '=', name)
    .where('revoked_at', 'is', null)
    .where('session_id', 'is', null)
    .execute();
  return rows.map((r) => r.id);
}
