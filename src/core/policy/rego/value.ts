// Rego values: the seven OPA types, exact numbers, OPA's total ordering and equality, hash keys for
// sets and objects with composite keys, and exact JSON conversion in both directions.

/*
 * Representation (chosen so the hot path is JS primitives):
 *   null · boolean · string            → themselves
 *   number                             → `number` when a safe integer or a non-integer double whose
 *                                        shortest text is the value; `bigint` for integers outside
 *                                        ±(2^53-1); `BigDecimal` for non-integers a double cannot hold
 *   array                              → readonly Value[]
 *   object                             → ObjectValue (any Value as key)
 *   set                                → SetValue
 * Invariants (every constructor here keeps them, so equality of numbers is `===` on primitives):
 *   - an integral number is never a non-safe `number`, never -0, and a `bigint` only outside the safe
 *     range; a `BigDecimal` is never integral and never equal to any double's shortest text.
 * A double stands for its shortest decimal text, as OPA's numbers are decimal texts.
 */

export type RegoNumber = number | bigint | BigDecimal;
export type ArrayValue = readonly Value[];
export type Value = null | boolean | string | RegoNumber | ArrayValue | ObjectValue | SetValue;

export type TypeName = 'null' | 'boolean' | 'number' | 'string' | 'array' | 'object' | 'set';

/** A plain JSON value as produced by JSON.parse (numbers lossy beyond double precision). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

// ---------------------------------------------------------------------------------------------
// Numbers

/** A non-integral decimal that no double represents: value = mant × 10^exp, mant has no trailing 0. */
export class BigDecimal {
  readonly mant: bigint;
  readonly exp: number;
  /** Nearest double, used by float arithmetic. */
  readonly approx: number;
  constructor(mant: bigint, exp: number) {
    this.mant = mant;
    this.exp = exp;
    this.approx = Number(`${mant}e${exp}`);
  }
  /** Canonical decimal text (plain notation for reasonable exponents). */
  toString(): string {
    return decimalText(this.mant, this.exp);
  }
}

const MAX_EXP_DIGITS = 4096;
const SAFE_MAX = BigInt(Number.MAX_SAFE_INTEGER);
const SAFE_MIN = -SAFE_MAX;
const SIMPLE_INT = /^-?\d{1,15}$/;
const NUMBER_TEXT = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

function decimalText(mant: bigint, exp: number): string {
  const neg = mant < 0n;
  let digits = (neg ? -mant : mant).toString();
  if (exp >= 0) {
    if (exp + digits.length > 400) return `${neg ? '-' : ''}${digits}e${exp}`;
    digits += '0'.repeat(exp);
  } else {
    const point = digits.length + exp;
    if (point < -400) return `${neg ? '-' : ''}${digits}e${exp}`;
    digits = point > 0 ? `${digits.slice(0, point)}.${digits.slice(point)}` : `0.${'0'.repeat(-point)}${digits}`;
  }
  return neg ? `-${digits}` : digits;
}

/** Normalises an integer bigint to the canonical representation (number when safe). */
export function intValue(b: bigint): number | bigint {
  return b >= SAFE_MIN && b <= SAFE_MAX ? Number(b) : b;
}

/** (mantissa, exponent) with trailing zeros stripped, or undefined for text that is not a number. */
function splitDecimal(text: string): [bigint, number] | undefined {
  const m = NUMBER_TEXT.exec(text);
  if (!m) return undefined;
  const frac = m[3] ?? '';
  let digits = (m[2] + frac).replace(/^0+/, '');
  let exp = (m[4] ? Number(m[4]) : 0) - frac.length;
  if (digits === '') return [0n, 0];
  let strip = 0;
  while (digits.charCodeAt(digits.length - 1 - strip) === 48) strip++;
  if (strip) digits = digits.slice(0, digits.length - strip);
  exp += strip;
  const mant = BigInt(digits);
  return [m[1] === '-' ? -mant : mant, exp];
}

