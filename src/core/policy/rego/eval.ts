// The Rego evaluator: top-down, continuation-passing evaluation of compiled policies with
// backtracking over variable bindings, lazily memoised virtual documents, `with` overrides and
// mocks, and bounded work (a step budget and a depth limit end a runaway query with a coded error).
import { WardenError } from '../../errors.js';
import type { Body, CallTerm, Every, Expr, RefTerm, Rule, Term, With } from './ast.js';
import {
  BuiltinError,
  createBuiltinContext,
  invoke,
  type BuiltinContext,
  type BuiltinDefinition,
} from './builtins/index.js';
import {
  QUERY_FILE,
  compileQuery,
  findNode,
  operatorName,
  type CompiledPolicy,
  type CompiledQuery,
  type CompiledRule,
  type RuleNode,
} from './compile.js';
import { withSnippet, type Location } from './location.js';
import {
  ObjectValue,
  SetValue,
  equals,
  formatValue,
  keyOf,
  parseNumber,
  type Value,
} from './value.js';

export const EVAL_CONFLICT_ERROR = 'eval_conflict_error';
export const EVAL_LIMIT_ERROR = 'eval_limit_error';
export const EVAL_UNSAFE_ERROR = 'rego_unsafe_var_error';

export interface EvalOptions {
  input?: Value;
  /** Base documents under `data` (rules win where both define a path). */
  data?: Value;
  strictBuiltinErrors?: boolean;
  /** time.now_ns for the whole query (default 0: callers pass their clock's reading). */
  nowNs?: bigint;
  seed?: number;
  /** Sink for `print` output. */
  print?: (msg: string) => void;
  /** Maximum evaluation steps (expressions and rule evaluations); default 5,000,000. */
  maxSteps?: number;
  /** Maximum nesting of rule and function evaluation; default 256. */
  maxDepth?: number;
}

export interface ResultExpression {
  value: Value;
  text: string;
  location: { row: number; col: number };
}

/** One OPA-shaped result row. */
export interface ResultRow {
  expressions: ResultExpression[];
  bindings: Record<string, Value>;
}

type Frame = Map<string, Value>;
type K = () => boolean;
type VK = (v: Value) => boolean;

const PENDING = Symbol('pending');
const DEFAULT_MAX_STEPS = 5_000_000;
const DEFAULT_MAX_DEPTH = 256;

type MockTarget = { kind: 'value'; value: Value } | { kind: 'fn'; name: string };

/** Per-`with` evaluation state: documents, mocks, and the memo tables valid for them. */
interface Ctx {
  input: Value | undefined;
  data: Value;
  /** Joined paths (`data\0a\0b`) whose rules a `with data...` replaced. */
  overridden: ReadonlySet<string>;
  mocks: ReadonlyMap<string, MockTarget>;
  memo: Map<RuleNode, Value | undefined | typeof PENDING>;
  fnMemo: Map<string, Value | undefined>;
}

function located(code: string, message: string, loc: Location | undefined): WardenError {
  return new WardenError(code, message, loc ? { location: { file: loc.file, line: loc.line, col: loc.col } } : {});
}

const literalCache = new WeakMap<Term, Value>();

function literal(t: Term): Value | undefined {
  switch (t.type) {
    case 'null':
      return null;
    case 'boolean':
      return t.value;
    case 'string':
      return t.value;
    case 'number': {
      let v = literalCache.get(t);
      if (v === undefined) {
        v = parseNumber(t.text);
        if (v === undefined) return undefined;
        literalCache.set(t, v);
      }
      return v;
    }
    default:
      return undefined;
  }
}

const NOT_GROUND = Symbol('not-ground');
const groundCache = new WeakMap<Term, Value | typeof NOT_GROUND>();

/**
 * The value of a composite literal without variables, refs, calls or closures (`{"a", "b"}`,
 * `[1, [2]]`), built once per term and shared: Values are immutable once built.
 */
function groundValue(t: Term): Value | undefined {
  const hit = groundCache.get(t);
  if (hit !== undefined) return hit === NOT_GROUND ? undefined : hit;
  let v: Value | undefined;
  switch (t.type) {
    case 'array': {
      const items: Value[] = [];
      for (const x of t.items) {
        const xv = scalarOrGround(x);
        if (xv === undefined) break;
        items.push(xv);
      }
      if (items.length === t.items.length) v = items;
      break;
    }
    case 'set': {
      const items: Value[] = [];
      for (const x of t.items) {
        const xv = scalarOrGround(x);
        if (xv === undefined) break;
        items.push(xv);
      }
      if (items.length === t.items.length) v = new SetValue(items);
      break;
    }
    case 'object': {
      const o = new ObjectValue();
      let ok = true;
      for (const [kt, vt] of t.items) {
        const kv = scalarOrGround(kt);
        const vv = kv === undefined ? undefined : scalarOrGround(vt);
        if (kv === undefined || vv === undefined) {
          ok = false;
          break;
        }
        o.set(kv, vv);
      }
      // Duplicate keys with different values are a conflict the evaluator reports.
      if (ok && o.size === t.items.length) v = o;
      break;
    }
    default:
      break;
  }
  groundCache.set(t, v === undefined ? NOT_GROUND : v);
  return v;
}

function scalarOrGround(t: Term): Value | undefined {
  return t.type === 'null' ? null : (literal(t) ?? groundValue(t));
}

/** Sets `value` at `path` inside `doc` (copying the objects along the path). */
function upsert(doc: Value | undefined, path: readonly Value[], value: Value): Value {
  if (path.length === 0) return value;
  const obj = doc instanceof ObjectValue ? doc.copy() : new ObjectValue();
  obj.set(path[0], upsert(obj.get(path[0]), path.slice(1), value));
  return obj;
}

function getIn(doc: Value | undefined, path: readonly string[], from: number): Value | undefined {
  let cur = doc;
  for (let i = from; i < path.length && cur !== undefined; i++) cur = cur instanceof ObjectValue ? cur.get(path[i]) : undefined;
  return cur;
}

