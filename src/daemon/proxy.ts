// The proxy pipeline: authenticate → parse → route → record start → forward and stream back
// with a usage tap → settle (usage, cost, audit). Nothing here touches the disk synchronously;
// rows go through the batched writer.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent, errors as undiciErrors, type Dispatcher } from 'undici';
import { extractPresentedKey, hashVirtualKey, newId } from '../core/auth/virtual-keys.js';
import { detectClientTool } from '../core/auth/client-tool.js';
import type { KeyCache, Principal } from '../core/auth/key-cache.js';
import { errorBody, ProviderRequestError } from '../core/providers/errors.js';
import { familyForEndpoint, matchEndpoint } from '../core/providers/index.js';
import type { ResolvedProvider, Router } from '../core/providers/resolve.js';
import type { ApiFamily, Endpoint, ModelEntry, NormalizedUsage, StreamTap, UpstreamRequest } from '../core/providers/types.js';
import { priceRequest } from '../core/pricing/index.js';
import { responseText } from '../core/providers/response-text.js';
import type { PriceOverride } from '../core/config/schema.js';
import { estimateUsage } from '../core/pricing/estimate.js';
import type { RequestSettlement, BatchedWriter } from '../core/store/writer.js';
import type { RequestStatus, UsageSource } from '../core/store/schema.js';
import type { Logger } from '../core/util/logger.js';
import { storedPolicyInput, type GatePass, type GateRequest, type Judgement, type RequestGate } from '../core/policy/request-gate.js';
import type { Decision } from '../core/policy/decision.js';

export interface ProxyLimits {
  maxBodyBytes: number;
  upstreamTimeoutMs: number;
  connectTimeoutMs: number;
  streamIdleTimeoutMs: number;
}

export interface SettledSummary {
  id: string;
  status: RequestStatus;
  httpStatus: number;
  method: string;
  path: string;
  model: string | null;
  provider: string | null;
  tool: string;
  project: string | null;
  usage: NormalizedUsage | null;
  usageSource: UsageSource | null;
  costUsd: number | null;
  priceUnknown: boolean;
  durationMs: number;
  overheadMs: number;
}

export interface ProxyDeps {
  keys: KeyCache;
  router: () => Router;
  writer: BatchedWriter;
  logger: Logger;
  now: () => number;
  limits: ProxyLimits;
  storeBodies: boolean;
  priceOverrides: () => Readonly<Record<string, PriceOverride>>;
  onSettled?: (s: SettledSummary) => void;
  /** Policies, rate limits and budgets; absent: requests are only authenticated and routed. */
  gate?: RequestGate;
}

/** Headers that describe one hop, never forwarded in either direction. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

const MAX_CAPTURE_BYTES = 8 * 1024 * 1024;

/** The usage and cost columns of a row that has none (yet). */
const NO_USAGE = {
  input_tokens: null,
  output_tokens: null,
  cache_read_tokens: null,
  cache_write_5m_tokens: null,
  cache_write_1h_tokens: null,
  reasoning_tokens: null,
  usage_source: null,
  cost_usd: null,
  price_unknown: 0,
} as const;

