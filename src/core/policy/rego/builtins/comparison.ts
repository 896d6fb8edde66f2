// Comparison builtins (==, !=, <, <=, >, >=) over OPA's total order of values.

import { compare, equals, type Value } from '../value.js';
import { T, defaultRegistry, type BuiltinDefinition } from './registry.js';

function cmp(name: string, infix: string, test: (a: Value, b: Value) => boolean): BuiltinDefinition {
  return { name, infix, args: [T.any, T.any], result: T.boolean, impl: (args) => test(args[0], args[1]) };
}

export const comparisonBuiltins: BuiltinDefinition[] = [
  cmp('equal', '==', (a, b) => equals(a, b)),
  cmp('neq', '!=', (a, b) => !equals(a, b)),
  cmp('lt', '<', (a, b) => compare(a, b) < 0),
  cmp('lte', '<=', (a, b) => compare(a, b) <= 0),
  cmp('gt', '>', (a, b) => compare(a, b) > 0),
  cmp('gte', '>=', (a, b) => compare(a, b) >= 0),
];

defaultRegistry.registerAll(comparisonBuiltins);
