import { describe, expect, it } from 'vitest';
import { call, callIn, errorOf, lax } from './builtins-helpers.js';

const NS = 1_000_000_000;

describe('time (modelled on OPA time cases and docs)', () => {
  it('returns the context time from now_ns', () => {
    expect(call('time.now_ns')).toBe(1670006453141828752n);
  });

  it('parses RFC 3339 across the whole int64 range', () => {
    expect(call('time.parse_rfc3339_ns', '1677-09-21T00:12:43.145224192-00:00')).toBe(-9223372036854775808n);
    expect(call('time.parse_rfc3339_ns', '1970-01-01T00:00:00-00:00')).toBe(0);
    expect(call('time.parse_rfc3339_ns', '2017-06-02T19:00:00-07:00')).toBe(1496455200000000000n);
    expect(call('time.parse_rfc3339_ns', '2262-04-11T23:47:16.854775807-00:00')).toBe(9223372036854775807n);
    expect(call('time.parse_rfc3339_ns', '2022-12-02T18:40:53.141828752Z')).toBe(1670006453141828752n);
  });

  it('reports times outside int64 and malformed text as builtin errors', () => {
    const e = errorOf(() => call('time.parse_rfc3339_ns', '1677-09-21T00:12:43.145224191-00:00'));
    expect(e.code).toBe('eval_builtin_error');
    expect(e.message).toBe('time.parse_rfc3339_ns: time outside of valid range');
    expect(errorOf(() => call('time.parse_rfc3339_ns', '2262-04-11T23:47:16.854775808-00:00')).message).toMatch(/time outside of valid range/);
    expect(errorOf(() => call('time.parse_rfc3339_ns', 'yesterday')).message).toMatch(/^time\.parse_rfc3339_ns: parsing time "yesterday"/);
    expect(errorOf(() => call('time.parse_rfc3339_ns', '2020-02-30T00:00:00Z')).message).toMatch(/day out of range/);
  });

  it('parses Go layouts and named layout constants', () => {
    expect(call('time.parse_ns', '2006-01-02', '2020-02-02')).toBe(1580601600000000000n);
    expect(call('time.parse_ns', 'RFC1123Z', 'Sat, 03 Dec 2022 00:10:53 +0530')).toBe(1670006453000000000n);
    expect(call('time.parse_ns', 'Mon Jan _2 15:04:05 2006', 'Fri Feb  9 12:00:00 2018')).toBe(1518177600000000000n);
    expect(call('time.parse_ns', '01/02/06 3:04PM', '02/05/18 7:00AM')).toBe(1517814000000000000n);
    expect(call('time.parse_ns', 'Jan 2 2006 MST', 'Feb 5 2018 UTC')).toBe(1517788800000000000n);
  });

  it('parses Go durations exactly', () => {
    expect(call('time.parse_duration_ns', '100ms')).toBe(100000000);
    expect(call('time.parse_duration_ns', '1h30m')).toBe(5400 * NS);
    expect(call('time.parse_duration_ns', '-1.5h')).toBe(-5400 * NS);
    expect(call('time.parse_duration_ns', '1µs')).toBe(1000);
    expect(call('time.parse_duration_ns', '0')).toBe(0);
    expect(errorOf(() => call('time.parse_duration_ns', '1')).message).toBe('time.parse_duration_ns: time: missing unit in duration "1"');
    expect(errorOf(() => call('time.parse_duration_ns', '1d')).message).toBe('time.parse_duration_ns: time: unknown unit "d" in duration "1d"');
    expect(errorOf(() => call('time.parse_duration_ns', '')).message).toBe('time.parse_duration_ns: time: invalid duration ""');
  });

  it('splits instants into date, clock and weekday, in a zone when given', () => {
    expect(call('time.date', 1517814000 * NS)).toEqual([2018, 2, 5]);
    expect(call('time.clock', [1517832000 * NS, 'America/New_York'])).toEqual([7, 0, 0]);
    expect(call('time.clock', 1582977600 * NS)).toEqual([12, 0, 0]);
    expect(call('time.weekday', 1518177600000000000n)).toBe('Friday');
    expect(call('time.date', -1)).toEqual([1969, 12, 31]);
    expect(call('time.weekday', [0, 'Asia/Tokyo'])).toBe('Thursday');
  });

  it('rejects timestamps beyond int64 and unknown zones', () => {
    expect(errorOf(() => call('time.date', 1582977600n * 10n ** 12n)).message).toBe('time.date: timestamp too big');
    expect(errorOf(() => call('time.weekday', 1582977600n * 10n ** 12n)).message).toBe('time.weekday: timestamp too big');
    expect(errorOf(() => call('time.date', [0, 'Mars/Olympus'])).message).toBe('time.date: unknown time zone Mars/Olympus');
    expect(errorOf(() => call('time.date', 'now')).message).toBe(
      'time.date: operand 1 must be either number (ns) or [number (ns), string (tz)] but got string',
    );
    expect(callIn(lax, 'time.date', 'now')).toBeUndefined();
  });

  it('adds calendar amounts with Go normalisation', () => {
    expect(call('time.add_date', 1585852421593912000n, 3, 9, 12)).toBe(1705257221593912000n);
    expect(call('time.add_date', call('time.parse_ns', '2006-01-02', '2021-01-31') as bigint, 0, 1, 0)).toBe(
      call('time.parse_ns', '2006-01-02', '2021-03-03'),
    );
    expect(errorOf(() => call('time.add_date', 0, 2262, 1, 1)).message).toBe('time.add_date: time outside of valid range');
  });

  it('diffs as years, months, days, hours, minutes, seconds', () => {
    const d = (s: string): bigint => call('time.parse_ns', '2006-01-02', s) as bigint;
    const now = 1670006453141828752n;
    expect(call('time.diff', now + 61n * 10n ** 9n, now)).toEqual([0, 0, 0, 0, 1, 1]);
    expect(call('time.diff', [now + 60n * 10n ** 9n, 'UTC'], [now, 'Asia/Shanghai'])).toEqual([0, 0, 0, 0, 1, 0]);
    expect(call('time.diff', d('2020-02-02'), d('2020-03-01'))).toEqual([0, 0, 28, 0, 0, 0]);
    expect(call('time.diff', d('2021-02-02'), d('2021-03-01'))).toEqual([0, 0, 27, 0, 0, 0]);
    expect(call('time.diff', d('2004-02-29'), d('2005-03-01'))).toEqual([1, 0, 1, 0, 0, 0]);
  });

  it('formats with RFC3339Nano by default, a zone, a layout or a layout name', () => {
    const t = 1670006453141828752n;
    expect(call('time.format', t)).toBe('2022-12-02T18:40:53.141828752Z');
    expect(call('time.format', [t, 'Asia/Kolkata'])).toBe('2022-12-03T00:10:53.141828752+05:30');
    expect(call('time.format', [t, 'Asia/Kolkata', 'Mon Jan 02 15:04:05 -0700 2006'])).toBe('Sat Dec 03 00:10:53 +0530 2022');
    expect(call('time.format', [t, 'Asia/Kolkata', 'RFC1123Z'])).toBe('Sat, 03 Dec 2022 00:10:53 +0530');
    expect(call('time.format', [t, 'UTC', 'Monday, January 2 2006 3:04:05.000 PM MST'])).toBe('Friday, December 2 2022 6:40:53.141 PM UTC');
    expect(call('time.format', [0, '', '2006-01-02T15:04:05.999Z07:00'])).toBe('1970-01-01T00:00:00Z');
    expect(errorOf(() => call('time.format', 1582977600n * 10n ** 13n)).message).toBe('time.format: timestamp too big');
  });
});
