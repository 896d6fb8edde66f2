// String builtins: concat, contains, affixes, case, split/replace, the trim family, index and
// substring (in code points, as OPA counts), format_int, sprintf, strings.render_template (Go's
// text/template, see go-template.ts) and the strings.* helpers.

import {
  BigDecimal,
  ObjectValue,
  SetValue,
  formatValue,
  isInteger,
  isNumber,
  numberText,
  toFloat,
  typeName,
  type ArrayValue,
  type Value,
} from '../value.js';
import { arr, int, num, obj, str, strings } from './args.js';
import { goSprintf, type GoArg } from './go-format.js';
import { GoNumber, NIL, TemplateError, executeTemplate, type GoValue } from './go-template.js';
import { T, builtinError, defaultRegistry, operandTypeError, typeError, type BuiltinDefinition } from './registry.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** OPA's conversion of a sprintf argument to the Go value it formats. */
export function toGoArg(v: Value): GoArg {
  if (typeof v === 'string') return { kind: 'string', value: v };
  if (typeof v === 'number' || typeof v === 'bigint') {
    if (isInteger(v)) {
      const b = BigInt(v);
      return { kind: b >= INT64_MIN && b <= INT64_MAX ? 'int' : 'bigint', value: b };
    }
    return { kind: 'float', value: v as number };
  }
  if (v instanceof BigDecimal) return { kind: 'float', value: v.approx };
  return { kind: 'string', value: formatValue(v) };
}

function codePoints(s: string): string[] {
  return [...s];
}

/** Go's strings.Trim family: cutset is a set of code points. */
function trimSet(s: string, cutset: string, left: boolean, right: boolean): string {
  const cut = new Set(codePoints(cutset));
  const cps = codePoints(s);
  let a = 0;
  let b = cps.length;
  if (left) while (a < b && cut.has(cps[a])) a++;
  if (right) while (b > a && cut.has(cps[b - 1])) b--;
  return cps.slice(a, b).join('');
}

/** Code-point index of the first occurrence of sub at or after UTF-16 offset `from`. */
function cpIndex(s: string, utf16: number): number {
  let n = 0;
  for (let i = 0; i < utf16; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++;
  }
  return n;
}

/** Go's strings.Count: non-overlapping; an empty needle counts code points + 1. */
function countOf(s: string, sub: string): number {
  if (sub === '') return codePoints(s).length + 1;
  let n = 0;
  for (let i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + sub.length)) n++;
  return n;
}

/** A string, or the strings of an array/set, for any_prefix_match and any_suffix_match. */
function stringOrStrings(name: string, args: Value[], i: number): string[] {
  const v = args[i];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) || v instanceof SetValue) {
    const xs = Array.isArray(v) ? (v as ArrayValue) : v.values();
    return xs.map((x) => {
      if (typeof x !== 'string') {
        throw typeError(name, `operand ${i + 1} must be ${typeName(v)} of strings but got ${typeName(v)} containing ${typeName(x)}`);
      }
      return x;
    });
  }
  throw operandTypeError(name, i + 1, v, 'string', 'set', 'array');
}

/** indexof/indexof_n's search string: OPA refuses an empty one ("empty search character"). */
function needle(name: string, args: Value[]): string {
  const sub = str(name, args, 1);
  if (sub === '') throw builtinError(name, 'empty search character');
  return sub;
}

/**
 * A value as OPA hands it to text/template: its Rego text decoded as JSON into Go values (objects
 * → map[string]any, arrays → []any, numbers → json.Number, null → nil). Sets and non-string keys
 * are not JSON, so decoding fails with encoding/json's complaint about the first such character.
 */