/**
 * Parses a JSON/Rego number literal exactly. Returns undefined for text that is not a number.
 * Integers become number/bigint whatever their spelling (`10.00`, `1e30`); non-integers become a
 * double when its shortest text has the same value, else a BigDecimal.
 */
export function parseNumber(text: string): RegoNumber | undefined {
  if (SIMPLE_INT.test(text)) {
    const n = Number(text);
    return n === 0 ? 0 : n;
  }
  const split = splitDecimal(text);
  if (!split) return undefined;
  return fromDecimal(split[0], split[1]);
}

function fromDecimal(mant: bigint, exp: number): RegoNumber {
  if (mant === 0n) return 0;
  if (exp >= 0) {
    if (exp + mant.toString().length > MAX_EXP_DIGITS) return new BigDecimal(mant, exp);
    return intValue(mant * 10n ** BigInt(exp));
  }
  const f = Number(`${mant}e${exp}`);
  if (Number.isFinite(f) && f !== 0) {
    const back = splitDecimal(String(f));
    if (back && back[0] === mant && back[1] === exp) return f;
  }
  return new BigDecimal(mant, exp);
}

/** Canonical number from a double result; throws RangeError for NaN/±Infinity (callers map it). */
export function numberFromFloat(f: number): RegoNumber {
  if (!Number.isFinite(f)) throw new RangeError('number is not finite');
  if (Number.isInteger(f)) {
    if (Number.isSafeInteger(f)) return f === 0 ? 0 : f;
    // A double stands for its shortest text: 1e+300 is 10^300, not its binary expansion.
    return parseNumber(String(f)) as RegoNumber;
  }
  return f;
}

export function isNumber(v: Value): v is RegoNumber {
  return typeof v === 'number' || typeof v === 'bigint' || v instanceof BigDecimal;
}

/** True for integral numbers (all ints are number/bigint by the invariants). */
export function isInteger(v: Value): v is number | bigint {
  return typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v));
}

/** Nearest double of a number. */
export function toFloat(n: RegoNumber): number {
  if (typeof n === 'number') return n;
  if (typeof n === 'bigint') return Number(n);
  return n.approx;
}

/** Integer as bigint; undefined for non-integers. */
export function toBigInt(n: RegoNumber): bigint | undefined {
  if (typeof n === 'bigint') return n;
  if (typeof n === 'number' && Number.isInteger(n)) return BigInt(n);
  return undefined;
}

function toDecimalParts(n: RegoNumber): [bigint, number] {
  if (typeof n === 'bigint') return [n, 0];
  if (n instanceof BigDecimal) return [n.mant, n.exp];
  if (Number.isInteger(n)) return [BigInt(n), 0];
  return splitDecimal(String(n)) as [bigint, number];
}

export function compareNumbers(a: RegoNumber, b: RegoNumber): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  const [am, ae] = toDecimalParts(a);
  const [bm, be] = toDecimalParts(b);
  const e = Math.min(ae, be);
  const x = ae === e ? am : am * 10n ** BigInt(ae - e);
  const y = be === e ? bm : bm * 10n ** BigInt(be - e);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Decimal text of a number as OPA prints it (`1e+21` style only for huge/tiny doubles). */
export function numberText(n: RegoNumber): string {
  if (typeof n === 'number') return String(n);
  if (typeof n === 'bigint') return n.toString();
  return n.toString();
}

// ---------------------------------------------------------------------------------------------
// Hash keys

/*
 * keyOf(v) is a Map key such that keyOf(a) === keyOf(b) (SameValueZero) iff equals(a, b).
 * Primitives key as themselves; composites and BigDecimals as "\u0001" + a canonical encoding;
 * strings that themselves begin with "\u0001" are escaped so they cannot collide.
 */
export type ValueKey = null | boolean | number | bigint | string;

const keyCache = new WeakMap<ArrayValue, string>();

