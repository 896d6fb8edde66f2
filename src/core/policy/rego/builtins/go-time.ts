// Go's time layouts and durations for the time builtins: layout tokenising (Go's nextStdChunk),
// formatting and parsing of civil times, zone offsets (UTC, fixed offsets, IANA zones via Intl),
// and time.ParseDuration. Written here because no JS library speaks Go's reference-time layouts;
// all instants are exact int64 nanoseconds as bigint.

export const NS_PER_SEC = 1_000_000_000n;
export const NS_PER_DAY = 86_400n * NS_PER_SEC;
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

export class GoTimeError extends Error {}

// ---------------------------------------------------------------------------------------------
// Civil calendar (proleptic Gregorian), days since 1970-01-01.

export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(z: number): [number, number, number] {
  const zz = z + 719468;
  const era = Math.floor(zz / 146097);
  const doe = zz - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [m <= 2 ? yoe + era * 400 + 1 : yoe + era * 400, m, d];
}

export function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

export function daysIn(y: number, m: number): number {
  return [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

// ---------------------------------------------------------------------------------------------
// Zones

export interface Zone {
  readonly name: string;
  /** Offset east of UTC in seconds at the given instant (ns). */
  offsetAt(ns: bigint): number;
  /** Zone abbreviation at the instant, as Go's `MST` prints it. */
  abbrevAt(ns: bigint): string;
}

export function fixedZone(name: string, offset: number): Zone {
  return { name, offsetAt: () => offset, abbrevAt: () => name };
}

export const UTC = fixedZone('UTC', 0);

function offsetText(offset: number): string {
  const sign = offset < 0 ? '-' : '+';
  const a = Math.abs(offset);
  const h = Math.floor(a / 3600);
  const m = Math.floor((a % 3600) / 60);
  return `${sign}${String(h).padStart(2, '0')}${m ? String(m).padStart(2, '0') : ''}`;
}

const zoneCache = new Map<string, Zone>();
const ZONE_CACHE_MAX = 64;

/** A zone by IANA name; throws GoTimeError(`unknown time zone X`) for names Intl does not know. */
export function loadZone(name: string): Zone {
  if (name === '' || name === 'UTC') return UTC;
  const hit = zoneCache.get(name);
  if (hit) return hit;
  let fmt: Intl.DateTimeFormat;
  let abbrev: Intl.DateTimeFormat;
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
      era: 'short',
    });
    abbrev = new Intl.DateTimeFormat('en-US', { timeZone: name, timeZoneName: 'short' });
  } catch {
    throw new GoTimeError(`unknown time zone ${name}`);
  }
  const offsetAt = (ns: bigint): number => {
    const ms = Number(floorDiv(ns, 1_000_000n));
    const secMs = Math.floor(ms / 1000) * 1000;
    const parts: Record<string, string> = {};
    for (const p of fmt.formatToParts(new Date(secMs))) parts[p.type] = p.value;
    let y = Number(parts.year);
    if (parts.era === 'BC' || parts.era === 'B') y = 1 - y;
    const local = daysFromCivil(y, Number(parts.month), Number(parts.day)) * 86400 + Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second);
    return local - secMs / 1000;
  };
  const zone: Zone = {
    name,
    offsetAt,
    abbrevAt: (ns) => {
      const ms = Number(floorDiv(ns, 1_000_000n));
      const part = abbrev.formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')?.value ?? '';
      return /^[A-Z]{3,5}$/.test(part) ? part : offsetText(offsetAt(ns));
    },
  };
  if (zoneCache.size >= ZONE_CACHE_MAX) zoneCache.delete(zoneCache.keys().next().value as string);
  zoneCache.set(name, zone);
  return zone;
}

// ---------------------------------------------------------------------------------------------
// Civil fields of an instant in a zone

export interface Civil {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  nanos: number;
  /** 0 = Sunday. */
  weekday: number;
  yday: number;
  offset: number;
  abbrev: string;
}

