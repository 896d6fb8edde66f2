// The daemon process: take the data dir's lock, load config, open the store, start the proxy and
// admin API, write the pidfile, and drain gracefully on SIGTERM/SIGINT.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { KeyCache, type SessionTags } from '../core/auth/key-cache.js';
import { findRepoRoot, loadConfig } from '../core/config/load.js';
import { envFrom, systemClock } from '../core/deps.js';
import { WardenError } from '../core/errors.js';
import {
  acquireLock,
  ensureAdminToken,
  removeRuntimeFiles,
  writeRuntimeFiles,
} from '../core/lifecycle/daemon-files.js';
import { resolvePaths } from '../core/paths.js';
import { daemonUrl } from '../core/protocol/client.js';
import { resolveProviders, Router } from '../core/providers/resolve.js';
import { openSecretStore } from '../core/secrets/index.js';
import { ensurePrivateDir, openStore, type Store } from '../core/store/db.js';
import { loadUsableKeys } from '../core/store/repos/keys.js';
import { listProviderRows } from '../core/store/repos/providers.js';
import { markInterrupted } from '../core/store/repos/request-recovery.js';
import { getMeta, setMeta } from '../core/store/repos/meta.js';
import { diffConfigDigests, digestConfigFiles, type ConfigDigests } from '../core/config/digest.js';
import { BatchedWriter } from '../core/store/writer.js';
import { BudgetService } from '../core/budget/service.js';
import { LoopGuard } from '../core/session/loop-guard.js';
import { RateLimiter } from '../core/ratelimit/limiter.js';
import { RequestGate } from '../core/policy/request-gate.js';
import { priceRequest } from '../core/pricing/index.js';
import type { ProviderType } from '../core/providers/types.js';
import { AdminApi } from './admin.js';
import { PolicyRuntime } from './policies.js';
import { SpendTracker } from '../core/budget/spend.js';
import type { DaemonContext } from './context.js';
import { formatBanner, formatRequestLine } from './render.js';
import { Proxy } from './proxy.js';
import { createServer, listen } from './server.js';

function readVersion(): string {
  try {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    return pkg.version;
  } catch {
    return '0.0.0';
  }
}

