// Per-session activity for the agent-loop guard: how many requests a session has made, what it has
// spent, how long it has run, and how often the same latest turn has been sent. Runaway agents are
// the costliest failure users report; these numbers go into the policy input (`input.session`) so a
// YAML or Rego policy can cap them. In memory and bounded: idle sessions are evicted, and each
// session remembers only its most recent turn hashes.

export interface SessionActivity {
  /** Requests in this session so far, this one included. */
  requests: number;
  /** Settled spend of the session's earlier requests, in USD. */
  spendUsd: number;
  /** Seconds since the session's first request seen by this daemon. */
  elapsedSeconds: number;
  /** How many times this request's latest turn has been sent in the session, this one included. */
  promptRepeats: number;
}

interface SessionState {
  firstMs: number;
  lastMs: number;
  requests: number;
  spendMicros: number;
  /** Recent turn hash → times seen; insertion order is recency (re-inserted on each hit). */
  turns: Map<number, number>;
}

export interface LoopGuardOptions {
  /** Sessions idle longer than this are forgotten. Default 6 h. */
  idleMs?: number;
  /** At most this many sessions are tracked; the least recently active go first. Default 10,000. */
  maxSessions?: number;
  /** Distinct recent turns remembered per session. Default 64. */
  turnsPerSession?: number;
}

/** Characters hashed from each end of a long turn: the guard looks for repeats, not a digest. */
const HASH_EDGE = 4096;

/**
 * FNV-1a over UTF-16 code units, of the whole text up to 8 KB and of its first and last 4 KB (plus
 * its length) beyond: bounded work per request whatever the prompt size. A collision only
 * overcounts a repeat.
 */
export function turnHash(text: string): number {
  let h = 0x811c9dc5;
  const n = text.length;
  const mix = (from: number, to: number): void => {
    for (let i = from; i < to; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
  };
  if (n <= 2 * HASH_EDGE) mix(0, n);
  else {
    mix(0, HASH_EDGE);
    mix(n - HASH_EDGE, n);
    h ^= n;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class LoopGuard {
  private readonly sessions = new Map<string, SessionState>();
  private readonly idleMs: number;
  private readonly maxSessions: number;
  private readonly turnsPerSession: number;

  constructor(opts: LoopGuardOptions = {}) {
    this.idleMs = opts.idleMs ?? 6 * 3600_000;
    this.maxSessions = opts.maxSessions ?? 10_000;
    this.turnsPerSession = opts.turnsPerSession ?? 64;
  }

  /** Counts one request of `session` whose latest turn is `latestTurn`, and returns the session's activity. */
  observe(session: string, latestTurn: string, nowMs: number): SessionActivity {
    let s = this.sessions.get(session);
    if (s && nowMs - s.lastMs > this.idleMs) {
      this.sessions.delete(session);
      s = undefined;
    }
    if (!s) {
      s = { firstMs: nowMs, lastMs: nowMs, requests: 0, spendMicros: 0, turns: new Map() };
      this.evictFor(nowMs);
    } else {
      this.sessions.delete(session); // re-inserted below: Map order is recency
    }
    this.sessions.set(session, s);
    s.lastMs = nowMs;
    s.requests++;
    const h = turnHash(latestTurn);
    const seen = (s.turns.get(h) ?? 0) + 1;
    s.turns.delete(h);
    s.turns.set(h, seen);
    if (s.turns.size > this.turnsPerSession) s.turns.delete(s.turns.keys().next().value as number);
    return {
      requests: s.requests,
      spendUsd: s.spendMicros / 1e6,
      elapsedSeconds: Math.max(0, (nowMs - s.firstMs) / 1000),
      promptRepeats: seen,
    };
  }

  /** Adds a settled request's cost to its session (unknown costs add nothing). */
  addSpend(session: string, usd: number | null): void {
    if (usd === null || !Number.isFinite(usd) || usd <= 0) return;
    const s = this.sessions.get(session);
    if (s) s.spendMicros += Math.round(usd * 1e6);
  }

  get size(): number {
    return this.sessions.size;
  }

  private evictFor(nowMs: number): void {
    for (const [k, s] of this.sessions) {
      if (this.sessions.size < this.maxSessions && nowMs - s.lastMs <= this.idleMs) break;
      this.sessions.delete(k);
    }
  }
}
