// Queries for upstream providers set with `warden providers set` (keys live in the secret store).
import type { Kysely, Selectable } from 'kysely';
import type { Database, ProvidersTable } from '../schema.js';

export type ProviderRow = Selectable<ProvidersTable>;

export async function listProviderRows(db: Kysely<Database>): Promise<ProviderRow[]> {
  return db.selectFrom('providers').selectAll().orderBy('name').execute();
}

export async function upsertProvider(db: Kysely<Database>, row: ProvidersTable): Promise<void> {
  await db
    .insertInto('providers')
    .values(row)
    .onConflict((oc) =>
      oc.column('name').doUpdateSet({
        type: row.type,
        base_url: row.base_url,
        api_version: row.api_version,
        secret_store: row.secret_store,
        updated_at: row.updated_at,
      }),
    )
    .execute();
}

export async function deleteProvider(db: Kysely<Database>, name: string): Promise<boolean> {
  const r = await db.deleteFrom('providers').where('name', '=', name).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}
