// Unit builtins: units.parse (SI and binary SI suffixes, `m` = milli as OPA's float 0.001, exact
// rational result) and units.parse_bytes (byte suffixes, case-insensitive, truncated to an
// integer), with OPA's number/unit split and error messages.

import { intValue, parseNumber, type RegoNumber } from '../value.js';
import { str } from './args.js';
import { T, builtinError, defaultRegistry, type BuiltinDefinition } from './registry.js';

const MAX_EXPONENT_DIGITS = 6;
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/** OPA's split of `10.5e3Ki` into number text and unit; undefined when the exponent is too long. */
function splitNumUnit(s: string): [string, string] | undefined {
  let first = -1;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (!isDigit(c) && c !== '.' && c !== 'e' && c !== 'E' && c !== '+' && c !== '-') {
      first = i;
      break;
    }
    if (c === 'e' || c === 'E') {
      const n = s[i + 1];
      if (i === s.length - 1 || (!isDigit(n) && n !== '+' && n !== '-')) {
        first = i;
        break;
      }
      if (n === '+' || n === '-') i++;
      let end = i + 1;
      while (isDigit(s[end])) end++;
      if (end - (i + 1) > MAX_EXPONENT_DIGITS) return undefined;
    }
  }
  if (first === -1) return [s, ''];
  if (first === 0) return ['', s];
  return [s.slice(0, first), s.slice(first)];
}

/** Exact value of decimal text as mantissa × 10^exp, or undefined when it is not a number. */
function decimal(text: string): [bigint, number] | undefined {
  const m = DECIMAL.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  const frac = m[3] ?? '';
  const mant = BigInt(`${m[2]}${frac}` || '0');
  return [m[1] === '-' ? -mant : mant, (m[4] ? Number(m[4]) : 0) - frac.length];
}

const pow10 = (n: number): bigint => 10n ** BigInt(n);

/** num / den as a number: exact when integral, else rounded to 10 decimals (big.Rat's FloatString(10)). */
function ratio(num: bigint, den: bigint, truncate: boolean): RegoNumber {
  if (num % den === 0n || truncate) return intValue(num / den);
  const neg = num < 0n;
  const abs = neg ? -num : num;
  const q = (abs * pow10(10) * 2n + den) / (2n * den);
  const digits = q.toString().padStart(11, '0');
  const text = `${neg ? '-' : ''}${digits.slice(0, -10)}.${digits.slice(-10)}`;
  return parseNumber(text) as RegoNumber;
}

/** mant × 10^exp × num / den. */
function scaled(mant: bigint, exp: number, num: bigint, den: bigint, truncate: boolean): RegoNumber {
  return exp >= 0 ? ratio(mant * num * pow10(exp), den, truncate) : ratio(mant * num, den * pow10(-exp), truncate);
}

/**
 * OPA's milli multiplier is big.Rat.SetFloat64(0.001): the double nearest 1/1000, exactly
 * 1152921504606847 / 2^60, so large milli amounts carry its error ("123456789012m" is
 * 123456789.0120000026 in OPA, not 123456789.012).
 */
const MILLI: [bigint, bigint] = [1152921504606847n, 1n << 60n];

const SI: Record<string, bigint> = { k: 1000n, m: 1000n ** 2n, g: 1000n ** 3n, t: 1000n ** 4n, p: 1000n ** 5n, e: 1000n ** 6n };
const BIN: Record<string, bigint> = { k: 1n << 10n, m: 1n << 20n, g: 1n << 30n, t: 1n << 40n, p: 1n << 50n, e: 1n << 60n };

function parseAmount(name: string, raw: string, bytes: boolean): RegoNumber {
  const s = (bytes ? raw.toLowerCase() : raw).replaceAll('"', '');
  const what = bytes ? 'byte amount' : 'amount';
  if (s.includes(' ')) throw builtinError(name, 'spaces not allowed in resource strings');
  const split = splitNumUnit(s);
  if (!split) throw builtinError(name, 'exponent too large');
  const [numText, unitText] = split;
  if (numText === '') throw builtinError(name, `no ${what} provided`);
  let mult: bigint;
  let milli = false;
  if (bytes) {
    const u = /^([kmgtpe])(i?)b?$/.exec(unitText);
    if (unitText === '') mult = 1n;
    else if (u) mult = (u[2] ? BIN : SI)[u[1]];
    else throw builtinError(name, `byte unit ${unitText} not recognized`);
  } else {
    // Only the first letter is case-sensitive, so `m` (milli) and `M` (mega) differ.
    const unit = unitText.length > 1 ? unitText[0] + unitText.slice(1).toLowerCase() : unitText;
    const u = /^([kKmMgGtTpPeE])(i?)$/.exec(unit);
    if (unit === '') mult = 1n;
    else if (unit === 'm') {
      mult = 1n;
      milli = true;
    } else if (u && (u[2] !== '' || u[1] !== 'm')) mult = (u[2] ? BIN : SI)[u[1].toLowerCase()];
    else throw builtinError(name, `unit ${unit} not recognized`);
  }
  const d = decimal(numText);
  if (!d) throw builtinError(name, `could not parse ${what} to a number`);
  const [num, den] = milli ? MILLI : [mult, 1n];
  return scaled(d[0], d[1], num, den, bytes);
}

export const unitsBuiltins: BuiltinDefinition[] = [
  {
    name: 'units.parse',
    args: [T.string],
    result: T.number,
    impl: (args) => parseAmount('units.parse', str('units.parse', args, 0), false),
  },
  {
    name: 'units.parse_bytes',
    args: [T.string],
    result: T.number,
    impl: (args) => parseAmount('units.parse_bytes', str('units.parse_bytes', args, 0), true),
  },
];

defaultRegistry.registerAll(unitsBuiltins);
