// What a request cost: config price overrides first, else the catalogue bundled with
// @pydantic/genai-prices (never fetched at runtime). An unknown model has an unknown cost, never $0.
import { calcPrice, type Provider, type Usage } from '@pydantic/genai-prices';
import { globToRegExp, type PriceOverride } from '../config/schema.js';
import type { NormalizedUsage, ProviderType } from '../providers/types.js';

export type PriceSource = 'override' | 'catalogue';

export interface PriceResult {
  /** USD, rounded to 1e-10; null when the model has no known price. */
  costUsd: number | null;
  priceUnknown: boolean;
  source: PriceSource | null;
}

export interface PriceRequestInput {
  model: string;
  providerType: ProviderType;
  usage: NormalizedUsage;
  /** Glob → prices, from config `pricing.overrides`; exact keys win over globs, then file order. */
  overrides?: Readonly<Record<string, PriceOverride>>;
  /** Epoch ms the request happened, for prices that change by date or time of day (default: now). */
  at?: number;
}

/**
 * The catalogue provider each upstream type is priced as. openai-compatible has none: the
 * catalogue then finds the provider by model name (deepseek-chat → DeepSeek), or nothing for a
 * self-hosted model. Azure's catalogue entry falls back to OpenAI's models.
 */
const CATALOGUE_PROVIDER: Record<ProviderType, string | undefined> = {
  openai: 'openai',
  anthropic: 'anthropic',
  'azure-openai': 'azure',
  'openai-compatible': undefined,
};

const UNKNOWN: PriceResult = Object.freeze({ costUsd: null, priceUnknown: true, source: null });

/** Model names come from clients, so the lookup cache is bounded (oldest entry evicted). */
const LOOKUP_CACHE_LIMIT = 2000;
/** provider+model → the catalogue provider narrowed to the matched model, or null when unknown. */
const lookupCache = new Map<string, Provider | null>();

export function priceRequest(input: PriceRequestInput): PriceResult {
  const usage = sanitize(input.usage);
  const override = findOverride(input.model, input.overrides);
  if (override) return { costUsd: round(overrideCost(usage, override)), priceUnknown: false, source: 'override' };

  const providerId = CATALOGUE_PROVIDER[input.providerType];
  const timestamp = input.at === undefined ? undefined : new Date(input.at);
  const narrowed = lookup(input.model, providerId, timestamp);
  if (!narrowed) return { ...UNKNOWN };
  const linear = linearPrice(`${providerId ?? ''}\u0000${input.model.toLowerCase().trim()}`, narrowed, input.model);
  const fast = linear ? linearCost(linear, usage) : undefined;
  if (fast !== undefined) return { costUsd: round(fast), priceUnknown: false, source: 'catalogue' };
  try {
    const result = calcPrice(toCatalogueUsage(usage), input.model, { provider: narrowed, timestamp });
    if (!result || !Number.isFinite(result.total_price)) return { ...UNKNOWN };
    return { costUsd: round(result.total_price), priceUnknown: false, source: 'catalogue' };
  } catch {
    return { ...UNKNOWN };
  }
}

/**
 * Finds the catalogue model once per provider+model. Later calls hand calcPrice a provider holding
 * just that model, which skips the provider search and the scan over every model's match rules.
 */
function lookup(model: string, providerId: string | undefined, timestamp: Date | undefined): Provider | null {
  const key = `${providerId ?? ''}\u0000${model.toLowerCase().trim()}`;
  const hit = lookupCache.get(key);
  if (hit !== undefined) return hit;
  let narrowed: Provider | null = null;
  try {
    const probe = calcPrice({ input_tokens: 0, output_tokens: 0 }, model, { providerId, timestamp });
    if (probe) narrowed = { ...probe.provider, models: [probe.model], fallback_model_providers: undefined };
  } catch {
    narrowed = null;
  }
  if (lookupCache.size >= LOOKUP_CACHE_LIMIT) {
    const oldest = lookupCache.keys().next().value;
    if (oldest !== undefined) lookupCache.delete(oldest);
  }
  lookupCache.set(key, narrowed);
  return narrowed;
}

