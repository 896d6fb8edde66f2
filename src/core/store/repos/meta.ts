// Small key/value facts the store keeps about itself (e.g. the config digests last seen).
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

export async function getMeta(db: Kysely<Database>, key: string): Promise<string | undefined> {
  const r = await db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst();
  return r?.value;
}

export async function setMeta(db: Kysely<Database>, key: string, value: string): Promise<void> {
  await db
    .insertInto('meta')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
    .execute();
}