export async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      background: { type: 'boolean', default: false },
    },
    strict: true,
  });
  const env = envFrom(process.env);
  const clock = systemClock;
  const paths = resolvePaths(env);
  const version = readVersion();
  ensurePrivateDir(paths.dataDir);
  ensurePrivateDir(paths.logDir);

  const repoRoot = findRepoRoot(process.cwd());
  const { config, files: configFiles } = loadConfig({
    globalFile: paths.configFile,
    repoFile: repoRoot ? path.join(repoRoot, '.warden', 'config.yaml') : undefined,
  });
  const host = values.host ?? config.server.host;
  const port = values.port !== undefined ? Number(values.port) : config.server.port;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new WardenError('invalid_port', `port "${values.port}" is not a TCP port`);
  }

  const releaseLock = acquireLock(paths);
  if (!fs.existsSync(paths.logFile)) fs.writeFileSync(paths.logFile, '', { mode: 0o600 });
  const dest = pino.destination({ dest: paths.logFile, sync: false, mkdir: true });
  const logger = pino({ level: config.logLevel, base: { pid: process.pid } }, dest);

  let store: Store;
  try {
    store = await openStore(paths.dbFile, { migrate: true });
  } catch (e) {
    releaseLock();
    throw e;
  }
  const interrupted = await markInterrupted(store.db, clock.now());
  const writer = new BatchedWriter(store.sqlite, { flushMs: config.writer.flushMs, maxBatch: config.writer.maxBatch, logger });

  const keys = new KeyCache();
  {
    const sessions = new Map<string, SessionTags>();
    const rows = await store.db.selectFrom('sessions').select(['id', 'repo', 'branch']).execute();
    for (const r of rows) sessions.set(r.id, { repo: r.repo, branch: r.branch });
    keys.load(await loadUsableKeys(store.db), sessions);
  }

  // Budgets: definitions and this period's spend from the store, then maintained in memory.
  const budgets = await BudgetService.start({
    db: store.db,
    clock,
    logger,
    fetch: globalThis.fetch,
    audit: (type, subject, data, actor) => writer.audit({ ts: clock.now(), type, actor, subject, data }),
    flush: () => writer.flush(),
    defaultTz: Intl.DateTimeFormat().resolvedOptions().timeZone,
  });

  let secretsPromise: Promise<{ store: Awaited<ReturnType<typeof openSecretStore>>['store']; description: string }> | undefined;
  const secrets = () => (secretsPromise ??= openSecretStore({ paths, env }));

  let router = new Router([], []);
  const routes = config.routes;
  const reloadProviders = async () => {
    const rows = await listProviderRows(store.db);
    const needSecrets = rows.some((r) => r.secret_store);
    const s = needSecrets ? (await secrets()).store : undefined;
    const providers = await resolveProviders({
      rows,
      configProviders: config.providers,
      env,
      getSecret: async (name) => (s ? s.get(name) : undefined),
    });
    router = new Router(providers, routes);
  };
  await reloadProviders();

  // Policies (hot-reloaded), rate limits, budgets and the agent-loop guard: the request gate.
  const policies = new PolicyRuntime({
    configDir: paths.configDir,
    store,
    clock,
    logger,
    audit: (type, subject, data) => writer.audit({ ts: clock.now(), type, actor: 'daemon', subject, data }),
    flush: () => writer.flush(),
    pollMs: config.policy.reloadMs,
  });
  {
    const rows = await store.db.selectFrom('sessions').select(['id', 'cwd', 'ended_at']).execute();
    for (const r of rows) if (r.ended_at === null) policies.attachSession(r.id, r.cwd);
  }
  const policyTz = config.policy.timezone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const spend = await SpendTracker.load(store.db, { clock, tz: policyTz });
  const gate = new RequestGate({
    engineFor: config.policy.enabled ? (p) => policies.engineFor(p) : () => undefined,
    ledger: budgets.ledger,
    spend,
    limiter: config.rateLimits.length > 0 ? new RateLimiter(config.rateLimits, { clock }) : undefined,
    loopGuard: new LoopGuard(),
    price: (model, providerType, inputTokens, outputTokens, at) =>
      priceRequest({
        model,
        providerType: providerType as ProviderType,
        usage: { inputTokens, outputTokens, cacheReadTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, reasoningTokens: 0 },
        overrides: config.pricing.overrides,
        at,
      }).costUsd,
    maxScanChars: config.policy.maxScanChars,
    defaultMaxOutputTokens: config.policy.defaultMaxOutputTokens,
    tz: policyTz,
  });

  const quiet = values.quiet || values.background;
  const proxy = new Proxy({
    gate,
    keys,
    router: () => router,
    writer,
    logger,
    now: () => clock.now(),
    limits: {
      maxBodyBytes: config.server.maxBodyBytes,
      upstreamTimeoutMs: config.server.upstreamTimeoutMs,
      connectTimeoutMs: config.server.connectTimeoutMs,
      streamIdleTimeoutMs: config.server.streamIdleTimeoutMs,
    },
    storeBodies: config.storeBodies,
    priceOverrides: () => config.pricing.overrides,
    onSettled: quiet ? undefined : (s) => process.stdout.write(`${formatRequestLine(s, process.stdout.isTTY === true && !process.env.NO_COLOR)}\n`),
  });

  const adminToken = ensureAdminToken(paths);
  const startedAt = clock.now();
  const audit = (type: string, subject: string | null, data: Record<string, unknown>) =>
    writer.audit({ ts: clock.now(), type, actor: 'admin', subject, data });

  let shuttingDown: Promise<void> | undefined;
  const ctx: DaemonContext = {
    version,
    paths,
    configFiles,
    store,
    writer,
    keys,
    budgets,
    policies,
    router: () => router,
    proxy,
    logger,
    clock,
    host,
    port,
    url: '',
    startedAt,
    adminToken,
    secrets,
    reloadProviders,
    audit,
    shutdown: (reason) => (shuttingDown ??= shutdown(reason)),
  };
  const admin = new AdminApi(ctx);
  const server = createServer(admin, proxy);
  try {
    ctx.port = await listen(server, host, port);
  } catch (e) {
    await store.close();
    releaseLock();
    const code = (e as NodeJS.ErrnoException).code;
    throw new WardenError(
      'listen_failed',
      code === 'EADDRINUSE' ? `port ${port} on ${host} is already in use` : `cannot listen on ${host}:${port}: ${(e as Error).message}`,
      { hint: 'pick another with --port or server.port in config.yaml' },
    );
  }
  ctx.url = daemonUrl({ host, port: ctx.port });
  writeRuntimeFiles(paths, { pid: process.pid, host, port: ctx.port, startedAt, version, dataDir: paths.dataDir });
  audit('daemon.started', null, { version, pid: process.pid, host, port: ctx.port, config_files: configFiles, interrupted_requests: interrupted });
  const digests = digestConfigFiles(configFiles);
  const previousDigests = await getMeta(store.db, 'config_digests');
  if (previousDigests !== undefined) {
    const changes = diffConfigDigests(JSON.parse(previousDigests) as ConfigDigests, digests);
    if (changes.length) audit('config.changed', null, { changes });
  }
  await setMeta(store.db, 'config_digests', JSON.stringify(digests));
  writer.flush();
  logger.info({ host, port: ctx.port, configFiles, interrupted }, 'daemon started');
  if (!values.background) {
    process.stdout.write(formatBanner({ url: ctx.url, dataDir: paths.dataDir, version, configFiles, providers: router.all, interrupted }));
  }

  async function shutdown(reason: string): Promise<void> {
    logger.info({ reason, inflight: proxy.inflightCount }, 'daemon stopping');
    if (!values.background && !values.quiet) process.stdout.write(`warden: stopping (${reason}), draining ${proxy.inflightCount} request(s)\n`);
    server.close();
    server.closeIdleConnections();
    const drainTimeout = new Promise<void>((r) => setTimeout(r, 30_000).unref());
    await Promise.race([proxy.drain(), drainTimeout]);
    server.closeAllConnections();
    audit('daemon.stopped', null, { reason, pid: process.pid });
    policies.close();
    writer.close();
    await proxy.close().catch(() => undefined);
    await store.close();
    removeRuntimeFiles(paths);
    releaseLock();
    logger.flush();
    process.exit(0);
  }

  process.on('SIGTERM', () => void ctx.shutdown('SIGTERM'));
  process.on('SIGINT', () => void ctx.shutdown('SIGINT'));
  process.on('SIGHUP', () => void ctx.shutdown('SIGHUP'));
  // No request can crash the daemon: log what escaped a handler and keep serving.
  process.on('uncaughtException', (err) => logger.error({ err: err.message, stack: err.stack }, 'uncaught exception'));
  process.on('unhandledRejection', (err) => logger.error({ err: String(err) }, 'unhandled rejection'));
}
