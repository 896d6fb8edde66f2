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

/** Forgets cached catalogue lookups (tests, or after the catalogue changes). */
export function clearPriceCache(): void {
  lookupCache.clear();
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
