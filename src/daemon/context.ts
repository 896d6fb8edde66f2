// What the daemon's parts share while it runs: paths, config, store, writer, caches, and actions.
import type { KeyCache } from '../core/auth/key-cache.js';
import type { BudgetService } from '../core/budget/service.js';
import type { Clock } from '../core/deps.js';
import type { WardenPaths } from '../core/paths.js';
import type { Router } from '../core/providers/resolve.js';
import type { SecretStore } from '../core/secrets/index.js';
import type { Store } from '../core/store/db.js';
import type { BatchedWriter } from '../core/store/writer.js';
import type { Logger } from '../core/util/logger.js';
import type { PolicyRuntime } from './policies.js';
import type { Proxy } from './proxy.js';

export interface DaemonContext {
  version: string;
  paths: WardenPaths;
  configFiles: string[];
  store: Store;
  writer: BatchedWriter;
  keys: KeyCache;
  /** Budget definitions, the in-memory ledger (reserve/settle) and alert delivery. */
  budgets: BudgetService;
  /** Loaded policy sets (global and per repository), hot-reloaded. */
  policies: PolicyRuntime;
  router: () => Router;
  proxy: Proxy;
  logger: Logger;
  clock: Clock;
  host: string;
  port: number;
  url: string;
  startedAt: number;
  adminToken: string;
  /** Opened on first use: probing the OS keychain costs time the proxy should not pay at start. */
  secrets: () => Promise<{ store: SecretStore; description: string }>;
  reloadProviders: () => Promise<void>;
  /** Queue an admin audit event (actor: the local admin). */
  audit: (type: string, subject: string | null, data: Record<string, unknown>) => void;
  shutdown: (reason: string) => Promise<void>;
}
