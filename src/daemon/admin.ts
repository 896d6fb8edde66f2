// Warden's admin API under /_warden/v1: status, keys, providers, sessions, shutdown. Every route
// but /health needs the admin token, compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { displayPrefix, generateVirtualKey, hashVirtualKey, newId } from '../core/auth/virtual-keys.js';
import { WardenError } from '../core/errors.js';
import { budgetInputFromBody } from '../core/budget/definition.js';
import type {
  KeyCreateRequest,
  KeyCreated,
  KeyInfo,
  ProviderInfo,
  ProviderSetRequest,
  ProviderTestResult,
  SessionCreateRequest,
  SessionCreated,
  StatusResponse,
} from '../core/protocol/api.js';
import { ADMIN_PREFIX } from '../core/protocol/api.js';
import { isProviderType, secretNameFor } from '../core/providers/resolve.js';
import { PROVIDER_TYPES } from '../core/providers/index.js';
import { findKey, insertKey, listKeys, revokeKey, type KeyRow } from '../core/store/repos/keys.js';
import { deleteProvider, listProviderRows, upsertProvider } from '../core/store/repos/providers.js';
import { endSession, insertSession } from '../core/store/repos/sessions.js';
import { todaySummary } from '../core/store/repos/requests.js';
import type { DaemonContext } from './context.js';

const MAX_ADMIN_BODY = 64 * 1024;

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Constant-time token check: compare digests so lengths never leak either. */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (!presented) return false;
  return timingSafeEqual(digest(presented), digest(expected));
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

function sendError(res: ServerResponse, status: number, code: string, message: string, hint?: string): void {
  send(res, status, { error: { code, message, ...(hint ? { hint } : {}) } });
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > MAX_ADMIN_BODY) throw new WardenError('body_too_large', 'admin request body too large');
    chunks.push(c);
  }
  if (size === 0) return {};
  try {
    const v: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* fall through */
  }
  throw new WardenError('invalid_json', 'admin request body is not a JSON object');
}

function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export function keyInfo(r: KeyRow, now: number): KeyInfo {
  return {
    id: r.id,
    name: r.name,
    project: r.project,
    prefix: r.prefix,
    created_at: new Date(r.created_at).toISOString(),
    expires_at: iso(r.expires_at),
    revoked_at: iso(r.revoked_at),
    replaced_by: r.replaced_by,
    session_id: r.session_id,
    last_used_at: iso(r.last_used_at),
    state: r.revoked_at !== null ? 'revoked' : r.expires_at !== null && r.expires_at <= now ? 'expired' : 'active',
  };
}

