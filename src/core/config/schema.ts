// The shape of Warden's YAML config: a strict zod schema for one file (a "layer"), the normalised
// WardenConfig every consumer reads (sizes in bytes, durations in ms, camelCase), and the defaults.
import { RE2JS } from 're2js';
import { z } from 'zod';
import { rateLimitRuleSchema, type RateLimitRule } from '../ratelimit/limiter.js';
import type { ProviderType } from '../providers/types.js';
import { parseDuration } from '../util/duration.js';

export const PROVIDER_TYPES = ['openai', 'anthropic', 'openai-compatible', 'azure-openai'] as const;
// Fails to compile when ProviderType gains a member PROVIDER_TYPES lacks (or the reverse).
type _ProviderTypesComplete = [ProviderType] extends [(typeof PROVIDER_TYPES)[number]]
  ? [(typeof PROVIDER_TYPES)[number]] extends [ProviderType]
    ? true
    : never
  : never;
const _providerTypesComplete: _ProviderTypesComplete = true;
void _providerTypesComplete;

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface ServerConfig {
  /** Bind address; loopback by default. */
  host: string;
  /** 0 asks the OS for a free port. */
  port: number;
  maxBodyBytes: number;
  upstreamTimeoutMs: number;
  connectTimeoutMs: number;
  streamIdleTimeoutMs: number;
}

export interface WriterConfig {
  flushMs: number;
  maxBatch: number;
}

/** A declarative upstream from config (the store holds those made by `warden providers set`). */
export interface ProviderEntry {
  type: ProviderType;
  /** Without trailing slashes. Required for openai-compatible and azure-openai. */
  baseUrl?: string;
  /** Name of the env var holding the key; absent for keyless upstreams or stored keys. */
  apiKeyEnv?: string;
  /** Azure OpenAI `api-version`. */
  apiVersion?: string;
}

/** Model name glob (`*`, `?`, case-insensitive) → provider name. */
export interface RouteRule {
  match: string;
  provider: string;
}

/** USD per million tokens. Unset cache prices default to the input price (what an uncached token costs). */
export interface PriceOverride {
  inputMtok: number;
  outputMtok: number;
  cacheReadMtok: number;
  cacheWriteMtok: number;
  cacheWrite1hMtok: number;
}

export interface WardenConfig {
  server: ServerConfig;
  /** Store prompts and responses (opt-in). */
  storeBodies: boolean;
  logLevel: LogLevel;
  writer: WriterConfig;
  /** By name; insertion order is repo entries, then global ones. */
  providers: Record<string, ProviderEntry>;
  /** First match wins: repo routes, then global routes, then DEFAULT_ROUTES. */
  routes: RouteRule[];
  pricing: { overrides: Record<string, PriceOverride> };
  policy: PolicyConfig;
  /** Per key/project/user/tool request, token and concurrency limits; all that match apply. */
  rateLimits: RateLimitRule[];
  scan: ScanConfig;
}

/** `warden scan` / `warden ci` settings a repository or user sets. */
export interface ScanConfig {
  secrets: {
    /** Globs (root-relative, as in .gitignore) of files the secrets pack does not read: fixtures, test keys. */
    allowPaths: string[];
    /** RE2 expressions: a detected value that any of them finds is not reported (test keys, known fakes). */
    allowValues: string[];
  };
}

export interface PolicyConfig {
  /** false: the proxy evaluates no policies (budgets and rate limits still apply). */
  enabled: boolean;
  /** Detectors scan at most this many characters of a prompt (redaction always covers all of it). */
  maxScanChars: number;
  /** Output tokens assumed when a request sets no max_tokens (worst-case cost for budgets). */
  defaultMaxOutputTokens: number;
  /** IANA zone for the policy input's hour, weekday and date; null: the machine's. */
  timezone: string | null;
  /** How often policy files are checked for changes (hot reload); 0 disables. */
  reloadMs: number;
}

export const DEFAULT_POLICY: Readonly<PolicyConfig> = Object.freeze({
  enabled: true,
  maxScanChars: 256 * 1024,
  defaultMaxOutputTokens: 4096,
  timezone: null,
  reloadMs: 1000,
});

