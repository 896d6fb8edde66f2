// Shared helpers for the builtin family tests: strict/lax contexts, a strict call and error capture.

import { BuiltinError, createBuiltinContext, defaultRegistry, type BuiltinContext } from '../../../../src/core/policy/rego/builtins/index.js';
import { parseJson, type Value } from '../../../../src/core/policy/rego/value.js';

export const strict = createBuiltinContext({ nowNs: 1670006453141828752n, seed: 42, strictBuiltinErrors: true });
export const lax = createBuiltinContext({ nowNs: 0n });

export function call(name: string, ...args: Value[]): Value | undefined {
  return defaultRegistry.call(name, args, strict);
}

export function callIn(ctx: BuiltinContext, name: string, ...args: Value[]): Value | undefined {
  return defaultRegistry.call(name, args, ctx);
}

export function j(text: string): Value {
  return parseJson(text);
}

export function errorOf(fn: () => unknown): BuiltinError {
  try {
    fn();
  } catch (e) {
    if (e instanceof BuiltinError) return e;
    throw e;
  }
  throw new Error('expected a BuiltinError');
}
