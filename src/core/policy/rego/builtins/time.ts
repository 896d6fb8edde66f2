// Time builtins: time.now_ns (the query's fixed ctx.nowNs), parse_ns (Go layouts), parse_rfc3339_ns,
// parse_duration_ns, date, clock, weekday, add_date, diff and format, on exact int64 nanoseconds.
// A time operand is `ns` or `[ns, tz]` (`[ns, tz, layout]` for format); "Local" is UTC here so
// results never depend on the host.

import { intValue, isInteger, typeName, type ArrayValue, type Value } from '../value.js';
import { int, str } from './args.js';
import {
  GoTimeError,
  INT64_MAX,
  INT64_MIN,
  LAYOUTS,
  UTC,
  civil,
  daysIn,
  formatTime,
  fromCivil,
  loadZone,
  parseDuration,
  parseTime,
  weekdayName,
  type Zone,
} from './go-time.js';
import { T, builtinError, defaultRegistry, operandTypeError, type BuiltinDefinition } from './registry.js';

const TIME_ARG = T.union(T.number, T.array(T.any));

interface TzTime {
  ns: bigint;
  zone: Zone;
  layout: string;
}

function goCall<R>(name: string, fn: () => R): R {
  try {
    return fn();
  } catch (e) {
    if (e instanceof GoTimeError) throw builtinError(name, e.message);
    throw e;
  }
}

/** OPA's tzTime: a number of ns, or [ns, tz?, layout?]. */
function tzTime(name: string, v: Value): TzTime {
  let n: Value;
  let zone = UTC;
  let layout = '';
  if (Array.isArray(v)) {
    const a = v as ArrayValue;
    if (a.length === 0) throw operandTypeError(name, 1, v, 'either number (ns) or [number (ns), string (tz)]');
    n = a[0];
    if (a.length > 1) {
      const tz = a[1];
      if (typeof tz !== 'string') throw operandTypeError(name, 1, tz, 'string');
      zone = tz === 'Local' ? UTC : goCall(name, () => loadZone(tz));
    }
    if (a.length > 2) {
      const l = a[2];
      if (typeof l !== 'string') throw operandTypeError(name, 1, l, 'string');
      layout = l;
    }
  } else if (typeName(v) === 'number') {
    n = v;
  } else {
    throw operandTypeError(name, 1, v, 'either number (ns) or [number (ns), string (tz)]');
  }
  if (typeName(n) !== 'number') throw operandTypeError(name, 1, n, 'number');
  if (!isInteger(n)) throw builtinError(name, 'timestamp too big');
  const ns = BigInt(n);
  if (ns < INT64_MIN || ns > INT64_MAX) throw builtinError(name, 'timestamp too big');
  return { ns, zone, layout };
}

/** OPA accepts Go's layout constant names (`RFC1123Z`) in place of a layout. */
function namedLayout(layout: string): string {
  return Object.hasOwn(LAYOUTS, layout) ? LAYOUTS[layout] : layout;
}

function safeNs(name: string, ns: bigint): Value {
  if (ns < INT64_MIN || ns > INT64_MAX) throw builtinError(name, 'time outside of valid range');
  return intValue(ns);
}

function diff(a: TzTime, b: TzTime): number[] {
  let t1 = civil(a.ns, a.zone);
  let t2 = civil(b.ns, a.zone);
  if (a.ns > b.ns) [t1, t2] = [t2, t1];
  let year = t2.year - t1.year;
  let month = t2.month - t1.month;
  let day = t2.day - t1.day;
  let hour = t2.hour - t1.hour;
  let min = t2.minute - t1.minute;
  let sec = t2.second - t1.second;
  if (sec < 0) {
    sec += 60;
    min--;
  }
  if (min < 0) {
    min += 60;
    hour--;
  }
  if (hour < 0) {
    hour += 24;
    day--;
  }
  if (day < 0) {
    day += daysIn(t1.year, t1.month);
    month--;
  }
  if (month < 0) {
    month += 12;
    year--;
  }
  return [year, month, day, hour, min, sec];
}

export const timeBuiltins: BuiltinDefinition[] = [
  {
    name: 'time.now_ns',
    args: [],
    result: T.number,
    nondeterministic: true,
    impl: (_args, ctx) => intValue(ctx.nowNs),
  },
  {
    name: 'time.parse_ns',
    args: [T.string, T.string],
    result: T.number,
    impl: (args) => {
      const n = 'time.parse_ns';
      const layout = str(n, args, 0);
      const value = str(n, args, 1);
      return safeNs(n, goCall(n, () => parseTime(namedLayout(layout), value)));
    },
  },
  {
    name: 'time.parse_rfc3339_ns',
    args: [T.string],
    result: T.number,
    impl: (args) => {
      const n = 'time.parse_rfc3339_ns';
      const value = str(n, args, 0);
      return safeNs(n, goCall(n, () => parseTime(LAYOUTS.RFC3339, value)));
    },
  },
  {
    name: 'time.parse_duration_ns',
    args: [T.string],
    result: T.number,
    impl: (args) => {
      const n = 'time.parse_duration_ns';
      const text = str(n, args, 0);
      return intValue(goCall(n, () => parseDuration(text)));
    },
  },
  {
    name: 'time.date',
    args: [TIME_ARG],
    result: T.array(T.number),
    impl: (args) => {
      const t = tzTime('time.date', args[0]);
      const c = civil(t.ns, t.zone);
      return [c.year, c.month, c.day];
    },
  },
  {
    name: 'time.clock',
    args: [TIME_ARG],
    result: T.array(T.number),
    impl: (args) => {
      const t = tzTime('time.clock', args[0]);
      const c = civil(t.ns, t.zone);
      return [c.hour, c.minute, c.second];
    },
  },
  {
    name: 'time.weekday',
    args: [TIME_ARG],
    result: T.string,
    impl: (args) => {
      const t = tzTime('time.weekday', args[0]);
      return weekdayName(civil(t.ns, t.zone).weekday);
    },
  },
  {
    name: 'time.add_date',
    args: [TIME_ARG, T.number, T.number, T.number],
    result: T.number,
    impl: (args) => {
      const n = 'time.add_date';
      const t = tzTime(n, args[0]);
      const years = int(n, args, 1);
      const months = int(n, args, 2);
      const days = int(n, args, 3);
      const c = civil(t.ns, t.zone);
      return safeNs(n, fromCivil(c.year + years, c.month + months, c.day + days, c.hour, c.minute, c.second, c.nanos, t.zone));
    },
  },
  {
    name: 'time.diff',
    args: [TIME_ARG, TIME_ARG],
    result: T.array(T.number),
    impl: (args) => diff(tzTime('time.diff', args[0]), tzTime('time.diff', args[1])),
  },
  {
    name: 'time.format',
    args: [TIME_ARG],
    result: T.string,
    impl: (args) => {
      const t = tzTime('time.format', args[0]);
      const layout = t.layout === '' ? LAYOUTS.RFC3339Nano : namedLayout(t.layout);
      return formatTime(t.ns, t.zone, layout);
    },
  },
];

defaultRegistry.registerAll(timeBuiltins);