export function civil(ns: bigint, zone: Zone): Civil {
  const offset = zone.offsetAt(ns);
  const local = ns + BigInt(offset) * NS_PER_SEC;
  const days = floorDiv(local, NS_PER_DAY);
  const rem = local - days * NS_PER_DAY;
  const d = Number(days);
  const [year, month, day] = civilFromDays(d);
  const secs = Number(rem / NS_PER_SEC);
  return {
    year,
    month,
    day,
    hour: Math.floor(secs / 3600),
    minute: Math.floor((secs % 3600) / 60),
    second: secs % 60,
    nanos: Number(rem % NS_PER_SEC),
    weekday: (((d + 4) % 7) + 7) % 7,
    yday: d - daysFromCivil(year, 1, 1) + 1,
    offset,
    abbrev: zone.abbrevAt(ns),
  };
}

/** Go's time.Date: fields may overflow and are normalised; the zone offset is the one in effect then. */
export function fromCivil(y: number, mo: number, d: number, h: number, mi: number, s: number, nanos: number, zone: Zone): bigint {
  const m0 = mo - 1;
  const yy = y + Math.floor(m0 / 12);
  const mm = (((m0 % 12) + 12) % 12) + 1;
  const days = BigInt(daysFromCivil(yy, mm, 1) + d - 1);
  const local = days * NS_PER_DAY + BigInt(h) * 3600n * NS_PER_SEC + BigInt(mi) * 60n * NS_PER_SEC + BigInt(s) * NS_PER_SEC + BigInt(nanos);
  const off1 = zone.offsetAt(local);
  let t = local - BigInt(off1) * NS_PER_SEC;
  const off2 = zone.offsetAt(t);
  if (off2 !== off1) t = local - BigInt(off2) * NS_PER_SEC;
  return t;
}

// ---------------------------------------------------------------------------------------------
// Layouts

export const LAYOUTS: Record<string, string> = {
  ANSIC: 'Mon Jan _2 15:04:05 2006',
  UnixDate: 'Mon Jan _2 15:04:05 MST 2006',
  RubyDate: 'Mon Jan 02 15:04:05 -0700 2006',
  RFC822: '02 Jan 06 15:04 MST',
  RFC822Z: '02 Jan 06 15:04 -0700',
  RFC850: 'Monday, 02-Jan-06 15:04:05 MST',
  RFC1123: 'Mon, 02 Jan 2006 15:04:05 MST',
  RFC1123Z: 'Mon, 02 Jan 2006 15:04:05 -0700',
  RFC3339: '2006-01-02T15:04:05Z07:00',
  RFC3339Nano: '2006-01-02T15:04:05.999999999Z07:00',
};

type Std =
  | 'LongMonth' | 'Month' | 'NumMonth' | 'ZeroMonth' | 'LongWeekDay' | 'WeekDay'
  | 'Day' | 'UnderDay' | 'ZeroDay' | 'UnderYearDay' | 'ZeroYearDay'
  | 'Hour' | 'Hour12' | 'ZeroHour12' | 'Minute' | 'ZeroMinute' | 'Second' | 'ZeroSecond'
  | 'LongYear' | 'Year' | 'PM' | 'pm' | 'TZ'
  | 'ISO8601TZ' | 'ISO8601SecondsTZ' | 'ISO8601ShortTZ' | 'ISO8601ColonTZ' | 'ISO8601ColonSecondsTZ'
  | 'NumTZ' | 'NumSecondsTz' | 'NumShortTZ' | 'NumColonTZ' | 'NumColonSecondsTZ'
  | 'Frac0' | 'Frac9';

type Chunk = { lit: string } | { std: Std; text: string; digits?: number; sep?: string };