function templateData(v: Value): GoValue {
  if (v === null) return NIL;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (isNumber(v)) return new GoNumber(numberText(v));
  if (Array.isArray(v)) return (v as ArrayValue).map(templateData);
  if (v instanceof ObjectValue) {
    const m = new Map<string, GoValue>();
    for (const [k, x] of v.entries()) {
      if (typeof k !== 'string') throw builtinError('strings.render_template', `invalid character '${formatValue(k)[0]}' looking for beginning of object key string`);
      m.set(k, templateData(x));
    }
    return m;
  }
  const items = (v as SetValue).values();
  if (items.length === 0) throw builtinError('strings.render_template', "invalid character 's' looking for beginning of value");
  if (typeof items[0] === 'string') throw builtinError('strings.render_template', `invalid character '${items.length > 1 ? ',' : '}'}' after object key`);
  throw builtinError('strings.render_template', `invalid character '${formatValue(items[0])[0]}' looking for beginning of object key string`);
}

function split(s: string, d: string): string[] {
  return d === '' ? codePoints(s) : s.split(d);
}

function s1(name: string, fn: (s: string) => Value): BuiltinDefinition {
  return { name, args: [T.string], result: T.string, impl: (args) => fn(str(name, args, 0)) };
}

function s2(name: string, result: typeof T.string | typeof T.boolean | typeof T.number, fn: (a: string, b: string) => Value): BuiltinDefinition {
  return { name, args: [T.string, T.string], result, impl: (args) => fn(str(name, args, 0), str(name, args, 1)) };
}

