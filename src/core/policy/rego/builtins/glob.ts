// Glob builtins with gobwas/glob's syntax (as OPA uses it): glob.match and glob.quote_meta.
// A glob is translated to an RE2 pattern and matched with the regex family's bounded cache, so
// matching stays linear in the input whatever the pattern.

import { typeName, type ArrayValue, type Value } from '../value.js';
import { str } from './args.js';
import { compileRegex } from './regex.js';
import { BuiltinError, T, builtinError, defaultRegistry, operandTypeError, typeError, type BuiltinDefinition } from './registry.js';

const NAME = 'glob.match';

function cls(c: string): string {
  return `\\x{${(c.codePointAt(0) as number).toString(16)}}`;
}

function lit(c: string): string {
  return /[A-Za-z0-9_]/.test(c) ? c : cls(c);
}

/**
 * RE2 source for a gobwas glob: `*` any run of non-delimiters, `**` any run, `?` one
 * non-delimiter, `[abc]`/`[a-z]`/`[!…]` one character, `{a,b}` alternatives, `\` escapes.
 */
export function globToRegex(glob: string, delimiters: readonly string[]): string {
  const cps = [...glob];
  const notDelim = delimiters.length === 0 ? '.' : `[^${delimiters.map(cls).join('')}]`;
  let i = 0;
  let depth = 0;
  let out = '';
  while (i < cps.length) {
    const c = cps[i++];
    if (c === '\\') {
      if (i >= cps.length) throw new Error('unexpected end of input after escape');
      out += lit(cps[i++]);
    } else if (c === '*') {
      if (cps[i] === '*') {
        while (cps[i] === '*') i++;
        out += '.*';
      } else out += `${notDelim}*`;
    } else if (c === '?') {
      out += notDelim;
    } else if (c === '[') {
      let neg = false;
      if (cps[i] === '!') {
        neg = true;
        i++;
      }
      let body = '';
      let closed = false;
      while (i < cps.length) {
        const d = cps[i++];
        if (d === ']') {
          closed = true;
          break;
        }
        const ch = d === '\\' && i < cps.length ? cps[i++] : d;
        if (cps[i] === '-' && i + 1 < cps.length && cps[i + 1] !== ']') {
          const hi = cps[i + 1];
          i += 2;
          if ((hi.codePointAt(0) as number) < (ch.codePointAt(0) as number)) throw new Error(`invalid range ${ch}-${hi}`);
          body += `${cls(ch)}-${cls(hi)}`;
        } else body += cls(ch);
      }
      if (!closed) throw new Error('unexpected end of input: unclosed [');
      if (body === '') throw new Error('empty character class');
      out += `[${neg ? '^' : ''}${body}]`;
    } else if (c === '{') {
      depth++;
      out += '(?:';
    } else if (c === ',' && depth > 0) {
      out += '|';
    } else if (c === '}' && depth > 0) {
      depth--;
      out += ')';
    } else out += lit(c);
  }
  if (depth > 0) throw new Error('unexpected end of input: unclosed {');
  return `^(?s:${out})$`;
}

/** gobwas/glob.QuoteMeta: escapes `* ? \ [ ] { }`. */
export function globQuoteMeta(s: string): string {
  return s.replace(/[*?\\[\]{}]/g, '\\$&');
}

/** Process-wide bounded cache of compiled globs (or their translation error), by delimiters + pattern. */
const GLOB_CACHE_MAX = 512;
const globCache = new Map<string, ReturnType<typeof compileRegex> | string>();

function delimitersOf(v: Value): string[] {
  if (v === null) return [];
  if (!Array.isArray(v)) throw operandTypeError(NAME, 2, v, 'array', 'null');
  const out: string[] = [];
  for (const x of v as ArrayValue) {
    if (typeof x !== 'string') throw typeError(NAME, `operand 2 must be array of strings but got array containing ${typeName(x)}`);
    if ([...x].length !== 1) throw typeError(NAME, 'operand 2 must be array of runes but got array containing string');
    out.push(x);
  }
  return out.length === 0 ? ['.'] : out;
}

export const globBuiltins: BuiltinDefinition[] = [
  {
    name: NAME,
    args: [T.string, T.union(T.array(T.string), T.null), T.string],
    result: T.boolean,
    impl: (args) => {
      const pattern = str(NAME, args, 0);
      const delims = delimitersOf(args[1]);
      const value = str(NAME, args, 2);
      const key = `${delims.length}:${delims.join('')}${pattern}`;
      let hit = globCache.get(key);
      if (hit === undefined) {
        try {
          hit = compileRegex(NAME, globToRegex(pattern, delims));
        } catch (e) {
          if (e instanceof BuiltinError) throw e;
          hit = (e as Error).message;
        }
        if (globCache.size >= GLOB_CACHE_MAX) globCache.delete(globCache.keys().next().value as string);
        globCache.set(key, hit);
      }
      if (typeof hit === 'string') throw builtinError(NAME, hit);
      return hit.test(value);
    },
  },
  {
    name: 'glob.quote_meta',
    args: [T.string],
    result: T.string,
    impl: (args) => globQuoteMeta(str('glob.quote_meta', args, 0)),
  },
];

defaultRegistry.registerAll(globBuiltins);