const ZERO_STD: Std[] = ['ZeroMonth', 'ZeroDay', 'ZeroHour12', 'ZeroMinute', 'ZeroSecond', 'Year'];
const TZ_FORMS: Array<[string, Std]> = [
  ['070000', 'NumSecondsTz'],
  ['07:00:00', 'NumColonSecondsTZ'],
  ['0700', 'NumTZ'],
  ['07:00', 'NumColonTZ'],
  ['07', 'NumShortTZ'],
];
const ISO_OF: Partial<Record<Std, Std>> = {
  NumSecondsTz: 'ISO8601SecondsTZ',
  NumColonSecondsTZ: 'ISO8601ColonSecondsTZ',
  NumTZ: 'ISO8601TZ',
  NumColonTZ: 'ISO8601ColonTZ',
  NumShortTZ: 'ISO8601ShortTZ',
};

const lowerStart = (s: string): boolean => s.length > 0 && s[0] >= 'a' && s[0] <= 'z';
const digitAt = (s: string, i: number): boolean => i < s.length && s[i] >= '0' && s[i] <= '9';

/** Splits a layout into literal text and standard chunks, as Go's nextStdChunk does. */
export function tokenizeLayout(layout: string): Chunk[] {
  const out: Chunk[] = [];
  let lit = '';
  const emit = (std: Std, len: number, extra?: { digits?: number; sep?: string }): number => {
    if (lit) out.push({ lit });
    lit = '';
    out.push({ std, text: '', ...extra });
    return len;
  };
  let i = 0;
  while (i < layout.length) {
    const rest = layout.slice(i);
    const c = rest[0];
    let n = 0;
    if (c === 'J' && rest.startsWith('Jan')) {
      if (rest.startsWith('January')) n = emit('LongMonth', 7);
      else if (!lowerStart(rest.slice(3))) n = emit('Month', 3);
    } else if (c === 'M' && rest.length >= 3) {
      if (rest.startsWith('Mon')) {
        if (rest.startsWith('Monday')) n = emit('LongWeekDay', 6);
        else if (!lowerStart(rest.slice(3))) n = emit('WeekDay', 3);
      }
      if (!n && rest.startsWith('MST')) n = emit('TZ', 3);
    } else if (c === '0') {
      if (rest.length >= 2 && rest[1] >= '1' && rest[1] <= '6') n = emit(ZERO_STD[rest.charCodeAt(1) - 49], 2);
      else if (rest.startsWith('002')) n = emit('ZeroYearDay', 3);
    } else if (c === '1') {
      n = rest[1] === '5' ? emit('Hour', 2) : emit('NumMonth', 1);
    } else if (c === '2') {
      n = rest.startsWith('2006') ? emit('LongYear', 4) : emit('Day', 1);
    } else if (c === '_') {
      if (rest[1] === '2') {
        if (rest.startsWith('_2006')) {
          lit += '_';
          n = 1 + emit('LongYear', 4);
        } else n = emit('UnderDay', 2);
      } else if (rest.startsWith('__2')) n = emit('UnderYearDay', 3);
    } else if (c === '3' || c === '4' || c === '5') {
      n = emit(c === '3' ? 'Hour12' : c === '4' ? 'Minute' : 'Second', 1);
    } else if (c === 'P' && rest[1] === 'M') {
      n = emit('PM', 2);
    } else if (c === 'p' && rest[1] === 'm') {
      n = emit('pm', 2);
    } else if (c === '-' || c === 'Z') {
      for (const [form, std] of TZ_FORMS) {
        if (rest.startsWith(form, 1)) {
          n = emit(c === 'Z' ? (ISO_OF[std] as Std) : std, form.length + 1);
          break;
        }
      }
    } else if ((c === '.' || c === ',') && (rest[1] === '0' || rest[1] === '9')) {
      let j = 1;
      while (rest[j] === rest[1]) j++;
      if (!digitAt(rest, j)) n = emit(rest[1] === '0' ? 'Frac0' : 'Frac9', j, { digits: j - 1, sep: c });
    }
    if (n) i += n;
    else {
      lit += c;
      i++;
    }
  }
  if (lit) out.push({ lit });
  return out;
}

const LONG_DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const LONG_MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

export function weekdayName(d: number): string {
  return LONG_DAYS[d];
}