/** USD per token for each part of the usage; NaN where the catalogue could not price that part alone. */
interface LinearPrice {
  input: number;
  cacheRead: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  output: number;
  /** What a reasoning token costs on top of an output token (0 for models that bill it as output). */
  reasoningExtra: number;
}

const linearCache = new Map<string, LinearPrice | null>();

/**
 * calcPrice costs ~15-25 µs a call, on every request. For a model whose prices are flat (no tiers,
 * no date or time-of-day conditions) the cost is linear in each token count, so the per-token prices
 * are read off the catalogue once, by pricing one million tokens of each kind, and checked against
 * calcPrice on a mixed usage before they are trusted. Anything else keeps calling calcPrice.
 */
function linearPrice(key: string, narrowed: Provider, model: string): LinearPrice | null {
  const hit = linearCache.get(key);
  if (hit !== undefined) return hit;
  let result: LinearPrice | null = null;
  const info = narrowed.models[0];
  const flat =
    info !== undefined &&
    !Array.isArray(info.prices) &&
    Object.values(info.prices).every((v) => v === undefined || typeof v === 'number');
  if (flat) {
    const M = 1_000_000;
    const price = (u: Usage): number => {
      try {
        const r = calcPrice(u, model, { provider: narrowed });
        return r && Number.isFinite(r.total_price) ? r.total_price / M : Number.NaN;
      } catch {
        return Number.NaN;
      }
    };
    const output = price({ input_tokens: 0, output_tokens: M });
    const lp: LinearPrice = {
      input: price({ input_tokens: M, output_tokens: 0 }),
      cacheRead: price({ input_tokens: M, output_tokens: 0, cache_read_tokens: M }),
      cacheWrite5m: price({ input_tokens: M, output_tokens: 0, cache_write_tokens: M, cache_write_5m_tokens: M }),
      cacheWrite1h: price({ input_tokens: M, output_tokens: 0, cache_write_tokens: M, cache_write_1h_tokens: M }),
      output,
      reasoningExtra: price({ input_tokens: 0, output_tokens: M, output_reasoning_tokens: M }) - output,
    };
    if (Number.isFinite(lp.input) && Number.isFinite(lp.output)) {
      // Check the derived prices on a usage mixing every part this model can price.
      const mixed: NormalizedUsage = {
        inputTokens: 123_457,
        cacheReadTokens: Number.isFinite(lp.cacheRead) ? 2_345 : 0,
        cacheWrite5mTokens: Number.isFinite(lp.cacheWrite5m) ? 3_456 : 0,
        cacheWrite1hTokens: Number.isFinite(lp.cacheWrite1h) ? 4_567 : 0,
        outputTokens: 23_456,
        reasoningTokens: Number.isFinite(lp.reasoningExtra) ? 1_234 : 0,
      };
      const expected = price(toCatalogueUsage(mixed)) * M;
      const got = linearCost(lp, mixed);
      if (got !== undefined && Number.isFinite(expected) && Math.abs(got - expected) <= 1e-12 + Math.abs(expected) * 1e-9) result = lp;
    }
  }
  if (linearCache.size >= LOOKUP_CACHE_LIMIT) {
    const oldest = linearCache.keys().next().value;
    if (oldest !== undefined) linearCache.delete(oldest);
  }
  linearCache.set(key, result);
  return result;
}

/** The linear cost, or undefined when the usage has a part the linear prices cannot cover. */
function linearCost(p: LinearPrice, u: NormalizedUsage): number | undefined {
  if (
    (u.cacheReadTokens > 0 && !Number.isFinite(p.cacheRead)) ||
    (u.cacheWrite5mTokens > 0 && !Number.isFinite(p.cacheWrite5m)) ||
    (u.cacheWrite1hTokens > 0 && !Number.isFinite(p.cacheWrite1h)) ||
    (u.reasoningTokens > 0 && !Number.isFinite(p.reasoningExtra))
  ) {
    return undefined;
  }
  const uncached = u.inputTokens - u.cacheReadTokens - u.cacheWrite5mTokens - u.cacheWrite1hTokens;
  let cost = uncached * p.input + u.outputTokens * p.output;
  if (u.cacheReadTokens > 0) cost += u.cacheReadTokens * p.cacheRead;
  if (u.cacheWrite5mTokens > 0) cost += u.cacheWrite5mTokens * p.cacheWrite5m;
  if (u.cacheWrite1hTokens > 0) cost += u.cacheWrite1hTokens * p.cacheWrite1h;
  if (u.reasoningTokens > 0) cost += u.reasoningTokens * p.reasoningExtra;
  return cost;
}

