// Queries for virtual keys. The key itself is never stored: only its SHA-256 and a display prefix.
import type { Kysely, Selectable } from 'kysely';
import type { Database, VirtualKeysTable } from '../schema.js';

export type KeyRow = Selectable<VirtualKeysTable>;

export async function insertKey(db: Kysely<Database>, row: VirtualKeysTable): Promise<void> {
  await db.insertInto('virtual_keys').values(row).execute();
}

export async function listKeys(db: Kysely<Database>, opts: { project?: string; includeSessionKeys?: boolean } = {}): Promise<KeyRow[]> {
  let q = db.selectFrom('virtual_keys').selectAll().orderBy('created_at', 'desc');
  if (opts.project) q = q.where('project', '=', opts.project);
  if (!opts.includeSessionKeys) q = q.where('session_id', 'is', null);
  return q.execute();
}

/** Every key that may still authenticate (not revoked; expiry is checked per request). */
export async function loadUsableKeys(db: Kysely<Database>): Promise<KeyRow[]> {
  return db.selectFrom('virtual_keys').selectAll().where('revoked_at', 'is', null).execute();
}

/** A key by id or by unique id/display prefix; undefined when none or ambiguous. */
export async function findKey(db: Kysely<Database>, ref: string): Promise<KeyRow | undefined> {
  const exact = await db.selectFrom('virtual_keys').selectAll().where('id', '=', ref).executeTakeFirst();
  if (exact) return exact;
  const rows = await db
    .selectFrom('virtual_keys')
    .selectAll()
    .where((eb) => eb.or([eb('id', 'like', `${ref}%`), eb('prefix', '=', ref)]))
    .limit(2)
    .execute();
  return rows.length === 1 ? rows[0] : undefined;
}

export async function revokeKey(db: Kysely<Database>, id: string, at: number, replacedBy: string | null = null): Promise<void> {
  await db.updateTable('virtual_keys').set({ revoked_at: at, replaced_by: replacedBy }).where('id', '=', id).execute();
}
