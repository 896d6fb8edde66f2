import { beforeEach, describe, expect, it } from 'vitest';
import type { PriceOverride } from '../../../src/core/config/schema.js';
import { clearPriceCache, priceRequest } from '../../../src/core/pricing/index.js';
import type { NormalizedUsage } from '../../../src/core/providers/types.js';

function usage(u: Partial<NormalizedUsage>): NormalizedUsage {
  return { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, reasoningTokens: 0, ...u };
}

const free: PriceOverride = { inputMtok: 0, outputMtok: 0, cacheReadMtok: 0, cacheWriteMtok: 0, cacheWrite1hMtok: 0 };

beforeEach(() => clearPriceCache());

describe('priceRequest', () => {
  it('prices gpt-4o with cached input from the catalogue', () => {
    const r = priceRequest({ model: 'gpt-4o', providerType: 'openai', usage: usage({ inputTokens: 1000, cacheReadTokens: 200, outputTokens: 500 }) });
    // 800 × $2.50 + 200 × $1.25 + 500 × $10, per million
    expect(r).toEqual({ costUsd: 0.00725, priceUnknown: false, source: 'catalogue' });
  });

  it('gives the same answer from the lookup cache and for dated model ids', () => {
    const u = usage({ inputTokens: 1000, cacheReadTokens: 200, outputTokens: 500 });
    expect(priceRequest({ model: 'gpt-4o', providerType: 'openai', usage: u }).costUsd).toBe(0.00725);
    expect(priceRequest({ model: 'gpt-4o', providerType: 'openai', usage: u }).costUsd).toBe(0.00725);
    expect(priceRequest({ model: 'gpt-4o-2024-08-06', providerType: 'openai', usage: u }).costUsd).toBe(0.00725);
    expect(priceRequest({ model: 'gpt-4o-mini', providerType: 'openai', usage: u }).costUsd).not.toBe(0.00725);
  });

  it('prices Claude 5-minute and 1-hour cache writes at their own rates', () => {
    const u = usage({ inputTokens: 1000, cacheWrite5mTokens: 200, cacheWrite1hTokens: 100, cacheReadTokens: 100, outputTokens: 500 });
    // 600 × $3 + 200 × $3.75 + 100 × $6 + 100 × $0.30 + 500 × $15, per million
    expect(priceRequest({ model: 'claude-sonnet-4-5-20250929', providerType: 'anthropic', usage: u })).toEqual({
      costUsd: 0.01068,
      priceUnknown: false,
      source: 'catalogue',
    });
    // 600 × $0.80 + 200 × $1 + 100 × $1.60 + 100 × $0.08 + 500 × $4, per million
    expect(priceRequest({ model: 'claude-3-5-haiku-20241022', providerType: 'anthropic', usage: u }).costUsd).toBe(0.002848);
  });

  it('prices a 1-hour-only cache write (which the catalogue rejects without a total)', () => {
    const u = usage({ inputTokens: 1000, cacheWrite1hTokens: 1000, outputTokens: 0 });
    expect(priceRequest({ model: 'claude-sonnet-4-5', providerType: 'anthropic', usage: u }).costUsd).toBe(0.006);
  });

  it('does not bill reasoning tokens twice', () => {
    const withReasoning = priceRequest({ model: 'o3', providerType: 'openai', usage: usage({ inputTokens: 1000, outputTokens: 500, reasoningTokens: 300 }) });
    const without = priceRequest({ model: 'o3', providerType: 'openai', usage: usage({ inputTokens: 1000, outputTokens: 500 }) });
    expect(withReasoning.costUsd).toBe(0.006);
    expect(withReasoning.costUsd).toBe(without.costUsd);
  });

  it('reports an unknown model as unknown, never as free', () => {
    const u = usage({ inputTokens: 1000, outputTokens: 500 });
    expect(priceRequest({ model: 'totally-made-up-model', providerType: 'openai', usage: u })).toEqual({
      costUsd: null,
      priceUnknown: true,
      source: null,
    });
    expect(priceRequest({ model: 'llama3.1:8b', providerType: 'openai-compatible', usage: u }).priceUnknown).toBe(true);
    // Cached unknowns stay unknown.
    expect(priceRequest({ model: 'totally-made-up-model', providerType: 'openai', usage: u }).costUsd).toBeNull();
  });

  it('prices openai-compatible upstreams by model name and Azure through its catalogue entry', () => {
    const u = usage({ inputTokens: 1000, outputTokens: 500 });
    const ds = priceRequest({ model: 'deepseek-chat', providerType: 'openai-compatible', usage: u });
    expect(ds.source).toBe('catalogue');
    expect(ds.costUsd).toBeGreaterThan(0);
    expect(priceRequest({ model: 'gpt-4o', providerType: 'azure-openai', usage: u }).costUsd).toBe(0.0075);
  });

  it('lets an override win over the catalogue, exact keys before globs', () => {
    const u = usage({ inputTokens: 1000, cacheReadTokens: 200, outputTokens: 500 });
    const overrides: Record<string, PriceOverride> = {
      'gpt-*': { inputMtok: 100, outputMtok: 100, cacheReadMtok: 100, cacheWriteMtok: 100, cacheWrite1hMtok: 100 },
      'gpt-4o': { inputMtok: 1, outputMtok: 2, cacheReadMtok: 0.5, cacheWriteMtok: 1, cacheWrite1hMtok: 1 },
    };
    // 800 × $1 + 200 × $0.50 + 500 × $2, per million
    expect(priceRequest({ model: 'gpt-4o', providerType: 'openai', usage: u, overrides })).toEqual({
      costUsd: 0.0019,
      priceUnknown: false,
      source: 'override',
    });
    expect(priceRequest({ model: 'gpt-4.1', providerType: 'openai', usage: u, overrides }).costUsd).toBe(0.15);
  });

  it('prices self-hosted models by glob override, including at zero', () => {
    const u = usage({ inputTokens: 5000, outputTokens: 800 });
    expect(priceRequest({ model: 'llama3.1:8b', providerType: 'openai-compatible', usage: u, overrides: { 'llama3*': free } })).toEqual({
      costUsd: 0,
      priceUnknown: false,
      source: 'override',
    });
    const cw: PriceOverride = { inputMtok: 1, outputMtok: 3, cacheReadMtok: 0.1, cacheWriteMtok: 1.25, cacheWrite1hMtok: 2 };
    const u2 = usage({ inputTokens: 1000, cacheReadTokens: 100, cacheWrite5mTokens: 100, cacheWrite1hTokens: 100, outputTokens: 100 });
    // 700 × 1 + 100 × 0.1 + 100 × 1.25 + 100 × 2 + 100 × 3 = 1335, per million
    expect(priceRequest({ model: 'LLAMA3-70b', providerType: 'openai-compatible', usage: u2, overrides: { 'llama3*': cw } }).costUsd).toBe(0.001335);
  });

  it('rounds away float noise and tolerates inconsistent partitions from an adapter', () => {
    const r = priceRequest({ model: 'gpt-4o', providerType: 'openai', usage: usage({ inputTokens: 3, outputTokens: 7 }) });
    expect(r.costUsd).toBe(0.0000775);
    const odd = priceRequest({ model: 'gpt-4o', providerType: 'openai', usage: usage({ inputTokens: 100, cacheReadTokens: 200, outputTokens: 0 }) });
    expect(odd.costUsd).toBe(0.00025);
  });
});
