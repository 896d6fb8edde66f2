import { describe, expect, it } from 'vitest';
import { LoopGuard, turnHash } from '../../../src/core/session/loop-guard.js';

describe('LoopGuard', () => {
  it('counts requests, elapsed time and repeats of the same latest turn per session', () => {
    const g = new LoopGuard();
    expect(g.observe('s1', 'run the tests', 1_000)).toEqual({ requests: 1, spendUsd: 0, elapsedSeconds: 0, promptRepeats: 1 });
    g.observe('s1', 'fix the bug', 2_000);
    const third = g.observe('s1', 'run the tests', 31_000);
    expect(third).toEqual({ requests: 3, spendUsd: 0, elapsedSeconds: 30, promptRepeats: 2 });
    // Another session is counted on its own.
    expect(g.observe('s2', 'run the tests', 31_000).promptRepeats).toBe(1);
  });

  it('adds settled spend to the session, ignoring unknown and zero costs', () => {
    const g = new LoopGuard();
    g.observe('s', 'a', 0);
    g.addSpend('s', 0.1);
    g.addSpend('s', 0.2);
    g.addSpend('s', null);
    g.addSpend('unknown-session', 5);
    expect(g.observe('s', 'b', 10).spendUsd).toBeCloseTo(0.3, 10);
  });

  it('forgets a session idle longer than the idle limit', () => {
    const g = new LoopGuard({ idleMs: 1_000 });
    g.observe('s', 'a', 0);
    g.observe('s', 'a', 500);
    expect(g.observe('s', 'a', 2_000)).toMatchObject({ requests: 1, promptRepeats: 1, elapsedSeconds: 0 });
  });

  it('keeps at most maxSessions sessions, evicting the least recently active', () => {
    const g = new LoopGuard({ maxSessions: 3 });
    for (const s of ['a', 'b', 'c']) g.observe(s, 'x', 0);
    g.observe('a', 'x', 1); // a is now the most recent
    g.observe('d', 'x', 2); // evicts b
    expect(g.size).toBe(3);
    expect(g.observe('b', 'x', 3).requests).toBe(1);
    expect(g.observe('a', 'x', 4).requests).toBe(3);
  });

  it('remembers a bounded number of distinct turns per session', () => {
    const g = new LoopGuard({ turnsPerSession: 2 });
    g.observe('s', 'one', 0);
    g.observe('s', 'two', 1);
    g.observe('s', 'three', 2); // pushes out "one"
    expect(g.observe('s', 'one', 3).promptRepeats).toBe(1);
    expect(g.observe('s', 'three', 4).promptRepeats).toBe(2);
  });

  it('hashes equal texts equally and different texts differently', () => {
    expect(turnHash('hello')).toBe(turnHash('hello'));
    expect(turnHash('hello')).not.toBe(turnHash('hellp'));
  });
});

describe('turnHash on long turns', () => {
  it('tells apart long texts that differ at either end or in length, and hashes equal ones equally', () => {
    const mid = 'x'.repeat(20_000);
    expect(turnHash(`a${mid}`)).toBe(turnHash(`a${mid}`));
    expect(turnHash(`a${mid}`)).not.toBe(turnHash(`b${mid}`));
    expect(turnHash(`${mid}a`)).not.toBe(turnHash(`${mid}b`));
    expect(turnHash(mid)).not.toBe(turnHash(`${mid}x`));
  });
});
