// Rate limits per key, project, user or client tool: requests per minute, tokens per minute and
// requests in flight. Each (rule, value) pair is a GCRA bucket — the token bucket written as one
// "theoretical arrival time" — so a check is O(1), a full bucket allows a whole minute's worth at
// once, and Retry-After is exact: the instant the bucket has room again. Written here rather than
// taken from a library: the ones on npm are Redis-first or timer-driven, and this needs a
// synchronous, allocation-light check with an injected clock.
//
// Memory stays bounded: a bucket whose tokens have fully refilled and has nothing in flight is
// indistinguishable from no bucket, so sweeps delete idle ones without changing any outcome. A
// sweep is one pass over the map every max(1024, live buckets) checks — O(1) amortized. (A
// long-lived Map iterator advanced a step per check was measured 8× slower: V8 makes a live
// iterator pay for the map's delete/insert churn.) A hard cap guards against unbounded distinct values.
import { z } from 'zod';
import type { Clock } from '../deps.js';
import { WardenError } from '../errors.js';

export const RATE_LIMIT_SCOPES = ['key', 'project', 'user', 'tool'] as const;
export type RateLimitScope = (typeof RATE_LIMIT_SCOPES)[number];

export interface RateLimitRule {
  scope: RateLimitScope;
  /** Only this key id / project / user / tool. Absent: every value gets its own bucket. */
  match?: string;
  /** Requests per minute. */
  rpm?: number;
  /** Tokens (estimated input + max output at check, corrected to actual at done) per minute. */
  tpm?: number;
  /** Requests in flight at once. */
  concurrent?: number;
}

/** What a request is limited by. Field names match the key cache's Principal plus the client tool. */
export interface RateLimitScopes {
  keyId?: string | null;
  project?: string | null;
  user?: string | null;
  tool?: string | null;
}

export type RateLimitKind = 'rpm' | 'tpm' | 'concurrent';

export interface RateLimitHit {
  scope: RateLimitScope;
  /** The rule's match, or null for a per-value rule. */
  match: string | null;
  /** The key id / project / user / tool that hit the limit. */
  value: string;
  kind: RateLimitKind;
  /** The limit's value (requests, tokens, or requests in flight). */
  max: number;
}

export type RateLimitResult =
  | { ok: true; ticket: RateLimitTicket }
  | {
      ok: false;
      /** Whole seconds for the Retry-After header (≥ 1): at that time the request would pass, absent other traffic. */
      retryAfterSeconds: number;
      /** The same in ms, unrounded. */
      retryAfterMs: number;
      limit: RateLimitHit;
      /** Plain-language reason, safe to send to the client. */
      message: string;
    };

/** Zod schema of one rule, for whoever owns the config file to embed. */
export const rateLimitRuleSchema = z
  .object({
    scope: z.enum(RATE_LIMIT_SCOPES),
    match: z.string().min(1).max(200).optional(),
    rpm: z.number().int().positive().optional(),
    tpm: z.number().int().positive().optional(),
    concurrent: z.number().int().positive().optional(),
  })
  .strict()
  .refine((r) => r.rpm !== undefined || r.tpm !== undefined || r.concurrent !== undefined, { message: 'a rate limit needs rpm, tpm or concurrent' });

/** Validates rules from anywhere (config, API); errors name the rule's index and field. */
export function parseRateLimitRules(value: unknown, where = 'rate_limits'): RateLimitRule[] {
  const r = z.array(rateLimitRuleSchema).safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  throw new WardenError('invalid_rate_limit', `${where}${path}: ${issue.message}`);
}

const MINUTE_MS = 60_000;
/** Float slack when comparing accumulated intervals (n × 60000/limit) with the window. */
const EPS = 1e-6;

interface Bucket {
  /** Theoretical arrival time of the request stream (ms, monotonic); ≤ now means a full bucket. */
  rpmTat: number;
  tpmTat: number;
  inflight: number;
}

interface CompiledRule {
  rule: RateLimitRule;
  index: number;
  /** ms of window one request / one token occupies. */
  rpmInterval: number;
  tpmInterval: number;
}

interface Held {
  bucket: Bucket;
  rule: CompiledRule;
}

/** A request admitted by `check`; hand it to `done` once, when the request ends. */
export class RateLimitTicket {
  /** @internal */ open = true;
  constructor(
    /** @internal */ readonly held: readonly Held[],
    /** @internal */ readonly estTokens: number,
  ) {}
}

const EMPTY: readonly Held[] = [];