export function keyOf(v: Value): ValueKey {
  switch (typeof v) {
    case 'string':
      return v.charCodeAt(0) === 1 ? `\u0001s${v}` : v;
    case 'number':
    case 'bigint':
    case 'boolean':
      return v;
    default:
      if (v === null) return null;
      return `\u0001${encode(v)}`;
  }
}

function encode(v: Value): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
    case 'bigint':
      return `n${v};`;
    case 'boolean':
      return v ? 't' : 'f';
  }
  if (v === null) return 'z';
  if (v instanceof BigDecimal) return `n${v.mant}e${v.exp};`;
  if (v instanceof ObjectValue || v instanceof SetValue) return v.encoded();
  const cached = keyCache.get(v);
  if (cached !== undefined) return cached;
  let s = '[';
  for (const x of v) s += encode(x);
  s += ']';
  keyCache.set(v, s);
  return s;
}

// ---------------------------------------------------------------------------------------------
// Objects and sets

/**
 * An object with arbitrary Value keys. Mutable only while being built (set/delete); callers must
 * not mutate an object after it is shared. Iteration (entries/keys/values) is in OPA's sorted key
 * order, computed once per version.
 */
export class ObjectValue {
  private readonly map = new Map<ValueKey, [Value, Value]>();
  private sorted: Array<readonly [Value, Value]> | undefined;
  private enc: string | undefined;

  constructor(entries?: Iterable<readonly [Value, Value]>) {
    if (entries) for (const [k, v] of entries) this.set(k, v);
  }

  /** An object from string-keyed entries of Values. */
  static fromRecord(rec: Record<string, Value>): ObjectValue {
    const o = new ObjectValue();
    for (const k of Object.keys(rec)) o.set(k, rec[k]);
    return o;
  }

  get size(): number {
    return this.map.size;
  }

  get(key: Value): Value | undefined {
    return this.map.get(keyOf(key))?.[1];
  }

  has(key: Value): boolean {
    return this.map.has(keyOf(key));
  }

  set(key: Value, value: Value): this {
    const k = keyOf(key);
    const cur = this.map.get(k);
    if (cur) cur[1] = value;
    else this.map.set(k, [key, value]);
    this.sorted = undefined;
    this.enc = undefined;
    return this;
  }

  delete(key: Value): boolean {
    const ok = this.map.delete(keyOf(key));
    if (ok) {
      this.sorted = undefined;
      this.enc = undefined;
    }
    return ok;
  }

  /** Entries sorted by key (OPA's iteration order). */
  entries(): ReadonlyArray<readonly [Value, Value]> {
    if (!this.sorted) {
      const arr: Array<readonly [Value, Value]> = [];
      for (const e of this.map.values()) arr.push([e[0], e[1]]);
      arr.sort((a, b) => compare(a[0], b[0]));
      this.sorted = arr;
    }
    return this.sorted;
  }

  keys(): Value[] {
    return this.entries().map((e) => e[0]);
  }

  values(): Value[] {
    return this.entries().map((e) => e[1]);
  }

  /** Entries in insertion order (cheap; for code that does not need OPA's order). */
  unorderedEntries(): IterableIterator<[Value, Value]> {
    return this.map.values();
  }

  copy(): ObjectValue {
    const o = new ObjectValue();
    for (const [k, v] of this.map.values()) o.set(k, v);
    return o;
  }

  /** @internal canonical encoding used by keyOf. */
  encoded(): string {
    if (this.enc === undefined) {
      const parts: string[] = [];
      for (const [k, v] of this.map.values()) parts.push(`${encode(k)}:${encode(v)}`);
      parts.sort();
      this.enc = `{${parts.join(',')}}`;
    }
    return this.enc;
  }
}

/** A set of Values; same mutability contract and iteration order rules as ObjectValue. */
export class SetValue {
  private readonly map = new Map<ValueKey, Value>();
  private sorted: Value[] | undefined;
  private enc: string | undefined;

  constructor(items?: Iterable<Value>) {
    if (items) for (const v of items) this.add(v);
  }

  get size(): number {
    return this.map.size;
  }

