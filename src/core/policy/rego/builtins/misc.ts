// Small builtin families: uuid.rfc4122 and rand.intn (stable per query via ctx.cache, drawn from
// the query's seeded ctx.random), uuid.parse (google/uuid's parser and OPA's field map), numbers.range/range_step (bounded), graph.reachable and
// graph.reachable_paths, opa.runtime (the context's object) and trace; plus walkPairs, the pure
// part of the `walk` relation that the evaluator enumerates.

import { ObjectValue, SetValue, intValue, toBigInt, type ArrayValue, type Value } from '../value.js';
import { int, num, obj, str } from './args.js';
import { T, builtinError, defaultRegistry, operandTypeError, typeError, type BuiltinContext, type BuiltinDefinition } from './registry.js';

/** numbers.range and range_step refuse to build arrays longer than this. */
export const RANGE_MAX = 10_000_000;
/** graph.reachable_paths gives up after visiting this many path nodes (paths can be exponential). */
export const PATHS_MAX_STEPS = 1_000_000;

function uuidV4(random: () => number): string {
  const b = new Uint8Array(16);
  for (let i = 0; i < 16; i++) b[i] = Math.floor(random() * 256);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** google/uuid's Parse: 36-char canonical, 38 ({…}, braces unchecked), 45 (urn:uuid:…) or 32 hex bytes. */
function uuidBytes(s: string): Uint8Array | undefined {
  // Lengths and offsets are in UTF-8 bytes, as Go indexes strings.
  let t = Buffer.from(s, 'utf8').toString('latin1');
  const hex = (at: number): number => {
    const h = t.slice(at, at + 2);
    return /^[0-9a-fA-F]{2}$/.test(h) ? parseInt(h, 16) : -1;
  };
  const out = new Uint8Array(16);
  if (t.length === 32) {
    for (let i = 0; i < 16; i++) {
      const b = hex(i * 2);
      if (b < 0) return undefined;
      out[i] = b;
    }
    return out;
  }
  if (t.length === 45) {
    if (t.slice(0, 9).toLowerCase() !== 'urn:uuid:') return undefined;
    t = t.slice(9);
  } else if (t.length === 38) t = t.slice(1);
  else if (t.length !== 36) return undefined;
  if (t[8] !== '-' || t[13] !== '-' || t[18] !== '-' || t[23] !== '-') return undefined;
  const at = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];
  for (let i = 0; i < 16; i++) {
    const b = hex(at[i]);
    if (b < 0) return undefined;
    out[i] = b;
  }
  return out;
}

/** 100-ns intervals between 1582-10-15 (the UUID epoch) and 1970-01-01. */
const UUID_EPOCH_OFFSET = 122192928000000000n;

/** OPA's uuid.parse map: version and variant; v1/v2 add time, node id, MAC bits and clock sequence. */
function parseUuid(s: string): ObjectValue | undefined {
  const b = uuidBytes(s);
  if (!b) return undefined;
  const version = b[6] >> 4;
  const variant = (b[8] & 0xc0) === 0x80 ? 'RFC4122' : (b[8] & 0xe0) === 0xc0 ? 'Microsoft' : (b[8] & 0xe0) === 0xe0 ? 'Future' : 'Reserved';
  const out = new ObjectValue([
    ['version', version],
    ['variant', variant],
  ]);
  if (version === 1 || version === 2) {
    const u32 = (i: number): number => ((b[i] << 24) >>> 0) + (b[i + 1] << 16) + (b[i + 2] << 8) + b[i + 3];
    const ticks = BigInt(u32(0)) | (BigInt((b[4] << 8) | b[5]) << 32n) | (BigInt(((b[6] << 8) | b[7]) & 0xfff) << 48n);
    // Go: (ticks - epoch) split into seconds and nanoseconds, recombined in wrapping int64 arithmetic.
    out.set('time', intValue(BigInt.asIntN(64, (ticks - UUID_EPOCH_OFFSET) * 100n)));
    out.set('nodeid', [...b.subarray(10)].map((x) => x.toString(16).padStart(2, '0')).join('-'));
    const mac = b[10];
    out.set('macvariables', (mac & 3) === 3 ? 'local:multicast' : mac & 1 ? 'global:multicast' : mac & 2 ? 'local:unicast' : 'global:unicast');
    out.set('clocksequence', ((b[8] << 8) | b[9]) & 0x3fff);
    if (version === 2) {
      out.set('id', u32(0));
      const domain = b[9];
      out.set('domain', domain === 0 ? 'Person' : domain === 1 ? 'Group' : domain === 2 ? 'Org' : `Domain${domain}`);
    }
  }
  return out;
}

function cached(ctx: BuiltinContext, key: string, make: () => Value): Value {
  const hit = ctx.cache.get(key);
  if (hit !== undefined) return hit;
  const v = make();
  ctx.cache.set(key, v);
  return v;
}

function bigIntOperand(name: string, args: Value[], i: number): bigint {
  const b = toBigInt(num(name, args, i));
  if (b === undefined) throw typeError(name, `operand ${i + 1} must be integer number but got floating-point number`);
  return b;
}

function range(name: string, a: bigint, b: bigint, step: bigint): Value[] {
  const len = (a <= b ? b - a : a - b) / step + 1n;
  if (len > BigInt(RANGE_MAX)) throw builtinError(name, `range of ${len} elements exceeds the limit of ${RANGE_MAX}`);
  const out: Value[] = [];
  const dir = a <= b ? step : -step;
  for (let x = a, i = 0n; i < len; i++, x += dir) out.push(intValue(x));
  return out;
}

function vertices(v: Value | undefined): readonly Value[] {
  if (Array.isArray(v)) return v as ArrayValue;
  if (v instanceof SetValue) return v.values();
  return [];
}

