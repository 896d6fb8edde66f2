// Hard budgets under concurrency and rate limits, end to end: the official SDKs against the real
// daemon and the fake upstream. A hard budget that fits 10 requests admits exactly 10 of 50 sent at
// once (worst-case reservations, checked against the store), the rest get a 429 the SDK does not
// retry; a rate limit answers 429 with Retry-After in each provider's own error shape. With
// store_bodies on, a request denied for a credential is stored with the credential masked.
import fs from 'node:fs';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BudgetStatusInfo } from '../../src/core/protocol/api.js';
import { startFakeUpstream, type FakeUpstream } from '../fixtures/fake-upstream.js';
import { createKey, rejection, startGovernedWarden } from './governance-helpers.js';
import { cliJson, openDb, settledRow, stopWarden, type Warden } from './harness.js';

let fake: FakeUpstream;

beforeAll(async () => {
  fake = await startFakeUpstream();
});

afterAll(async () => {
  await fake?.close();
});

// Correctly shaped, obviously fake (never a real secret).
const FAKE_AWS_KEY = 'AKIAWARDENTESTFAKE22';

// gpt-4o: $2.50 per million input tokens, $10 per million output tokens. A 1,600-character prompt is
// estimated at 400 input tokens ($0.001) and max_tokens 1,900 allows $0.019 of output: each request
// reserves a worst case of exactly $0.02. The fake upstream reports exactly that usage, so a request
// settles at what it reserved, and a $0.21 daily budget fits 10 requests ($0.20) but not an 11th.
const PROMPT = 'Summarise this log line. '.repeat(64);
const MAX_TOKENS = 1900;
const WORST_CASE_USD = 0.02;
const LIMIT_USD = 0.21;