function str(v: unknown, field: string, opts: { required?: boolean; max?: number } = {}): string | undefined {
  if (v === undefined || v === null || v === '') {
    if (opts.required) throw new WardenError('invalid_request', `"${field}" is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw new WardenError('invalid_request', `"${field}" must be a string`);
  if (v.length > (opts.max ?? 200)) throw new WardenError('invalid_request', `"${field}" is too long`);
  return v;
}

function positiveInt(v: unknown, field: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw new WardenError('invalid_request', `"${field}" must be a positive number`);
  return Math.floor(v);
}

const PROJECT_RE = /^[\w.@/-]{1,100}$/;

export class AdminApi {
  constructor(private readonly ctx: DaemonContext) {}

  async handle(req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
    const route = pathname.slice(ADMIN_PREFIX.length) || '/';
    const method = req.method ?? 'GET';
    if (route === '/health' && method === 'GET') {
      send(res, 200, { status: 'ok', version: this.ctx.version });
      return;
    }
    const auth = req.headers.authorization;
    const presented = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7).trim() : undefined;
    if (!tokenMatches(presented, this.ctx.adminToken)) {
      req.resume();
      sendError(res, 401, 'unauthorized', 'the admin API needs the admin token', 'the CLI reads it from the data dir');
      return;
    }
    try {
      await this.dispatch(req, res, method, route);
    } catch (e) {
      if (e instanceof WardenError) {
        sendError(res, e.code === 'not_found' ? 404 : 400, e.code, e.message, e.hint);
        return;
      }
      this.ctx.logger.error({ err: (e as Error).message, route }, 'admin request failed');
      sendError(res, 500, 'internal', (e as Error).message);
    }
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse, method: string, route: string): Promise<void> {
    const parts = route.split('/').filter(Boolean).map(decodeURIComponent);
    const key = `${method} /${parts.map((p, i) => (i > 0 && i % 2 === 1 ? ':' : p)).join('/')}`;
    switch (key) {
      case 'GET /status':
        send(res, 200, await this.status());
        return;
      case 'POST /shutdown':
        send(res, 202, { status: 'stopping' });
        setImmediate(() => void this.ctx.shutdown('admin API'));
        return;
      case 'GET /keys':
        send(res, 200, await this.listKeys(new URL(req.url ?? '/', 'http://x').searchParams));
        return;
      case 'POST /keys':
        send(res, 201, await this.createKey(await readJson(req)));
        return;
      case 'POST /keys/:/revoke':
        send(res, 200, await this.revokeKey(parts[1]));
        return;
      case 'POST /keys/:/rotate':
        send(res, 201, await this.rotateKey(parts[1], await readJson(req)));
        return;
      case 'GET /providers':
        send(res, 200, this.listProviders());
        return;
      case 'PUT /providers/:':
        send(res, 200, await this.setProvider(parts[1], await readJson(req)));
        return;
      case 'DELETE /providers/:':
        send(res, 200, await this.removeProvider(parts[1]));
        return;
      case 'POST /providers/:/test':
        send(res, 200, await this.testProvider(parts[1]));
        return;
      case 'POST /sessions':
        send(res, 201, await this.createSession(await readJson(req)));
        return;
      case 'POST /sessions/:/end':
        send(res, 200, await this.endSession(parts[1], await readJson(req)));
        return;
      case 'GET /budgets':
        send(res, 200, this.ctx.budgets.status());
        return;
      case 'POST /budgets': {
        const r = await this.ctx.budgets.set(budgetInputFromBody(await readJson(req)));
        send(res, r.created ? 201 : 200, r);
        return;
      }
      case 'DELETE /budgets/:':
        send(res, 200, await this.ctx.budgets.remove(parts[1]));
        return;
      default:
        req.resume();
        sendError(res, 404, 'not_found', `no admin route ${method} ${route}`);
    }
  }

  private async status(): Promise<StatusResponse> {
    const c = this.ctx;
    const now = c.clock.now();
    const d = new Date(now);
    const startOfDay = new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
    c.writer.flush();
    const today = await todaySummary(c.store.db, startOfDay);
    return {
      status: 'ok',
      version: c.version,
      pid: process.pid,
      host: c.host,
      port: c.port,
      url: c.url,
      data_dir: c.paths.dataDir,
      started_at: new Date(c.startedAt).toISOString(),
      uptime_s: Math.round((now - c.startedAt) / 1000),
      config_files: c.configFiles,
      providers: c.router().all.map((p) => ({ name: p.config.name, type: p.config.type, base_url: p.config.baseUrl, key_source: p.keySource })),
      today: { requests: today.requests, errors: today.errors, spend_usd: today.spend_usd, price_unknown: today.price_unknown },
      writer: { queued: c.writer.stats.queued, written: c.writer.stats.written, batches: c.writer.stats.batches },
      policies: c.policies.status(),
      budget_alerts: c.budgets
        .status()
        .filter((b) => b.state !== 'ok')
        .map((b) => ({ id: b.id, scope: b.scope, name: b.name, period: b.period, used_pct: b.used_pct, limit_usd: b.limit_usd, spent_usd: b.spent_usd, state: b.state })),
    };
  }

  private async listKeys(q: URLSearchParams): Promise<KeyInfo[]> {
    const rows = await listKeys(this.ctx.store.db, {
      project: q.get('project') ?? undefined,
      includeSessionKeys: q.get('sessions') === '1',
    });
    const now = this.ctx.clock.now();
    return rows.map((r) => keyInfo(r, now));
  }

  private async mintKey(input: {
    project: string;
    name: string | null;
    expiresInMs?: number;
    sessionId?: string | null;
    user?: string | null;
    team?: string | null;
    session?: { repo: string | null; branch: string | null };
  }): Promise<{ key: string; row: KeyRow }> {
    const now = this.ctx.clock.now();
    const key = generateVirtualKey();
    const row: KeyRow = {
      id: newId('key', now),
      name: input.name,
      project: input.project,
      prefix: displayPrefix(key),
      hash: hashVirtualKey(key),
      created_at: now,
      expires_at: input.expiresInMs ? now + input.expiresInMs : null,
      revoked_at: null,
      replaced_by: null,
      session_id: input.sessionId ?? null,
      user: input.user ?? null,
      team: input.team ?? null,
      tags: null,
      last_used_at: null,
    };
    await insertKey(this.ctx.store.db, row);
    this.ctx.keys.add(row, input.session);
    return { key, row };
  }

  private async createKey(body: Record<string, unknown>): Promise<KeyCreated> {
    const req: KeyCreateRequest = {
      project: str(body.project, 'project', { required: true }) as string,
      name: str(body.name, 'name'),
      expires_in_ms: positiveInt(body.expires_in_ms, 'expires_in_ms'),
      user: str(body.user, 'user'),
      team: str(body.team, 'team'),
    };
    if (!PROJECT_RE.test(req.project)) throw new WardenError('invalid_request', `project "${req.project}" may use letters, digits, . _ - @ / only`);
    const { key, row } = await this.mintKey({ project: req.project, name: req.name ?? null, expiresInMs: req.expires_in_ms, user: req.user, team: req.team });
    this.ctx.audit('key.created', row.id, { key_id: row.id, prefix: row.prefix, project: row.project, name: row.name, expires_at: row.expires_at });
    return { ...keyInfo(row, this.ctx.clock.now()), key };
  }

  private async mustFindKey(ref: string): Promise<KeyRow> {
    const row = await findKey(this.ctx.store.db, ref);
    if (!row) throw new WardenError('not_found', `no key matches "${ref}" (give the id from \`warden keys list\`)`);
    return row;
  }

  private async revokeKey(ref: string): Promise<KeyInfo> {
    const row = await this.mustFindKey(ref);
    const now = this.ctx.clock.now();
    if (row.revoked_at === null) {
      await revokeKey(this.ctx.store.db, row.id, now);
      this.ctx.keys.revoke(row.hash);
      row.revoked_at = now;
      this.ctx.audit('key.revoked', row.id, { key_id: row.id, prefix: row.prefix, project: row.project });
    }
    return keyInfo(row, now);
  }

  private async rotateKey(ref: string, body: Record<string, unknown>): Promise<KeyCreated & { replaces: string }> {
    const old = await this.mustFindKey(ref);
    if (old.revoked_at !== null) throw new WardenError('key_revoked', `key ${old.id} is revoked; create a new one instead`);
    const now = this.ctx.clock.now();
    const expiresInMs = positiveInt(body.expires_in_ms, 'expires_in_ms') ?? (old.expires_at !== null ? Math.max(old.expires_at - old.created_at, 1000) : undefined);
    const { key, row } = await this.mintKey({ project: old.project, name: old.name, expiresInMs, user: old.user, team: old.team });
    await revokeKey(this.ctx.store.db, old.id, now, row.id);
    this.ctx.keys.revoke(old.hash);
    this.ctx.audit('key.rotated', old.id, { key_id: old.id, new_key_id: row.id, prefix: row.prefix, project: row.project });
    return { ...keyInfo(row, now), key, replaces: old.id };
  }

  private listProviders(): ProviderInfo[] {
    return this.ctx.router().all.map((p) => ({
      name: p.config.name,
      type: p.config.type,
      base_url: p.config.baseUrl,
      api_version: p.config.apiVersion ?? null,
      key_source: p.keySource,
      origin: p.origin,
    }));
  }

  private async setProvider(name: string, body: Record<string, unknown>): Promise<ProviderInfo & { secret_store_description: string | null }> {
    if (!/^[a-z0-9][a-z0-9_.-]{0,62}$/i.test(name)) throw new WardenError('invalid_request', `provider name "${name}" may use letters, digits, _ . - only`);
    const req: ProviderSetRequest = {
      type: str(body.type, 'type', { required: true }) as string,
      base_url: str(body.base_url, 'base_url', { max: 2000 }),
      api_version: str(body.api_version, 'api_version'),
      api_key: str(body.api_key, 'api_key', { max: 10_000 }),
    };
    if (!isProviderType(req.type)) {
      throw new WardenError('invalid_request', `unknown provider type "${req.type}"`, { hint: `one of: ${PROVIDER_TYPES.join(', ')}` });
    }
    if (req.base_url) {
      let u: URL;
      try {
        u = new URL(req.base_url);
      } catch {
        throw new WardenError('invalid_request', `base URL "${req.base_url}" is not a URL`);
      }
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new WardenError('invalid_request', 'base URL must be http:// or https://');
    }
    if ((req.type === 'openai-compatible' || req.type === 'azure-openai') && !req.base_url) {
      throw new WardenError('invalid_request', `a ${req.type} provider needs --base-url`);
    }
    const existing = (await listProviderRows(this.ctx.store.db)).find((r) => r.name === name);
    let secretStore = existing?.secret_store ?? null;
    let description: string | null = null;
    if (req.api_key !== undefined) {
      const secrets = await this.ctx.secrets();
      await secrets.store.set(secretNameFor(name), req.api_key);
      secretStore = secrets.store.kind;
      description = secrets.description;
    }
    const now = this.ctx.clock.now();
    await upsertProvider(this.ctx.store.db, {
      name,
      type: req.type,
      base_url: req.base_url ?? null,
      api_version: req.api_version ?? (req.type === 'azure-openai' ? '2024-10-21' : null),
      secret_store: secretStore,
      created_at: existing?.created_at ?? now,
      updated_at: now,
    });
    await this.ctx.reloadProviders();
    this.ctx.audit('provider.set', name, { name, type: req.type, base_url: req.base_url ?? null, secret_store: secretStore, key_changed: req.api_key !== undefined });
    const info = this.listProviders().find((p) => p.name === name);
    if (!info) throw new WardenError('provider_unusable', `provider ${name} was saved but cannot be used (no base URL)`);
    return { ...info, secret_store_description: description };
  }

  private async removeProvider(name: string): Promise<{ name: string; removed: boolean }> {
    const rows = await listProviderRows(this.ctx.store.db);
    const row = rows.find((r) => r.name === name);
    if (!row) throw new WardenError('not_found', `no stored provider named "${name}"`, { hint: 'providers from config.yaml or env vars are removed there' });
    if (row.secret_store) {
      const secrets = await this.ctx.secrets();
      await secrets.store.delete(secretNameFor(name)).catch(() => false);
    }
    const removed = await deleteProvider(this.ctx.store.db, name);
    await this.ctx.reloadProviders();
    this.ctx.audit('provider.removed', name, { name });
    return { name, removed };
  }

  private async testProvider(name: string): Promise<ProviderTestResult> {
    const p = this.ctx.router().all.find((x) => x.config.name === name);
    if (!p) throw new WardenError('not_found', `no provider named "${name}"`, { hint: 'see `warden providers list`' });
    const r = await this.ctx.proxy.testProvider(p);
    return { name, ok: r.ok, status: r.status, latency_ms: r.latencyMs, models: r.models, error: r.error };
  }

  private async createSession(body: Record<string, unknown>): Promise<SessionCreated> {
    const req: SessionCreateRequest = {
      project: str(body.project, 'project', { required: true }) as string,
      repo: str(body.repo, 'repo', { max: 1000 }) ?? null,
      branch: str(body.branch, 'branch', { max: 500 }) ?? null,
      cwd: str(body.cwd, 'cwd', { max: 4000 }) ?? null,
      command: str(body.command, 'command', { max: 4000 }) ?? null,
      expires_in_ms: positiveInt(body.expires_in_ms, 'expires_in_ms'),
    };
    if (!PROJECT_RE.test(req.project)) throw new WardenError('invalid_request', `project "${req.project}" may use letters, digits, . _ - @ / only`);
    const now = this.ctx.clock.now();
    const sessionId = newId('ses', now);
    const session = { repo: req.repo ?? null, branch: req.branch ?? null };
    const { key, row } = await this.mintKey({
      project: req.project,
      name: `session ${sessionId}`,
      expiresInMs: req.expires_in_ms ?? 7 * 86_400_000,
      sessionId,
      session,
    });
    await insertSession(this.ctx.store.db, {
      id: sessionId,
      project: req.project,
      key_id: row.id,
      repo: session.repo,
      branch: session.branch,
      cwd: req.cwd ?? null,
      command: req.command ?? null,
      started_at: now,
      ended_at: null,
      exit_code: null,
    });
    this.ctx.policies.attachSession(sessionId, req.cwd);
    this.ctx.audit('session.started', sessionId, { session_id: sessionId, key_id: row.id, project: req.project, repo: session.repo, branch: session.branch, command: req.command ?? null });
    return { session_id: sessionId, key, key_id: row.id, project: req.project };
  }

  private async endSession(id: string, body: Record<string, unknown>): Promise<{ session_id: string; ended: boolean }> {
    const exit = typeof body.exit_code === 'number' ? body.exit_code : null;
    const now = this.ctx.clock.now();
    const ended = await endSession(this.ctx.store.db, id, now, exit);
    if (!ended) throw new WardenError('not_found', `no open session ${id}`);
    const keyRows = await listKeys(this.ctx.store.db, { includeSessionKeys: true });
    for (const k of keyRows) {
      if (k.session_id === id && k.revoked_at === null) {
        await revokeKey(this.ctx.store.db, k.id, now);
        this.ctx.keys.revoke(k.hash);
      }
    }
    this.ctx.policies.detachSession(id);
    this.ctx.audit('session.ended', id, { session_id: id, exit_code: exit });
    return { session_id: id, ended };
  }
}