export interface RateLimiterOptions {
  /** Past this many live buckets, idle ones are evicted first, then the oldest. Default 100,000. */
  maxBuckets?: number;
}

const SCOPE_FIELD: Record<RateLimitScope, keyof RateLimitScopes> = { key: 'keyId', project: 'project', user: 'user', tool: 'tool' };

function describe(scope: RateLimitScope, value: string): string {
  return `${scope} ${value}`;
}

export class RateLimiter {
  private rules: CompiledRule[] = [];
  /** Per scope: rules for one value, and rules for every value. */
  private index = new Map<RateLimitScope, { exact: Map<string, CompiledRule[]>; each: CompiledRule[] }>();
  private buckets = new Map<string, Bucket>();
  private checksSinceSweep = 0;
  /** Checks between sweeps: max(1024, buckets left by the last sweep), so the map at most doubles between sweeps. */
  private sweepEvery = 1024;
  private readonly maxBuckets: number;
  /** Scratch arrays reused by check (it is synchronous and not re-entrant). */
  private readonly pendingRules: CompiledRule[] = [];
  private readonly pendingBuckets: Bucket[] = [];
  private readonly pendingKeys: string[] = [];

  constructor(
    rules: readonly RateLimitRule[],
    private readonly deps: { clock: Clock },
    opts: RateLimiterOptions = {},
  ) {
    this.maxBuckets = opts.maxBuckets ?? 100_000;
    this.setRules(rules);
  }

  /** Replaces the rules (hot reload). Buckets of rules that are gone stop counting; all state restarts. */
  setRules(rules: readonly RateLimitRule[]): void {
    const valid = parseRateLimitRules(rules);
    this.rules = valid.map((rule, index) => ({
      rule,
      index,
      rpmInterval: rule.rpm ? MINUTE_MS / rule.rpm : 0,
      tpmInterval: rule.tpm ? MINUTE_MS / rule.tpm : 0,
    }));
    this.index = new Map();
    for (const c of this.rules) {
      let e = this.index.get(c.rule.scope);
      if (!e) this.index.set(c.rule.scope, (e = { exact: new Map(), each: [] }));
      if (c.rule.match === undefined || c.rule.match === '*') e.each.push(c);
      else e.exact.set(c.rule.match, [...(e.exact.get(c.rule.match) ?? []), c]);
    }
    this.buckets = new Map();
    this.checksSinceSweep = 0;
  }

  /** Live buckets (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }

  /**
   * Admits a request against every rule that applies to `scopes`, or against none: when one rule
   * is at its limit nothing is counted and the answer says when to retry. `estTokens` is charged
   * to tpm rules now and corrected by `done`.
   */
  check(scopes: RateLimitScopes, estTokens: number): RateLimitResult {
    if (this.rules.length === 0) return { ok: true, ticket: new RateLimitTicket(EMPTY, 0) };
    const now = this.deps.clock.monotonic();
    const tokens = estTokens > 0 && Number.isFinite(estTokens) ? estTokens : 0;
    if (++this.checksSinceSweep >= this.sweepEvery) this.sweepIdle(now);
    const rules = this.pendingRules;
    const buckets = this.pendingBuckets;
    const keys = this.pendingKeys;
    rules.length = 0;
    buckets.length = 0;
    keys.length = 0;
    for (const scope of RATE_LIMIT_SCOPES) {
      const e = this.index.get(scope);
      if (!e) continue;
      const value = scopes[SCOPE_FIELD[scope]];
      if (!value) continue;
      const exact = e.exact.get(value);
      if (exact) for (const c of exact) rules.push(c);
      for (const c of e.each) rules.push(c);
    }
    if (rules.length === 0) return { ok: true, ticket: new RateLimitTicket(EMPTY, 0) };

    // Pass 1: would every rule admit it?
    let worstMs = -1;
    let worstHit: { c: CompiledRule; kind: RateLimitKind; value: string } | undefined;
    for (const c of rules) {
      const value = scopes[SCOPE_FIELD[c.rule.scope]] as string;
      const key = `${c.index}\u0000${value}`;
      const b = this.buckets.get(key);
      keys.push(key);
      buckets.push(b as Bucket);
      if (!b) continue; // a missing bucket is a full one
      let wait = -1;
      let kind: RateLimitKind = 'rpm';
      if (c.rule.concurrent !== undefined && b.inflight >= c.rule.concurrent) {
        // Nothing predicts when one finishes: ask for a retry in a second.
        wait = 1000;
        kind = 'concurrent';
      }
      if (c.rpmInterval) {
        const w = Math.max(b.rpmTat, now) + c.rpmInterval - MINUTE_MS - now;
        if (w > EPS && w > wait) {
          wait = w;
          kind = 'rpm';
        }
      }
      if (c.tpmInterval && tokens > 0) {
        const cost = tokens * c.tpmInterval;
        // A request larger than a whole minute's tokens is admitted only into a full bucket (and
        // leaves it in debt), or it could never pass.
        const w = cost > MINUTE_MS ? b.tpmTat - now : Math.max(b.tpmTat, now) + cost - MINUTE_MS - now;
        if (w > EPS && w > wait) {
          wait = w;
          kind = 'tpm';
        }
      }
      if (wait > worstMs) {
        worstMs = wait;
        if (wait > 0) worstHit = { c, kind, value };
      }
    }
    if (worstHit) return this.denial(worstHit.c, worstHit.kind, worstHit.value, worstMs, tokens);

    // Pass 2: count it everywhere.
    const held: Held[] = new Array(rules.length);
    for (let i = 0; i < rules.length; i++) {
      const c = rules[i];
      let b = buckets[i];
      if (!b) {
        b = this.buckets.get(keys[i]) ?? this.newBucket(keys[i], now);
      }
      if (c.rpmInterval) b.rpmTat = Math.max(b.rpmTat, now) + c.rpmInterval;
      if (c.tpmInterval && tokens > 0) b.tpmTat = Math.max(b.tpmTat, now) + tokens * c.tpmInterval;
      b.inflight++;
      held[i] = { bucket: b, rule: c };
    }
    return { ok: true, ticket: new RateLimitTicket(held, tokens) };
  }

