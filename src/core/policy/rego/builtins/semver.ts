// SemVer 2.0.0 builtins: semver.is_valid and semver.compare (precedence per §11: numeric core,
// then pre-release identifiers; build metadata ignored). Written here because the official grammar
// is a single regular expression and precedence is a dozen lines — no dependency is worth it.

import { str } from './args.js';
import { T, builtinError, defaultRegistry, type BuiltinDefinition } from './registry.js';

// The grammar from semver.org (numeric identifiers without leading zeros).
const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

interface SemVer {
  core: [bigint, bigint, bigint];
  pre: string[];
}

export function parseSemVer(s: string): SemVer | undefined {
  const m = SEMVER.exec(s);
  if (!m) return undefined;
  return { core: [BigInt(m[1]), BigInt(m[2]), BigInt(m[3])], pre: m[4] ? m[4].split('.') : [] };
}

const cmp = <X extends bigint | string | number>(a: X, b: X): number => (a < b ? -1 : a > b ? 1 : 0);

export function compareSemVer(a: SemVer, b: SemVer): number {
  for (let i = 0; i < 3; i++) {
    const c = cmp(a.core[i], b.core[i]);
    if (c) return c;
  }
  if (a.pre.length === 0 || b.pre.length === 0) return cmp(b.pre.length, a.pre.length);
  for (let i = 0; i < Math.min(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i];
    const y = b.pre[i];
    const xn = /^\d+$/.test(x);
    const yn = /^\d+$/.test(y);
    const c = xn && yn ? cmp(BigInt(x), BigInt(y)) : xn ? -1 : yn ? 1 : cmp(x, y);
    if (c) return c;
  }
  return Math.sign(a.pre.length - b.pre.length);
}

function operand(args: Parameters<typeof str>[1], i: number): SemVer {
  const s = str('semver.compare', args, i);
  const v = parseSemVer(s);
  if (!v) throw builtinError('semver.compare', `operand ${i + 1}: string ${JSON.stringify(s)} is not a valid SemVer`);
  return v;
}

export const semverBuiltins: BuiltinDefinition[] = [
  {
    name: 'semver.is_valid',
    args: [T.any],
    result: T.boolean,
    impl: (args) => typeof args[0] === 'string' && parseSemVer(args[0]) !== undefined,
  },
  {
    name: 'semver.compare',
    args: [T.string, T.string],
    result: T.number,
    impl: (args) => compareSemVer(operand(args, 0), operand(args, 1)),
  },
];

defaultRegistry.registerAll(semverBuiltins);