function sendError(
  res: ServerResponse,
  id: string | undefined,
  family: ApiFamily,
  status: number,
  message: string,
  code?: string,
  extraHeaders?: Record<string, string>,
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify(errorBody(family, status, message, code ? { code } : undefined));
  const headers: Record<string, string | number> = { ...extraHeaders, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
  if (id) headers['x-warden-request-id'] = id;
  res.writeHead(status, headers);
  res.end(body);
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? -1);
    if (declared > max) {
      reject(new BodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        req.removeAllListeners('data');
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

/** Upstream URLs repeat (one per provider and endpoint): parse each once. Bounded. */
const upstreamUrls = new Map<string, { origin: string; pathname: string; search: string }>();
function parseUpstreamUrl(url: string): { origin: string; pathname: string; search: string } {
  let u = upstreamUrls.get(url);
  if (!u) {
    const p = new URL(url);
    u = { origin: p.origin, pathname: p.pathname, search: p.search };
    if (upstreamUrls.size >= 1000) upstreamUrls.clear();
    upstreamUrls.set(url, u);
  }
  return u;
}

function headerString(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function upstreamErrorMessage(buf: Buffer): string {
  const text = buf.subarray(0, 2000).toString('utf8');
  try {
    const j = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
    if (typeof j.error === 'object' && j.error?.message) return j.error.message.slice(0, 500);
    if (typeof j.error === 'string') return j.error.slice(0, 500);
    if (j.message) return j.message.slice(0, 500);
  } catch {
    /* not JSON */
  }
  return text.slice(0, 500);
}

export class Proxy {
  private readonly agent: Agent;
  private modelsCache: { at: number; entries: ModelEntry[] } | undefined;
  private readonly inflight = new Set<Promise<void>>();
  private readonly keyHashes = new Map<string, string>();
  private readonly keyTouched = new Map<string, number>();

  get limits(): ProxyLimits {
    return this.deps.limits;
  }

  get storesBodies(): boolean {
    return this.deps.storeBodies;
  }

  constructor(private readonly deps: ProxyDeps) {
    this.agent = new Agent({
      keepAliveTimeout: 30_000,
      keepAliveMaxTimeout: 600_000,
      connections: 256,
      headersTimeout: deps.limits.upstreamTimeoutMs,
      bodyTimeout: deps.limits.streamIdleTimeoutMs,
      connect: { timeout: deps.limits.connectTimeoutMs },
    });
  }

  /**
   * SHA-256 of a presented key, remembered: clients send the same key on every request. Bounded,
   * and only ever holding keys clients presented (which live in this process's memory anyway).
   */
  private keyHash(presented: string): string {
    let h = this.keyHashes.get(presented);
    if (h === undefined) {
      h = hashVirtualKey(presented);
      if (this.keyHashes.size >= 10_000) this.keyHashes.clear();
      this.keyHashes.set(presented, h);
    }
    return h;
  }

  get inflightCount(): number {
    return this.inflight.size;
  }

  /** Resolves when every request in flight has settled (graceful drain). */
  async drain(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }

  handle(req: IncomingMessage, res: ServerResponse, pathname: string, search: string): void {
    const p = this.run(req, res, pathname, search).catch((err: Error) => {
      this.deps.logger.error({ err: err.message, stack: err.stack }, 'proxy handler failed');
      sendError(res, undefined, 'openai', 500, 'internal error in Warden');
    });
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private async run(req: IncomingMessage, res: ServerResponse, pathname: string, search: string): Promise<void> {
    const t0 = performance.now();
    const startedAt = this.deps.now();
    const id = newId('req', startedAt);
    const method = req.method ?? 'GET';
    const endpoint = matchEndpoint(method, pathname);
    const family: ApiFamily = endpoint
      ? familyForEndpoint(endpoint)
      : pathname.startsWith('/v1/messages')
        ? 'anthropic'
        : 'openai';
    if (!endpoint) {
      req.resume();
      sendError(res, id, family, 404, `Warden does not proxy ${method} ${pathname}`, 'unknown_url');
      return;
    }

    const presented = extractPresentedKey(req.headers);
    const auth = this.deps.keys.authenticate(presented === undefined ? undefined : this.keyHash(presented), startedAt);
    if (!auth.ok) {
      req.resume();
      const msg = {
        missing: 'no virtual key was sent: set your SDK API key to a Warden key (wk_…); see `warden keys create` or `warden run`',
        unknown: 'invalid virtual key',
        expired: 'this virtual key has expired',
        revoked: 'this virtual key has been revoked',
      }[auth.reason];
      sendError(res, id, family, 401, msg, auth.reason === 'missing' ? 'missing_api_key' : 'invalid_api_key');
      this.deps.logger.info({ path: pathname, reason: auth.reason }, 'rejected request: authentication');
      return;
    }
    const principal = auth.principal;
    const tool = detectClientTool(headerString(req.headers['user-agent']), headerString(req.headers['x-warden-tool']));

    if (endpoint === 'models') {
      await this.listModels(req, res, id);
      return;
    }

    let raw: Buffer;
    try {
      raw = await readBody(req, this.deps.limits.maxBodyBytes);
    } catch (e) {
      if (e instanceof BodyTooLarge) {
        res.setHeader('connection', 'close');
        sendError(res, id, family, 413, `request body exceeds the limit of ${this.deps.limits.maxBodyBytes} bytes (server.max_body)`, 'request_too_large');
        req.destroy();
        return;
      }
      throw e;
    }

    const userAgent = headerString(req.headers['user-agent'])?.slice(0, 300) ?? null;
    const base = (): Omit<RejectedBase, 'model'> => ({
      id,
      started_at: startedAt,
      method,
      path: pathname,
      endpoint,
      stream: 0,
      key_id: principal.keyId,
      project: principal.project,
      session_id: principal.sessionId,
      tool,
      user_agent: userAgent,
      repo: principal.repo,
      branch: principal.branch,
    });

    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(raw.toString('utf8'));
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      body = parsed as Record<string, unknown>;
    } catch (e) {
      const message = `request body is not a JSON object: ${(e as Error).message}`;
      sendError(res, id, family, 400, message, 'invalid_json');
      this.recordRejected(base(), principal, 400, 'invalid_json', message, raw, t0);
      return;
    }
    let model = typeof body.model === 'string' ? body.model : '';
    if (!model) {
      const message = 'the request has no "model"';
      sendError(res, id, family, 400, message, 'missing_model');
      this.recordRejected(base(), principal, 400, 'missing_model', message, raw, t0);
      return;
    }
    const stream = body.stream === true;
    let route = this.deps.router().route(model, endpoint);
    if (!route.ok) {
      const status = route.reason === 'unsupported_endpoint' ? 400 : 404;
      const message = `${route.message}; set one with \`warden providers set\` or a route in config.yaml`;
      sendError(res, id, family, status, message, 'model_not_found');
      this.recordRejected({ ...base(), model, stream: stream ? 1 : 0 }, principal, status, route.reason, message, raw, t0);
      return;
    }
    let provider = route.provider;
    let judgement: Judgement | undefined;
    let pass: GatePass | undefined;
    const gate = this.deps.gate;
    if (gate) {
      const greq: GateRequest = {
        endpoint,
        providerName: provider.config.name,
        providerType: provider.config.type,
        model,
        stream,
        body,
        principal,
        tool,
        userAgent,
        nowMs: startedAt,
      };
      judgement = gate.judge(greq);
      const rejected = { ...base(), model, stream: stream ? 1 : 0 };
      if (judgement.denyMessage !== undefined) {
        sendError(res, id, family, 403, judgement.denyMessage, 'policy_denied', { 'x-should-retry': 'false' });
        // bodyChanged on a deny: the credentials in it were masked for storage.
        const stored = judgement.bodyChanged && this.deps.storeBodies ? Buffer.from(JSON.stringify(body), 'utf8') : raw;
        this.recordRejected(rejected, principal, 403, 'policy_denied', judgement.denyMessage, stored, t0, judgement);
        return;
      }
      if (judgement.routeTo !== undefined) {
        const policies = judgement.decision?.mutations.find((m) => m.kind === 'route')?.policies.join(', ') ?? 'a policy';
        route = this.deps.router().route(judgement.routeTo, endpoint);
        if (!route.ok) {
          const message = `policy ${policies} routes this request to model ${judgement.routeTo}, which no configured provider serves (${route.message})`;
          sendError(res, id, family, 502, message, 'policy_route_failed');
          this.recordRejected(rejected, principal, 502, 'policy_route_failed', message, raw, t0, judgement);
          return;
        }
        provider = route.provider;
        model = judgement.routeTo;
        greq.model = model;
        greq.providerName = provider.config.name;
        greq.providerType = provider.config.type;
      }
      const admission = gate.admit(greq, judgement);
      if (!admission.ok) {
        const headers: Record<string, string> = admission.retryable
          ? { 'retry-after': String(admission.retryAfterSeconds ?? 1) }
          : { 'x-should-retry': 'false' };
        sendError(res, id, family, admission.status, admission.message, admission.code, headers);
        this.recordRejected({ ...rejected, model }, principal, admission.status, admission.code, admission.message, raw, t0, judgement);
        return;
      }
      pass = admission.pass;
    }
    const rawBody = judgement?.bodyChanged ? Buffer.from(JSON.stringify(body), 'utf8') : raw;
    let upstream: UpstreamRequest;
    try {
      upstream = provider.adapter.buildRequest({
        endpoint,
        provider: provider.config,
        credential: provider.credential,
        body,
        rawBody,
        clientHeaders: req.headers,
        search,
      });
    } catch (e) {
      if (pass) gate?.release(pass);
      if (!(e instanceof ProviderRequestError)) throw e;
      sendError(res, id, family, e.status, e.message, 'invalid_request');
      this.recordRejected({ ...base(), model, stream: stream ? 1 : 0 }, principal, e.status, 'invalid_request', e.message, raw, t0, judgement);
      return;
    }
    // The tap must read plain bytes: never let the upstream compress.
    upstream.headers['accept-encoding'] = 'identity';

    this.deps.writer.start({
      id,
      started_at: startedAt,
      finished_at: null,
      status: 'started',
      http_status: null,
      method,
      path: pathname,
      endpoint,
      provider: provider.config.name,
      model,
      stream: stream ? 1 : 0,
      key_id: principal.keyId,
      project: principal.project,
      session_id: principal.sessionId,
      tool,
      user_agent: userAgent,
      repo: principal.repo,
      branch: principal.branch,
      ...NO_USAGE,
      overhead_ms: null,
      upstream_ms: null,
      duration_ms: null,
      error_code: null,
      error_message: null,
      request_body: this.deps.storeBodies ? rawBody.toString('utf8') : null,
      response_body: null,
      ...policyColumns(judgement),
    });
    // last_used_at is for humans (`keys list`): one update a second per key is plenty.
    if (startedAt - (this.keyTouched.get(principal.keyId) ?? 0) >= 1000) {
      this.keyTouched.set(principal.keyId, startedAt);
      this.deps.writer.keyUsed(principal.keyId, startedAt);
    }

    const ctx: SettleContext = {
      id,
      t0,
      startedAt,
      method,
      path: pathname,
      endpoint,
      model,
      provider,
      principal,
      tool,
      body,
      tFwd: 0,
      tHdr: 0,
      tWrite: 0,
      judgement,
      pass,
    };
    const u = parseUpstreamUrl(upstream.url);
    const exchange = new Exchange(this, ctx, res, family, upstream.injectedUsage);
    ctx.tFwd = performance.now();
    this.agent.dispatch(
      { origin: u.origin, path: u.pathname + u.search, method: upstream.method, headers: upstream.headers, body: upstream.body },
      exchange,
    );
    await exchange.done;
  }

  /** A response without reported usage: estimate it, never record a silent zero. */
  settleStreamCut(
    ctx: SettleContext,
    tap: StreamTap | undefined,
    status: RequestStatus,
    httpStatus: number,
    errorCode: string | null,
    errorMessage: string | null,
    responseBody: string | null = null,
  ): void {
    const reported = tap?.usage() ?? null;
    if (reported) {
      this.settle(ctx, { status, httpStatus, usage: reported, usageSource: 'reported', errorCode, errorMessage, responseBody, reportedModel: tap?.model(), output: () => tap?.outputText() ?? '' });
      return;
    }
    const usage = estimateUsage({ endpoint: ctx.endpoint, body: ctx.body, outputText: tap?.outputText() ?? '' });
    this.settle(ctx, { status, httpStatus, usage, usageSource: 'estimated', errorCode, errorMessage, responseBody, reportedModel: tap?.model(), output: () => tap?.outputText() ?? '' });
  }

  settle(
    ctx: SettleContext,
    r: {
      status: RequestStatus;
      httpStatus: number;
      usage: NormalizedUsage | null;
      usageSource: UsageSource | null;
      errorCode?: string | null;
      errorMessage?: string | null;
      responseBody?: string | null;
      reportedModel?: string;
      /** The model's output text, read only when a response-phase policy applies. */
      output?: () => string;
    },
  ): void {
    const now = performance.now();
    const model = ctx.model;
    let costUsd: number | null = null;
    let priceUnknown = false;
    if (ctx.endpoint === 'messages.count_tokens') {
      costUsd = r.status === 'ok' ? 0 : null;
    } else if (r.usage) {
      const price = priceRequest({
        model: r.reportedModel ?? model,
        providerType: ctx.provider.config.type,
        usage: r.usage,
        overrides: this.deps.priceOverrides(),
        at: ctx.startedAt,
      });
      if (price.costUsd === null && r.reportedModel && r.reportedModel !== model) {
        const again = priceRequest({ model, providerType: ctx.provider.config.type, usage: r.usage, overrides: this.deps.priceOverrides(), at: ctx.startedAt });
        costUsd = again.costUsd;
        priceUnknown = again.priceUnknown;
      } else {
        costUsd = price.costUsd;
        priceUnknown = price.priceUnknown;
      }
    }
    const overheadMs = ctx.tHdr ? ctx.tFwd - ctx.t0 + (ctx.tWrite - ctx.tHdr) : ctx.tFwd - ctx.t0;
    const durationMs = now - ctx.t0;
    const u = r.usage;
    const s: RequestSettlement = {
      finished_at: this.deps.now(),
      status: r.status,
      http_status: r.httpStatus,
      endpoint: ctx.endpoint,
      provider: ctx.provider.config.name,
      model,
      input_tokens: u?.inputTokens ?? null,
      output_tokens: u?.outputTokens ?? null,
      cache_read_tokens: u?.cacheReadTokens ?? null,
      cache_write_5m_tokens: u?.cacheWrite5mTokens ?? null,
      cache_write_1h_tokens: u?.cacheWrite1hTokens ?? null,
      reasoning_tokens: u?.reasoningTokens ?? null,
      usage_source: r.usageSource,
      cost_usd: costUsd,
      price_unknown: priceUnknown ? 1 : 0,
      overhead_ms: round3(overheadMs),
      upstream_ms: ctx.tHdr ? round3(now - ctx.tFwd) : null,
      duration_ms: round3(durationMs),
      error_code: r.errorCode ?? null,
      error_message: r.errorMessage ?? null,
      response_body: r.responseBody ?? null,
    };
    this.deps.writer.settle(ctx.id, s);
    const responseDecision =
      r.status === 'ok' && ctx.judgement?.input
        ? this.deps.gate?.judgeResponse(ctx.principal, ctx.tool, ctx.judgement.input, {
            status: r.httpStatus,
            text: r.output?.() ?? '',
            input_tokens: s.input_tokens,
            output_tokens: s.output_tokens,
            cost_usd: costUsd,
          })
        : null;
    if (ctx.pass) {
      const tokens = u ? (u.inputTokens ?? 0) + (u.outputTokens ?? 0) : null;
      this.deps.gate?.finish(ctx.pass, costUsd, tokens);
      ctx.pass = undefined;
    }
    this.deps.writer.audit({
      ts: s.finished_at ?? ctx.startedAt,
      type: 'request',
      actor: `key:${ctx.principal.keyId}`,
      subject: ctx.id,
      data: {
        status: r.status,
        http_status: r.httpStatus,
        endpoint: ctx.endpoint,
        provider: ctx.provider.config.name,
        model,
        project: ctx.principal.project,
        session: ctx.principal.sessionId,
        tool: ctx.tool,
        input_tokens: s.input_tokens,
        output_tokens: s.output_tokens,
        usage_source: r.usageSource,
        cost_usd: costUsd,
        price_unknown: priceUnknown,
        ...policyAudit(ctx.judgement),
        ...(responseDecision ? { response_policy: decisionAudit(responseDecision) } : {}),
      },
    });
    this.deps.onSettled?.({
      id: ctx.id,
      status: r.status,
      httpStatus: r.httpStatus,
      method: ctx.method,
      path: ctx.path,
      model,
      provider: ctx.provider.config.name,
      tool: ctx.tool,
      project: ctx.principal.project,
      usage: u,
      usageSource: r.usageSource,
      costUsd,
      priceUnknown,
      durationMs,
      overheadMs,
    });
  }

  /** A request refused before forwarding: recorded with its reason, audited, never forwarded. */
  private recordRejected(
    base: Omit<RejectedBase, 'model'> & { model?: string },
    principal: Principal,
    httpStatus: number,
    code: string,
    message: string,
    raw: Buffer,
    t0: number,
    judgement?: Judgement,
  ): void {
    const now = this.deps.now();
    this.deps.writer.start({
      ...base,
      model: base.model ?? null,
      provider: null,
      finished_at: now,
      status: 'rejected',
      http_status: httpStatus,
      ...NO_USAGE,
      overhead_ms: round3(performance.now() - t0),
      upstream_ms: null,
      duration_ms: round3(performance.now() - t0),
      error_code: code,
      error_message: message,
      request_body: this.deps.storeBodies ? raw.toString('utf8').slice(0, MAX_CAPTURE_BYTES) : null,
      response_body: null,
      ...policyColumns(judgement),
    });
    this.deps.writer.audit({
      ts: now,
      type: 'request.rejected',
      actor: `key:${principal.keyId}`,
      subject: base.id,
      data: { http_status: httpStatus, code, path: base.path, model: base.model ?? null, project: principal.project, ...policyAudit(judgement) },
    });
    this.deps.onSettled?.({
      id: base.id,
      status: 'rejected',
      httpStatus,
      method: base.method,
      path: base.path,
      model: base.model ?? null,
      provider: null,
      tool: base.tool,
      project: principal.project,
      usage: null,
      usageSource: null,
      costUsd: null,
      priceUnknown: false,
      durationMs: performance.now() - t0,
      overheadMs: performance.now() - t0,
    });
  }

  /** GET /v1/models: the union of what configured providers offer, in the caller's wire format. */
  private async listModels(req: IncomingMessage, res: ServerResponse, id: string): Promise<void> {
    const anthropicClient = req.headers['anthropic-version'] !== undefined || req.headers['x-api-key'] !== undefined;
    let entries = this.modelsCache && this.deps.now() - this.modelsCache.at < 60_000 ? this.modelsCache.entries : undefined;
    if (!entries) {
      const all = await Promise.all(this.deps.router().all.map((p) => this.fetchModels(p)));
      const seen = new Map<string, ModelEntry>();
      for (const list of all) for (const m of list) if (!seen.has(m.id)) seen.set(m.id, m);
      entries = [...seen.values()];
      this.modelsCache = { at: this.deps.now(), entries };
    }
    const body = anthropicClient
      ? {
          data: entries.map((m) => ({
            type: 'model',
            id: m.id,
            display_name: m.displayName ?? m.id,
            created_at: new Date((m.created ?? 0) * 1000).toISOString(),
          })),
          has_more: false,
          first_id: entries[0]?.id ?? null,
          last_id: entries.at(-1)?.id ?? null,
        }
      : {
          object: 'list',
          data: entries.map((m) => ({ id: m.id, object: 'model', created: m.created ?? 0, owned_by: m.ownedBy ?? 'warden' })),
        };
    const text = JSON.stringify(body);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'x-warden-request-id': id });
    res.end(text);
  }

  /** GET the provider's model list: the call behind /v1/models and `warden providers test`. */
  private async requestModels(p: ResolvedProvider, timeoutMs: number): Promise<{ status: number; text: string }> {
    const r = p.adapter.buildRequest({
      endpoint: 'models',
      provider: p.config,
      credential: p.credential,
      body: undefined,
      rawBody: undefined,
      clientHeaders: {},
      search: '',
    });
    const u = new URL(r.url);
    const resp = await this.agent.request({
      origin: u.origin,
      path: u.pathname + u.search,
      method: 'GET',
      headers: { ...r.headers, 'accept-encoding': 'identity' },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    return { status: resp.statusCode, text: await resp.body.text() };
  }

  private async fetchModels(p: ResolvedProvider): Promise<ModelEntry[]> {
    if (!p.adapter.endpoints.includes('models')) return [];
    try {
      const { status, text } = await this.requestModels(p, 10_000);
      return status === 200 ? p.adapter.parseModels(JSON.parse(text)) : [];
    } catch (e) {
      this.deps.logger.warn({ provider: p.config.name, err: (e as Error).message }, 'could not list models');
      return [];
    }
  }

  /** Asks one provider for its models: `warden providers test`. */
  async testProvider(p: ResolvedProvider): Promise<{ ok: boolean; status: number | null; models: number | null; error: string | null; latencyMs: number }> {
    const t = performance.now();
    try {
      const { status, text } = await this.requestModels(p, 15_000);
      const latencyMs = round3(performance.now() - t);
      if (status !== 200) {
        return { ok: false, status, models: null, error: upstreamErrorMessage(Buffer.from(text)), latencyMs };
      }
      let models: number | null = null;
      try {
        models = p.adapter.parseModels(JSON.parse(text)).length;
      } catch {
        /* a 200 we cannot parse still proves reachability and auth */
      }
      return { ok: true, status: 200, models, error: null, latencyMs };
    } catch (e) {
      const d = describeUpstreamError(e as Error, p);
      return { ok: false, status: null, models: null, error: d.message, latencyMs: round3(performance.now() - t) };
    }
  }
}

/**
 * One forwarded request, as an undici dispatch handler: response bytes go from the upstream socket
 * to the client as they arrive (a tap reads usage on the way), with backpressure both ways, and the
 * request settles exactly once however it ends.
 */
class Exchange implements Dispatcher.DispatchHandler {
  readonly done: Promise<void>;
  private finish!: () => void;
  private controller: Dispatcher.DispatchController | undefined;
  private tap: StreamTap | undefined;
  private status = 0;
  private ok = false;
  private capture = false;
  private captured: Buffer[] = [];
  private capturedBytes = 0;
  private clientGone = false;
  private settled = false;

  constructor(
    private readonly proxy: Proxy,
    private readonly ctx: SettleContext,
    private readonly res: ServerResponse,
    private readonly family: ApiFamily,
    private readonly injectedUsage: boolean,
  ) {
    this.done = new Promise<void>((resolve) => (this.finish = resolve));
    res.on('close', this.onClientClose);
  }

  private readonly onClientClose = (): void => {
    if (this.settled || this.res.writableFinished) return;
    this.clientGone = true;
    this.controller?.abort(new ClientGone());
  };

  private readonly onDrain = (): void => this.controller?.resume();

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.clientGone) controller.abort(new ClientGone());
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, upHeaders: Record<string, string | string[] | undefined>): void {
    if (statusCode < 200) return; // 1xx informational: the final head follows
    const ctx = this.ctx;
    ctx.tHdr = performance.now();
    this.status = statusCode;
    this.ok = statusCode >= 200 && statusCode < 300;
    const headers: Record<string, string | string[]> = {};
    for (const k in upHeaders) {
      const v = upHeaders[k];
      if (v === undefined || HOP_BY_HOP.has(k)) continue;
      headers[k] = v;
    }
    const contentType = headerString(upHeaders['content-type']) ?? '';
    if (this.ok && contentType.includes('text/event-stream')) {
      this.tap = ctx.provider.adapter.createStreamTap(ctx.endpoint, { stripUsageChunk: this.injectedUsage });
      if (this.injectedUsage) delete headers['content-length'];
    }
    this.capture = !this.tap || this.proxy.storesBodies;
    headers['x-warden-request-id'] = ctx.id;
    const warnings = ctx.judgement?.warnings;
    if (warnings && warnings.length > 0) headers['x-warden-warning'] = warnings.join('; ');
    if (ctx.judgement?.redacted.length) headers['x-warden-redacted'] = ctx.judgement.redacted.join(',');
    ctx.tWrite = performance.now();
    headers['x-warden-overhead-ms'] = (ctx.tFwd - ctx.t0 + (ctx.tWrite - ctx.tHdr)).toFixed(3);
    this.res.writeHead(statusCode, headers);
    void controller;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.clientGone) return;
    if (this.capture && this.capturedBytes < MAX_CAPTURE_BYTES) {
      this.captured.push(chunk);
      this.capturedBytes += chunk.length;
    }
    const out = this.tap ? this.tap.push(chunk) : chunk;
    if (out.length > 0 && !this.res.write(out)) {
      controller.pause();
      this.res.once('drain', this.onDrain);
    }
  }

  onResponseEnd(): void {
    if (this.settled) return;
    const { ctx, tap } = this;
    if (tap) {
      const rest = tap.end();
      if (rest.length) this.res.write(rest);
    }
    this.res.end();
    const full = this.capture ? Buffer.concat(this.captured, this.capturedBytes) : undefined;
    this.captured = [];
    const responseBody = this.proxy.storesBodies && full ? full.toString('utf8') : null;
    if (!this.ok) {
      this.settle(() =>
        this.proxy.settle(ctx, {
          status: 'upstream_error',
          httpStatus: this.status,
          usage: null,
          usageSource: null,
          errorCode: `upstream_${this.status}`,
          errorMessage: full ? upstreamErrorMessage(full) : null,
          responseBody,
        }),
      );
      return;
    }
    if (tap) {
      const usage = tap.usage();
      this.settle(() =>
        usage
          ? this.proxy.settle(ctx, { status: 'ok', httpStatus: this.status, usage, usageSource: 'reported', responseBody, reportedModel: tap.model(), output: () => tap.outputText() })
          : this.proxy.settleStreamCut(ctx, tap, 'ok', this.status, null, null, responseBody),
      );
      return;
    }
    let usage: NormalizedUsage | null = null;
    let reportedModel: string | undefined;
    let output: (() => string) | undefined;
    if (full && ctx.endpoint !== 'messages.count_tokens') {
      try {
        const json = JSON.parse(full.toString('utf8')) as { model?: unknown };
        output = () => responseText(ctx.endpoint, json);
        usage = ctx.provider.adapter.usageFromJson(ctx.endpoint, json);
        if (typeof json.model === 'string') reportedModel = json.model;
      } catch {
        /* a 2xx that is not JSON: no usage to read */
      }
    }
    this.settle(() =>
      usage || ctx.endpoint === 'messages.count_tokens'
        ? this.proxy.settle(ctx, { status: 'ok', httpStatus: this.status, usage, usageSource: usage ? 'reported' : 'none', responseBody, reportedModel, output })
        : this.proxy.settleStreamCut(ctx, undefined, 'ok', this.status, null, null, responseBody),
    );
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.settled) return;
    const { ctx } = this;
    if (this.clientGone) {
      this.settle(() =>
        this.status
          ? this.proxy.settleStreamCut(ctx, this.tap, 'client_aborted', 499, 'client_aborted', 'client disconnected mid-response')
          : this.proxy.settle(ctx, { status: 'client_aborted', httpStatus: 499, usage: null, usageSource: null, errorCode: 'client_aborted', errorMessage: 'client disconnected before the upstream answered' }),
      );
      return;
    }
    if (!this.res.headersSent) {
      const { status, code, message } = describeUpstreamError(err, ctx.provider);
      sendError(this.res, this.ctx.id, this.family, status, message, code);
      this.settle(() => this.proxy.settle(ctx, { status: 'error', httpStatus: status, usage: null, usageSource: null, errorCode: code, errorMessage: message }));
      return;
    }
    const idle = err instanceof undiciErrors.BodyTimeoutError;
    const message = idle
      ? `upstream ${ctx.provider.config.name} stalled: no data for ${this.proxy.limits.streamIdleTimeoutMs} ms`
      : `upstream ${ctx.provider.config.name} broke the response: ${err.message}`;
    this.res.destroy();
    this.settle(() => this.proxy.settleStreamCut(ctx, this.tap, 'error', this.status, idle ? 'upstream_idle_timeout' : 'upstream_stream_error', message));
  }

  private settle(record: () => void): void {
    this.settled = true;
    this.res.off('close', this.onClientClose);
    this.res.off('drain', this.onDrain);
    try {
      record();
    } finally {
      this.finish();
    }
  }
}

