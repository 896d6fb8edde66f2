// Set builtins: the & and | operators (and, or) and intersection/union over a set of sets.

import { SetValue, typeName, type Value } from '../value.js';
import { set } from './args.js';
import { T, defaultRegistry, typeError, type BuiltinDefinition } from './registry.js';

function setsOf(name: string, args: Value[]): SetValue[] {
  const outer = set(name, args, 0);
  return outer.values().map((s) => {
    if (!(s instanceof SetValue)) throw typeError(name, `operand 1 must be set of sets but got set containing ${typeName(s)}`);
    return s;
  });
}

export function intersect(sets: readonly SetValue[]): SetValue {
  if (sets.length === 0) return new SetValue();
  const sorted = [...sets].sort((a, b) => a.size - b.size);
  const out = new SetValue();
  for (const v of sorted[0].values()) if (sorted.every((s) => s.has(v))) out.add(v);
  return out;
}

export function unite(sets: readonly SetValue[]): SetValue {
  const out = new SetValue();
  for (const s of sets) for (const v of s.unorderedValues()) out.add(v);
  return out;
}

export const setBuiltins: BuiltinDefinition[] = [
  {
    name: 'and',
    infix: '&',
    args: [T.set(), T.set()],
    result: T.set(),
    impl: (args) => intersect([set('and', args, 0), set('and', args, 1)]),
  },
  {
    name: 'or',
    infix: '|',
    args: [T.set(), T.set()],
    result: T.set(),
    impl: (args) => unite([set('or', args, 0), set('or', args, 1)]),
  },
  {
    name: 'intersection',
    args: [T.set(T.set())],
    result: T.set(),
    impl: (args) => intersect(setsOf('intersection', args)),
  },
  {
    name: 'union',
    args: [T.set(T.set())],
    result: T.set(),
    impl: (args) => unite(setsOf('union', args)),
  },
];

defaultRegistry.registerAll(setBuiltins);
