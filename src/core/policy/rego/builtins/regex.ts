// Regex builtins with Go's RE2 semantics (via re2js, linear time on any input): regex.match and its
// deprecated alias re_match, is_valid, find_n, find_all_string_submatch_n, replace (Go's $-template
// expansion), split, template_match and globs_match; plus the bounded compiled-pattern cache that
// glob.match shares.

import { RE2JS } from 're2js';
import { type Value } from '../value.js';
import { int, str } from './args.js';
import { globsIntersect } from './glob-intersect.js';
import { T, builtinError, defaultRegistry, type BuiltinDefinition } from './registry.js';

/** Compiled patterns (and compile failures) keyed by pattern text; least recently used evicted. */
const CACHE_MAX = 256;
const cache = new Map<string, RE2JS | string>();

/**
 * Compiles `pattern` with Go regexp syntax, memoised. Throws `name: error parsing regexp: …`
 * (eval_builtin_error) for an invalid pattern.
 */
export function compileRegex(name: string, pattern: string): RE2JS {
  let hit = cache.get(pattern);
  if (hit !== undefined) {
    cache.delete(pattern);
    cache.set(pattern, hit);
  } else {
    try {
      hit = RE2JS.compile(pattern);
    } catch (e) {
      hit = e instanceof Error ? e.message : String(e);
    }
    if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value as string);
    cache.set(pattern, hit);
  }
  if (typeof hit === 'string') throw builtinError(name, hit);
  return hit;
}

/** Go's FindAll*Index: up to n (all when n < 0) non-overlapping matches with group offsets (-1 = unset). */
function findAll(re: RE2JS, s: string, n: number): number[][] {
  if (n === 0) return [];
  const out = re.re2().findAllSubmatchIndex(s, n < 0 ? -1 : n) as number[][] | null;
  return out ?? [];
}

function group(s: string, m: readonly number[], g: number): string {
  const a = m[2 * g];
  return a === undefined || a < 0 ? '' : s.slice(a, m[2 * g + 1]);
}

const NAME_CHAR = /[A-Za-z0-9_]/;

/** Go's Regexp.Expand: `$n`, `${n}`, `$name`, `${name}`, `$$`; unknown groups expand to ''. */
function expand(re: RE2JS, template: string, s: string, m: readonly number[]): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const d = template.indexOf('$', i);
    if (d < 0) {
      out += template.slice(i);
      break;
    }
    out += template.slice(i, d);
    i = d + 1;
    if (template[i] === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string | undefined;
    if (template[i] === '{') {
      const close = template.indexOf('}', i + 1);
      const inner = close < 0 ? '' : template.slice(i + 1, close);
      if (inner !== '' && [...inner].every((c) => NAME_CHAR.test(c))) {
        name = inner;
        i = close + 1;
      }
    } else {
      let j = i;
      while (j < template.length && NAME_CHAR.test(template[j])) j++;
      if (j > i) {
        name = template.slice(i, j);
        i = j;
      }
    }
    if (name === undefined) {
      out += '$';
      continue;
    }
    if (/^\d+$/.test(name)) {
      const g = Number(name);
      if (g <= re.groupCount()) out += group(s, m, g);
    } else {
      const g = re.namedGroups()[name];
      if (g !== undefined) out += group(s, m, g);
    }
  }
  return out;
}

/** Go's Regexp.Split(s, -1). */
function split(re: RE2JS, s: string): string[] {
  if (re.pattern() !== '' && s === '') return [''];
  const parts: string[] = [];
  let beg = 0;
  let end = 0;
  for (const m of findAll(re, s, -1)) {
    end = m[0];
    if (m[1] !== 0) parts.push(s.slice(beg, end));
    beg = m[1];
  }
  if (end !== s.length) parts.push(s.slice(beg));
  return parts;
}

function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

