// Parses human durations ("90s", "15m", "24h", "7d", "2w") used by --since and --expires.
import { WardenError } from '../errors.js';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 7 * 86_400_000,
};

/** Milliseconds for a duration like "24h"; throws a usage error naming the flag otherwise. */
export function parseDuration(text: string, what = 'duration'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/i.exec(text);
  if (!m) {
    throw new WardenError('invalid_duration', `${what} "${text}" is not a duration`, {
      hint: 'use a number and a unit: 30s, 15m, 24h, 7d, 2w',
    });
  }
  const ms = Number(m[1]) * UNIT_MS[m[2].toLowerCase()];
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new WardenError('invalid_duration', `${what} "${text}" must be positive`);
  }
  return ms;
}

/** A --since value is either a duration back from now or an ISO timestamp. */
export function parseSince(text: string, nowMs: number): number {
  if (/^\d{4}-\d{2}-\d{2}/.test(text)) {
    const t = Date.parse(text);
    if (Number.isNaN(t)) throw new WardenError('invalid_since', `--since "${text}" is not a valid date`);
    return t;
  }
  return nowMs - parseDuration(text, '--since');
}