export const stringBuiltins: BuiltinDefinition[] = [
  {
    name: 'concat',
    args: [T.string, T.union(T.array(T.string), T.set(T.string))],
    result: T.string,
    impl: (args) => {
      const sep = str('concat', args, 0);
      return strings('concat', args, 1).join(sep);
    },
  },
  s2('contains', T.boolean, (a, b) => a.includes(b)),
  s2('startswith', T.boolean, (a, b) => a.startsWith(b)),
  s2('endswith', T.boolean, (a, b) => a.endsWith(b)),
  s1('lower', (s) => s.toLowerCase()),
  s1('upper', (s) => s.toUpperCase()),
  s1('trim_space', (s) => s.replace(/^[\s\u0085]+|[\s\u0085]+$/g, '')),
  s1('strings.reverse', (s) => codePoints(s).reverse().join('')),
  s2('trim', T.string, (s, c) => trimSet(s, c, true, true)),
  s2('trim_left', T.string, (s, c) => trimSet(s, c, true, false)),
  s2('trim_right', T.string, (s, c) => trimSet(s, c, false, true)),
  s2('trim_prefix', T.string, (s, p) => (s.startsWith(p) ? s.slice(p.length) : s)),
  s2('trim_suffix', T.string, (s, p) => (p !== '' && s.endsWith(p) ? s.slice(0, s.length - p.length) : s)),
  {
    name: 'split',
    args: [T.string, T.string],
    result: T.array(T.string),
    impl: (args) => split(str('split', args, 0), str('split', args, 1)),
  },
  {
    name: 'strings.split_n',
    args: [T.string, T.string, T.number],
    result: T.array(T.string),
    impl: (args) => {
      // First n parts for n > 0, last |n| parts for n < 0, none for 0.
      const parts = split(str('strings.split_n', args, 0), str('strings.split_n', args, 1));
      const n = int('strings.split_n', args, 2);
      if (n === 0) return [];
      return n > 0 ? parts.slice(0, n) : parts.slice(Math.max(0, parts.length + n));
    },
  },
  {
    name: 'replace',
    args: [T.string, T.string, T.string],
    result: T.string,
    impl: (args) => str('replace', args, 0).replaceAll(str('replace', args, 1), str('replace', args, 2)),
  },
  {
    name: 'strings.replace_n',
    args: [T.object(T.string, T.string), T.string],
    result: T.string,
    impl: (args) => {
      // Go's strings.NewReplacer: at each position the first matching old string (in sorted
      // key order, as OPA passes them) wins; replacements do not rescan.
      const patterns = obj('strings.replace_n', args, 0);
      const s = str('strings.replace_n', args, 1);
      const pairs: Array<[string, string]> = [];
      for (const [k, v] of patterns.entries()) {
        if (typeof k !== 'string') throw operandTypeError('strings.replace_n', 1, k, 'string');
        if (typeof v !== 'string') throw operandTypeError('strings.replace_n', 1, v, 'string');
        pairs.push([k, v]);
      }
      let out = '';
      let i = 0;
      outer: while (i <= s.length) {
        for (const [k, v] of pairs) {
          if (k === '' ? true : s.startsWith(k, i)) {
            if (k === '') {
              out += v + (i < s.length ? s[i] : '');
              i++;
            } else {
              out += v;
              i += k.length;
            }
            continue outer;
          }
        }
        if (i < s.length) out += s[i];
        i++;
      }
      return out;
    },
  },
  {
    name: 'indexof',
    args: [T.string, T.string],
    result: T.number,
    impl: (args) => {
      const s = str('indexof', args, 0);
      const i = s.indexOf(needle('indexof', args));
      return i < 0 ? -1 : cpIndex(s, i);
    },
  },
  {
    name: 'indexof_n',
    args: [T.string, T.string],
    result: T.array(T.number),
    impl: (args) => {
      const s = str('indexof_n', args, 0);
      const sub = needle('indexof_n', args);
      const out: Value[] = [];
      for (let i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + 1)) out.push(cpIndex(s, i));
      return out;
    },
  },
  {
    name: 'substring',
    args: [T.string, T.number, T.number],
    result: T.string,
    impl: (args) => {
      const cps = codePoints(str('substring', args, 0));
      const start = int('substring', args, 1);
      const len = int('substring', args, 2);
      if (start < 0) throw builtinError('substring', 'negative offset');
      if (start >= cps.length) return '';
      return (len < 0 ? cps.slice(start) : cps.slice(start, start + len)).join('');
    },
  },
  {
    name: 'format_int',
    args: [T.number, T.number],
    result: T.string,
    impl: (args) => {
      const n = num('format_int', args, 0);
      const base = num('format_int', args, 1);
      if (base !== 2 && base !== 8 && base !== 10 && base !== 16) throw typeError('format_int', 'operand 2 must be one of {2, 8, 10, 16}');
      // Go's big.Float.Int: truncation toward zero (-10.9 → -10).
      const i = typeof n === 'bigint' ? n : BigInt(Math.trunc(toFloat(n)));
      return i.toString(base);
    },
  },
  {
    name: 'strings.count',
    args: [T.string, T.string],
    result: T.number,
    impl: (args) => countOf(str('strings.count', args, 0), str('strings.count', args, 1)),
  },
  {
    name: 'strings.any_prefix_match',
    args: [T.union(T.string, T.array(T.string), T.set(T.string)), T.union(T.string, T.array(T.string), T.set(T.string))],
    result: T.boolean,
    impl: (args) => {
      const xs = stringOrStrings('strings.any_prefix_match', args, 0);
      const ps = stringOrStrings('strings.any_prefix_match', args, 1);
      return xs.some((x) => ps.some((p) => x.startsWith(p)));
    },
  },
  {
    name: 'strings.any_suffix_match',
    args: [T.union(T.string, T.array(T.string), T.set(T.string)), T.union(T.string, T.array(T.string), T.set(T.string))],
    result: T.boolean,
    impl: (args) => {
      const xs = stringOrStrings('strings.any_suffix_match', args, 0);
      const ps = stringOrStrings('strings.any_suffix_match', args, 1);
      return xs.some((x) => ps.some((p) => x.endsWith(p)));
    },
  },
  {
    // Missing keys print Go's "<no value>", which OPA rewrites to "<undefined>" (not an error).
    name: 'strings.render_template',
    args: [T.string, T.object(T.string, T.any)],
    result: T.string,
    impl: (args) => {
      const src = str('strings.render_template', args, 0);
      const data = templateData(obj('strings.render_template', args, 1));
      try {
        return executeTemplate(src, data).replaceAll('<no value>', '<undefined>');
      } catch (e) {
        if (e instanceof TemplateError) throw builtinError('strings.render_template', e.message);
        throw e;
      }
    },
  },
  {
    name: 'sprintf',
    args: [T.string, T.array()],
    result: T.string,
    impl: (args) => goSprintf(str('sprintf', args, 0), arr('sprintf', args, 1).map(toGoArg)),
  },
];

defaultRegistry.registerAll(stringBuiltins);
