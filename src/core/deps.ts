// The dependency bag core functions take instead of reaching for globals (DESIGN.md §3).
import type { Logger } from './util/logger.js';

export interface Clock {
  /** Wall-clock milliseconds since the epoch. */
  now(): number;
  /** Monotonic high-resolution milliseconds, for durations. */
  monotonic(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};

export type FetchLike = typeof fetch;

export interface Env {
  get(name: string): string | undefined;
}

export function envFrom(record: Record<string, string | undefined>): Env {
  return { get: (name) => record[name] };
}

export interface BaseDeps {
  clock: Clock;
  logger: Logger;
  env: Env;
}
