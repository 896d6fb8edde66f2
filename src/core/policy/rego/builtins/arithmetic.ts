// Arithmetic and bitwise builtins (plus, minus, mul, div, rem, abs, round, ceil, floor, bits.*):
// exact on integers of any size, double precision on non-integers, as OPA's conformance expects.

import {
  SetValue,
  intValue,
  isInteger,
  isNumber,
  numberFromFloat,
  toBigInt,
  toFloat,
  type RegoNumber,
} from '../value.js';
import { int, num } from './args.js';
import { T, builtinError, defaultRegistry, operandTypeError, type BuiltinDefinition } from './registry.js';

function bothSafeInts(a: RegoNumber, b: RegoNumber): boolean {
  return typeof a === 'number' && typeof b === 'number' && Number.isInteger(a) && Number.isInteger(b);
}

export function add(a: RegoNumber, b: RegoNumber): RegoNumber {
  if (bothSafeInts(a, b)) {
    const r = (a as number) + (b as number);
    if (Number.isSafeInteger(r)) return r;
  }
  const x = toBigInt(a);
  const y = toBigInt(b);
  if (x !== undefined && y !== undefined) return intValue(x + y);
  return numberFromFloat(toFloat(a) + toFloat(b));
}

export function subtract(a: RegoNumber, b: RegoNumber): RegoNumber {
  if (bothSafeInts(a, b)) {
    const r = (a as number) - (b as number);
    if (Number.isSafeInteger(r)) return r;
  }
  const x = toBigInt(a);
  const y = toBigInt(b);
  if (x !== undefined && y !== undefined) return intValue(x - y);
  return numberFromFloat(toFloat(a) - toFloat(b));
}

export function multiply(a: RegoNumber, b: RegoNumber): RegoNumber {
  if (bothSafeInts(a, b)) {
    const r = (a as number) * (b as number);
    if (Number.isSafeInteger(r)) return r === 0 ? 0 : r;
  }
  const x = toBigInt(a);
  const y = toBigInt(b);
  if (x !== undefined && y !== undefined) return intValue(x * y);
  return numberFromFloat(toFloat(a) * toFloat(b));
}

/** Division: exact when both are integers and the divisor divides the dividend. */
export function divide(name: string, a: RegoNumber, b: RegoNumber): RegoNumber {
  const x = toBigInt(a);
  const y = toBigInt(b);
  if (y === 0n || toFloat(b) === 0) throw builtinError(name, 'divide by zero');
  if (x !== undefined && y !== undefined && x % y === 0n) return intValue(x / y);
  return numberFromFloat(toFloat(a) / toFloat(b));
}

function remainder(name: string, a: RegoNumber, b: RegoNumber): RegoNumber {
  const x = toBigInt(a);
  const y = toBigInt(b);
  if (x === undefined || y === undefined) throw builtinError(name, 'modulo on floating-point number');
  if (y === 0n) throw builtinError(name, 'modulo by zero');
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a % b;
    return r === 0 ? 0 : r;
  }
  return intValue(x % y);
}

function roundHalfAway(f: number): number {
  return f < 0 ? -Math.round(-f) : Math.round(f);
}

function unaryNum(name: string, fn: (f: number) => number, onInt?: (b: bigint) => bigint): BuiltinDefinition {
  return {
    name,
    args: [T.number],
    result: T.number,
    impl: (args) => {
      const a = num(name, args, 0);
      if (isInteger(a)) return onInt ? intValue(onInt(toBigInt(a) as bigint)) : a;
      return numberFromFloat(fn(toFloat(a)));
    },
  };
}

function setDifference(a: SetValue, b: SetValue): SetValue {
  const out = new SetValue();
  for (const v of a.values()) if (!b.has(v)) out.add(v);
  return out;
}

function bitsOp(name: string, fn: (a: bigint, b: bigint) => bigint): BuiltinDefinition {
  return {
    name,
    args: [T.number, T.number],
    result: T.number,
    impl: (args) => {
      int(name, args, 0);
      int(name, args, 1);
      return intValue(fn(toBigInt(args[0] as RegoNumber) as bigint, toBigInt(args[1] as RegoNumber) as bigint));
    },
  };
}

export const arithmeticBuiltins: BuiltinDefinition[] = [
  {
    name: 'plus',
    infix: '+',
    args: [T.number, T.number],
    result: T.number,
    impl: (args) => add(num('plus', args, 0), num('plus', args, 1)),
  },
  {
    name: 'minus',
    infix: '-',
    args: [T.union(T.number, T.set()), T.union(T.number, T.set())],
    result: T.union(T.number, T.set()),
    impl: (args) => {
      const [a, b] = args;
      if (isNumber(a) && isNumber(b)) return subtract(a, b);
      if (a instanceof SetValue && b instanceof SetValue) return setDifference(a, b);
      if (!isNumber(a) && !(a instanceof SetValue)) throw operandTypeError('minus', 1, a, 'number', 'set');
      if (isNumber(a)) throw operandTypeError('minus', 2, b, 'number');
      throw operandTypeError('minus', 2, b, 'set');
    },
  },
  {
    name: 'mul',
    infix: '*',
    args: [T.number, T.number],
    result: T.number,
    impl: (args) => multiply(num('mul', args, 0), num('mul', args, 1)),
  },
  {
    name: 'div',
    infix: '/',
    args: [T.number, T.number],
    result: T.number,
    impl: (args) => divide('div', num('div', args, 0), num('div', args, 1)),
  },
  {
    name: 'rem',
    infix: '%',
    args: [T.number, T.number],
    result: T.number,
    impl: (args) => remainder('rem', num('rem', args, 0), num('rem', args, 1)),
  },
  unaryNum('abs', Math.abs, (b) => (b < 0n ? -b : b)),
  unaryNum('round', roundHalfAway),
  unaryNum('ceil', Math.ceil),
  unaryNum('floor', Math.floor),
  bitsOp('bits.or', (a, b) => a | b),
  bitsOp('bits.and', (a, b) => a & b),
  bitsOp('bits.xor', (a, b) => a ^ b),
  bitsOp('bits.lsh', (a, b) => {
    if (b < 0n) throw builtinError('bits.lsh', 'operand 2 must be an unsigned integer number but got a negative integer');
    return a << b;
  }),
  bitsOp('bits.rsh', (a, b) => {
    if (b < 0n) throw builtinError('bits.rsh', 'operand 2 must be an unsigned integer number but got a negative integer');
    return a >> b;
  }),
  {
    name: 'bits.negate',
    args: [T.number],
    result: T.number,
    impl: (args) => {
      int('bits.negate', args, 0);
      return intValue(~(toBigInt(args[0] as RegoNumber) as bigint));
    },
  },
];

defaultRegistry.registerAll(arithmeticBuiltins);