/** Forgets cached catalogue lookups (tests, or after the catalogue changes). */
export function clearPriceCache(): void {
  lookupCache.clear();
  linearCache.clear();
}

function findOverride(
  model: string,
  overrides: Readonly<Record<string, PriceOverride>> | undefined,
): PriceOverride | undefined {
  if (!overrides) return undefined;
  if (Object.hasOwn(overrides, model)) return overrides[model];
  for (const [glob, price] of Object.entries(overrides)) if (globToRegExp(glob).test(model)) return price;
  return undefined;
}

/**
 * Non-negative integers, with the partitions made consistent (cache tokens within the prompt,
 * reasoning within the output) so an adapter's rounding cannot make a known price unknown.
 */
function sanitize(u: NormalizedUsage): NormalizedUsage {
  const n = (v: number) => (Number.isFinite(v) && v > 0 ? Math.round(v) : 0);
  const cacheReadTokens = n(u.cacheReadTokens);
  const cacheWrite5mTokens = n(u.cacheWrite5mTokens);
  const cacheWrite1hTokens = n(u.cacheWrite1hTokens);
  const outputTokens = n(u.outputTokens);
  return {
    inputTokens: Math.max(n(u.inputTokens), cacheReadTokens + cacheWrite5mTokens + cacheWrite1hTokens),
    outputTokens,
    cacheReadTokens,
    cacheWrite5mTokens,
    cacheWrite1hTokens,
    reasoningTokens: Math.min(n(u.reasoningTokens), outputTokens),
  };
}

/**
 * genai-prices' usage keys. Cache writes are reported as a total plus the 1h/5m parts (it rejects
 * a 1h count without the total). Reasoning is a part of output: it changes nothing for models
 * that bill it as output, and is priced separately for the few that do not.
 */
function toCatalogueUsage(u: NormalizedUsage): Usage {
  const usage: Usage = { input_tokens: u.inputTokens, output_tokens: u.outputTokens };
  if (u.cacheReadTokens > 0) usage.cache_read_tokens = u.cacheReadTokens;
  const cacheWrite = u.cacheWrite5mTokens + u.cacheWrite1hTokens;
  if (cacheWrite > 0) {
    usage.cache_write_tokens = cacheWrite;
    if (u.cacheWrite5mTokens > 0) usage.cache_write_5m_tokens = u.cacheWrite5mTokens;
    if (u.cacheWrite1hTokens > 0) usage.cache_write_1h_tokens = u.cacheWrite1hTokens;
  }
  if (u.reasoningTokens > 0) usage.output_reasoning_tokens = u.reasoningTokens;
  return usage;
}

function overrideCost(u: NormalizedUsage, p: PriceOverride): number {
  const uncached = Math.max(0, u.inputTokens - u.cacheReadTokens - u.cacheWrite5mTokens - u.cacheWrite1hTokens);
  return (
    (uncached * p.inputMtok +
      u.cacheReadTokens * p.cacheReadMtok +
      u.cacheWrite5mTokens * p.cacheWriteMtok +
      u.cacheWrite1hTokens * p.cacheWrite1hMtok +
      u.outputTokens * p.outputMtok) /
    1_000_000
  );
}

function round(usd: number): number {
  return Math.round(usd * 1e10) / 1e10;
}

export { estimateTokens, estimateUsage, promptText, PROMPT_TEXT_CAP } from './estimate.js';
export type { EstimateUsageInput } from './estimate.js';
