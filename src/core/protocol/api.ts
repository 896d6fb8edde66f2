// Types of Warden's own admin API under /_warden/v1 (the CLI ↔ daemon contract). Field names are API.

export const ADMIN_PREFIX = '/_warden/v1';

export interface DaemonState {
  pid: number;
  host: string;
  port: number;
  startedAt: number;
  version: string;
  dataDir: string;
}

export interface StatusResponse {
  status: 'ok';
  version: string;
  pid: number;
  host: string;
  port: number;
  url: string;
  data_dir: string;
  started_at: string;
  uptime_s: number;
  config_files: string[];
  providers: { name: string; type: string; base_url: string; key_source: string }[];
  today: { requests: number; errors: number; spend_usd: number; price_unknown: number };
  writer: { queued: number; written: number; batches: number };
  /** Loaded policies; `errors` are the latest load's ("file:line:col: code: message"), the last good set still in force. */
  policies: { loaded: number; repos: string[]; errors: string[] };
  /** Budgets that crossed an alert threshold this period, or are exhausted. */
  budget_alerts: { id: string; scope: string; name: string; period: string; used_pct: number; limit_usd: number; spent_usd: number; state: string }[];
}

export interface KeyCreateRequest {
  project: string;
  name?: string;
  expires_in_ms?: number;
  user?: string;
  team?: string;
}

export interface KeyInfo {
  id: string;
  name: string | null;
  project: string;
  prefix: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  replaced_by: string | null;
  session_id: string | null;
  last_used_at: string | null;
  state: 'active' | 'expired' | 'revoked';
}

export interface KeyCreated extends KeyInfo {
  /** The whole key. Returned once, at creation; never stored. */
  key: string;
}

export interface ProviderSetRequest {
  type: string;
  base_url?: string;
  api_version?: string;
  api_key?: string;
}

export interface ProviderInfo {
  name: string;
  type: string;
  base_url: string;
  api_version: string | null;
  /** keychain | file | env:NAME | none */
  key_source: string;
  origin: 'store' | 'config' | 'env';
}

export interface ProviderTestResult {
  name: string;
  ok: boolean;
  status: number | null;
  latency_ms: number;
  models: number | null;
  error: string | null;
}

export interface SessionCreateRequest {
  project: string;
  repo?: string | null;
  branch?: string | null;
  cwd?: string | null;
  command?: string | null;
  expires_in_ms?: number;
}

export interface SessionCreated {
  session_id: string;
  key: string;
  key_id: string;
  project: string;
}

/**
 * `POST /budgets`: create the budget for (scope, name, period), or update it. Optional fields left
 * out keep their stored value on update and take the default on create.
 */
export interface BudgetSetRequest {
  scope: 'key' | 'project' | 'team' | 'user' | 'global';
  /** Project, team or user name; for key scope a key id, prefix or name; omitted for global. */
  name?: string;
  period: 'daily' | 'weekly' | 'monthly';
  /** "25", "12.50" (exact) or a number. */
  amount_usd: string | number;
  /** Default false (soft: alerts only). */
  hard?: boolean;
  /** Percentages of the limit; default [80, 100]; [] for none. */
  alert_pcts?: number[];
  /** IANA zone of the calendar periods; default the daemon machine's zone. */
  tz?: string;
  /** null removes it. */
  webhook_url?: string | null;
}

export interface BudgetInfo {
  id: string;
  scope: 'key' | 'project' | 'team' | 'user' | 'global';
  /** Key id, project, team or user; `*` for global. */
  name: string;
  /** `project:checkout`, `global`. */
  target: string;
  period: 'daily' | 'weekly' | 'monthly';
  limit_usd: number;
  hard: boolean;
  alert_pcts: number[];
  tz: string;
  /** The webhook's origin only (its path may be a secret), or null. */
  webhook: string | null;
  created_at: string;
  updated_at: string;
}

/** A budget in its current period (`GET /budgets`). */
export interface BudgetStatusInfo extends BudgetInfo {
  /** 2025-03-30, 2025-W13, 2025-03. */
  period_label: string;
  period_start: string;
  period_end: string;
  /** Settled spend this period. */
  spent_usd: number;
  /** Worst-case cost reserved by requests in flight. */
  reserved_usd: number;
  /** limit − spent − reserved, never below 0. */
  remaining_usd: number;
  /** spent ÷ limit in percent, one decimal (may exceed 100 for soft budgets). */
  used_pct: number;
  /** Alert thresholds (percent) crossed this period, ascending. */
  alerts_crossed: number[];
  state: 'ok' | 'alerting' | 'exhausted';
}
