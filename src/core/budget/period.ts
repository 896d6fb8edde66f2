// Budget periods: calendar days, ISO weeks (Monday first) and months in an IANA time zone, as
// [start, end) instants in epoch ms. Built on Intl (the only tz database Node ships) rather than a
// date library: the one operation needed — "the first instant of this local date" — is a few lines
// over Intl, and it stays correct across DST changes, including zones whose midnight is skipped.
import { WardenError } from '../errors.js';

export const BUDGET_PERIODS = ['daily', 'weekly', 'monthly'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

export interface PeriodBounds {
  /** First instant of the period (inclusive), epoch ms. */
  start: number;
  /** First instant of the next period (exclusive), epoch ms. */
  end: number;
  /** 2025-03-30 (daily), 2025-W13 (weekly, ISO week), 2025-03 (monthly). */
  label: string;
}

interface LocalDate {
  y: number;
  m: number; // 1-12
  d: number;
}

interface LocalParts extends LocalDate {
  h: number;
  mi: number;
  s: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

/**
 * The canonical IANA name of `tz` ("europe/paris" → "Europe/Paris"); throws a usage error naming
 * `what` when the runtime does not know the zone.
 */
export function validateTimeZone(tz: string, what = 'time zone'): string {
  const trimmed = tz.trim();
  if (trimmed === '' || trimmed.length > 100) throw new WardenError('invalid_timezone', `${what} "${tz}" is not a time zone`);
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: trimmed }).resolvedOptions().timeZone;
  } catch {
    throw new WardenError('invalid_timezone', `${what} "${tz}" is not a known time zone`, {
      hint: 'use an IANA name such as UTC, Europe/Paris or America/New_York',
    });
  }
}

function localParts(tz: string, t: number): LocalParts {
  const out: LocalParts = { y: 0, m: 0, d: 0, h: 0, mi: 0, s: 0 };
  for (const p of formatter(tz).formatToParts(t)) {
    switch (p.type) {
      case 'year':
        out.y = Number(p.value);
        break;
      case 'month':
        out.m = Number(p.value);
        break;
      case 'day':
        out.d = Number(p.value);
        break;
      case 'hour':
        out.h = Number(p.value);
        break;
      case 'minute':
        out.mi = Number(p.value);
        break;
      case 'second':
        out.s = Number(p.value);
        break;
    }
  }
  return out;
}

/** Local wall-clock time minus UTC at instant `t`, in ms. */
function offsetAt(tz: string, t: number): number {
  const whole = Math.floor(t / 1000) * 1000;
  const p = localParts(tz, whole);
  return Date.UTC(p.y, p.m - 1, p.d, p.h, p.mi, p.s) - whole;
}

const dateKey = (p: LocalDate) => p.y * 10_000 + p.m * 100 + p.d;

/** Calendar arithmetic on a local date (days may over/underflow; months too). */
function addDays(p: LocalDate, days: number): LocalDate {
  const u = new Date(Date.UTC(p.y, p.m - 1, p.d + days));
  return { y: u.getUTCFullYear(), m: u.getUTCMonth() + 1, d: u.getUTCDate() };
}

/**
 * The first instant whose local date in `tz` is `date`: local midnight, or — where midnight is
 * skipped by a DST change (America/Santiago, America/Havana) — the first wall-clock time that exists.
 */
export function startOfLocalDate(tz: string, date: LocalDate): number {
  const wall = Date.UTC(date.y, date.m - 1, date.d);
  // Two passes settle the offset except inside a transition.
  let t = wall - offsetAt(tz, wall);
  t = wall - offsetAt(tz, t);
  const p = localParts(tz, t);
  if (p.h === 0 && p.mi === 0 && p.s === 0 && dateKey(p) === dateKey(date)) {
    // Midnight may occur twice when clocks fall back across it: take the earlier one.
    const earlier = t - 3_600_000;
    const q = localParts(tz, earlier);
    if (q.h === 0 && q.mi === 0 && q.s === 0 && dateKey(q) === dateKey(date)) return earlier;
    return t;
  }
  // Inside a transition: binary-search the first second whose local date is `date` or later.
  // UTC offsets lie within ±18 h, so the answer lies within this window.
  const target = dateKey(date);
  let lo = wall - 18 * 3_600_000;
  let hi = wall + 18 * 3_600_000;
  while (hi - lo > 1000) {
    const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
    if (dateKey(localParts(tz, mid)) >= target) hi = mid;
    else lo = mid;
  }
  return hi;
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** ISO-8601 week-numbering year and week of a local date. */
function isoWeek(p: LocalDate): { year: number; week: number } {
  const u = new Date(Date.UTC(p.y, p.m - 1, p.d));
  const dow = (u.getUTCDay() + 6) % 7; // Monday 0
  u.setUTCDate(u.getUTCDate() - dow + 3); // the Thursday of this week decides the year
  const year = u.getUTCFullYear();
  const firstThursday = new Date(Date.UTC(year, 0, 4));
  firstThursday.setUTCDate(firstThursday.getUTCDate() - ((firstThursday.getUTCDay() + 6) % 7) + 3);
  return { year, week: 1 + Math.round((u.getTime() - firstThursday.getTime()) / (7 * 86_400_000)) };
}

/** The period of kind `period` in `tz` that contains instant `at`. `tz` must be valid. */
export function periodBounds(period: BudgetPeriod, tz: string, at: number): PeriodBounds {
  const today = localParts(tz, at);
  let first: LocalDate;
  let next: LocalDate;
  let label: string;
  switch (period) {
    case 'daily':
      first = { y: today.y, m: today.m, d: today.d };
      next = addDays(first, 1);
      label = `${today.y}-${pad(today.m)}-${pad(today.d)}`;
      break;
    case 'weekly': {
      const dow = (new Date(Date.UTC(today.y, today.m - 1, today.d)).getUTCDay() + 6) % 7;
      first = addDays(today, -dow);
      next = addDays(first, 7);
      const w = isoWeek(today);
      label = `${w.year}-W${pad(w.week)}`;
      break;
    }
    case 'monthly':
      first = { y: today.y, m: today.m, d: 1 };
      next = today.m === 12 ? { y: today.y + 1, m: 1, d: 1 } : { y: today.y, m: today.m + 1, d: 1 };
      label = `${today.y}-${pad(today.m)}`;
      break;
  }
  return { start: startOfLocalDate(tz, first), end: startOfLocalDate(tz, next), label };
}

export function isBudgetPeriod(v: unknown): v is BudgetPeriod {
  return typeof v === 'string' && (BUDGET_PERIODS as readonly string[]).includes(v);
}

/** "day", "week", "month": for messages ("$10.00 per day"). */
export function periodNoun(period: BudgetPeriod): string {
  return period === 'daily' ? 'day' : period === 'weekly' ? 'week' : 'month';
}
