// Type builtins: is_number, is_string, is_boolean, is_array, is_set, is_object, is_null, type_name.

import { typeName, type TypeName } from '../value.js';
import { T, defaultRegistry, type BuiltinDefinition } from './registry.js';

function is(t: TypeName): BuiltinDefinition {
  // OPA returns false (not undefined) for a value of another type.
  return { name: `is_${t}`, args: [T.any], result: T.boolean, impl: (args) => typeName(args[0]) === t };
}

export const typeBuiltins: BuiltinDefinition[] = [
  is('number'),
  is('string'),
  is('boolean'),
  is('array'),
  is('set'),
  is('object'),
  is('null'),
  { name: 'type_name', args: [T.any], result: T.string, impl: (args) => typeName(args[0]) },
];

defaultRegistry.registerAll(typeBuiltins);
