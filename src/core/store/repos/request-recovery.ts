// Start-up recovery: requests still marked `started` were in flight when a daemon died.
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export async function markInterrupted(db: Kysely<Database>, at: number): Promise<number> {
  const r = await db
    .updateTable('requests')
    .set({ status: 'interrupted', finished_at: at, error_code: 'interrupted', error_message: 'the daemon stopped before this request settled' })
    .where('status', '=', 'started')
    .executeTakeFirst();
  return Number(r.numUpdatedRows);
}