function lookup(v: Value, key: Value): Value | undefined {
  if (v instanceof ObjectValue) return v.get(key);
  if (Array.isArray(v)) {
    if (typeof key === 'number' && Number.isInteger(key) && key >= 0 && key < v.length) return (v as Value[])[key];
    return undefined;
  }
  if (v instanceof SetValue) return v.has(key) ? key : undefined;
  return undefined;
}

/** A call term's operator resolved once per policy: name, arity, and its function node or builtin. */
interface CallInfo {
  readonly name: string;
  readonly member: boolean;
  readonly arity: number | undefined;
  /** The function's node (data.* calls with a function there). */
  readonly node: RuleNode | undefined;
  readonly def: BuiltinDefinition | undefined;
}

const callInfoCache = new WeakMap<CallTerm, { policy: CompiledPolicy; info: CallInfo }>();
const nodeNames = new WeakMap<RuleNode, string>();

function nodeName(node: RuleNode): string {
  let s = nodeNames.get(node);
  if (s === undefined) {
    s = node.path.join('.');
    nodeNames.set(node, s);
  }
  return s;
}

const NO_VARS: readonly string[] = [];
const testCache = new WeakMap<Expr, { policy: CompiledPolicy; ok: boolean }>();
const fastCache = new WeakMap<Term, readonly string[] | null>();

/**
 * The variables that must be bound for `t` to have at most one value computable directly
 * (Evaluator.evalOne), or null when it never is (comprehensions, composites with variables).
 */
function fastVars(t: Term): readonly string[] | null {
  const hit = fastCache.get(t);
  if (hit !== undefined) return hit;
  let out: string[] | null = [];
  const addAll = (x: Term): void => {
    if (out === null) return;
    const v = fastVars(x);
    if (v === null) out = null;
    else for (const n of v) if (!out.includes(n)) out.push(n);
  };
  switch (t.type) {
    case 'null':
    case 'boolean':
    case 'string':
    case 'number':
      break;
    case 'var':
      if (t.name !== 'input') out.push(t.name);
      break;
    case 'ref': {
      const head = t.terms[0];
      if (head.type === 'var') {
        if (head.name !== 'input' && head.name !== 'data') out.push(head.name);
      } else addAll(head);
      for (let i = 1; i < t.terms.length; i++) addAll(t.terms[i]);
      break;
    }
    case 'call':
      for (const a of t.args) addAll(a);
      break;
    case 'array':
    case 'set':
    case 'object':
      if (groundValue(t) === undefined) out = null;
      break;
    default:
      out = null;
  }
  const res: readonly string[] | null = out === null ? null : (out as string[]).length === 0 ? NO_VARS : out;
  fastCache.set(t, res);
  return res;
}

class Evaluator {
  private ctx: Ctx;
  private steps = 0;
  private depth = 0;
  private loc: Location | undefined;
  readonly bctx: BuiltinContext;

  constructor(
    private readonly policy: CompiledPolicy,
    private readonly opts: EvalOptions,
  ) {
    this.ctx = {
      input: opts.input,
      data: opts.data ?? new ObjectValue(),
      overridden: new Set(),
      mocks: new Map(),
      memo: new Map(),
      fnMemo: new Map(),
    };
    this.bctx = createBuiltinContext({
      nowNs: opts.nowNs ?? 0n,
      seed: opts.seed,
      strictBuiltinErrors: opts.strictBuiltinErrors ?? false,
      print: opts.print,
    });
  }

  private tick(): void {
    if (++this.steps > (this.opts.maxSteps ?? DEFAULT_MAX_STEPS)) {
      throw located(EVAL_LIMIT_ERROR, `evaluation exceeded ${this.opts.maxSteps ?? DEFAULT_MAX_STEPS} steps`, this.loc);
    }
  }

