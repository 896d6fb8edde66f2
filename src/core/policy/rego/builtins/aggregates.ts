// Aggregate builtins: count, sum, product, max, min, sort, any, all.

import { SetValue, ObjectValue, compare, isNumber, typeName, type RegoNumber, type Value } from '../value.js';
import { add, multiply } from './arithmetic.js';
import { arrOrSet } from './args.js';
import { T, defaultRegistry, typeError, operandTypeError, type BuiltinDefinition } from './registry.js';

const collection = T.union(T.array(), T.set());

/** Numbers of an array/set operand ("operand 1 must be array of numbers but got array containing string"). */
function numbers(name: string, args: Value[]): RegoNumber[] {
  const xs = arrOrSet(name, args, 0);
  for (const x of xs) {
    if (!isNumber(x)) {
      const t = typeName(args[0]);
      throw typeError(name, `operand 1 must be ${t} of numbers but got ${t} containing ${typeName(x)}`);
    }
  }
  return xs as RegoNumber[];
}

const SURROGATE = /[\uD800-\uDFFF]/;

function countOf(v: Value): number | undefined {
  if (typeof v === 'string') {
    // Code points: the UTF-16 length unless the string holds surrogates.
    if (!SURROGATE.test(v)) return v.length;
    let n = 0;
    for (const _ of v) n++;
    return n;
  }
  if (Array.isArray(v)) return v.length;
  if (v instanceof ObjectValue || v instanceof SetValue) return v.size;
  return undefined;
}

function extreme(name: string, sign: 1 | -1): BuiltinDefinition {
  return {
    name,
    args: [collection],
    result: T.any,
    impl: (args) => {
      const xs = arrOrSet(name, args, 0);
      if (xs.length === 0) return undefined;
      let best = xs[0];
      for (let i = 1; i < xs.length; i++) if (compare(xs[i], best) * sign > 0) best = xs[i];
      return best;
    },
  };
}

export const aggregateBuiltins: BuiltinDefinition[] = [
  {
    name: 'count',
    args: [T.union(T.array(), T.object(), T.set(), T.string)],
    result: T.number,
    impl: (args) => {
      const n = countOf(args[0]);
      if (n === undefined) throw operandTypeError('count', 1, args[0], 'array', 'object', 'set', 'string');
      return n;
    },
  },
  {
    name: 'sum',
    args: [collection],
    result: T.number,
    impl: (args) => numbers('sum', args).reduce<RegoNumber>((acc, x) => add(acc, x), 0),
  },
  {
    name: 'product',
    args: [collection],
    result: T.number,
    impl: (args) => numbers('product', args).reduce<RegoNumber>((acc, x) => multiply(acc, x), 1),
  },
  extreme('max', 1),
  extreme('min', -1),
  {
    name: 'sort',
    args: [collection],
    result: T.array(),
    impl: (args) => {
      const v = args[0];
      if (v instanceof SetValue) return [...v.values()];
      return [...arrOrSet('sort', args, 0)].sort(compare);
    },
  },
  {
    name: 'any',
    args: [collection],
    result: T.boolean,
    impl: (args) => arrOrSet('any', args, 0).some((x) => x === true),
  },
  {
    name: 'all',
    args: [collection],
    result: T.boolean,
    impl: (args) => arrOrSet('all', args, 0).every((x) => x === true),
  },
];

defaultRegistry.registerAll(aggregateBuiltins);