  has(v: Value): boolean {
    return this.map.has(keyOf(v));
  }

  /** Adds v; returns false when it was already present. */
  add(v: Value): boolean {
    const k = keyOf(v);
    if (this.map.has(k)) return false;
    this.map.set(k, v);
    this.sorted = undefined;
    this.enc = undefined;
    return true;
  }

  delete(v: Value): boolean {
    const ok = this.map.delete(keyOf(v));
    if (ok) {
      this.sorted = undefined;
      this.enc = undefined;
    }
    return ok;
  }

  /** Elements in OPA's sorted order. */
  values(): readonly Value[] {
    if (!this.sorted) this.sorted = [...this.map.values()].sort(compare);
    return this.sorted;
  }

  unorderedValues(): IterableIterator<Value> {
    return this.map.values();
  }

  /** @internal canonical encoding used by keyOf. */
  encoded(): string {
    if (this.enc === undefined) {
      const parts: string[] = [];
      for (const v of this.map.values()) parts.push(encode(v));
      parts.sort();
      this.enc = `<${parts.join(',')}>`;
    }
    return this.enc;
  }
}

export function isArray(v: Value): v is ArrayValue {
  return Array.isArray(v);
}

export function isObject(v: Value): v is ObjectValue {
  return v instanceof ObjectValue;
}

export function isSet(v: Value): v is SetValue {
  return v instanceof SetValue;
}

// ---------------------------------------------------------------------------------------------
// Types, ordering, equality

export function typeName(v: Value): TypeName {
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'number':
    case 'bigint':
      return 'number';
    case 'boolean':
      return 'boolean';
  }
  if (v === null) return 'null';
  if (v instanceof BigDecimal) return 'number';
  if (v instanceof ObjectValue) return 'object';
  if (v instanceof SetValue) return 'set';
  return 'array';
}

const TYPE_RANK: Record<TypeName, number> = {
  null: 0,
  boolean: 1,
  number: 2,
  string: 3,
  array: 4,
  object: 5,
  set: 6,
};

/** Go string order (UTF-8 bytes, i.e. code points), which differs from UTF-16 order past U+E000. */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys && (xs ? y >= 0xe000 : x >= 0xe000)) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

