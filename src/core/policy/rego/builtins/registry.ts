// The builtin registry: each builtin's name, declared signature (for compile-time arity and type
// checks) and implementation, the per-query BuiltinContext, and the typed builtin errors.

import { WardenError } from '../../../errors.js';
import { typeName, type TypeName, type Value } from '../value.js';

/**
 * A declared argument/result type, in OPA's vocabulary. `any` accepts everything; `union` any of
 * its members; `array`/`set` may declare their element type and `object` its key/value types
 * (informational — the runtime checks are the implementation's).
 */
export type RegoType =
  | { kind: 'any' }
  | { kind: 'null' | 'boolean' | 'number' | 'string' }
  | { kind: 'array'; of?: RegoType }
  | { kind: 'set'; of?: RegoType }
  | { kind: 'object'; key?: RegoType; value?: RegoType }
  | { kind: 'union'; of: readonly RegoType[] };

export const T = {
  any: { kind: 'any' },
  null: { kind: 'null' },
  boolean: { kind: 'boolean' },
  number: { kind: 'number' },
  string: { kind: 'string' },
  array: (of?: RegoType): RegoType => ({ kind: 'array', of }),
  set: (of?: RegoType): RegoType => ({ kind: 'set', of }),
  object: (key?: RegoType, value?: RegoType): RegoType => ({ kind: 'object', key, value }),
  union: (...of: RegoType[]): RegoType => ({ kind: 'union', of }),
} as const satisfies Record<string, RegoType | ((...a: never[]) => RegoType)>;

/** Per-query state. One context is created per query evaluation and shared by all calls in it. */
export interface BuiltinContext {
  /** Nanoseconds since the Unix epoch, fixed for the whole query (time.now_ns). */
  readonly nowNs: bigint;
  /** Seeded random source in [0, 1) for rand.intn and uuid generation. */
  readonly random: () => number;
  /** Values that must be stable within one query (rand.intn, uuid.rfc4122), keyed by the builtin. */
  readonly cache: Map<string, Value>;
  /** When true, builtin errors abort evaluation; when false the call is undefined (OPA default). */
  readonly strictBuiltinErrors: boolean;
  /** Optional sink for `print`/`trace` output. */
  readonly print?: (msg: string) => void;
  /** Optional sink for `trace(msg)` notes (OPA's explain/trace); when absent trace only succeeds. */
  readonly trace?: (msg: string) => void;
  /** The object `opa.runtime()` returns (OPA: config, env, version…); `{}` when absent. */
  readonly runtime?: Value;
}

export interface BuiltinContextOptions {
  nowNs: bigint;
  seed?: number;
  strictBuiltinErrors?: boolean;
  print?: (msg: string) => void;
  trace?: (msg: string) => void;
  runtime?: Value;
}

/** mulberry32: small, fast, deterministic; good enough for rand.intn and uuid v4 bits. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function createBuiltinContext(opts: BuiltinContextOptions): BuiltinContext {
  return {
    nowNs: opts.nowNs,
    random: seededRandom(opts.seed ?? Number(opts.nowNs % 4294967296n)),
    cache: new Map(),
    strictBuiltinErrors: opts.strictBuiltinErrors ?? false,
    print: opts.print,
    trace: opts.trace,
    runtime: opts.runtime,
  };
}

export type BuiltinImpl = (args: Value[], ctx: BuiltinContext) => Value | undefined;

export interface BuiltinDefinition {
  /** Dotted name as written in Rego (`strings.replace_n`, `count`). */
  readonly name: string;
  readonly args: readonly RegoType[];
  /** Result type; builtins that only succeed or fail (none in OPA today) would use boolean. */
  readonly result: RegoType;
  /** Variadic builtins (print) accept any number of args of `args[0]`'s type. */
  readonly variadic?: boolean;
  /** Infix operator this builtin implements (`+`, `==`, …), for the parser/formatter. */
  readonly infix?: string;
  /** Non-deterministic builtins (time.now_ns, rand.intn, http.send) are never constant-folded. */
  readonly nondeterministic?: boolean;
  readonly impl: BuiltinImpl;
}

export type BuiltinErrorCode = 'eval_type_error' | 'eval_builtin_error';

/** A builtin's failure. `message` is OPA's full text (`count: operand 1 must be …`). */
export class BuiltinError extends WardenError {
  declare readonly code: BuiltinErrorCode;
  readonly builtin: string;
  constructor(code: BuiltinErrorCode, builtin: string, detail: string) {
    super(code, `${builtin}: ${detail}`);
    this.name = 'BuiltinError';
    this.builtin = builtin;
  }
}

export function isBuiltinError(e: unknown): e is BuiltinError {
  return e instanceof BuiltinError;
}

/** `operand N must be one of {a, b} but got T` — OPA's exact operand type error wording. */
export function operandTypeError(builtin: string, pos: number, got: Value, ...expected: Array<TypeName | string>): BuiltinError {
  const want = expected.length === 1 ? expected[0] : `one of {${expected.join(', ')}}`;
  return new BuiltinError('eval_type_error', builtin, `operand ${pos} must be ${want} but got ${typeName(got)}`);
}

export function builtinError(builtin: string, detail: string): BuiltinError {
  return new BuiltinError('eval_builtin_error', builtin, detail);
}

export function typeError(builtin: string, detail: string): BuiltinError {
  return new BuiltinError('eval_type_error', builtin, detail);
}

/** The registry: a name → definition map. Families register into `defaultRegistry` on import. */
export class BuiltinRegistry {
  private readonly defs = new Map<string, BuiltinDefinition>();

  register(def: BuiltinDefinition): void {
    if (this.defs.has(def.name)) throw new Error(`builtin ${def.name} registered twice`);
    this.defs.set(def.name, def);
  }

  registerAll(defs: readonly BuiltinDefinition[]): void {
    for (const d of defs) this.register(d);
  }

  get(name: string): BuiltinDefinition | undefined {
    return this.defs.get(name);
  }

  has(name: string): boolean {
    return this.defs.has(name);
  }

  names(): string[] {
    return [...this.defs.keys()].sort();
  }

  /**
   * Calls a builtin with OPA's error policy: type errors and builtin errors throw in strict mode
   * and make the call undefined otherwise. Errors that are not BuiltinErrors are bugs and rethrow.
   * Callers check arity at compile time; a wrong arity here throws eval_type_error regardless.
   */
  call(name: string, args: Value[], ctx: BuiltinContext): Value | undefined {
    const def = this.defs.get(name);
    if (!def) throw new BuiltinError('eval_builtin_error', name, 'unknown builtin');
    if (!def.variadic && args.length !== def.args.length) {
      throw typeError(name, `arity mismatch: expected ${def.args.length} arguments, got ${args.length}`);
    }
    return invoke(def, args, ctx);
  }
}

/** Runs def.impl under the strict/non-strict error policy (see BuiltinRegistry.call). */
export function invoke(def: BuiltinDefinition, args: Value[], ctx: BuiltinContext): Value | undefined {
  try {
    return def.impl(args, ctx);
  } catch (e) {
    if (e instanceof BuiltinError) {
      if (ctx.strictBuiltinErrors) throw e;
      return undefined;
    }
    if (e instanceof RangeError && /not finite/.test(e.message)) {
      const err = builtinError(def.name, 'result is not a finite number');
      if (ctx.strictBuiltinErrors) throw err;
      return undefined;
    }
    throw e;
  }
}

export const defaultRegistry = new BuiltinRegistry();