class ClientGone extends Error {
  constructor() {
    super('client disconnected');
  }
}

interface RejectedBase {
  id: string;
  started_at: number;
  method: string;
  path: string;
  endpoint: string | null;
  stream: number;
  key_id: string | null;
  project: string | null;
  session_id: string | null;
  tool: string;
  user_agent: string | null;
  repo: string | null;
  branch: string | null;
  model: string | null;
}

interface SettleContext {
  id: string;
  t0: number;
  startedAt: number;
  method: string;
  path: string;
  endpoint: Endpoint;
  model: string;
  provider: ResolvedProvider;
  principal: Principal;
  tool: string;
  body: Record<string, unknown>;
  tFwd: number;
  tHdr: number;
  tWrite: number;
  judgement: Judgement | undefined;
  /** Held rate-limit ticket and budget reservation: settled exactly once, in settle(). */
  pass: GatePass | undefined;
}

/** The request row's policy columns. */
function policyColumns(j: Judgement | undefined): { policy_verdict: string | null; risk_score: number | null; policy_input: string | null } {
  if (!j?.decision || !j.input) return { policy_verdict: null, risk_score: j?.riskScore ?? null, policy_input: null };
  return { policy_verdict: j.decision.verdict, risk_score: j.riskScore, policy_input: storedPolicyInput(j.input) };
}

