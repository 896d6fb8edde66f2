// Read-side queries over `requests`: listings, one request, cost reports and today's summary.
// Days in cost reports are UTC calendar days (YYYY-MM-DD), so a report reads the same on every
// machine and in CI; callers who want "today" pass their own local start-of-day to todaySummary.
// Costs never turn unknown prices into 0 silently: every sum travels with the count of unpriced rows.
import { sql, type Kysely, type Selectable } from 'kysely';
import { WardenError } from '../../errors.js';
import type { Database, RequestStatus, RequestsTable } from '../schema.js';

export type RequestRow = Selectable<RequestsTable>;

/** A request without its stored bodies (listings never carry them). */
export type RequestSummary = Omit<RequestRow, 'request_body' | 'response_body' | 'policy_input'>;

export const REQUEST_STATUSES: readonly RequestStatus[] = [
  'started',
  'ok',
  'upstream_error',
  'error',
  'rejected',
  'client_aborted',
  'interrupted',
];

/** Statuses counted as errors in summaries: the request failed after Warden accepted it. */
export const ERROR_STATUSES: readonly RequestStatus[] = ['upstream_error', 'error'];

export interface RequestFilter {
  /** Only requests started at or after this epoch ms. */
  since?: number;
  model?: string;
  project?: string;
  status?: RequestStatus;
  /** Default 50. */
  limit?: number;
}

const SUMMARY_COLUMNS = [
  'id',
  'started_at',
  'finished_at',
  'status',
  'http_status',
  'method',
  'path',
  'endpoint',
  'provider',
  'model',
  'stream',
  'key_id',
  'project',
  'session_id',
  'tool',
  'user_agent',
  'repo',
  'branch',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write_5m_tokens',
  'cache_write_1h_tokens',
  'reasoning_tokens',
  'usage_source',
  'cost_usd',
  'price_unknown',
  'overhead_ms',
  'upstream_ms',
  'duration_ms',
  'error_code',
  'error_message',
  'policy_verdict',
  'risk_score',
] as const satisfies readonly (keyof RequestSummary)[];

/** Newest first. */
export async function listRequests(db: Kysely<Database>, filter: RequestFilter = {}): Promise<RequestSummary[]> {
  let q = db.selectFrom('requests').select(SUMMARY_COLUMNS);
  if (filter.since !== undefined) q = q.where('started_at', '>=', filter.since);
  if (filter.model !== undefined) q = q.where('model', '=', filter.model);
  if (filter.project !== undefined) q = q.where('project', '=', filter.project);
  if (filter.status !== undefined) q = q.where('status', '=', filter.status);
  return q
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(filter.limit ?? 50)
    .execute();
}

/**
 * One request by its full id, or by a prefix that matches exactly one id. Returns undefined when
 * nothing matches; throws `request_ambiguous` (a usage error) when a prefix matches several.
 */
export async function getRequest(db: Kysely<Database>, idOrPrefix: string): Promise<RequestRow | undefined> {
  const exact = await db.selectFrom('requests').selectAll().where('id', '=', idOrPrefix).executeTakeFirst();
  if (exact || idOrPrefix === '') return exact;
  // substr comparison rather than LIKE: ids may contain % or _, and it uses no pattern syntax.
  const matches = await db
    .selectFrom('requests')
    .selectAll()
    .where(sql<string>`substr(id, 1, ${idOrPrefix.length})`, '=', idOrPrefix)
    .orderBy('started_at', 'desc')
    .limit(6)
    .execute();
  if (matches.length > 1) {
    const shown = matches.slice(0, 5).map((m) => m.id);
    throw new WardenError('request_ambiguous', `"${idOrPrefix}" matches more than one request: ${shown.join(', ')}${matches.length > 5 ? ', …' : ''}`, {
      hint: 'give more characters of the id',
    });
  }
  return matches[0];
}

export type CostGroupBy = 'model' | 'project' | 'tool' | 'day' | 'session';
export const COST_GROUP_BYS: readonly CostGroupBy[] = ['model', 'project', 'tool', 'day', 'session'];

export interface CostFigures {
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  /** 5-minute and 1-hour cache writes together. */
  cache_write_tokens: number;
  /** Sum over rows whose price is known. Incomplete whenever price_unknown > 0. */
  cost_usd: number;
  /** Rows with usage but no price (model missing from the catalogue): their cost is NOT in cost_usd. */
  price_unknown: number;
  /** Rows whose usage was estimated (the provider reported none). */
  estimated: number;
  /** True when cost_usd covers every row (price_unknown === 0). */
  cost_complete: boolean;
}

export interface CostReportRow extends CostFigures {
  /** The group's value (model name, project, tool, session id, or UTC day YYYY-MM-DD); null when unset. */
  key: string | null;
}

export interface CostReport {
  by: CostGroupBy;
  /** Epoch ms lower bound, null for all time. */
  since: number | null;
  /** Days are UTC calendar days. */
  timezone: 'UTC';
  rows: CostReportRow[];
  totals: CostFigures;
}

export interface CostReportOptions {
  by: CostGroupBy;
  since?: number;
}

const GROUP_COLUMN = {
  model: 'model',
  project: 'project',
  tool: 'tool',
  session: 'session_id',
} as const;

