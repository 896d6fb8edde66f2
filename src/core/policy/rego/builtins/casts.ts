// Cast builtins: to_number and the deprecated cast_* family OPA still ships.

import { SetValue, ObjectValue, isNumber, parseNumber, type ArrayValue, type Value } from '../value.js';
import { T, builtinError, defaultRegistry, operandTypeError, type BuiltinDefinition } from './registry.js';

/** Go's strconv.ParseFloat syntax, minus the special values OPA rejects (Inf, NaN, hex floats). */
const FLOAT_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export function toNumberValue(v: Value): Value {
  if (v === null) return 0;
  if (v === true) return 1;
  if (v === false) return 0;
  if (isNumber(v)) return v;
  if (typeof v === 'string') {
    const t = v.replace(/_/g, '');
    if (!FLOAT_TEXT.test(v) || t !== v) throw builtinError('to_number', `strconv.ParseFloat: parsing ${JSON.stringify(v)}: invalid syntax`);
    let s = v.startsWith('+') ? v.slice(1) : v;
    s = s.replace(/^(-?)\./, '$10.').replace(/\.(?=[eE]|$)/, '');
    const n = parseNumber(s);
    if (n === undefined) throw builtinError('to_number', `strconv.ParseFloat: parsing ${JSON.stringify(v)}: invalid syntax`);
    return n;
  }
  throw operandTypeError('to_number', 1, v, 'null', 'boolean', 'number', 'string');
}

export const castBuiltins: BuiltinDefinition[] = [
  {
    name: 'to_number',
    args: [T.union(T.null, T.boolean, T.number, T.string)],
    result: T.number,
    impl: (args) => toNumberValue(args[0]),
  },
  {
    name: 'cast_array',
    args: [T.any],
    result: T.array(),
    impl: (args) => {
      const v = args[0];
      if (Array.isArray(v)) return v as ArrayValue;
      if (v instanceof SetValue) return [...v.values()];
      throw operandTypeError('cast_array', 1, v, 'array', 'set');
    },
  },
  {
    name: 'cast_set',
    args: [T.any],
    result: T.set(),
    impl: (args) => {
      const v = args[0];
      if (Array.isArray(v)) return new SetValue(v as ArrayValue);
      if (v instanceof SetValue) return v;
      throw operandTypeError('cast_set', 1, v, 'array', 'set');
    },
  },
  {
    name: 'cast_string',
    args: [T.any],
    result: T.string,
    impl: (args) => {
      if (typeof args[0] !== 'string') throw operandTypeError('cast_string', 1, args[0], 'string');
      return args[0];
    },
  },
  {
    name: 'cast_boolean',
    args: [T.any],
    result: T.boolean,
    impl: (args) => {
      if (typeof args[0] !== 'boolean') throw operandTypeError('cast_boolean', 1, args[0], 'boolean');
      return args[0];
    },
  },
  {
    name: 'cast_null',
    args: [T.any],
    result: T.null,
    impl: (args) => {
      if (args[0] !== null) throw operandTypeError('cast_null', 1, args[0], 'null');
      return null;
    },
  },
  {
    name: 'cast_object',
    args: [T.any],
    result: T.object(),
    impl: (args) => {
      if (!(args[0] instanceof ObjectValue)) throw operandTypeError('cast_object', 1, args[0], 'object');
      return args[0];
    },
  },
];

defaultRegistry.registerAll(castBuiltins);
