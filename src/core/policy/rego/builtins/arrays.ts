// Array builtins: array.concat, array.slice, array.reverse, array.flatten.

import type { Value } from '../value.js';
import { arr, int } from './args.js';
import { T, defaultRegistry, type BuiltinDefinition } from './registry.js';

export const arrayBuiltins: BuiltinDefinition[] = [
  {
    name: 'array.concat',
    args: [T.array(), T.array()],
    result: T.array(),
    impl: (args) => [...arr('array.concat', args, 0), ...arr('array.concat', args, 1)],
  },
  {
    name: 'array.slice',
    args: [T.array(), T.number, T.number],
    result: T.array(),
    impl: (args) => {
      const a = arr('array.slice', args, 0);
      // Integer indices (OPA's IntOperand: 1.5 is a type error), clamped to [0, len]; start >= stop
      // yields [] (OPA never errors on range).
      let start = int('array.slice', args, 1);
      let stop = int('array.slice', args, 2);
      if (start < 0) start = 0;
      if (stop > a.length) stop = a.length;
      if (start >= stop) return [];
      return a.slice(start, stop);
    },
  },
  {
    name: 'array.reverse',
    args: [T.array()],
    result: T.array(),
    impl: (args) => [...arr('array.reverse', args, 0)].reverse() as Value[],
  },
  {
    // OPA v1.13: one level of nesting is removed; non-array elements are kept as they are.
    name: 'array.flatten',
    args: [T.array()],
    result: T.array(),
    impl: (args) => {
      const out: Value[] = [];
      for (const x of arr('array.flatten', args, 0)) {
        if (Array.isArray(x)) out.push(...(x as Value[]));
        else out.push(x);
      }
      return out;
    },
  },
];

defaultRegistry.registerAll(arrayBuiltins);
