// Queries for `warden run` sessions: one row per run, tied to the session's virtual key.
import type { Kysely } from 'kysely';
import type { Database, SessionsTable } from '../schema.js';

export async function insertSession(db: Kysely<Database>, row: SessionsTable): Promise<void> {
  await db.insertInto('sessions').values(row).execute();
}

export async function endSession(db: Kysely<Database>, id: string, at: number, exitCode: number | null): Promise<boolean> {
  const r = await db
    .updateTable('sessions')
    .set({ ended_at: at, exit_code: exitCode })
    .where('id', '=', id)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function getSession(db: Kysely<Database>, id: string) {
  return db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
}
