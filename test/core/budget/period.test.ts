import { describe, expect, it } from 'vitest';
import { periodBounds, startOfLocalDate, validateTimeZone } from '../../../src/core/budget/period.js';
import { WardenError } from '../../../src/core/errors.js';

const iso = (t: number) => new Date(t).toISOString();
const H = 3_600_000;

describe('budget periods', () => {
  it('a day in Europe/Paris starts at local midnight (UTC+1 in winter, UTC+2 in summer)', () => {
    const winter = periodBounds('daily', 'Europe/Paris', Date.parse('2025-01-15T12:00:00Z'));
    expect(iso(winter.start)).toBe('2025-01-14T23:00:00.000Z');
    expect(iso(winter.end)).toBe('2025-01-15T23:00:00.000Z');
    expect(winter.label).toBe('2025-01-15');
    const summer = periodBounds('daily', 'Europe/Paris', Date.parse('2025-07-15T12:00:00Z'));
    expect(iso(summer.start)).toBe('2025-07-14T22:00:00.000Z');
  });

  it('the spring-forward day lasts 23 hours and the fall-back day 25, each from midnight to midnight', () => {
    const spring = periodBounds('daily', 'Europe/Paris', Date.parse('2025-03-30T10:00:00Z'));
    expect(iso(spring.start)).toBe('2025-03-29T23:00:00.000Z');
    expect(iso(spring.end)).toBe('2025-03-30T22:00:00.000Z');
    expect(spring.end - spring.start).toBe(23 * H);
    const fall = periodBounds('daily', 'Europe/Paris', Date.parse('2025-10-26T10:00:00Z'));
    expect(iso(fall.start)).toBe('2025-10-25T22:00:00.000Z');
    expect(fall.end - fall.start).toBe(25 * H);
  });

  it('an instant just before and at a boundary belong to consecutive periods', () => {
    const end = periodBounds('daily', 'Europe/Paris', Date.parse('2025-03-30T10:00:00Z')).end;
    expect(periodBounds('daily', 'Europe/Paris', end - 1).end).toBe(end);
    expect(periodBounds('daily', 'Europe/Paris', end).start).toBe(end);
  });

  it('where DST skips midnight (America/Santiago, 2025-09-07), the day starts at the first local time that exists', () => {
    const t = startOfLocalDate('America/Santiago', { y: 2025, m: 9, d: 7 });
    // 00:00 does not exist that day: clocks jump from 23:59:59 to 01:00 (UTC−3).
    expect(iso(t)).toBe('2025-09-07T04:00:00.000Z');
    const day = periodBounds('daily', 'America/Santiago', Date.parse('2025-09-07T15:00:00Z'));
    expect(day.start).toBe(t);
    expect(day.end - day.start).toBe(23 * H);
    const before = periodBounds('daily', 'America/Santiago', t - 1);
    expect(before.end).toBe(t);
    expect(before.label).toBe('2025-09-06');
  });

  it('where clocks fall back across midnight (America/Santiago, 2025-04-06), the day before lasts 25 hours', () => {
    const sat = periodBounds('daily', 'America/Santiago', Date.parse('2025-04-05T15:00:00Z'));
    expect(sat.label).toBe('2025-04-05');
    expect(sat.end - sat.start).toBe(25 * H);
    expect(iso(sat.end)).toBe('2025-04-06T04:00:00.000Z');
  });

  it('weeks are ISO weeks: Monday 00:00 to the next Monday, in the budget zone', () => {
    // Sunday 2025-03-30 23:30 in Paris is still ISO week 13, which began Monday 24 March.
    const w = periodBounds('weekly', 'Europe/Paris', Date.parse('2025-03-30T21:30:00Z'));
    expect(iso(w.start)).toBe('2025-03-23T23:00:00.000Z');
    expect(iso(w.end)).toBe('2025-03-30T22:00:00.000Z');
    expect(w.label).toBe('2025-W13');
    // Week 1 of 2026 starts on Monday 29 December 2025.
    const w1 = periodBounds('weekly', 'UTC', Date.parse('2025-12-31T12:00:00Z'));
    expect(iso(w1.start)).toBe('2025-12-29T00:00:00.000Z');
    expect(w1.label).toBe('2026-W01');
  });

  it('months run from the 1st to the 1st, across year ends and leap days', () => {
    const dec = periodBounds('monthly', 'America/New_York', Date.parse('2025-12-31T23:00:00Z'));
    // 23:00Z on 31 Dec is 18:00 in New York: still December.
    expect(iso(dec.start)).toBe('2025-12-01T05:00:00.000Z');
    expect(iso(dec.end)).toBe('2026-01-01T05:00:00.000Z');
    expect(dec.label).toBe('2025-12');
    const feb = periodBounds('monthly', 'UTC', Date.parse('2024-02-29T12:00:00Z'));
    expect(feb.end - feb.start).toBe(29 * 24 * H);
    // A month containing the spring change is one hour short.
    const mar = periodBounds('monthly', 'Europe/Paris', Date.parse('2025-03-15T00:00:00Z'));
    expect(mar.end - mar.start).toBe(31 * 24 * H - H);
  });

  it('half-hour zones work (Asia/Kolkata, UTC+5:30)', () => {
    const d = periodBounds('daily', 'Asia/Kolkata', Date.parse('2025-06-01T20:00:00Z'));
    expect(iso(d.start)).toBe('2025-06-01T18:30:00.000Z');
    expect(d.label).toBe('2025-06-02');
  });

  it('unknown zones are usage errors naming the flag; known ones come back canonical', () => {
    expect(validateTimeZone('europe/paris', '--tz')).toBe('Europe/Paris');
    expect(validateTimeZone('UTC')).toBe('UTC');
    let err: unknown;
    try {
      validateTimeZone('Mars/Olympus', '--tz');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WardenError);
    expect((err as WardenError).exitCode).toBe(2);
    expect((err as WardenError).message).toBe('--tz "Mars/Olympus" is not a known time zone');
  });
});
