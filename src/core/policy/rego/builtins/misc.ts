// Small builtin families: uuid.rfc4122 and rand.intn (stable per query via ctx.cache, drawn from
// the query's seeded ctx.random), numbers.range/range_step (bounded), graph.reachable and
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
