// The one typed schema of Warden's SQLite store. Column names are snake_case, times are epoch ms.
import type { Generated } from 'kysely';

export type RequestStatus =
  | 'started' // recorded before forwarding; still in flight
  | 'ok' // upstream answered 2xx and the response reached the client
  | 'upstream_error' // upstream answered non-2xx (passed through)
  | 'error' // Warden could not complete the request (unreachable upstream, timeout, ...)
  | 'rejected' // Warden refused it (auth, bad input, no route)
  | 'client_aborted' // the client went away mid-response; upstream was aborted
  | 'interrupted'; // the daemon stopped before the request settled

export type UsageSource = 'reported' | 'estimated' | 'none';

export interface RequestsTable {
  id: string;
  started_at: number;
  finished_at: number | null;
  status: RequestStatus;
  http_status: number | null;
  method: string;
  path: string;
  endpoint: string | null;
  provider: string | null;
  model: string | null;
  stream: number; // 0 | 1
  key_id: string | null;
  project: string | null;
  session_id: string | null;
  tool: string | null;
  user_agent: string | null;
  repo: string | null;
  branch: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cache_read_tokens: number | null;
  cache_write_5m_tokens: number | null;
  cache_write_1h_tokens: number | null;
  reasoning_tokens: number | null;
  usage_source: UsageSource | null;
  cost_usd: number | null;
  price_unknown: number; // 0 | 1
  overhead_ms: number | null;
  upstream_ms: number | null;
  duration_ms: number | null;
  error_code: string | null;
  error_message: string | null;
  request_body: string | null;
  response_body: string | null;
  /** allow | warn | deny, or null when no policy was evaluated. */
  policy_verdict: string | null;
  /** 0–100, or null when not computed. */
  risk_score: number | null;
  /** JSON of the policy input the request was judged on, prompt text left out. */
  policy_input: string | null;
}

export interface VirtualKeysTable {
  id: string;
  name: string | null;
  project: string;
  /** First characters of the key, safe to display (wk_abcd1234). */
  prefix: string;
  /** Hex SHA-256 of the whole key; the key itself is never stored. */
  hash: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  /** Set when `keys rotate` replaced this key: the id of its successor. */
  replaced_by: string | null;
  session_id: string | null;
  user: string | null;
  team: string | null;
  tags: string | null; // JSON object
  last_used_at: number | null;
}

export interface SessionsTable {
  id: string;
  project: string;
  key_id: string | null;
  repo: string | null;
  branch: string | null;
  cwd: string | null;
  command: string | null;
  started_at: number;
  ended_at: number | null;
  exit_code: number | null;
}

export interface ProvidersTable {
  name: string;
  type: string;
  base_url: string | null;
  api_version: string | null;
  /** Where the provider key lives: 'keychain', 'file', or null (env fallback / keyless). */
  secret_store: string | null;
  created_at: number;
  updated_at: number;
}

export interface AuditEventsTable {
  seq: number;
  ts: number;
  type: string;
  actor: string;
  subject: string | null;
  data: string; // canonical JSON
  prev_hash: string;
  hash: string;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface BudgetsTable {
  id: string;
  scope: string; // key | project | team | user | global
  /** Key id, project, team or user; '*' for global. */
  name: string;
  period: string; // daily | weekly | monthly
  limit_micros: number; // integer micro-dollars
  hard: number; // 0 | 1
  alert_pcts: string; // JSON array of percentages, ascending
  tz: string; // IANA zone of the calendar periods
  /** May embed a secret (incoming-webhook URLs): shown redacted, never logged or audited whole. */
  webhook_url: string | null;
  created_at: number;
  updated_at: number;
}

export interface BudgetAlertsTable {
  budget_id: string;
  period_start: number;
  threshold_pct: number;
  fired_at: number;
  spent_micros: number;
  limit_micros: number;
}

/** One row per policy version first seen (a policy's history): written only when a version changes. */
export interface PolicyVersionsTable {
  id: Generated<number>;
  name: string;
  /** Hex SHA-256 of the policy file. */
  version: string;
  source: string;
  format: string; // yaml | rego
  origin: string; // builtin | global | repo | path
  change: string; // added | changed
  first_seen: number;
  /** Who loaded it: `daemon`, `cli:<user>`, ... */
  actor: string;
}

/** One row per `warden scan` run. */
export interface ScanRunsTable {
  id: string;
  started_at: number;
  /** Absolute path of the scan root. */
  root: string;
  /** Files analysed. */
  files: number;
  duration_ms: number;
  /** JSON object: severity → count of unsuppressed findings. */
  by_severity: string;
  /** JSON object: rule id → count of unsuppressed findings. */
  by_rule: string;
  exit_code: number;
}

export interface Database {
  requests: RequestsTable;
  virtual_keys: VirtualKeysTable;
  sessions: SessionsTable;
  providers: ProvidersTable;
  audit_events: AuditEventsTable;
  meta: MetaTable;
  budgets: BudgetsTable;
  budget_alerts: BudgetAlertsTable;
  policy_versions: PolicyVersionsTable;
  scan_runs: ScanRunsTable;
}

/** A never-used generated marker keeps kysely's Generated import meaningful for future tables. */
export type AutoId = Generated<number>;