  private enter(loc: Location | undefined): void {
    if (++this.depth > (this.opts.maxDepth ?? DEFAULT_MAX_DEPTH)) {
      throw located(EVAL_LIMIT_ERROR, `evaluation exceeded depth ${this.opts.maxDepth ?? DEFAULT_MAX_DEPTH}`, loc);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Bodies and expressions

  evalBody(body: Body, i: number, f: Frame, k: K): boolean {
    // Expressions that only test (bind nothing, at most one value) run in a loop.
    for (; i < body.length; i++) {
      const e = body[i];
      if (!this.isTest(e, f)) break;
      this.tick();
      this.loc = e.location;
      const r = this.evalOne(e.value as Term, f);
      if ((r !== undefined && r !== false) === (e.negated === true)) return false;
    }
    if (i === body.length) return k();
    return this.evalExpr(body[i], f, () => this.evalBody(body, i + 1, f, k));
  }

  /** Whether evalExpr on `e` amounts to one evalOne of its term (no `with`, no unification). */
  private isTest(e: Expr, f: Frame): boolean {
    let hit = testCache.get(e);
    if (hit === undefined || hit.policy !== this.policy) {
      hit = { policy: this.policy, ok: this.testShape(e) };
      testCache.set(e, hit);
    }
    return hit.ok && this.canFast(e.value as Term, f);
  }

  private testShape(e: Expr): boolean {
    if (e.with.length) return false;
    const v = e.value;
    if (v.type === 'some' || v.type === 'every' || v.type === 'body') return false;
    if (v.type === 'call') {
      const name = operatorName(v.operator);
      if (name === undefined || name === 'eq' || name === 'assign' || name === 'print') return false;
      const arity = this.callInfo(v).arity;
      if (arity !== undefined && arity >= 0 && v.args.length === arity + 1) return false;
    }
    return true;
  }

  evalExpr(e: Expr, f: Frame, k: K, onValue?: (v: Value) => void): boolean {
    this.tick();
    this.loc = e.location;
    if (e.with.length) return this.evalWith(e, f, k, onValue);
    return this.evalExprNoWith(e, f, k, onValue);
  }

  private evalExprNoWith(e: Expr, f: Frame, k: K, onValue?: (v: Value) => void): boolean {
    if (e.negated) {
      let found = false;
      this.evalPositive(e, f, () => {
        found = true;
        return true;
      });
      if (found) return false;
      onValue?.(true);
      return k();
    }
    return this.evalPositive(e, f, k, onValue);
  }

  private evalPositive(e: Expr, f: Frame, k: K, onValue?: (v: Value) => void): boolean {
    const v = e.value;
    if (v.type === 'some') {
      const call = v.symbols[0];
      if (call && call.type === 'call') return this.evalMember(call, f, k);
      return k();
    }
    if (v.type === 'every') return this.evalEvery(v, f, k);
    if (v.type === 'body') return this.evalBody(v.body, 0, f, k);
    if (v.type === 'call') {
      const name = operatorName(v.operator);
      if (name === 'eq' || name === 'assign') return this.unify(v.args[0], v.args[1], f, k);
      if (name === 'print') return this.evalPrint(v, f, k);
      const info = this.callInfo(v);
      const arity = info.arity;
      if (!(arity !== undefined && arity >= 0 && v.args.length === arity + 1) && this.canFast(v, f)) {
        const r = this.evalOne(v, f);
        if (r === undefined || r === false) return false;
        onValue?.(r);
        return k();
      }
      return this.evalCall(v, f, true, (r) => {
        if (r === false) return false;
        onValue?.(r);
        return k();
      });
    }
    return this.evalTerm(v, f, (r) => {
      if (r === false) return false;
      onValue?.(r);
      return k();
    });
  }

  private evalWith(e: Expr, f: Frame, k: K, onValue?: (v: Value) => void): boolean {
    return this.withValues(e.with, 0, [], f, (vals) => {
      const outer = this.ctx;
      const inner = this.applyWith(e.with, vals, outer);
      this.ctx = inner;
      try {
        return this.evalExprNoWith(e, f, () => {
          this.ctx = outer;
          try {
            return k();
          } finally {
            this.ctx = inner;
          }
        }, onValue);
      } finally {
        this.ctx = outer;
      }
    });
  }

  private withValues(ws: With[], i: number, vals: Value[], f: Frame, k: (vals: Value[]) => boolean): boolean {
    if (i === ws.length) return k(vals);
    const w = ws[i];
    // A function or builtin name as the value mocks with that function, not its value.
    if (w.value.type === 'var' || w.value.type === 'ref') {
      const name = w.value.type === 'var' ? w.value.name : operatorName(w.value);
      if (name !== undefined && this.isFunctionName(name)) {
        vals[i] = { fn: name } as unknown as Value; // marker object, read back in applyWith
        return this.withValues(ws, i + 1, vals, f, k);
      }
    }
    return this.evalTerm(w.value, f, (v) => {
      vals[i] = v;
      return this.withValues(ws, i + 1, vals, f, k);
    });
  }

  private isFunctionName(name: string): boolean {
    if (name.startsWith('data.')) return findNode(this.policy, name.split('.'))?.arity !== undefined;
    return this.policy.builtins.has(name);
  }

  private applyWith(ws: With[], vals: Value[], outer: Ctx): Ctx {
    let input = outer.input;
    let data = outer.data;
    const overridden = new Set(outer.overridden);
    const mocks = new Map(outer.mocks);
    ws.forEach((w, i) => {
      const raw = vals[i] as unknown;
      const mock: MockTarget =
        raw !== null && typeof raw === 'object' && 'fn' in (raw as object) && !(raw instanceof ObjectValue)
          ? { kind: 'fn', name: (raw as { fn: string }).fn }
          : { kind: 'value', value: vals[i] };
      const t = w.target;
      const path = t.type === 'ref' ? t.terms : [t];
      const head = path[0];
      const rest: Value[] = [];
      for (const p of path.slice(1)) {
        const lit = literal(p);
        if (lit === undefined) throw located('rego_compile_error', 'with target must be a ground reference', w.location);
        rest.push(lit);
      }
      const headName = head.type === 'var' ? head.name : '';
      const fullName = t.type === 'ref' ? operatorName(t) : headName;
      if (headName === 'input') {
        if (mock.kind !== 'value') throw located('rego_type_error', 'input cannot be replaced by a function', w.location);
        input = upsert(input, rest, mock.value);
      } else if (headName === 'data' && !(fullName && this.isFunctionName(fullName))) {
        if (mock.kind !== 'value') throw located('rego_type_error', 'data cannot be replaced by a function', w.location);
        data = upsert(data, rest, mock.value);
        overridden.add(['data', ...rest.map(String)].join('\0'));
      } else if (fullName !== undefined) {
        mocks.set(fullName, mock);
      }
    });
    return { input, data, overridden, mocks, memo: new Map(), fnMemo: new Map() };
  }

  private evalPrint(call: CallTerm, f: Frame, k: K): boolean {
    const parts: string[] = [];
    for (const a of call.args) {
      const vals: Value[] = [];
      this.evalTerm(a, f, (v) => {
        vals.push(v);
        return false;
      });
      parts.push(vals.length === 0 ? '<undefined>' : vals.map((v) => (typeof v === 'string' ? v : formatValue(v))).join(', '));
    }
    this.bctx.print?.(parts.join(' '));
    return k();
  }

  private evalMember(call: CallTerm, f: Frame, k: K): boolean {
    const domain = call.args[call.args.length - 1];
    return this.evalTerm(domain, f, (d) => {
      if (call.args.length === 2) {
        return this.iterate(d, (_key, val) => this.unifyValue(call.args[0], val, f, k));
      }
      return this.iterate(d, (key, val) => this.unifyValue(call.args[0], key, f, () => this.unifyValue(call.args[1], val, f, k)));
    });
  }

  private evalEvery(ev: Every, f: Frame, k: K): boolean {
    let defined = false;
    let all = true;
    this.evalTerm(ev.domain, f, (d) => {
      defined = true;
      this.iterate(d, (key, val) => {
        const names = [ev.value.name, ...(ev.key ? [ev.key.name] : [])];
        const saved = names.map((n) => f.get(n));
        f.set(ev.value.name, val);
        if (ev.key) f.set(ev.key.name, key);
        let ok = false;
        try {
          this.evalBody(ev.body, 0, f, () => {
            ok = true;
            return true;
          });
        } finally {
          names.forEach((n, i) => (saved[i] === undefined ? f.delete(n) : f.set(n, saved[i] as Value)));
        }
        if (!ok) all = false;
        return !ok;
      });
      return true;
    });
    return defined && all ? k() : false;
  }

  /** Calls fn(key, value) for each element of a collection (sets give the element twice). */
  private iterate(d: Value, fn: (key: Value, val: Value) => boolean): boolean {
    if (Array.isArray(d)) {
      const a = d as readonly Value[];
      for (let i = 0; i < a.length; i++) {
        this.tick();
        if (fn(i, a[i])) return true;
      }
    } else if (d instanceof ObjectValue) {
      for (const [key, val] of d.entries()) {
        this.tick();
        if (fn(key, val)) return true;
      }
    } else if (d instanceof SetValue) {
      for (const x of d.values()) {
        this.tick();
        if (fn(x, x)) return true;
      }
    }
    return false;
  }

  // -------------------------------------------------------------------------------------------
  // Unification

  private isPattern(t: Term, f: Frame): boolean {
    switch (t.type) {
      case 'var':
        return !f.has(t.name) && t.name !== 'data' && t.name !== 'input';
      case 'array':
        return t.items.some((x) => this.isPattern(x, f));
      case 'object':
        return t.items.some(([, v]) => this.isPattern(v, f));
      default:
        return false;
    }
  }

  unify(a: Term, b: Term, f: Frame, k: K): boolean {
    const pa = this.isPattern(a, f);
    const pb = this.isPattern(b, f);
    if (pa && pb) {
      if (a.type === 'array' && b.type === 'array') {
        if (a.items.length !== b.items.length) return false;
        const step = (i: number): boolean => (i === a.items.length ? k() : this.unify(a.items[i], b.items[i], f, () => step(i + 1)));
        return step(0);
      }
      if (a.type === 'object' && b.type === 'object') {
        if (a.items.length !== b.items.length) return false;
        const step = (i: number): boolean => {
          if (i === a.items.length) return k();
          const [ak, av] = a.items[i];
          return this.evalTerm(ak, f, (key) => {
            const match = b.items.find(([bk]) => {
              let same = false;
              this.evalTerm(bk, f, (x) => {
                same = equals(x, key);
                return true;
              });
              return same;
            });
            return match ? this.unify(av, match[1], f, () => step(i + 1)) : false;
          });
        };
        return step(0);
      }
      if (a.type === 'var' || b.type === 'var') {
        const [v, other] = a.type === 'var' ? [a, b] : [b as Term, a];
        if (other.type === 'var') throw located(EVAL_UNSAFE_ERROR, `var ${other.name} is unsafe`, other.location);
        // Both sides open: the composite side must become ground through its own evaluation.
        return this.evalTerm(other, f, (val) => this.unifyValue(v, val, f, k));
      }
      return false;
    }
    const [src, dst] = pa ? [b, a] : [a, b];
    if (this.canFast(src, f)) {
      const v = this.evalOne(src, f);
      return v === undefined ? false : this.unifyValue(dst, v, f, k);
    }
    return this.evalTerm(src, f, (v) => this.unifyValue(dst, v, f, k));
  }

  /** Matches term `t` against value `v`, binding its unbound vars. */
  unifyValue(t: Term, v: Value, f: Frame, k: K): boolean {
    switch (t.type) {
      case 'var': {
        if (t.name === 'data' || t.name === 'input') break;
        const cur = f.get(t.name);
        if (cur !== undefined) return equals(cur, v) ? k() : false;
        f.set(t.name, v);
        try {
          return k();
        } finally {
          f.delete(t.name);
        }
      }
      case 'array': {
        if (!this.isPattern(t, f)) break;
        if (!Array.isArray(v) || v.length !== t.items.length) return false;
        const arr = v as readonly Value[];
        const step = (i: number): boolean => (i === arr.length ? k() : this.unifyValue(t.items[i], arr[i], f, () => step(i + 1)));
        return step(0);
      }
      case 'object': {
        if (!this.isPattern(t, f)) break;
        if (!(v instanceof ObjectValue) || v.size !== t.items.length) return false;
        const step = (i: number): boolean => {
          if (i === t.items.length) return k();
          const [kt, vt] = t.items[i];
          return this.evalTerm(kt, f, (key) => {
            const x = v.get(key);
            return x === undefined ? false : this.unifyValue(vt, x, f, () => step(i + 1));
          });
        };
        return step(0);
      }
      default:
        break;
    }
    if (this.canFast(t, f)) {
      const x = this.evalOne(t, f);
      return x !== undefined && equals(x, v) ? k() : false;
    }
    return this.evalTerm(t, f, (x) => (equals(x, v) ? k() : false));
  }

  // -------------------------------------------------------------------------------------------
  // Terms

  evalTerm(t: Term, f: Frame, k: VK): boolean {
    switch (t.type) {
      case 'null':
      case 'boolean':
      case 'string':
      case 'number': {
        const v = literal(t);
        return v === undefined ? false : k(v);
      }
      case 'var': {
        const v = f.get(t.name);
        if (v !== undefined) return k(v);
        if (t.name === 'input') return this.ctx.input === undefined ? false : k(this.ctx.input);
        if (t.name === 'data') return this.walkData(this.policy.root, this.ctx.data, [], 1, f, k);
        throw located(EVAL_UNSAFE_ERROR, `var ${t.wildcard ? '_' : t.name} is unsafe`, t.location);
      }
      case 'ref':
        return this.evalRef(t, f, k);
      case 'array': {
        const cached = groundValue(t);
        if (cached !== undefined) return k(cached);
        const out: Value[] = new Array(t.items.length);
        const step = (i: number): boolean => {
          if (i === t.items.length) return k(out.slice());
          return this.evalTerm(t.items[i], f, (v) => {
            out[i] = v;
            return step(i + 1);
          });
        };
        return step(0);
      }
      case 'set': {
        const cached = groundValue(t);
        if (cached !== undefined) return k(cached);
        const out: Value[] = new Array(t.items.length);
        const step = (i: number): boolean => {
          if (i === t.items.length) return k(new SetValue(out));
          return this.evalTerm(t.items[i], f, (v) => {
            out[i] = v;
            return step(i + 1);
          });
        };
        return step(0);
      }
      case 'object': {
        const cached = groundValue(t);
        if (cached !== undefined) return k(cached);
        const keys: Value[] = new Array(t.items.length);
        const vals: Value[] = new Array(t.items.length);
        const step = (i: number): boolean => {
          if (i === t.items.length) {
            const o = new ObjectValue();
            for (let j = 0; j < keys.length; j++) o.set(keys[j], vals[j]);
            return k(o);
          }
          return this.evalTerm(t.items[i][0], f, (kv) =>
            this.evalTerm(t.items[i][1], f, (vv) => {
              keys[i] = kv;
              vals[i] = vv;
              return step(i + 1);
            }),
          );
        };
        return step(0);
      }
      case 'arraycompr': {
        const out: Value[] = [];
        this.evalBody(t.body, 0, f, () =>
          this.evalTerm(t.term, f, (v) => {
            out.push(v);
            return false;
          }),
        );
        return k(out);
      }
      case 'setcompr': {
        const out = new SetValue();
        this.evalBody(t.body, 0, f, () =>
          this.evalTerm(t.term, f, (v) => {
            out.add(v);
            return false;
          }),
        );
        return k(out);
      }
      case 'objectcompr': {
        const out = new ObjectValue();
        this.evalBody(t.body, 0, f, () =>
          this.evalTerm(t.key, f, (kv) =>
            this.evalTerm(t.value, f, (vv) => {
              const prev = out.get(kv);
              if (prev !== undefined && !equals(prev, vv)) {
                throw located(EVAL_CONFLICT_ERROR, 'object keys must be unique', t.location);
              }
              out.set(kv, vv);
              return false;
            }),
          ),
        );
        return k(out);
      }
      case 'call': {
        if (this.canFast(t, f)) {
          const v = this.evalOne(t, f);
          return v === undefined ? false : k(v);
        }
        return this.evalCall(t, f, false, k);
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Direct evaluation: terms that have at most one value under `f` (no unbound vars to iterate,
  // no comprehensions) are computed without continuations, in the same order as evalTerm.

  /** Whether `t` has at most one value under `f` and evalOne can compute it. */
  private canFast(t: Term, f: Frame): boolean {
    const need = fastVars(t);
    if (need === null) return false;
    for (let i = 0; i < need.length; i++) if (!f.has(need[i])) return false;
    return true;
  }

  /** The value of a term canFast accepted (undefined when it has none). */
  private evalOne(t: Term, f: Frame): Value | undefined {
    switch (t.type) {
      case 'null':
      case 'boolean':
      case 'string':
      case 'number':
        return literal(t);
      case 'var': {
        const v = f.get(t.name);
        return v !== undefined ? v : this.ctx.input;
      }
      case 'ref': {
        const terms = t.terms;
        const head = terms[0];
        if (head.type === 'var' && !f.has(head.name)) {
          if (head.name === 'data') return this.walkDataOne(this.policy.root, this.ctx.data, terms, 1, f);
          const input = this.ctx.input;
          return input === undefined ? undefined : this.walkValueOne(input, terms, 1, f, false);
        }
        const v = this.evalOne(head, f);
        return v === undefined ? undefined : this.walkValueOne(v, terms, 1, f, false);
      }
      case 'call': {
        const info = this.callInfo(t);
        const args = t.args;
        const vals: Value[] = new Array(args.length);
        for (let i = 0; i < args.length; i++) {
          const v = this.evalOne(args[i], f);
          if (v === undefined) return undefined;
          vals[i] = v;
        }
        if (info.member) {
          const d = vals[vals.length - 1];
          let found = false;
          this.iterate(d, (key, val) => {
            found = vals.length === 2 ? equals(val, vals[0]) : equals(key, vals[0]) && equals(val, vals[1]);
            return found;
          });
          return found;
        }
        return this.callResolved(info, vals, t.location);
      }
      default:
        return groundValue(t);
    }
  }

  private walkValueOne(v: Value, terms: readonly Term[], i: number, f: Frame, fromData: boolean): Value | undefined {
    let cur = v;
    for (; i < terms.length; i++) {
      const key = this.evalOne(terms[i], f);
      if (key === undefined) return undefined;
      let x = lookup(cur, key);
      if (x === undefined && fromData && cur instanceof ObjectValue && typeof key === 'number' && Number.isInteger(key)) {
        x = cur.get(String(key));
      }
      if (x === undefined) return undefined;
      cur = x;
    }
    return cur;
  }

  private walkDataOne(node: RuleNode, base: Value | undefined, terms: readonly Term[], i: number, f: Frame): Value | undefined {
    for (;;) {
      if (node.rules.length || node.defaultRule || this.isOverridden(node)) {
        const v = this.nodeValue(node, base);
        return v === undefined ? undefined : this.walkValueOne(v, terms, i, f, true);
      }
      if (i === terms.length) return this.nodeValue(node, base);
      const key = this.evalOne(terms[i], f);
      if (key === undefined) return undefined;
      const name = typeof key === 'string' ? key : typeof key === 'number' && Number.isInteger(key) ? String(key) : undefined;
      const child = name === undefined ? undefined : node.children.get(name);
      let sub = base instanceof ObjectValue ? base.get(key) : undefined;
      if (sub === undefined && name !== undefined && typeof key !== 'string' && base instanceof ObjectValue) sub = base.get(name);
      if (!child) return sub === undefined ? undefined : this.walkValueOne(sub, terms, i + 1, f, true);
      node = child;
      base = sub;
      i++;
    }
  }

  private evalRef(t: RefTerm, f: Frame, k: VK): boolean {
    if (this.canFast(t, f)) {
      const v = this.evalOne(t, f);
      return v === undefined ? false : k(v);
    }
    const head = t.terms[0];
    if (head.type === 'var' && !f.has(head.name)) {
      if (head.name === 'data') return this.walkData(this.policy.root, this.ctx.data, t.terms, 1, f, k);
      if (head.name === 'input') {
        const input = this.ctx.input;
        return input === undefined ? false : this.walkValue(input, t.terms, 1, f, k);
      }
    }
    return this.evalTerm(head, f, (v) => this.walkValue(v, t.terms, 1, f, k));
  }

  private walkValue(v: Value, terms: readonly Term[], i: number, f: Frame, k: VK, fromData = false): boolean {
    if (i === terms.length) return k(v);
    const t = terms[i];
    if (this.isPattern(t, f)) {
      return this.iterate(v, (key, val) => this.unifyValue(t, key, f, () => this.walkValue(val, terms, i + 1, f, k, fromData)));
    }
    return this.evalTerm(t, f, (key) => {
      let x = lookup(v, key);
      if (x === undefined && fromData && v instanceof ObjectValue && typeof key === 'number' && Number.isInteger(key)) {
        x = v.get(String(key));
      }
      return x === undefined ? false : this.walkValue(x, terms, i + 1, f, k, fromData);
    });
  }

  /** Walks `data`: through the rule tree while keys are known, then into a computed value. */
  private walkData(node: RuleNode, base: Value | undefined, terms: readonly Term[], i: number, f: Frame, k: VK): boolean {
    if (node.rules.length || node.defaultRule || this.isOverridden(node)) {
      const v = this.nodeValue(node, base);
      return v === undefined ? false : this.walkValue(v, terms, i, f, k, true);
    }
    if (i === terms.length) {
      const v = this.nodeValue(node, base);
      return v === undefined ? false : k(v);
    }
    const t = terms[i];
    if (this.isPattern(t, f)) {
      const v = this.nodeValue(node, base);
      return v === undefined ? false : this.walkValue(v, terms, i, f, k);
    }
    return this.evalTerm(t, f, (key) => {
      // Base documents are JSON: an integer key reads the object's string key (`data.a[2]`).
      const name = typeof key === 'string' ? key : typeof key === 'number' && Number.isInteger(key) ? String(key) : undefined;
      const child = name === undefined ? undefined : node.children.get(name);
      let sub = base instanceof ObjectValue ? base.get(key) : undefined;
      if (sub === undefined && name !== undefined && typeof key !== 'string' && base instanceof ObjectValue) sub = base.get(name);
      if (child) return this.walkData(child, sub, terms, i + 1, f, k);
      return sub === undefined ? false : this.walkValue(sub, terms, i + 1, f, k, true);
    });
  }

  // -------------------------------------------------------------------------------------------
  // Virtual documents

  /** Whether a `with data...` replaced the document at `node` (no path join when none is in force). */
  private isOverridden(node: RuleNode): boolean {
    const o = this.ctx.overridden;
    return o.size !== 0 && o.has(node.path.join('\0'));
  }

  /** The value of the document at `node`: rules there, merged with base data and children. */
  private nodeValue(node: RuleNode, base: Value | undefined): Value | undefined {
    const memo = this.ctx.memo;
    const cached = memo.get(node);
    if (cached === PENDING) throw located('rego_recursion_error', `rule ${node.path.join('.')} is recursive`, this.loc);
    if (memo.has(node)) return cached;
    memo.set(node, PENDING);
    let v: Value | undefined;
    try {
      v = this.computeNode(node, base);
    } catch (e) {
      memo.delete(node);
      throw e;
    }
    memo.set(node, v);
    return v;
  }

  private computeNode(node: RuleNode, base: Value | undefined): Value | undefined {
    if (this.isOverridden(node)) return getIn(this.ctx.data, node.path, 1);
    if (node.arity !== undefined) return undefined;
    const first = node.rules[0] ?? node.defaultRule;
    if (first && first.kind === 'complete' && first.keyTerms.length === 0) return this.completeValue(node);
    if (first && first.kind === 'multi-value' && first.keyTerms.length === 0) return this.setValue(node);
    const obj = base instanceof ObjectValue ? base.copy() : new ObjectValue();
    if (base !== undefined && !(base instanceof ObjectValue) && !first && node.children.size === 0) return base;
    for (const r of node.rules) this.addKeyed(obj, r);
    for (const [name, child] of node.children) {
      const cv = this.nodeValue(child, obj.get(name));
      if (cv !== undefined) obj.set(name, cv);
    }
    return obj;
  }

  /** Runs a rule body in a fresh frame, calling `k` per solution (else chains handled by callers). */
  private ruleSolutions(rule: Rule, f: Frame, k: K): boolean {
    this.enter(rule.location);
    try {
      return this.evalBody(rule.body, 0, f, k);
    } finally {
      this.depth--;
    }
  }

  private completeValue(node: RuleNode): Value | undefined {
    let result: Value | undefined;
    const add = (v: Value, loc: Location): void => {
      if (result !== undefined && !equals(result, v)) {
        throw located(
          EVAL_CONFLICT_ERROR,
          `complete rules must not produce multiple outputs (rule ${node.path.join('.')} produced conflicting values)`,
          loc,
        );
      }
      result = v;
    };
    for (const c of node.rules) {
      for (let r: Rule | undefined = c.rule; r; r = r.else) {
        let any = false;
        const f: Frame = new Map();
        const rule = r;
        this.ruleSolutions(rule, f, () => {
          any = true;
          const vt = rule.head.value;
          if (!vt) {
            add(true, rule.location);
            return c.constantValue;
          }
          this.evalTerm(vt, f, (v) => {
            add(v, rule.location);
            return false;
          });
          return c.constantValue;
        });
        if (any) break;
      }
    }
    if (result === undefined && node.defaultRule) {
      const d = node.defaultRule.rule;
      const vt = d.head.value;
      if (!vt) return true;
      this.evalTerm(vt, new Map(), (v) => {
        result = v;
        return true;
      });
    }
    return result;
  }

  private setValue(node: RuleNode): Value {
    const out = new SetValue();
    for (const c of node.rules) {
      const f: Frame = new Map();
      const key = c.rule.head.key;
      if (!key) continue;
      this.ruleSolutions(c.rule, f, () =>
        this.evalTerm(key, f, (v) => {
          out.add(v);
          return false;
        }),
      );
    }
    return out;
  }

  /** Adds the entries of a ref-head / partial object rule to `obj`. */
  private addKeyed(obj: ObjectValue, c: CompiledRule): void {
    const r = c.rule;
    const f: Frame = new Map();
    const isSet = c.kind === 'multi-value';
    this.ruleSolutions(r, f, () => {
      const keys: Value[] = [];
      const step = (i: number): boolean => {
        if (i === c.keyTerms.length) {
          const leafTerm = isSet ? r.head.key : r.head.value;
          if (!leafTerm) return this.insert(obj, keys, true, isSet, r.location);
          return this.evalTerm(leafTerm, f, (v) => this.insert(obj, keys, v, isSet, r.location));
        }
        return this.evalTerm(c.keyTerms[i], f, (kv) => {
          keys[i] = kv;
          return step(i + 1);
        });
      };
      return step(0);
    });
  }

  private insert(obj: ObjectValue, keys: Value[], v: Value, isSet: boolean, loc: Location): boolean {
    let cur = obj;
    for (let i = 0; i < keys.length - 1; i++) {
      const next = cur.get(keys[i]);
      if (next === undefined) {
        const o = new ObjectValue();
        cur.set(keys[i], o);
        cur = o;
      } else if (next instanceof ObjectValue) {
        const o = next.copy();
        cur.set(keys[i], o);
        cur = o;
      } else throw located(EVAL_CONFLICT_ERROR, 'object keys must be unique', loc);
    }
    const last = keys[keys.length - 1];
    const prev = cur.get(last);
    if (isSet) {
      const s = prev instanceof SetValue ? new SetValue(prev.values()) : new SetValue();
      if (prev !== undefined && !(prev instanceof SetValue)) throw located(EVAL_CONFLICT_ERROR, 'object keys must be unique', loc);
      s.add(v);
      cur.set(last, s);
      return false;
    }
    if (prev !== undefined && !equals(prev, v)) {
      throw located(
        EVAL_CONFLICT_ERROR,
        `object keys must be unique (rule produced conflicting values for key ${formatValue(last)})`,
        loc,
      );
    }
    cur.set(last, v);
    return false;
  }

  // -------------------------------------------------------------------------------------------
  // Calls

  private callInfo(call: CallTerm): CallInfo {
    const hit = callInfoCache.get(call);
    if (hit !== undefined && hit.policy === this.policy) return hit.info;
    const name = operatorName(call.operator);
    if (name === undefined) throw located('rego_type_error', 'call operator must be a name', call.location);
    const member = name === 'internal.member_2' || name === 'internal.member_3';
    const node = name.startsWith('data.') ? findNode(this.policy, name.split('.')) : undefined;
    const info: CallInfo = {
      name,
      member,
      arity: this.arityOf(name),
      node: node && node.arity !== undefined ? node : undefined,
      def: name.startsWith('data.') ? undefined : this.policy.builtins.get(name),
    };
    callInfoCache.set(call, { policy: this.policy, info });
    return info;
  }

  private evalCall(call: CallTerm, f: Frame, asExpr: boolean, k: VK): boolean {
    const info = this.callInfo(call);
    const name = info.name;
    if (info.member) {
      return this.evalArgs(call.args, 0, [], f, (vals) => {
        const d = vals[vals.length - 1];
        let found = false;
        this.iterate(d, (key, val) => {
          found = vals.length === 2 ? equals(val, vals[0]) : equals(key, vals[0]) && equals(val, vals[1]);
          return found;
        });
        return k(found);
      });
    }
    const arity = info.arity;
    if (asExpr && arity !== undefined && arity >= 0 && call.args.length === arity + 1) {
      const out = call.args[arity];
      return this.evalArgs(call.args.slice(0, arity), 0, [], f, (vals) => {
        const r = this.callResolved(info, vals, call.location);
        return r === undefined ? false : this.unifyValue(out, r, f, () => k(true));
      });
    }
    return this.evalArgs(call.args, 0, [], f, (vals) => {
      const r = this.callResolved(info, vals, call.location);
      return r === undefined ? false : k(r);
    });
  }

  /** callValue with the operator resolved ahead (no name lookups unless mocks are in force). */
  private callResolved(info: CallInfo, vals: Value[], loc: Location): Value | undefined {
    if (this.ctx.mocks.size !== 0) return this.callValue(info.name, vals, loc);
    if (info.node !== undefined) return this.callFunction(info.node, vals);
    const def = info.def;
    if (def === undefined) return this.callValue(info.name, vals, loc);
    try {
      return invoke(def, vals, this.bctx);
    } catch (e) {
      if (e instanceof BuiltinError) throw located(e.code, e.message, this.loc ?? loc);
      throw e;
    }
  }

  private arityOf(name: string): number | undefined {
    if (name.startsWith('data.')) return findNode(this.policy, name.split('.'))?.arity;
    const def = this.policy.builtins.get(name);
    return def ? (def.variadic ? -1 : def.args.length) : undefined;
  }

  private evalArgs(args: readonly Term[], i: number, vals: Value[], f: Frame, k: (vals: Value[]) => boolean): boolean {
    // Single-valued arguments directly; the rest (and backtracking) through continuations.
    for (; i < args.length && this.canFast(args[i], f); i++) {
      const v = this.evalOne(args[i], f);
      if (v === undefined) return false;
      vals[i] = v;
    }
    if (i === args.length) return k(vals.slice());
    return this.evalTerm(args[i], f, (v) => {
      vals[i] = v;
      return this.evalArgs(args, i + 1, vals, f, k);
    });
  }

  private callValue(name: string, vals: Value[], loc: Location, mockDepth = 0): Value | undefined {
    const mock = this.ctx.mocks.get(name);
    if (mock && mockDepth < 16) {
      if (mock.kind === 'value') return mock.value;
      // A replacement function runs without the mocks in force (it may call the original).
      const outer = this.ctx;
      this.ctx = { ...outer, mocks: new Map(), memo: new Map(), fnMemo: new Map() };
      try {
        return this.callValue(mock.name, vals, loc, mockDepth + 1);
      } finally {
        this.ctx = outer;
      }
    }
    if (name.startsWith('data.')) {
      const node = findNode(this.policy, name.split('.'));
      if (!node || node.arity === undefined) throw located('rego_type_error', `undefined function ${name}`, loc);
      return this.callFunction(node, vals);
    }
    const def = this.policy.builtins.get(name);
    if (!def) throw located('rego_type_error', `undefined function ${name}`, loc);
    try {
      return invoke(def, vals, this.bctx);
    } catch (e) {
      if (e instanceof BuiltinError) throw located(e.code, e.message, this.loc ?? loc);
      throw e;
    }
  }

  private callFunction(node: RuleNode, vals: Value[]): Value | undefined {
    const key = `${nodeName(node)}\0${String(keyOf(vals))}`;
    const memo = this.ctx.fnMemo;
    if (memo.has(key)) return memo.get(key);
    let result: Value | undefined;
    for (const c of node.rules) {
      for (let r: Rule | undefined = c.rule; r; r = r.else) {
        const rule = r;
        let any = false;
        const f: Frame = new Map();
        const args = c.rule.head.args ?? [];
        const bindArgs = (i: number, k: K): boolean => (i === args.length ? k() : this.unifyValue(args[i], vals[i], f, () => bindArgs(i + 1, k)));
        bindArgs(0, () =>
          this.ruleSolutions(rule, f, () => {
            any = true;
            const vt = rule.head.value;
            const take = (v: Value): boolean => {
              if (result !== undefined && !equals(result, v)) {
                throw located(
                  EVAL_CONFLICT_ERROR,
                  `functions must not produce multiple outputs for same inputs (function ${node.path.join('.')} produced conflicting values for the same inputs)`,
                  rule.location,
                );
              }
              result = v;
              return false;
            };
            if (!vt) return take(true);
            return this.evalTerm(vt, f, take);
          }),
        );
        if (any) break;
      }
    }
    if (result === undefined && node.defaultRule?.rule.head.value) {
      this.evalTerm(node.defaultRule.rule.head.value, new Map(), (v) => {
        result = v;
        return true;
      });
    }
    memo.set(key, result);
    return result;
  }

  /** The first value of a ground term (undefined when it has none). */
  valueOf(t: Term): Value | undefined {
    let out: Value | undefined;
    this.guard(() =>
      this.evalTerm(t, new Map(), (v) => {
        out = v;
        return true;
      }),
    );
    return out;
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (e instanceof RangeError && /call stack/i.test(e.message)) {
        throw located(EVAL_LIMIT_ERROR, 'evaluation exceeded the maximum stack depth', this.loc);
      }
      throw e;
    }
  }

  /** Evaluates a query body, calling `onRow` per solution. */
  run(body: Body, onRow: (f: Frame, values: Value[]) => void): void {
    const f: Frame = new Map();
    const values: Value[] = new Array(body.length).fill(true);
    const step = (i: number): boolean => {
      if (i === body.length) {
        onRow(f, values.slice());
        return false;
      }
      return this.evalExpr(
        body[i],
        f,
        () => step(i + 1),
        (v) => {
          values[i] = v;
        },
      );
    };
    this.guard(() => step(0));
  }
}

/**
 * Evaluates a query against a compiled policy. Returns one OPA-shaped row per solution:
 * the value of each query expression (true for unifications) and the user variables' bindings.
 */
export function evalQuery(policy: CompiledPolicy, query: string | Body, opts: EvalOptions = {}): ResultRow[] {
  const q = compileQuery(policy, query);
  try {
    return runQuery(policy, q, opts);
  } catch (e) {
    if (!(e instanceof WardenError)) throw e;
    throw withSnippet(e, typeof query === 'string' ? new Map([...policy.sources, [QUERY_FILE, query]]) : policy.sources);
  }
}

function runQuery(policy: CompiledPolicy, q: CompiledQuery, opts: EvalOptions): ResultRow[] {
  const ev = new Evaluator(policy, opts);
  const rows: ResultRow[] = [];
  ev.run(q.body, (f, values) => {
    const bindings: Record<string, Value> = {};
    for (const name of q.vars) {
      const v = f.get(name);
      if (v !== undefined) bindings[name] = v;
    }
    const expressions = q.body.map((e, i) => ({
      value: values[i],
      text: '',
      location: { row: e.location.line, col: e.location.col },
    }));
    rows.push({ expressions, bindings });
  });
  return rows;
}

/** The value of the document at a `data` path (`data.a.b`, `a.b` or ['a', 'b']), or undefined. */
export function evalRule(policy: CompiledPolicy, path: string | readonly string[], opts: EvalOptions = {}): Value | undefined {
  const parts = typeof path === 'string' ? path.split('.').filter((p) => p !== '') : [...path];
  if (parts[0] !== 'data') parts.unshift('data');
  const loc: Location = { file: '<rule>', line: 1, col: 1 };
  const ref: RefTerm = {
    type: 'ref',
    location: loc,
    terms: [{ type: 'var', name: 'data', location: loc }, ...parts.slice(1).map((p) => ({ type: 'string' as const, value: p, location: loc }))],
  };
  try {
    return new Evaluator(policy, opts).valueOf(ref);
  } catch (e) {
    throw e instanceof WardenError ? withSnippet(e, policy.sources) : e;
  }
}