interface RawFigures {
  requests: number;
  input_tokens: number | null;
  output_tokens: number | null;
  cache_read_tokens: number | null;
  cache_write_tokens: number | null;
  cost_usd: number | null;
  price_unknown: number | null;
  estimated: number | null;
}

function figures(r: RawFigures): CostFigures {
  const priceUnknown = Number(r.price_unknown ?? 0);
  return {
    requests: Number(r.requests),
    input_tokens: Number(r.input_tokens ?? 0),
    output_tokens: Number(r.output_tokens ?? 0),
    cache_read_tokens: Number(r.cache_read_tokens ?? 0),
    cache_write_tokens: Number(r.cache_write_tokens ?? 0),
    cost_usd: Number(r.cost_usd ?? 0),
    price_unknown: priceUnknown,
    estimated: Number(r.estimated ?? 0),
    cost_complete: priceUnknown === 0,
  };
}

/** Groups ordered by cost then requests (descending), except `day`, which is chronological. */
export async function costReport(db: Kysely<Database>, opts: CostReportOptions): Promise<CostReport> {
  const key =
    opts.by === 'day'
      ? sql<string | null>`strftime('%Y-%m-%d', started_at / 1000, 'unixepoch')`
      : sql<string | null>`${sql.ref(GROUP_COLUMN[opts.by])}`;

  const base = () => {
    let q = db.selectFrom('requests');
    if (opts.since !== undefined) q = q.where('started_at', '>=', opts.since);
    return q.select((eb) => [
      eb.fn.countAll<number>().as('requests'),
      eb.fn.sum<number | null>('input_tokens').as('input_tokens'),
      eb.fn.sum<number | null>('output_tokens').as('output_tokens'),
      eb.fn.sum<number | null>('cache_read_tokens').as('cache_read_tokens'),
      sql<number | null>`sum(coalesce(cache_write_5m_tokens, 0) + coalesce(cache_write_1h_tokens, 0))`.as('cache_write_tokens'),
      // Unknown prices are excluded from the sum and counted instead (cost_usd is NULL or a partial guess there).
      sql<number | null>`sum(case when price_unknown = 0 then cost_usd end)`.as('cost_usd'),
      sql<number | null>`sum(case when price_unknown <> 0 then 1 else 0 end)`.as('price_unknown'),
      sql<number | null>`sum(case when usage_source = 'estimated' then 1 else 0 end)`.as('estimated'),
    ]);
  };

  let grouped = base().select(key.as('key')).groupBy(key);
  grouped =
    opts.by === 'day'
      ? grouped.orderBy(key, 'asc')
      : grouped
          .orderBy(sql`sum(case when price_unknown = 0 then cost_usd end)`, (ob) => ob.desc().nullsLast())
          .orderBy('requests', 'desc')
          .orderBy(key, 'asc');
  const rows = await grouped.execute();
  const totals = await base().executeTakeFirstOrThrow();

  return {
    by: opts.by,
    since: opts.since ?? null,
    timezone: 'UTC',
    rows: rows.map((r) => ({ key: r.key ?? null, ...figures(r) })),
    totals: figures(totals),
  };
}

export interface TodaySummary {
  /** The start-of-day (epoch ms) the caller chose; its time zone is the caller's. */
  since: number;
  requests: number;
  /** upstream_error + error. */
  errors: number;
  /** Refused by Warden (policy, auth, budget). */
  rejected: number;
  /** Known-price spend; incomplete when price_unknown > 0. */
  spend_usd: number;
  price_unknown: number;
}

export async function todaySummary(db: Kysely<Database>, startOfDayMs: number): Promise<TodaySummary> {
  const errorList = sql.join(ERROR_STATUSES.map((s) => sql.lit(s)));
  const r = await db
    .selectFrom('requests')
    .where('started_at', '>=', startOfDayMs)
    .select((eb) => [
      eb.fn.countAll<number>().as('requests'),
      sql<number | null>`sum(case when status in (${errorList}) then 1 else 0 end)`.as('errors'),
      sql<number | null>`sum(case when status = 'rejected' then 1 else 0 end)`.as('rejected'),
      sql<number | null>`sum(case when price_unknown = 0 then cost_usd end)`.as('spend_usd'),
      sql<number | null>`sum(case when price_unknown <> 0 then 1 else 0 end)`.as('price_unknown'),
    ])
    .executeTakeFirstOrThrow();
  return {
    since: startOfDayMs,
    requests: Number(r.requests),
    errors: Number(r.errors ?? 0),
    rejected: Number(r.rejected ?? 0),
    spend_usd: Number(r.spend_usd ?? 0),
    price_unknown: Number(r.price_unknown ?? 0),
  };
}

/** A request as `warden policy replay` judges it again: its recorded verdict and policy input. */
export interface RecordedPolicyInput {
  id: string;
  started_at: number;
  policy_verdict: string | null;
  policy_input: string | null;
  endpoint: string | null;
  request_body: string | null;
}

/** Requests since `since` (oldest first), at most `limit`; with the body only when stored (store_bodies). */
export async function listRecordedPolicyInputs(db: Kysely<Database>, since: number, limit: number): Promise<RecordedPolicyInput[]> {
  return db
    .selectFrom('requests')
    .select(['id', 'started_at', 'policy_verdict', 'policy_input', 'endpoint', 'request_body'])
    .where('started_at', '>=', since)
    .orderBy('started_at', 'asc')
    .orderBy('id', 'asc')
    .limit(limit)
    .execute();
}
