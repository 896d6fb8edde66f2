// Policy version history: a row (and an audit event) each time a policy is first seen at a new
// version, so `warden policy history NAME` can say which version was loaded, from where, when and by whom.
import type { Kysely, Selectable } from 'kysely';
import { appendAuditEvents, type AuditEventInput } from '../../audit/chain.js';
import type { Store } from '../db.js';
import type { Database, PolicyVersionsTable } from '../schema.js';

export type PolicyVersionRow = Selectable<PolicyVersionsTable>;

/** What the history needs of a loaded policy (a PolicyMeta fits). */
export interface PolicyVersionInput {
  name: string;
  version: string;
  source: string;
  format: string;
  origin: string;
}

export interface RecordVersionsOptions {
  /** Who loaded the set: `daemon`, `cli:<user>`, ... */
  actor: string;
  /** Epoch ms from the caller's clock. */
  now: number;
}

/**
 * Writes a history row, and a `policy.added` / `policy.changed` audit event, for each policy of
 * `set` whose version differs from the latest recorded for its name. One IMMEDIATE transaction,
 * so concurrent writers cannot both record the same change. Returns the rows written.
 */
export function recordVersions(
  store: Pick<Store, 'sqlite'>,
  set: { policies: readonly { meta: PolicyVersionInput }[] },
  opts: RecordVersionsOptions,
): PolicyVersionRow[] {
  const sqlite = store.sqlite;
  const latest = sqlite.prepare<[string], { version: string }>('SELECT version FROM policy_versions WHERE name = ? ORDER BY id DESC LIMIT 1');
  const insert = sqlite.prepare<[string, string, string, string, string, string, number, string]>(
    'INSERT INTO policy_versions (name, version, source, format, origin, change, first_seen, actor) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  const ts = Math.trunc(opts.now);
  return sqlite
    .transaction(() => {
      const rows: PolicyVersionRow[] = [];
      const events: AuditEventInput[] = [];
      for (const { meta } of set.policies) {
        const prev = latest.get(meta.name)?.version;
        if (prev === meta.version) continue;
        const change = prev === undefined ? 'added' : 'changed';
        const r = insert.run(meta.name, meta.version, meta.source, meta.format, meta.origin, change, ts, opts.actor);
        rows.push({
          id: Number(r.lastInsertRowid),
          name: meta.name,
          version: meta.version,
          source: meta.source,
          format: meta.format,
          origin: meta.origin,
          change,
          first_seen: ts,
          actor: opts.actor,
        });
        events.push({
          ts,
          type: `policy.${change}`,
          actor: opts.actor,
          subject: meta.name,
          data: {
            name: meta.name,
            version: meta.version,
            ...(prev !== undefined ? { previous_version: prev } : {}),
            source: meta.source,
            format: meta.format,
            origin: meta.origin,
          },
        });
      }
      if (events.length > 0) appendAuditEvents(sqlite, events);
      return rows;
    })
    .immediate();
}

/** Every recorded version of a policy, newest first. */
export async function policyHistory(db: Kysely<Database>, name: string, limit = 100): Promise<PolicyVersionRow[]> {
  return db.selectFrom('policy_versions').selectAll().where('name', '=', name).orderBy('id', 'desc').limit(limit).execute();
}

/** The latest recorded version of each policy name. */
export async function latestPolicyVersions(db: Kysely<Database>): Promise<Map<string, PolicyVersionRow>> {
  const rows = await db
    .selectFrom('policy_versions as p')
    .selectAll()
    .where('p.id', 'in', (eb) => eb.selectFrom('policy_versions').select((e) => e.fn.max('id').as('id')).groupBy('name'))
    .execute();
  return new Map(rows.map((r) => [r.name, r]));
}