  /** Ends an admitted request: frees its concurrency slot and corrects tpm to `actualTokens`. Idempotent. */
  done(ticket: RateLimitTicket, actualTokens?: number): void {
    if (!ticket.open) return;
    ticket.open = false;
    const diff = actualTokens === undefined || !Number.isFinite(actualTokens) ? 0 : Math.max(0, actualTokens) - ticket.estTokens;
    for (const h of ticket.held) {
      h.bucket.inflight--;
      if (diff !== 0 && h.rule.tpmInterval) h.bucket.tpmTat += diff * h.rule.tpmInterval;
    }
  }

  private newBucket(key: string, now: number): Bucket {
    if (this.buckets.size >= this.maxBuckets) this.evict(now);
    const b: Bucket = { rpmTat: now, tpmTat: now, inflight: 0 };
    this.buckets.set(key, b);
    return b;
  }

  /** Deletes every idle bucket. */
  private sweepIdle(now: number): void {
    this.checksSinceSweep = 0;
    for (const [k, b] of this.buckets) if (b.inflight === 0 && b.rpmTat <= now && b.tpmTat <= now) this.buckets.delete(k);
    this.sweepEvery = Math.max(1024, this.buckets.size);
  }

  /**
   * At the cap: drop idle buckets (no effect on outcomes); if that frees less than 1/16 of the cap,
   * also the oldest buckets without requests in flight (they restart full: more lenient, never
   * stricter). Freeing a sixteenth at a time keeps this O(1) amortized per new bucket.
   */
  private evict(now: number): void {
    this.sweepIdle(now);
    const target = this.maxBuckets - Math.max(1, this.maxBuckets >> 4);
    if (this.buckets.size <= target) return;
    for (const [k, b] of this.buckets) {
      if (this.buckets.size <= target) break;
      if (b.inflight === 0) this.buckets.delete(k);
    }
  }

  private denial(c: CompiledRule, kind: RateLimitKind, value: string, waitMs: number, tokens: number): RateLimitResult {
    const r = c.rule;
    const max = (kind === 'rpm' ? r.rpm : kind === 'tpm' ? r.tpm : r.concurrent) as number;
    const seconds = Math.max(1, Math.ceil(waitMs / 1000 - EPS));
    const who = describe(r.scope, value);
    const message =
      kind === 'rpm'
        ? `rate limit: ${who} may send ${max} request(s) per minute; retry in ${seconds} s`
        : kind === 'tpm'
          ? `rate limit: ${who} may use ${max} tokens per minute and this request is estimated at ${Math.round(tokens)}; retry in ${seconds} s`
          : `rate limit: ${who} may have ${max} request(s) in flight at once; retry when one finishes`;
    return { ok: false, retryAfterSeconds: seconds, retryAfterMs: waitMs, limit: { scope: r.scope, match: r.match ?? null, value, kind, max }, message };
  }
}