const pad = (n: number, w: number, ch = '0'): string => {
  const s = String(Math.abs(n)).padStart(w, ch);
  return n < 0 ? `-${s}` : s;
};

function formatZone(std: Std, offset: number): string {
  if (std.startsWith('ISO') && offset === 0) return 'Z';
  const sign = offset < 0 ? '-' : '+';
  const a = Math.abs(offset);
  const hh = pad(Math.floor(a / 3600), 2);
  const mm = pad(Math.floor((a % 3600) / 60), 2);
  const ss = pad(a % 60, 2);
  switch (std) {
    case 'NumShortTZ':
    case 'ISO8601ShortTZ':
      return `${sign}${hh}`;
    case 'NumTZ':
    case 'ISO8601TZ':
      return `${sign}${hh}${mm}`;
    case 'NumColonTZ':
    case 'ISO8601ColonTZ':
      return `${sign}${hh}:${mm}`;
    case 'NumSecondsTz':
    case 'ISO8601SecondsTZ':
      return `${sign}${hh}${mm}${ss}`;
    default:
      return `${sign}${hh}:${mm}:${ss}`;
  }
}

/** Go's Time.Format. */
export function formatTime(ns: bigint, zone: Zone, layout: string): string {
  const t = civil(ns, zone);
  let out = '';
  for (const ch of tokenizeLayout(layout)) {
    if ('lit' in ch) {
      out += ch.lit;
      continue;
    }
    const h12 = t.hour % 12 === 0 ? 12 : t.hour % 12;
    switch (ch.std) {
      case 'LongMonth': out += LONG_MONTHS[t.month - 1]; break;
      case 'Month': out += LONG_MONTHS[t.month - 1].slice(0, 3); break;
      case 'NumMonth': out += String(t.month); break;
      case 'ZeroMonth': out += pad(t.month, 2); break;
      case 'LongWeekDay': out += LONG_DAYS[t.weekday]; break;
      case 'WeekDay': out += LONG_DAYS[t.weekday].slice(0, 3); break;
      case 'Day': out += String(t.day); break;
      case 'UnderDay': out += pad(t.day, 2, ' '); break;
      case 'ZeroDay': out += pad(t.day, 2); break;
      case 'UnderYearDay': out += pad(t.yday, 3, ' '); break;
      case 'ZeroYearDay': out += pad(t.yday, 3); break;
      case 'Hour': out += pad(t.hour, 2); break;
      case 'Hour12': out += String(h12); break;
      case 'ZeroHour12': out += pad(h12, 2); break;
      case 'Minute': out += String(t.minute); break;
      case 'ZeroMinute': out += pad(t.minute, 2); break;
      case 'Second': out += String(t.second); break;
      case 'ZeroSecond': out += pad(t.second, 2); break;
      case 'LongYear': out += pad(t.year, 4); break;
      case 'Year': out += pad(((t.year % 100) + 100) % 100, 2); break;
      case 'PM': out += t.hour >= 12 ? 'PM' : 'AM'; break;
      case 'pm': out += t.hour >= 12 ? 'pm' : 'am'; break;
      case 'TZ': out += t.abbrev || formatZone('NumTZ', t.offset); break;
      case 'Frac0':
      case 'Frac9': {
        const digits = String(t.nanos).padStart(9, '0').slice(0, ch.digits);
        if (ch.std === 'Frac0') out += `${ch.sep}${digits}`;
        else {
          const trimmed = digits.replace(/0+$/, '');
          if (trimmed) out += `${ch.sep}${trimmed}`;
        }
        break;
      }
      default: out += formatZone(ch.std, t.offset);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parsing

function quote(s: string): string {
  return JSON.stringify(s);
}

/** Go's time.Parse. Returns ns since the epoch as bigint (unbounded; callers range-check). */
export function parseTime(layout: string, value: string, defaultZone: Zone = UTC): bigint {
  const chunks = tokenizeLayout(layout);
  const fail = (valueElem: string, layoutElem: string): never => {
    throw new GoTimeError(`parsing time ${quote(value)} as ${quote(layout)}: cannot parse ${quote(valueElem)} as ${quote(layoutElem)}`);
  };
  const rangeErr = (what: string): never => {
    throw new GoTimeError(`parsing time ${quote(value)}: ${what} out of range`);
  };
  let v = value;
  let year = 0;
  let month = -1;
  let day = -1;
  let yday = -1;
  let hour = 0;
  let min = 0;
  let sec = 0;
  let nanos = 0;
  let pmSet = false;
  let amSet = false;
  let offset: number | undefined;
  const layoutText = (i: number): string => {
    const c = chunks[i];
    return 'lit' in c ? c.lit : stdText(c.std, c.digits, c.sep);
  };
  const num = (fixed: boolean, elem: string): number => {
    if (!digitAt(v, 0)) fail(v, elem);
    if (!digitAt(v, 1)) {
      if (fixed) fail(v, elem);
      const n = Number(v[0]);
      v = v.slice(1);
      return n;
    }
    const n = Number(v.slice(0, 2));
    v = v.slice(2);
    return n;
  };
  const num3 = (fixed: boolean, elem: string): number => {
    let i = 0;
    while (i < 3 && digitAt(v, i)) i++;
    if (i === 0 || (fixed && i !== 3)) fail(v, elem);
    const n = Number(v.slice(0, i));
    v = v.slice(i);
    return n;
  };
  const lookup = (names: string[], elem: string, len?: number): number => {
    for (let k = 0; k < names.length; k++) {
      const name = len ? names[k].slice(0, len) : names[k];
      if (v.length >= name.length && v.slice(0, name.length).toLowerCase() === name.toLowerCase()) {
        v = v.slice(name.length);
        return k;
      }
    }
    return fail(v, elem);
  };
  for (let ci = 0; ci < chunks.length; ci++) {
    const ch = chunks[ci];
    const elem = layoutText(ci);
    if ('lit' in ch) {
      v = skipLiteral(v, ch.lit) ?? fail(v, ch.lit);
      continue;
    }
    switch (ch.std) {
      case 'Year': {
        if (v.length < 2 || !digitAt(v, 0) || !digitAt(v, 1)) fail(v, elem);
        const y = Number(v.slice(0, 2));
        v = v.slice(2);
        year = y >= 69 ? y + 1900 : y + 2000;
        break;
      }
      case 'LongYear':
        if (v.length < 4 || ![0, 1, 2, 3].every((k) => digitAt(v, k))) fail(v, elem);
        year = Number(v.slice(0, 4));
        v = v.slice(4);
        break;
      case 'Month':
        month = lookup(LONG_MONTHS, elem, 3) + 1;
        break;
      case 'LongMonth':
        month = lookup(LONG_MONTHS, elem) + 1;
        break;
      case 'NumMonth':
      case 'ZeroMonth':
        month = num(ch.std === 'ZeroMonth', elem);
        if (month < 1 || month > 12) rangeErr('month');
        break;
      case 'WeekDay':
        lookup(LONG_DAYS, elem, 3);
        break;
      case 'LongWeekDay':
        lookup(LONG_DAYS, elem);
        break;
      case 'Day':
      case 'UnderDay':
      case 'ZeroDay':
        if (ch.std === 'UnderDay' && v[0] === ' ') v = v.slice(1);
        day = num(ch.std === 'ZeroDay', elem);
        break;
      case 'UnderYearDay':
      case 'ZeroYearDay':
        for (let k = 0; k < 2 && ch.std === 'UnderYearDay' && v[0] === ' '; k++) v = v.slice(1);
        yday = num3(ch.std === 'ZeroYearDay', elem);
        if (yday < 1 || yday > 366) rangeErr('day-of-year');
        break;
      case 'Hour':
        hour = num(false, elem);
        if (hour > 23) rangeErr('hour');
        break;
      case 'Hour12':
      case 'ZeroHour12':
        hour = num(ch.std === 'ZeroHour12', elem);
        if (hour > 12) rangeErr('hour');
        break;
      case 'Minute':
      case 'ZeroMinute':
        min = num(ch.std === 'ZeroMinute', elem);
        if (min > 59) rangeErr('minute');
        break;
      case 'Second':
      case 'ZeroSecond': {
        sec = num(ch.std === 'ZeroSecond', elem);
        if (sec > 59) rangeErr('second');
        // A fractional second in the value that the layout does not spell out is accepted.
        const next = chunks[ci + 1];
        if ((v[0] === '.' || v[0] === ',') && digitAt(v, 1) && !(next && 'std' in next && (next.std === 'Frac0' || next.std === 'Frac9'))) {
          let j = 1;
          while (digitAt(v, j)) j++;
          nanos = fracNanos(v.slice(1, j));
          v = v.slice(j);
        }
        break;
      }
      case 'PM':
      case 'pm': {
        const p = v.slice(0, 2).toUpperCase();
        if (p === 'PM') pmSet = true;
        else if (p === 'AM') amSet = true;
        else fail(v, elem);
        v = v.slice(2);
        break;
      }
      case 'TZ': {
        if (v.startsWith('UTC')) {
          v = v.slice(3);
          offset = 0;
          break;
        }
        const m = /^(?:[A-Z]{3,5}|GMT[+-]\d{1,2})/.exec(v);
        if (!m) fail(v, elem);
        v = v.slice((m as RegExpExecArray)[0].length);
        // Go records an unknown abbreviation with a zero offset.
        offset = 0;
        break;
      }
      case 'Frac0': {
        const n = ch.digits as number;
        if (v[0] !== '.' && v[0] !== ',') fail(v, elem);
        const digits = v.slice(1, 1 + n);
        if (digits.length !== n || !/^\d+$/.test(digits)) fail(v, elem);
        nanos = fracNanos(digits);
        v = v.slice(1 + n);
        break;
      }
      case 'Frac9': {
        if ((v[0] === '.' || v[0] === ',') && digitAt(v, 1)) {
          let j = 1;
          while (digitAt(v, j)) j++;
          nanos = fracNanos(v.slice(1, j));
          v = v.slice(j);
        }
        break;
      }
      default: {
        if (ch.std.startsWith('ISO') && v[0] === 'Z') {
          v = v.slice(1);
          offset = 0;
          break;
        }
        const forms: Record<string, RegExp> = {
          Short: /^([+-])(\d\d)/,
          '': /^([+-])(\d\d)(\d\d)/,
          Colon: /^([+-])(\d\d):(\d\d)/,
          Seconds: /^([+-])(\d\d)(\d\d)(\d\d)/,
          ColonSeconds: /^([+-])(\d\d):(\d\d):(\d\d)/,
        };
        const kind = ch.std.includes('ColonSeconds') ? 'ColonSeconds' : ch.std.includes('Colon') ? 'Colon' : ch.std.includes('Seconds') ? 'Seconds' : ch.std.includes('Short') ? 'Short' : '';
        const m = forms[kind].exec(v);
        if (!m) return fail(v, elem);
        const [hh, mm, ss] = [Number(m[2]), Number(m[3] ?? 0), Number(m[4] ?? 0)];
        if (hh > 24 || mm > 60 || ss > 60) rangeErr('time zone offset');
        offset = (m[1] === '-' ? -1 : 1) * (hh * 3600 + mm * 60 + ss);
        v = v.slice(m[0].length);
      }
    }
  }
  if (v !== '') throw new GoTimeError(`parsing time ${quote(value)}: extra text: ${quote(v)}`);
  if (pmSet && hour < 12) hour += 12;
  else if (amSet && hour === 12) hour = 0;
  if (yday >= 0) {
    const leap = isLeap(year);
    if (yday === 366 && !leap) rangeErr('day-of-year');
    let m = 1;
    let d = yday;
    while (d > daysIn(year, m)) {
      d -= daysIn(year, m);
      m++;
    }
    if (month >= 0 && month !== m) rangeErr('day-of-year');
    if (day >= 0 && day !== d) rangeErr('day-of-year');
    month = m;
    day = d;
  } else {
    if (month < 0) month = 1;
    if (day < 0) day = 1;
  }
  if (day < 1 || day > daysIn(year, month)) rangeErr('day');
  if (offset !== undefined) return fromCivil(year, month, day, hour, min, sec, nanos, fixedZone('', offset));
  return fromCivil(year, month, day, hour, min, sec, nanos, defaultZone);
}

function fracNanos(digits: string): number {
  return Number(digits.slice(0, 9).padEnd(9, '0'));
}

/** Go's literal matching in Parse: spaces in the layout match one or more spaces in the value. */
function skipLiteral(v: string, lit: string): string | undefined {
  let i = 0;
  let j = 0;
  while (i < lit.length) {
    if (lit[i] === ' ') {
      if (j < v.length && v[j] !== ' ') return undefined;
      while (lit[i] === ' ') i++;
      while (v[j] === ' ') j++;
      continue;
    }
    if (v[j] !== lit[i]) return undefined;
    i++;
    j++;
  }
  return v.slice(j);
}

function stdText(std: Std, digits?: number, sep?: string): string {
  const text: Partial<Record<Std, string>> = {
    LongMonth: 'January', Month: 'Jan', NumMonth: '1', ZeroMonth: '01', LongWeekDay: 'Monday', WeekDay: 'Mon',
    Day: '2', UnderDay: '_2', ZeroDay: '02', UnderYearDay: '__2', ZeroYearDay: '002', Hour: '15', Hour12: '3',
    ZeroHour12: '03', Minute: '4', ZeroMinute: '04', Second: '5', ZeroSecond: '05', LongYear: '2006', Year: '06',
    PM: 'PM', pm: 'pm', TZ: 'MST', ISO8601TZ: 'Z0700', ISO8601SecondsTZ: 'Z070000', ISO8601ShortTZ: 'Z07',
    ISO8601ColonTZ: 'Z07:00', ISO8601ColonSecondsTZ: 'Z07:00:00', NumTZ: '-0700', NumSecondsTz: '-070000',
    NumShortTZ: '-07', NumColonTZ: '-07:00', NumColonSecondsTZ: '-07:00:00',
  };
  if (std === 'Frac0') return `${sep}${'0'.repeat(digits ?? 0)}`;
  if (std === 'Frac9') return `${sep}${'9'.repeat(digits ?? 0)}`;
  return text[std] ?? std;
}

// ---------------------------------------------------------------------------------------------
// Durations

const UNIT_NS: Record<string, bigint> = {
  ns: 1n,
  us: 1000n,
  'µs': 1000n,
  'μs': 1000n,
  ms: 1_000_000n,
  s: NS_PER_SEC,
  m: 60n * NS_PER_SEC,
  h: 3600n * NS_PER_SEC,
};

/** Go's time.ParseDuration, exact; throws GoTimeError with Go's messages. */
export function parseDuration(text: string): bigint {
  const invalid = (): never => {
    throw new GoTimeError(`time: invalid duration ${quote(text)}`);
  };
  let s = text;
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') invalid();
  let total = 0n;
  while (s !== '') {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s) as RegExpExecArray;
    const intPart = m[1];
    const frac = m[2];
    if (intPart === '' && (frac === undefined || frac === '')) invalid();
    s = s.slice(m[0].length);
    const u = /^[^\d.]+/.exec(s);
    if (!u) throw new GoTimeError(`time: missing unit in duration ${quote(text)}`);
    const unit = UNIT_NS[u[0]];
    if (unit === undefined) throw new GoTimeError(`time: unknown unit ${quote(u[0])} in duration ${quote(text)}`);
    s = s.slice(u[0].length);
    let v = BigInt(intPart || '0') * unit;
    if (frac) v += (BigInt(frac) * unit) / 10n ** BigInt(frac.length);
    total += v;
    if (total > (neg ? -INT64_MIN : INT64_MAX)) invalid();
  }
  return neg ? -total : total;
}
