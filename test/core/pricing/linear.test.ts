// The per-token fast path must give exactly what the catalogue's calcPrice gives.
import { calcPrice, type Usage } from '@pydantic/genai-prices';
import { describe, expect, it } from 'vitest';
import { clearPriceCache, priceRequest } from '../../../src/core/pricing/index.js';
import type { NormalizedUsage, ProviderType } from '../../../src/core/providers/types.js';

function catalogue(u: NormalizedUsage, model: string, providerId: string): number {
  const usage: Usage = { input_tokens: u.inputTokens, output_tokens: u.outputTokens };
  if (u.cacheReadTokens) usage.cache_read_tokens = u.cacheReadTokens;
  const cw = u.cacheWrite5mTokens + u.cacheWrite1hTokens;
  if (cw) {
    usage.cache_write_tokens = cw;
    if (u.cacheWrite5mTokens) usage.cache_write_5m_tokens = u.cacheWrite5mTokens;
    if (u.cacheWrite1hTokens) usage.cache_write_1h_tokens = u.cacheWrite1hTokens;
  }
  if (u.reasoningTokens) usage.output_reasoning_tokens = u.reasoningTokens;
  return calcPrice(usage, model, { providerId })!.total_price;
}

const CASES: [string, ProviderType, string][] = [
  ['gpt-4o', 'openai', 'openai'],
  ['gpt-4o-mini', 'openai', 'openai'],
  ['o3-mini', 'openai', 'openai'],
  ['text-embedding-3-small', 'openai', 'openai'],
  ['claude-sonnet-4-5', 'anthropic', 'anthropic'],
  ['claude-3-5-haiku-latest', 'anthropic', 'anthropic'],
];

describe('pricing fast path', () => {
  it.each(CASES)('%s: equals calcPrice for small, cached, reasoning and tier-crossing usages', (model, type, providerId) => {
    clearPriceCache();
    const usages: NormalizedUsage[] = [
      { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, reasoningTokens: 0 },
      { inputTokens: 5000, outputTokens: 700, cacheReadTokens: 1200, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, reasoningTokens: 300 },
      { inputTokens: 9000, outputTokens: 10, cacheReadTokens: 100, cacheWrite5mTokens: 2000, cacheWrite1hTokens: 3000, reasoningTokens: 0 },
      // Past Claude's 200k-token tier: a linear shortcut would get this wrong.
      { inputTokens: 300_000, outputTokens: 4000, cacheReadTokens: 0, cacheWrite5mTokens: 0, cacheWrite1hTokens: 0, reasoningTokens: 0 },
    ];
    for (let round = 0; round < 2; round++) {
      for (const u of usages) {
        let expected: number;
        try {
          expected = catalogue(u, model, providerId);
        } catch {
          continue; // a usage part this model has no price for: covered by priceRequest's own tests
        }
        const got = priceRequest({ model, providerType: type, usage: u });
        expect(got.priceUnknown).toBe(false);
        expect(got.costUsd).toBeCloseTo(expected, 10);
      }
    }
  });
});
