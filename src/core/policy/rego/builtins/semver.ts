// SemVer builtins: semver.is_valid and semver.compare with the parser OPA uses (internal/semver):
// an optional leading `v`, `+metadata` and `-pre-release` cut at their first separator and
// checked against the identifier grammar, then exactly three decimal int64 parts (leading zeros
// allowed, as in OPA). Precedence per SemVer §11. Written here because OPA's leniencies are the
// contract and a dozen lines carry them — a strict SemVer library would reject what OPA accepts.

import { str } from './args.js';
import { goQuote } from './go-format.js';
import { T, builtinError, defaultRegistry, type BuiltinDefinition } from './registry.js';

const IDENTIFIERS = /^[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*$/;
const INT64_MAX = 2n ** 63n - 1n;

export interface SemVer {
  core: [bigint, bigint, bigint];
  /** Pre-release text without the `-` ('' when absent). */
  pre: string;
}

function cut(s: string, sep: string): [string, string] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

/** Go's strconv.ParseInt(s, 10, 64): optional sign, decimal digits, int64 range. */
function parseInt64(s: string): bigint | undefined {
  if (!/^[+-]?\d+$/.test(s)) return undefined;
  const b = BigInt(s);
  return b > INT64_MAX || b < -INT64_MAX - 1n ? undefined : b;
}

export function parseSemVer(version: string): SemVer | undefined {
  let v = version.startsWith('v') ? version.slice(1) : version;
  let meta: string;
  let pre: string;
  [v, meta] = cut(v, '+');
  if (meta !== '' && !IDENTIFIERS.test(meta)) return undefined;
  [v, pre] = cut(v, '-');
  if (pre !== '' && !IDENTIFIERS.test(pre)) return undefined;
  const parts = v.split('.');
  if (parts.length !== 3) return undefined;
  const core = parts.map(parseInt64);
  if (core.some((x) => x === undefined)) return undefined;
  return { core: core as [bigint, bigint, bigint], pre };
}

const cmp = <X extends bigint | string>(a: X, b: X): number => (a < b ? -1 : a > b ? 1 : 0);

const allDecimals = (s: string): boolean => /^\d+$/.test(s);

/** Go's strconv.Atoi as OPA uses it here: out-of-range values clamp to the int64 bounds. */
const atoi = (s: string): bigint => {
  const b = BigInt(s);
  return b > INT64_MAX ? INT64_MAX : b;
};

export function compareSemVer(a: SemVer, b: SemVer): number {
  for (let i = 0; i < 3; i++) {
    const c = cmp(a.core[i], b.core[i]);
    if (c) return c;
  }
  if (a.pre === b.pre) return 0;
  if (a.pre === '') return 1;
  if (b.pre === '') return -1;
  const xs = a.pre.split('.');
  const ys = b.pre.split('.');
  for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
    const x = xs[i];
    const y = ys[i];
    const xn = allDecimals(x);
    const yn = allDecimals(y);
    const c = xn && yn ? cmp(atoi(x), atoi(y)) : xn ? -1 : yn ? 1 : cmp(x, y);
    if (c) return c;
  }
  return Math.sign(xs.length - ys.length);
}

export const semverBuiltins: BuiltinDefinition[] = [
  {
    // Any operand: a non-string is simply not a valid version (false, not a type error).
    name: 'semver.is_valid',
    args: [T.any],
    result: T.boolean,
    impl: (args) => typeof args[0] === 'string' && parseSemVer(args[0]) !== undefined,
  },
  {
    name: 'semver.compare',
    args: [T.string, T.string],
    result: T.number,
    impl: (args) => {
      // Both operand types are checked before either version is parsed, as OPA does.
      const texts = [str('semver.compare', args, 0), str('semver.compare', args, 1)];
      const [a, b] = texts.map((s, i) => {
        const v = parseSemVer(s);
        if (!v) throw builtinError('semver.compare', `operand ${i + 1}: string ${goQuote(s)} is not a valid SemVer`);
        return v;
      });
      return compareSemVer(a, b);
    },
  },
];

defaultRegistry.registerAll(semverBuiltins);