describe('a hard project budget under 50 concurrent requests', () => {
  let warden: Warden;

  beforeAll(async () => {
    ({ warden } = await startGovernedWarden(fake, { prefix: 'warden-gov-budget-' }));
  });

  afterAll(async () => {
    await stopWarden(warden);
    if (warden) fs.rmSync(warden.home, { recursive: true, force: true });
  });

  it('admits what fits, denies the rest with a 429 naming the budget and what remains, and the SDK does not retry them', async () => {
    expect(PROMPT.length).toBe(1600);
    const set = await cliJson<BudgetStatusInfo>(warden.home, ['budget', 'set', '--scope', 'project', '--name', 'gov-budget', '--daily', String(LIMIT_USD), '--hard']);
    expect(set).toMatchObject({ scope: 'project', name: 'gov-budget', limit_usd: LIMIT_USD, hard: true });
    const { key } = await createKey(warden, 'gov-budget');
    // Default retries on: a 429 would be retried unless the response says not to.
    const client = new OpenAI({ baseURL: `${warden.url}/v1`, apiKey: key, maxRetries: 2 });
    fake.reset();
    // The upstream holds every answer long enough that all 50 requests are in flight together:
    // only reservations, not settled spend, can keep the budget.
    fake.setBehavior({ usage: { inputTokens: 400, outputTokens: MAX_TOKENS }, delayMs: 800 });

    const results = await Promise.allSettled(
      Array.from({ length: 50 }, () =>
        client.chat.completions
          .create({ model: 'gpt-4o', max_tokens: MAX_TOKENS, messages: [{ role: 'user', content: PROMPT }] })
          .withResponse(),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const denied = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(ok).toHaveLength(10);
    expect(denied).toHaveLength(40);
    expect(fake.requests).toHaveLength(10);
    for (const e of denied) {
      expect(e).toBeInstanceOf(OpenAI.RateLimitError);
      const err = e as InstanceType<typeof OpenAI.RateLimitError>;
      expect(err.status).toBe(429);
      expect(err.code).toBe('budget_exceeded');
      expect(err.headers?.get('x-should-retry')).toBe('false');
      expect(err.headers?.get('retry-after')).toBeNull();
      expect(err.message).toContain('hard daily budget for project:gov-budget');
      expect(err.message).toContain('has $0.01 left, and this request may cost up to $0.02');
    }
    // They were refused while the admitted ones were still in flight.
    expect(denied.some((e) => (e as Error).message.includes('reserved by requests in flight'))).toBe(true);

    // The store: 50 rows (no retries), 10 forwarded and settled at $0.02, the sum within the limit.
    for (const r of ok) if (r.status === 'fulfilled') await settledRow(warden.home, r.value.response.headers.get('x-warden-request-id')!);
    const db = openDb(warden.home);
    try {
      const rows = db.prepare("SELECT status, http_status, error_code, cost_usd, policy_input FROM requests WHERE project = 'gov-budget'").all() as {
        status: string;
        http_status: number;
        error_code: string | null;
        cost_usd: number | null;
        policy_input: string | null;
      }[];
      expect(rows).toHaveLength(50);
      const settled = rows.filter((r) => r.status === 'ok');
      expect(settled).toHaveLength(10);
      expect(rows.filter((r) => r.status === 'rejected' && r.http_status === 429 && r.error_code === 'budget_exceeded')).toHaveLength(40);
      const spent = settled.reduce((s, r) => s + (r.cost_usd ?? 0), 0);
      expect(spent).toBeLessThanOrEqual(LIMIT_USD);
      expect(spent).toBeCloseTo(10 * WORST_CASE_USD, 9);
      // The worst case the gate computed, as the policies saw it.
      const input = JSON.parse(settled[0].policy_input!) as { request: { estimated_input_tokens: number; estimated_cost_usd: number; max_tokens: number } };
      expect(input.request).toMatchObject({ estimated_input_tokens: 400, max_tokens: MAX_TOKENS });
      expect(input.request.estimated_cost_usd).toBeCloseTo(WORST_CASE_USD, 9);
    } finally {
      db.close();
    }

    // Every reservation was settled or released: nothing is left reserved.
    const status = await cliJson<BudgetStatusInfo[]>(warden.home, ['budget', 'status']);
    const b = status.find((s) => s.target === 'project:gov-budget');
    expect(b).toMatchObject({ reserved_usd: 0, hard: true });
    expect(b!.spent_usd).toBeCloseTo(10 * WORST_CASE_USD, 9);
    expect(b!.remaining_usd).toBeCloseTo(LIMIT_USD - 10 * WORST_CASE_USD, 9);
  });
});

describe('a daemon with rate_limits: [{scope: key, rpm: 2}] and store_bodies: true', () => {
  let warden: Warden;

  beforeAll(async () => {
    ({ warden } = await startGovernedWarden(fake, {
      prefix: 'warden-gov-rl-',
      configYaml: 'store_bodies: true\nrate_limits:\n  - { scope: key, rpm: 2 }\n',
    }));
  });

  afterAll(async () => {
    await stopWarden(warden);
    if (warden) fs.rmSync(warden.home, { recursive: true, force: true });
  });

  it('OpenAI: the third request in a minute gets a 429 rate_limit_error with Retry-After; another key has its own allowance', async () => {
    const { key } = await createKey(warden, 'gov-rl');
    const client = new OpenAI({ baseURL: `${warden.url}/v1`, apiKey: key, maxRetries: 0 });
    fake.reset();
    const ask = () => client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    await ask();
    await ask();
    const err = await rejection(ask(), OpenAI.RateLimitError);
    expect(err.status).toBe(429);
    expect(err.type).toBe('rate_limit_error');
    expect(err.code).toBe('rate_limit_exceeded');
    expect(err.message).toContain('may send 2 request(s) per minute');
    const retryAfter = Number(err.headers?.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(err.headers?.get('x-should-retry')).toBeNull();
    expect(fake.requests).toHaveLength(2);
    const row = await settledRow(warden.home, err.headers!.get('x-warden-request-id')!);
    expect(row).toMatchObject({ status: 'rejected', http_status: 429, error_code: 'rate_limit_exceeded' });

    const other = new OpenAI({ baseURL: `${warden.url}/v1`, apiKey: (await createKey(warden, 'gov-rl')).key, maxRetries: 0 });
    await expect(other.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })).resolves.toBeDefined();
  });

  it('Anthropic: the same limit in Anthropic\'s error shape', async () => {
    const { key } = await createKey(warden, 'gov-rl');
    const client = new Anthropic({ baseURL: warden.url, apiKey: key, maxRetries: 0 });
    fake.reset();
    const ask = () => client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
    await ask();
    await ask();
    const err = await rejection(ask(), Anthropic.RateLimitError);
    expect(err.status).toBe(429);
    expect(err.error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    expect(err.apiMessage).toContain('may send 2 request(s) per minute');
    expect(Number(err.headers?.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(fake.requests).toHaveLength(2);
  });

  it('a request denied for a credential is stored with the credential masked (the prompt is kept, the key is not)', async () => {
    const { key } = await createKey(warden, 'gov-bodies');
    const client = new OpenAI({ baseURL: `${warden.url}/v1`, apiKey: key, maxRetries: 0 });
    fake.reset();
    const err = await rejection(
      client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `deploy with ${FAKE_AWS_KEY} please` }] }),
      OpenAI.PermissionDeniedError,
    );
    expect(fake.requests).toHaveLength(0);
    const row = await settledRow(warden.home, err.headers!.get('x-warden-request-id')!);
    expect(row.request_body).not.toBeNull();
    expect(row.request_body).not.toContain(FAKE_AWS_KEY);
    expect(JSON.parse(row.request_body!).messages[0].content).toBe('deploy with [REDACTED:AWS_ACCESS_KEY_1] please');
  });
});
