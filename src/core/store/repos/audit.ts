// Read-side queries over `audit_events`: listing, one event by seq, and an ordered stream for export.
// Writes go through core/audit/chain.ts only (the hash chain must be extended inside a transaction).
import { sql, type Expression, type ExpressionBuilder, type Kysely, type Selectable, type SqlBool } from 'kysely';
import type { AuditEventsTable, Database } from '../schema.js';

export type AuditEventRow = Selectable<AuditEventsTable>;

/** An event with `data` decoded; `data` stays the raw text if it is not JSON (a tampered row). */
export interface AuditEvent extends Omit<AuditEventRow, 'data'> {
  data: unknown;
}

export interface AuditFilter {
  /** Only events at or after this epoch ms. */
  since?: number;
  /** Exact type (`key.created`), or a prefix ending in `*` (`key.*`). */
  type?: string;
  /** Default 50 (listAuditEvents only). */
  limit?: number;
}

function matches(eb: ExpressionBuilder<Database, 'audit_events'>, filter: AuditFilter): Expression<SqlBool> {
  const conds: Expression<SqlBool>[] = [];
  if (filter.since !== undefined) conds.push(eb('ts', '>=', filter.since));
  const type = filter.type ?? '';
  if (type.endsWith('*')) {
    const prefix = type.slice(0, -1);
    // substr rather than LIKE: types may contain _ and %, and a prefix needs no pattern syntax.
    if (prefix !== '') conds.push(eb(sql<string>`substr(type, 1, ${prefix.length})`, '=', prefix));
  } else if (type !== '') {
    conds.push(eb('type', '=', type));
  }
  return eb.and(conds);
}

/** Newest first. */
export async function listAuditEvents(db: Kysely<Database>, filter: AuditFilter = {}): Promise<AuditEventRow[]> {
  return db
    .selectFrom('audit_events')
    .selectAll()
    .where((eb) => matches(eb, filter))
    .orderBy('seq', 'desc')
    .limit(filter.limit ?? 50)
    .execute();
}

export async function getAuditEvent(db: Kysely<Database>, seq: number): Promise<AuditEventRow | undefined> {
  return db.selectFrom('audit_events').selectAll().where('seq', '=', seq).executeTakeFirst();
}

/** Every matching event in ascending seq order, one row at a time (for export of large logs). */
export async function* streamAuditEvents(db: Kysely<Database>, filter: Omit<AuditFilter, 'limit'> = {}): AsyncGenerator<AuditEventRow> {
  yield* db
    .selectFrom('audit_events')
    .selectAll()
    .where((eb) => matches(eb, filter))
    .orderBy('seq', 'asc')
    .stream();
}

export function decodeAuditEvent(row: AuditEventRow): AuditEvent {
  let data: unknown;
  try {
    data = JSON.parse(row.data);
  } catch {
    data = row.data;
  }
  return { ...row, data };
}
