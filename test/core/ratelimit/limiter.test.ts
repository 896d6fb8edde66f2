import { describe, expect, it } from 'vitest';
import { parseRateLimitRules, RateLimiter, type RateLimitResult, type RateLimitRule, type RateLimitTicket } from '../../../src/core/ratelimit/limiter.js';
import type { Clock } from '../../../src/core/deps.js';
import { WardenError } from '../../../src/core/errors.js';

class FakeClock implements Clock {
  t = 1_000_000;
  now() {
    return this.t;
  }
  monotonic() {
    return this.t;
  }
}

function setup(rules: RateLimitRule[], opts: { maxBuckets?: number } = {}) {
  const clock = new FakeClock();
  return { clock, limiter: new RateLimiter(rules, { clock }, opts) };
}

function ok(r: RateLimitResult): RateLimitTicket {
  if (!r.ok) throw new Error(`expected admission, got: ${r.message}`);
  return r.ticket;
}

function denied(r: RateLimitResult) {
  if (r.ok) throw new Error('expected a denial');
  return r;
}

const K = { keyId: 'key_1', project: 'p', user: 'ann', tool: 'codex' };

describe('rate limiter', () => {
  it('rpm: a full minute\'s requests pass at once, the next one is told exactly when to retry', () => {
    const { clock, limiter } = setup([{ scope: 'key', rpm: 60 }]);
    for (let i = 0; i < 60; i++) ok(limiter.check(K, 0));
    const d = denied(limiter.check(K, 0));
    expect(d.retryAfterMs).toBeCloseTo(1000, 6);
    expect(d.retryAfterSeconds).toBe(1);
    expect(d.limit).toEqual({ scope: 'key', match: null, value: 'key_1', kind: 'rpm', max: 60 });
    expect(d.message).toBe('rate limit: key key_1 may send 60 request(s) per minute; retry in 1 s');
    // Just before the retry time it is still refused, at it admitted: Retry-After is exact.
    clock.t += 999;
    expect(denied(limiter.check(K, 0)).retryAfterMs).toBeCloseTo(1, 6);
    clock.t += 1;
    ok(limiter.check(K, 0));
    denied(limiter.check(K, 0));
  });

  it('rpm refills at the rate: over 10 minutes of steady traffic no more than rpm per minute pass', () => {
    const { clock, limiter } = setup([{ scope: 'project', rpm: 7 }]);
    let passed = 0;
    for (let ms = 0; ms < 600_000; ms += 250) {
      clock.t = 1_000_000 + ms;
      if (limiter.check(K, 0).ok) passed++;
    }
    // 7 at once, then one every 60/7 s: 7 + floor(599750 / 8571.43) = 7 + 69.
    expect(passed).toBe(76);
  });

  it('tpm: charges the estimate, corrects to actual tokens at done, and gives the wait for the tokens asked', () => {
    const { clock, limiter } = setup([{ scope: 'user', tpm: 6000 }]);
    const t = ok(limiter.check(K, 5000));
    const d = denied(limiter.check(K, 2000));
    // 1000 tokens left; 1000 more refill in 10 s.
    expect(d.retryAfterSeconds).toBe(10);
    expect(d.limit.kind).toBe('tpm');
    expect(d.message).toBe('rate limit: user ann may use 6000 tokens per minute and this request is estimated at 2000; retry in 10 s');
    // The request used only 1000 tokens: the difference is given back.
    limiter.done(t, 1000);
    ok(limiter.check(K, 2000));
    ok(limiter.check(K, 3000));
    expect(denied(limiter.check(K, 1)).retryAfterMs).toBeCloseTo(10, 6);
    clock.t += 10;
    ok(limiter.check(K, 1));
  });

  it('a request larger than a minute of tokens passes only into a full bucket, and the debt is paid in time', () => {
    const { clock, limiter } = setup([{ scope: 'key', tpm: 1000 }]);
    ok(limiter.check(K, 3000));
    const d = denied(limiter.check(K, 10));
    // 3000 tokens at 1000/min: full again after 3 minutes; 10 tokens fit after 2 min 0.6 s.
    expect(d.retryAfterMs).toBeCloseTo(120_600, 3);
    clock.t += 180_000;
    ok(limiter.check(K, 5000));
  });

  it('concurrent: in-flight requests are capped until one is done', () => {
    const { limiter } = setup([{ scope: 'tool', match: 'codex', concurrent: 2 }]);
    const a = ok(limiter.check(K, 0));
    ok(limiter.check(K, 0));
    const d = denied(limiter.check(K, 0));
    expect(d.limit).toMatchObject({ kind: 'concurrent', max: 2, scope: 'tool', match: 'codex' });
    expect(d.retryAfterSeconds).toBe(1);
    limiter.done(a);
    limiter.done(a); // twice counts once
    ok(limiter.check(K, 0));
    denied(limiter.check(K, 0));
    // Another tool is not limited by the codex rule.
    ok(limiter.check({ ...K, tool: 'curl' }, 0));
  });

  it('rules apply all or nothing: a refusal by one rule counts nothing against the others', () => {
    const { limiter } = setup([
      { scope: 'key', rpm: 100 },
      { scope: 'project', match: 'p', rpm: 2 },
    ]);
    ok(limiter.check(K, 0));
    ok(limiter.check(K, 0));
    for (let i = 0; i < 10; i++) expect(denied(limiter.check(K, 0)).limit.scope).toBe('project');
    // The key's own bucket saw only the two admitted requests: 98 more fit in another project.
    for (let i = 0; i < 98; i++) ok(limiter.check({ ...K, project: 'q' }, 0));
    expect(denied(limiter.check({ ...K, project: 'q' }, 0)).limit.scope).toBe('key');
  });

  it('per-value rules give each key its own bucket; a denial reports the longest wait among the rules hit', () => {
    const { limiter } = setup([
      { scope: 'key', rpm: 1 },
      { scope: 'key', rpm: 2, tpm: 100 },
    ]);
    ok(limiter.check(K, 100));
    const d = denied(limiter.check(K, 100));
    // rpm 1 frees up in 60 s; tpm 100 needs the whole minute back too: 60 s either way.
    expect(d.retryAfterSeconds).toBe(60);
    ok(limiter.check({ ...K, keyId: 'key_2' }, 50));
  });

  it('requests with no value for a scope are not limited by its rules', () => {
    const { limiter } = setup([{ scope: 'user', rpm: 1 }]);
    for (let i = 0; i < 5; i++) ok(limiter.check({ keyId: 'k', user: null }, 0));
  });

  it('memory stays bounded: idle buckets are swept as traffic moves on, without changing any outcome', () => {
    const { clock, limiter } = setup([{ scope: 'key', rpm: 10, tpm: 1000, concurrent: 1 }]);
    // A bucket with a request in flight is never swept.
    const held = ok(limiter.check({ keyId: 'held' }, 0));
    let max = 0;
    for (let i = 0; i < 10_000; i++) {
      clock.t += 1000;
      limiter.done(ok(limiter.check({ keyId: `k${i}` }, 50)), 50);
      max = Math.max(max, limiter.size);
    }
    // 10,000 distinct keys, but buckets refill within 6 s (6 checks here) and a sweep runs every
    // 1024 checks: at most 1024 new buckets plus the few still refilling and the held one.
    expect(max).toBeLessThanOrEqual(1024 + 7);
    expect(denied(limiter.check({ keyId: 'held' }, 0)).limit).toMatchObject({ value: 'held', kind: 'concurrent' });
    limiter.done(held);
    // A swept key starts from a full bucket, exactly as if it had been kept.
    for (let i = 0; i < 10; i++) limiter.done(ok(limiter.check({ keyId: 'k5' }, 0)));
    expect(denied(limiter.check({ keyId: 'k5' }, 0)).limit.kind).toBe('rpm');
  });

  it('a hard cap on buckets holds even when every bucket is still refilling', () => {
    const { limiter } = setup([{ scope: 'key', rpm: 1 }], { maxBuckets: 50 });
    for (let i = 0; i < 500; i++) limiter.done(ok(limiter.check({ keyId: `k${i}` }, 0)));
    expect(limiter.size).toBeLessThanOrEqual(50);
  });

  it('no rules: every request passes', () => {
    const { limiter } = setup([]);
    const t = ok(limiter.check(K, 1e9));
    limiter.done(t, 5);
  });

  it('rules are validated, with the rule index and field in the message', () => {
    expect(parseRateLimitRules([{ scope: 'key', rpm: 5 }])).toEqual([{ scope: 'key', rpm: 5 }]);
    const err = (v: unknown) => {
      try {
        parseRateLimitRules(v);
      } catch (e) {
        return e as WardenError;
      }
      throw new Error('expected an error');
    };
    expect(err([{ scope: 'key' }]).message).toMatch(/^rate_limits\[0\]: a rate limit needs rpm, tpm or concurrent/);
    expect(err([{ scope: 'key', rpm: 1 }, { scope: 'org', rpm: 1 }]).message).toMatch(/^rate_limits\[1\]\.scope: /);
    expect(err([{ scope: 'key', rpm: -1 }]).code).toBe('invalid_rate_limit');
    expect(() => new RateLimiter([{ scope: 'key', rpm: 0 }], { clock: new FakeClock() })).toThrow(WardenError);
  });
});