function initialNodes(name: string, v: Value): readonly Value[] {
  if (Array.isArray(v) || v instanceof SetValue) return vertices(v);
  throw operandTypeError(name, 2, v, '{array, set}');
}

function reachable(graph: ObjectValue, initial: readonly Value[]): SetValue {
  const reached = new SetValue();
  const queue = [...initial];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i];
    if (reached.has(node)) continue;
    const edges = graph.get(node);
    if (edges === undefined) continue;
    reached.add(node);
    for (const n of vertices(edges)) if (!reached.has(n)) queue.push(n);
  }
  return reached;
}

/** OPA's reachable_paths: every path from an initial node until a leaf, a cycle or a missing node. */
function reachablePaths(name: string, graph: ObjectValue, initial: readonly Value[]): SetValue {
  const out = new SetValue();
  let steps = 0;
  const build = (root: Value, path: Value[], seen: SetValue): void => {
    if (++steps > PATHS_MAX_STEPS) throw builtinError(name, `more than ${PATHS_MAX_STEPS} path steps`);
    const edges = graph.get(root);
    if (edges === undefined) {
      out.add(path);
      return;
    }
    const here = [...path, root];
    const next = vertices(edges);
    if (next.length === 0) {
      out.add(here);
      return;
    }
    const reached = new SetValue(seen.values());
    reached.add(root);
    for (const n of next) {
      if (reached.has(n)) out.add(here);
      else build(n, here, reached);
    }
  };
  for (const node of initial) {
    const edges = graph.get(node);
    if (edges === undefined) continue;
    const next = vertices(edges);
    if (next.length === 0) out.add([node]);
    for (const n of next) build(n, [node], new SetValue([node]));
  }
  return out;
}

/**
 * The pairs `walk(x, [path, value])` enumerates: every node of x with its path (x itself first,
 * at path []), in OPA's order (depth first, keys sorted). `walk` is a relation, so the evaluator
 * iterates these rather than calling a registered builtin.
 */
export function walkPairs(x: Value): Array<[ArrayValue, Value]> {
  const out: Array<[ArrayValue, Value]> = [];
  const visit = (path: Value[], v: Value): void => {
    out.push([path, v]);
    if (Array.isArray(v)) (v as ArrayValue).forEach((e, i) => visit([...path, i], e));
    else if (v instanceof ObjectValue) for (const [k, e] of v.entries()) visit([...path, k], e);
    else if (v instanceof SetValue) for (const e of v.values()) visit([...path, e], e);
  };
  visit([], x);
  return out;
}

export const miscBuiltins: BuiltinDefinition[] = [
  {
    // A relation: `walk(x, [path, value])` has one solution per node of x, which the evaluator
    // enumerates from walkPairs. Called as a plain function there is no single value.
    name: 'walk',
    args: [T.any],
    result: T.array(T.any),
    impl: () => undefined,
  },
  {
    name: 'uuid.rfc4122',
    args: [T.string],
    result: T.string,
    nondeterministic: true,
    impl: (args, ctx) => {
      const k = str('uuid.rfc4122', args, 0);
      return cached(ctx, `uuid.rfc4122\u0000${k}`, () => uuidV4(ctx.random));
    },
  },
  {
    // An unparsable string is undefined, not an error (OPA).
    name: 'uuid.parse',
    args: [T.string],
    result: T.object(T.string, T.any),
    impl: (args) => parseUuid(str('uuid.parse', args, 0)),
  },
  {
    name: 'rand.intn',
    args: [T.string, T.number],
    result: T.number,
    nondeterministic: true,
    impl: (args, ctx) => {
      const s = str('rand.intn', args, 0);
      const n = Math.abs(int('rand.intn', args, 1));
      if (n === 0) return 0;
      return cached(ctx, `rand.intn\u0000${n}\u0000${s}`, () => Math.floor(ctx.random() * n));
    },
  },
  {
    name: 'numbers.range',
    args: [T.number, T.number],
    result: T.array(T.number),
    impl: (args) => range('numbers.range', bigIntOperand('numbers.range', args, 0), bigIntOperand('numbers.range', args, 1), 1n),
  },
  {
    name: 'numbers.range_step',
    args: [T.number, T.number, T.number],
    result: T.array(T.number),
    impl: (args) => {
      const n = 'numbers.range_step';
      const a = bigIntOperand(n, args, 0);
      const b = bigIntOperand(n, args, 1);
      const step = bigIntOperand(n, args, 2);
      if (step <= 0n) throw builtinError(n, 'step must be a positive number above zero');
      return range(n, a, b, step);
    },
  },
  {
    name: 'graph.reachable',
    args: [T.object(T.any, T.union(T.array(), T.set())), T.union(T.array(), T.set())],
    result: T.set(),
    impl: (args) => reachable(obj('graph.reachable', args, 0), initialNodes('graph.reachable', args[1])),
  },
  {
    name: 'graph.reachable_paths',
    args: [T.object(T.any, T.union(T.array(), T.set())), T.union(T.array(), T.set())],
    result: T.set(T.array()),
    impl: (args) => {
      const n = 'graph.reachable_paths';
      return reachablePaths(n, obj(n, args, 0), initialNodes(n, args[1]));
    },
  },
  {
    name: 'opa.runtime',
    args: [],
    result: T.object(T.string, T.any),
    impl: (_args, ctx) => ctx.runtime ?? new ObjectValue(),
  },
  {
    name: 'trace',
    args: [T.string],
    result: T.boolean,
    impl: (args, ctx) => {
      const msg = str('trace', args, 0);
      ctx.trace?.(msg);
      return true;
    },
  },
];

defaultRegistry.registerAll(miscBuiltins);