function compareSeq(a: readonly Value[], b: readonly Value[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = compare(a[i], b[i]);
    if (c !== 0) return c;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

/**
 * OPA's total order: null < boolean < number < string < array < object < set; false < true;
 * numbers by value; strings by code point; arrays and sets (sorted) element-wise then by length;
 * objects pairwise over sorted keys, key before value, then by size.
 */
export function compare(a: Value, b: Value): number {
  if (a === b) return 0;
  const ta = typeName(a);
  const tb = typeName(b);
  if (ta !== tb) return TYPE_RANK[ta] < TYPE_RANK[tb] ? -1 : 1;
  switch (ta) {
    case 'null':
      return 0;
    case 'boolean':
      return a === b ? 0 : a ? 1 : -1;
    case 'number':
      return compareNumbers(a as RegoNumber, b as RegoNumber);
    case 'string':
      return compareStrings(a as string, b as string);
    case 'array':
      return compareSeq(a as ArrayValue, b as ArrayValue);
    case 'set':
      return compareSeq((a as SetValue).values(), (b as SetValue).values());
    case 'object': {
      const x = (a as ObjectValue).entries();
      const y = (b as ObjectValue).entries();
      const n = Math.min(x.length, y.length);
      for (let i = 0; i < n; i++) {
        const ck = compare(x[i][0], y[i][0]);
        if (ck !== 0) return ck;
        const cv = compare(x[i][1], y[i][1]);
        if (cv !== 0) return cv;
      }
      return x.length < y.length ? -1 : x.length > y.length ? 1 : 0;
    }
  }
}

export function equals(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (a instanceof BigDecimal) return b instanceof BigDecimal && a.mant === b.mant && a.exp === b.exp;
  if (a instanceof ObjectValue) {
    if (!(b instanceof ObjectValue) || a.size !== b.size) return false;
    for (const [k, v] of a.unorderedEntries()) {
      const w = b.get(k);
      if (w === undefined || !equals(v, w)) return false;
    }
    return true;
  }
  if (a instanceof SetValue) {
    if (!(b instanceof SetValue) || a.size !== b.size) return false;
    for (const v of a.unorderedValues()) if (!b.has(v)) return false;
    return true;
  }
  if (!Array.isArray(b) || (a as ArrayValue).length !== b.length) return false;
  const x = a as ArrayValue;
  for (let i = 0; i < x.length; i++) if (!equals(x[i], b[i])) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Text and JSON

/** OPA's term syntax (`{"a": 1}`, `[1, 2]`, `{1, 2}`, `set()`), used by sprintf and messages. */
export function formatValue(v: Value): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
    case 'bigint':
      return numberText(v);
    case 'boolean':
      return v ? 'true' : 'false';
  }
  if (v === null) return 'null';
  if (v instanceof BigDecimal) return v.toString();
  if (v instanceof ObjectValue) {
    return `{${v
      .entries()
      .map(([k, x]) => `${formatValue(k)}: ${formatValue(x)}`)
      .join(', ')}}`;
  }
  if (v instanceof SetValue) {
    return v.size === 0 ? 'set()' : `{${v.values().map(formatValue).join(', ')}}`;
  }
  return `[${(v as ArrayValue).map(formatValue).join(', ')}]`;
}

/** Converts a JSON.parse result (or any plain JS data of JSON shape) to a Value. */
export function fromJson(j: unknown): Value {
  switch (typeof j) {
    case 'string':
    case 'boolean':
      return j;
    case 'number':
      return numberFromFloat(j);
    case 'bigint':
      return intValue(j);
    case 'undefined':
      return null;
  }
  if (j === null) return null;
  if (Array.isArray(j)) return j.map(fromJson);
  if (typeof j === 'object' && isValue(j)) return j;
  const o = new ObjectValue();
  for (const k of Object.keys(j as object)) o.set(k, fromJson((j as Record<string, unknown>)[k]));
  return o;
}

function isValue(j: object): j is ObjectValue | SetValue | BigDecimal {
  return j instanceof ObjectValue || j instanceof SetValue || j instanceof BigDecimal;
}

/**
 * Object key as OPA writes it in JSON (ast.JSON): strings as-is, any other key as its compact JSON
 * text ({3: 4} → {"3": 4}, {[1, "a"]: x} → {"[1,\"a\"]": x}), with Go's HTML escaping of <, > and &.
 */
function jsonKey(k: Value): string {
  if (typeof k === 'string') return k;
  return writeJson(k, 0, '').replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * An object's entries under their JSON keys, sorted as Go's encoder sorts map keys. Keys that
 * collide once written ({1: "a", "1": "b"}) keep the value of the later key in OPA's order, as the
 * Go map OPA builds does.
 */
function jsonEntries(v: ObjectValue): Array<readonly [string, Value]> {
  const byKey = new Map<string, Value>();
  for (const [k, x] of v.entries()) byKey.set(jsonKey(k), x);
  return [...byKey.entries()].sort((a, b) => compareStrings(a[0], b[0]));
}

/**
 * Plain JSON for a Value: sets become arrays in sorted order, object keys sorted. Numbers beyond
 * double precision are rounded; use toJsonText for exact output.
 */
export function toJson(v: Value): Json {
  switch (typeof v) {
    case 'string':
    case 'boolean':
    case 'number':
      return v;
    case 'bigint':
      return Number(v);
  }
  if (v === null) return null;
  if (v instanceof BigDecimal) return v.approx;
  if (v instanceof ObjectValue) {
    const out: { [key: string]: Json } = {};
    for (const [k, x] of jsonEntries(v)) out[k] = toJson(x);
    return out;
  }
  if (v instanceof SetValue) return v.values().map(toJson);
  return (v as ArrayValue).map(toJson);
}

/** Exact JSON text (compact, or indented by `indent` spaces), keys sorted, sets as sorted arrays. */
export function toJsonText(v: Value, indent = 0): string {
  return writeJson(v, indent, '');
}

function writeJson(v: Value, indent: number, pad: string): string {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      return JSON.stringify(v);
    case 'bigint':
      return v.toString();
  }
  if (v === null) return 'null';
  if (v instanceof BigDecimal) return v.toString();
  const inner = indent ? pad + ' '.repeat(indent) : '';
  const nl = indent ? '\n' : '';
  const sep = indent ? ': ' : ':';
  let items: string[];
  let open: string;
  let close: string;
  if (v instanceof ObjectValue) {
    items = jsonEntries(v).map(([k, x]) => `${inner}${JSON.stringify(k)}${sep}${writeJson(x, indent, inner)}`);
    open = '{';
    close = '}';
  } else {
    const arr = v instanceof SetValue ? v.values() : (v as ArrayValue);
    items = arr.map((x) => `${inner}${writeJson(x, indent, inner)}`);
    open = '[';
    close = ']';
  }
  if (items.length === 0) return open + close;
  return `${open}${nl}${items.join(`,${nl}`)}${nl}${indent ? pad : ''}${close}`;
}

export class JsonSyntaxError extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} at offset ${offset}`);
    this.name = 'JsonSyntaxError';
    this.offset = offset;
  }
}

/**
 * Parses JSON text straight to Values, keeping every number exact (JSON.parse would round
 * 12345678901234567890). Throws JsonSyntaxError on malformed input.
 */
export function parseJson(text: string): Value {
  let i = 0;
  const n = text.length;
  const ws = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };
  const fail = (msg: string): never => {
    throw new JsonSyntaxError(msg, i);
  };
  const str = (): string => {
    const start = ++i;
    let simple = true;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 34) break;
      if (c === 92) {
        simple = false;
        i += 2;
        continue;
      }
      if (c < 32) fail('control character in string');
      i++;
    }
    if (i >= n) fail('unterminated string');
    const raw = text.slice(start, i);
    i++;
    if (simple) return raw;
    try {
      return JSON.parse(`"${raw}"`) as string;
    } catch {
      return fail('invalid string escape');
    }
  };
  const NUM = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const value = (depth: number): Value => {
    if (depth > 10_000) fail('nesting too deep');
    ws();
    const c = text.charCodeAt(i);
    if (c === 34) return str();
    if (c === 123) {
      i++;
      const o = new ObjectValue();
      ws();
      if (text.charCodeAt(i) === 125) {
        i++;
        return o;
      }
      for (;;) {
        ws();
        if (text.charCodeAt(i) !== 34) fail('expected string key');
        const k = str();
        ws();
        if (text.charCodeAt(i) !== 58) fail("expected ':'");
        i++;
        o.set(k, value(depth + 1));
        ws();
        const d = text.charCodeAt(i++);
        if (d === 125) return o;
        if (d !== 44) fail("expected ',' or '}'");
      }
    }
    if (c === 91) {
      i++;
      const a: Value[] = [];
      ws();
      if (text.charCodeAt(i) === 93) {
        i++;
        return a;
      }
      for (;;) {
        a.push(value(depth + 1));
        ws();
        const d = text.charCodeAt(i++);
        if (d === 93) return a;
        if (d !== 44) fail("expected ',' or ']'");
      }
    }
    if (text.startsWith('true', i)) {
      i += 4;
      return true;
    }
    if (text.startsWith('false', i)) {
      i += 5;
      return false;
    }
    if (text.startsWith('null', i)) {
      i += 4;
      return null;
    }
    NUM.lastIndex = i;
    const m = NUM.exec(text);
    if (!m) return fail('unexpected character');
    i += m[0].length;
    return parseNumber(m[0]) as RegoNumber;
  };
  const v = value(0);
  ws();
  if (i < n) fail('unexpected trailing data');
  return v;
}