/** What one config file contributes before merging: only the keys it set. */
export interface ConfigLayer {
  server?: Partial<ServerConfig>;
  storeBodies?: boolean;
  logLevel?: LogLevel;
  writer?: Partial<WriterConfig>;
  providers?: Record<string, ProviderEntry>;
  routes?: RouteRule[];
  pricing?: { overrides?: Record<string, PriceOverride> };
  policy?: Partial<PolicyConfig>;
  rateLimits?: RateLimitRule[];
  scan?: { secrets?: Partial<ScanConfig['secrets']> };
}

const openai = (match: string): RouteRule => ({ match, provider: 'openai' });

/** Routes that apply after every configured one, so well-known model families need no config. */
export const DEFAULT_ROUTES: readonly RouteRule[] = Object.freeze([
  openai('gpt-*'),
  openai('o1*'),
  openai('o3*'),
  openai('o4*'),
  openai('chatgpt-*'),
  openai('text-embedding-*'),
  openai('davinci*'),
  openai('babbage*'),
  { match: 'claude-*', provider: 'anthropic' },
]);

const KiB = 1024;
const MiB = 1024 * KiB;

export const DEFAULT_SERVER: Readonly<ServerConfig> = Object.freeze({
  host: '127.0.0.1',
  port: 4141,
  maxBodyBytes: 20 * MiB,
  upstreamTimeoutMs: 10 * 60_000,
  connectTimeoutMs: 10_000,
  streamIdleTimeoutMs: 5 * 60_000,
});

export const DEFAULT_WRITER: Readonly<WriterConfig> = Object.freeze({ flushMs: 20, maxBatch: 500 });

/** A fresh, fully defaulted config (no file read). */
export function defaultConfig(): WardenConfig {
  return {
    server: { ...DEFAULT_SERVER },
    storeBodies: false,
    logLevel: 'info',
    writer: { ...DEFAULT_WRITER },
    providers: {},
    routes: DEFAULT_ROUTES.map((r) => ({ ...r })),
    pricing: { overrides: {} },
    policy: { ...DEFAULT_POLICY },
    rateLimits: [],
    scan: { secrets: { allowPaths: [], allowValues: [] } },
  };
}

/** How a YAML value reads in an error message: strings quoted, collections named. */
export function describeValue(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  return String(v);
}

const SIZE_UNITS: Record<string, number> = { b: 1, kb: KiB, kib: KiB, mb: MiB, mib: MiB, gb: 1024 * MiB, gib: 1024 * MiB };

/**
 * Bytes for "512KB", "20MB", "1GB" (binary multiples; KiB/MiB/GiB accepted as synonyms) or a
 * plain byte count. Returns undefined when the text is not a size.
 */
