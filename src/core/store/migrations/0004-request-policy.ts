// Migration 0004: what policy made of each request — its verdict, its risk score, and the policy
// input it was judged on (without the prompt text), so `warden policy replay` can judge recorded
// traffic again. Append-only: never edit after it has landed.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('requests').addColumn('policy_verdict', 'text').execute();
  await db.schema.alterTable('requests').addColumn('risk_score', 'integer').execute();
  await db.schema.alterTable('requests').addColumn('policy_input', 'text').execute();
  await sql`CREATE INDEX requests_policy_verdict ON requests (policy_verdict, started_at) WHERE policy_verdict IS NOT NULL`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('migrations are append-only; there is no down');
}