/** A response-phase decision as the audit event records it. */
function decisionAudit(d: Decision): Record<string, unknown> {
  return {
    verdict: d.verdict,
    policies: d.policies.map((p) => `${p.name}@${p.version.slice(0, 12)}`),
    violations: d.violations.map((v) => ({ policy: v.policy, version: v.version.slice(0, 12), enforcement: v.enforcement, severity: v.severity, message: v.message })),
    errors: d.errors.map((e) => ({ policy: e.policy, code: e.code, message: e.message })),
    duration_us: d.duration_us,
  };
}

/** What the audit event records of a decision: verdicts, versions, reasons, mutations, timing; never prompt text or matched values. */
function policyAudit(j: Judgement | undefined): { policy?: Record<string, unknown> } {
  const d: Decision | null | undefined = j?.decision;
  if (!j || !d) return {};
  return {
    policy: {
      verdict: d.verdict,
      policies: d.policies.map((p) => `${p.name}@${p.version.slice(0, 12)}`),
      violations: d.violations.map((v) => ({ policy: v.policy, version: v.version.slice(0, 12), enforcement: v.enforcement, severity: v.severity, message: v.message })),
      mutations: d.mutations.map((m) => m.kind),
      monitored_mutations: d.monitored_mutations.map((m) => m.kind),
      errors: d.errors.map((e) => ({ policy: e.policy, code: e.code, message: e.message })),
      redacted: j.redacted,
      risk_score: j.riskScore,
      duration_us: d.duration_us,
    },
  };
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}

function describeUpstreamError(err: Error, p: ResolvedProvider): { status: number; code: string; message: string } {
  const where = `upstream ${p.config.name} (${p.config.baseUrl})`;
  const code = (err as NodeJS.ErrnoException).code ?? (err.cause as NodeJS.ErrnoException | undefined)?.code;
  if (err instanceof undiciErrors.HeadersTimeoutError || code === 'UND_ERR_HEADERS_TIMEOUT') {
    return { status: 504, code: 'upstream_timeout', message: `${where} did not answer in time` };
  }
  if (err instanceof undiciErrors.ConnectTimeoutError || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return { status: 504, code: 'upstream_timeout', message: `${where}: connection timed out` };
  }
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ECONNRESET' || code === 'EHOSTUNREACH') {
    return { status: 502, code: 'upstream_unreachable', message: `${where} is unreachable (${code})` };
  }
  return { status: 502, code: 'upstream_error', message: `${where} failed: ${err.message}` };
}