export function parseSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
  if (!m) return undefined;
  const unit = m[2] === '' ? 1 : SIZE_UNITS[m[2].toLowerCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.round(Number(m[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

const MAX_BODY_LIMIT = 4 * 1024 * MiB;

const sizeSchema = z.unknown().transform((v, ctx) => {
  const bytes = typeof v === 'string' || typeof v === 'number' ? parseSize(v) : undefined;
  if (bytes === undefined || bytes < 1 || bytes > MAX_BODY_LIMIT) {
    ctx.addIssue({
      code: 'custom',
      input: v,
      message:
        bytes === undefined
          ? `expected a size like 512KB, 20MB or 1GB, got ${describeValue(v)}`
          : `expected a size between 1 byte and 4GB, got ${describeValue(v)}`,
    });
    return z.NEVER;
  }
  return bytes;
});

const durationSchema = z.unknown().transform((v, ctx) => {
  if (typeof v === 'string') {
    try {
      return parseDuration(v);
    } catch {
      // parseDuration's own message names the value; fall through to the config-shaped one.
    }
  }
  ctx.addIssue({ code: 'custom', input: v, message: `expected a duration like 30s or 10m, got ${describeValue(v)}` });
  return z.NEVER;
});

const GLOB_RE = /^[^\s]+$/;
const globSchema = z.string().min(1).regex(GLOB_RE, { error: 'a model glob cannot contain spaces' });
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const providerNameSchema = z
  .string()
  .max(64)
  .regex(NAME_RE, { error: 'provider names use letters, digits, ".", "_" and "-", starting with a letter or digit' });

const baseUrlSchema = z.string().transform((v, ctx) => {
  let url: URL | undefined;
  try {
    url = new URL(v);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    ctx.addIssue({ code: 'custom', input: v, message: `expected an http(s) URL, got ${describeValue(v)}` });
    return z.NEVER;
  }
  return v.replace(/\/+$/, '');
});

const providerSchema = z
  .strictObject({
    type: z.enum(PROVIDER_TYPES),
    base_url: baseUrlSchema.optional(),
    api_key_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: 'expected an environment variable name' })
      .optional(),
    api_version: z.string().min(1).optional(),
  })
  .superRefine((p, ctx) => {
    if ((p.type === 'openai-compatible' || p.type === 'azure-openai') && p.base_url === undefined) {
      ctx.addIssue({ code: 'custom', path: ['base_url'], message: `provider type ${p.type} needs a base_url` });
    }
  })
  .transform(
    (p): ProviderEntry =>
      defined({ type: p.type, baseUrl: p.base_url, apiKeyEnv: p.api_key_env, apiVersion: p.api_version }),
  );

const mtok = z.number().min(0).max(1_000_000);
const overrideSchema = z
  .strictObject({
    input_mtok: mtok,
    output_mtok: mtok,
    cache_read_mtok: mtok.optional(),
    cache_write_mtok: mtok.optional(),
    cache_write_1h_mtok: mtok.optional(),
  })
  .transform((o): PriceOverride => {
    const cacheWriteMtok = o.cache_write_mtok ?? o.input_mtok;
    return {
      inputMtok: o.input_mtok,
      outputMtok: o.output_mtok,
      cacheReadMtok: o.cache_read_mtok ?? o.input_mtok,
      cacheWriteMtok,
      cacheWrite1hMtok: o.cache_write_1h_mtok ?? cacheWriteMtok,
    };
  });

const serverSchema = z
  .strictObject({
    host: z.string().min(1).optional(),
    port: z.number().int().min(0).max(65535).optional(),
    max_body: sizeSchema.optional(),
    upstream_timeout: durationSchema.optional(),
    connect_timeout: durationSchema.optional(),
    stream_idle_timeout: durationSchema.optional(),
  })
  .transform(
    (s): Partial<ServerConfig> =>
      defined({
        host: s.host,
        port: s.port,
        maxBodyBytes: s.max_body,
        upstreamTimeoutMs: s.upstream_timeout,
        connectTimeoutMs: s.connect_timeout,
        streamIdleTimeoutMs: s.stream_idle_timeout,
      }),
  );

const writerSchema = z
  .strictObject({
    flush_ms: z.number().int().min(1).max(60_000).optional(),
    max_batch: z.number().int().min(1).max(100_000).optional(),
  })
  .transform((w): Partial<WriterConfig> => defined({ flushMs: w.flush_ms, maxBatch: w.max_batch }));

const timezoneSchema = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { error: 'not an IANA time zone (e.g. Europe/Paris, UTC)' },
);

const policySchema = z
  .strictObject({
    enabled: z.boolean().optional(),
    max_scan: sizeSchema.optional(),
    default_max_output_tokens: z.number().int().min(1).max(10_000_000).optional(),
    timezone: timezoneSchema.optional(),
    reload_interval: durationSchema.optional(),
  })
  .transform(
    (p): Partial<PolicyConfig> =>
      defined({
        enabled: p.enabled,
        maxScanChars: p.max_scan,
        defaultMaxOutputTokens: p.default_max_output_tokens,
        timezone: p.timezone,
        reloadMs: p.reload_interval,
      }),
  );

/** A user-supplied regular expression: RE2 syntax (linear-time matching, DESIGN §10), checked at load. */
export const re2PatternSchema = z
  .string()
  .min(1)
  .superRefine((src, ctx) => {
    try {
      RE2JS.compile(src);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: `not an RE2 regular expression: ${(e as Error).message}` });
    }
  });