/** gorilla/mux-style template: literal text with `{regex}` holes (delimiters given, balanced). */
function templateRegex(name: string, tpl: string, open: string, close: string): RE2JS {
  const holes: Array<[number, number]> = [];
  let level = 0;
  let at = 0;
  for (let i = 0; i < tpl.length; i++) {
    if (tpl[i] === open) {
      if (++level === 1) at = i;
    } else if (tpl[i] === close) {
      if (--level === 0) holes.push([at, i + 1]);
      else if (level < 0) throw builtinError(name, `unbalanced braces in ${JSON.stringify(tpl)}`);
    }
  }
  if (level !== 0) throw builtinError(name, `unbalanced braces in ${JSON.stringify(tpl)}`);
  let pattern = '^';
  let end = 0;
  for (const [a, b] of holes) {
    const inner = tpl.slice(a + 1, b - 1);
    compileRegex(name, `^${inner}$`);
    pattern += `${quoteMeta(tpl.slice(end, a))}(${inner})`;
    end = b;
  }
  return compileRegex(name, `${pattern}${quoteMeta(tpl.slice(end))}$`);
}

function match(name: string): BuiltinDefinition {
  return {
    name,
    args: [T.string, T.string],
    result: T.boolean,
    impl: (args) => compileRegex(name, str(name, args, 0)).test(str(name, args, 1)),
  };
}

export const regexBuiltins: BuiltinDefinition[] = [
  match('regex.match'),
  match('re_match'),
  {
    name: 'regex.is_valid',
    args: [T.any],
    result: T.boolean,
    impl: (args) => {
      const p = args[0];
      if (typeof p !== 'string') return false;
      try {
        compileRegex('regex.is_valid', p);
        return true;
      } catch {
        return false;
      }
    },
  },
  {
    name: 'regex.find_n',
    args: [T.string, T.string, T.number],
    result: T.array(T.string),
    impl: (args) => {
      const n = 'regex.find_n';
      const s = str(n, args, 1);
      const count = int(n, args, 2);
      return findAll(compileRegex(n, str(n, args, 0)), s, count).map((m) => s.slice(m[0], m[1]));
    },
  },
  {
    name: 'regex.find_all_string_submatch_n',
    args: [T.string, T.string, T.number],
    result: T.array(T.array(T.string)),
    impl: (args) => {
      const n = 'regex.find_all_string_submatch_n';
      const s = str(n, args, 1);
      const count = int(n, args, 2);
      const re = compileRegex(n, str(n, args, 0));
      const groups = re.groupCount();
      return findAll(re, s, count).map((m) => {
        const row: Value[] = [];
        for (let g = 0; g <= groups; g++) row.push(group(s, m, g));
        return row;
      });
    },
  },
  {
    name: 'regex.replace',
    args: [T.string, T.string, T.string],
    result: T.string,
    impl: (args) => {
      const n = 'regex.replace';
      const s = str(n, args, 0);
      const re = compileRegex(n, str(n, args, 1));
      const tpl = str(n, args, 2);
      let out = '';
      let last = 0;
      for (const m of findAll(re, s, -1)) {
        out += s.slice(last, m[0]) + expand(re, tpl, s, m);
        last = m[1];
      }
      return out + s.slice(last);
    },
  },
  {
    name: 'regex.split',
    args: [T.string, T.string],
    result: T.array(T.string),
    impl: (args) => split(compileRegex('regex.split', str('regex.split', args, 0)), str('regex.split', args, 1)),
  },
  {
    name: 'regex.template_match',
    args: [T.string, T.string, T.string, T.string],
    result: T.boolean,
    impl: (args) => {
      const n = 'regex.template_match';
      const tpl = str(n, args, 0);
      const value = str(n, args, 1);
      const open = str(n, args, 2);
      const close = str(n, args, 3);
      const bytes = (x: string): number => Buffer.byteLength(x, 'utf8');
      if (bytes(open) !== 1) throw builtinError(n, `start delimiter has to be exactly one character long but is ${bytes(open)} long`);
      if (bytes(close) !== 1) throw builtinError(n, `end delimiter has to be exactly one character long but is ${bytes(close)} long`);
      return templateRegex(n, tpl, open, close).test(value);
    },
  },
  {
    name: 'regex.globs_match',
    args: [T.string, T.string],
    result: T.boolean,
    impl: (args) => {
      const n = 'regex.globs_match';
      const a = str(n, args, 0);
      const b = str(n, args, 1);
      const r = globsIntersect(a, b);
      if (typeof r === 'string') throw builtinError(n, r);
      return r;
    },
  },
];

defaultRegistry.registerAll(regexBuiltins);
