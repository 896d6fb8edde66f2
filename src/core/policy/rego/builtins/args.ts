// Operand accessors shared by builtin families: each returns the operand narrowed to the expected
// type or throws OPA's operand type error for the builtin.

import {
  ObjectValue,
  SetValue,
  isInteger,
  isNumber,
  toFloat,
  typeName,
  type ArrayValue,
  type RegoNumber,
  type Value,
} from '../value.js';
import { operandTypeError, typeError } from './registry.js';

export function str(name: string, args: Value[], i: number): string {
  const v = args[i];
  if (typeof v !== 'string') throw operandTypeError(name, i + 1, v, 'string');
  return v;
}

export function num(name: string, args: Value[], i: number): RegoNumber {
  const v = args[i];
  if (!isNumber(v)) throw operandTypeError(name, i + 1, v, 'number');
  return v;
}

/** An integral operand as a JS number (OPA's `IntOperand`: "operand N must be integer number"). */
export function int(name: string, args: Value[], i: number): number {
  const v = num(name, args, i);
  if (!isInteger(v)) throw typeError(name, `operand ${i + 1} must be integer number but got floating-point number`);
  return typeof v === 'bigint' ? Number(v) : v;
}

export function float(name: string, args: Value[], i: number): number {
  return toFloat(num(name, args, i));
}

export function bool(name: string, args: Value[], i: number): boolean {
  const v = args[i];
  if (typeof v !== 'boolean') throw operandTypeError(name, i + 1, v, 'boolean');
  return v;
}

export function arr(name: string, args: Value[], i: number): ArrayValue {
  const v = args[i];
  if (!Array.isArray(v)) throw operandTypeError(name, i + 1, v, 'array');
  return v as ArrayValue;
}

export function obj(name: string, args: Value[], i: number): ObjectValue {
  const v = args[i];
  if (!(v instanceof ObjectValue)) throw operandTypeError(name, i + 1, v, 'object');
  return v;
}

export function set(name: string, args: Value[], i: number): SetValue {
  const v = args[i];
  if (!(v instanceof SetValue)) throw operandTypeError(name, i + 1, v, 'set');
  return v;
}

/** Elements of an array or set operand (sets in sorted order). */
export function arrOrSet(name: string, args: Value[], i: number): readonly Value[] {
  const v = args[i];
  if (Array.isArray(v)) return v as ArrayValue;
  if (v instanceof SetValue) return v.values();
  throw operandTypeError(name, i + 1, v, 'array', 'set');
}

/**
 * Strings of a set or array of strings, with OPA's errors: NewOperandTypeErr(…, "set", "array")
 * for another type and NewOperandElementErr ("must be array of strings but got array containing
 * number") for a non-string element.
 */
export function strings(name: string, args: Value[], i: number): string[] {
  const v = args[i];
  if (!Array.isArray(v) && !(v instanceof SetValue)) throw operandTypeError(name, i + 1, v, 'set', 'array');
  const xs = Array.isArray(v) ? (v as ArrayValue) : v.values();
  const out: string[] = [];
  for (const x of xs) {
    if (typeof x !== 'string') throw typeError(name, `operand ${i + 1} must be ${typeName(v)} of strings but got ${typeName(v)} containing ${typeName(x)}`);
    out.push(x);
  }
  return out;
}