const scanSchema = z.strictObject({
  secrets: z
    .strictObject({
      allow_paths: z.array(z.string().min(1).max(1000)).max(1000).optional(),
      allow_values: z.array(re2PatternSchema.max(1000)).max(1000).optional(),
    })
    .optional(),
});

/** One config file, as written. Unknown keys are errors so typos surface. */
export const configFileSchema = z
  .strictObject({
    server: serverSchema.optional(),
    store_bodies: z.boolean().optional(),
    log_level: z.enum(LOG_LEVELS).optional(),
    writer: writerSchema.optional(),
    providers: z.record(providerNameSchema, providerSchema).optional(),
    routes: z.array(z.strictObject({ match: globSchema, provider: providerNameSchema })).max(1000).optional(),
    pricing: z
      .strictObject({ overrides: z.record(globSchema, overrideSchema).optional() })
      .optional(),
    policy: policySchema.optional(),
    rate_limits: z.array(rateLimitRuleSchema).max(1000).optional(),
    scan: scanSchema.optional(),
  })
  .transform(
    (c): ConfigLayer =>
      defined({
        server: c.server,
        storeBodies: c.store_bodies,
        logLevel: c.log_level,
        writer: c.writer,
        providers: c.providers,
        routes: c.routes,
        pricing: c.pricing ? defined({ overrides: c.pricing.overrides }) : undefined,
        policy: c.policy,
        rateLimits: c.rate_limits,
        scan: c.scan?.secrets ? { secrets: defined({ allowPaths: c.scan.secrets.allow_paths, allowValues: c.scan.secrets.allow_values }) } : undefined,
      }),
  );

/** Drops keys whose value is undefined, so a layer only carries what its file set. */
function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/**
 * Merges layers, highest precedence first (repo, then global): scalars from the first layer that
 * set them; providers and price overrides by key; routes concatenated, then DEFAULT_ROUTES.
 */
export function mergeLayers(layers: readonly ConfigLayer[]): WardenConfig {
  const out = defaultConfig();
  const low = [...layers].reverse();
  for (const l of low) {
    if (l.server) Object.assign(out.server, l.server);
    if (l.storeBodies !== undefined) out.storeBodies = l.storeBodies;
    if (l.logLevel !== undefined) out.logLevel = l.logLevel;
    if (l.writer) Object.assign(out.writer, l.writer);
    if (l.policy) Object.assign(out.policy, l.policy);
  }
  const providers: Record<string, ProviderEntry> = {};
  const overrides: Record<string, PriceOverride> = {};
  const routes: RouteRule[] = [];
  for (const l of layers) {
    for (const [name, p] of Object.entries(l.providers ?? {})) if (!(name in providers)) providers[name] = { ...p };
    for (const [glob, o] of Object.entries(l.pricing?.overrides ?? {})) if (!(glob in overrides)) overrides[glob] = { ...o };
    for (const r of l.routes ?? []) routes.push({ ...r });
    for (const r of l.rateLimits ?? []) out.rateLimits.push({ ...r });
    // Allowlists add up: the repository's and the user's both apply.
    out.scan.secrets.allowPaths.push(...(l.scan?.secrets?.allowPaths ?? []));
    out.scan.secrets.allowValues.push(...(l.scan?.secrets?.allowValues ?? []));
  }
  out.providers = providers;
  out.pricing.overrides = overrides;
  out.routes = [...routes, ...out.routes];
  return out;
}

const GLOB_CACHE_LIMIT = 1000;
const globCache = new Map<string, RegExp>();

/** A whole-string, case-insensitive RegExp for a glob where `*` is any run and `?` one character. */
export function globToRegExp(glob: string): RegExp {
  let re = globCache.get(glob);
  if (re) return re;
  let src = '';
  for (const ch of glob) {
    if (ch === '*') src += '.*';
    else if (ch === '?') src += '.';
    else src += ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  }
  re = new RegExp(`^${src}$`, 'is');
  // Globs come from config, so this stays small; the bound only guards a pathological caller.
  if (globCache.size >= GLOB_CACHE_LIMIT) globCache.clear();
  globCache.set(glob, re);
  return re;
}
