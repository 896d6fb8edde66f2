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
