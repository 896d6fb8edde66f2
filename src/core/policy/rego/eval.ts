// The Rego evaluator: top-down, continuation-passing evaluation of compiled policies with
// backtracking over variable bindings, lazily memoised virtual documents (merged with base data as
// OPA merges them), `with` overrides and mocks, and bounded work (a step budget and a depth limit
// end a runaway query with a coded error). Single-valued terms run as closures compiled once per
// term; optional decision-log records per evaluation (EvalOptions.onDecision).
import type { Clock } from '../../deps.js';
import { WardenError } from '../../errors.js';
import { decisionRecord, type DecisionRecord } from '../decision-log.js';
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
  isNumber,
  keyOf,
  numberText,
  parseNumber,
  type Value,
} from './value.js';
import { walkPairs } from './builtins/misc.js';

export const EVAL_CONFLICT_ERROR = 'eval_conflict_error';
export const EVAL_LIMIT_ERROR = 'eval_limit_error';
export const EVAL_UNSAFE_ERROR = 'rego_unsafe_var_error';

export interface EvalOptions {
  input?: Value;
  /**
   * Base documents under `data`. As in OPA, a path with rules is the rules' value; a namespace
   * read whole is its base document merged with the rules under it, the base winning where both
   * hold a non-object at the same key.
   */
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
  /**
   * Receives one OPA-shaped decision-log record per evalRule / evalQuery call (path or query,
   * input hash, result, evaluation time), also when evaluation fails. Requires `clock`. When
   * absent nothing is timed or hashed. It runs synchronously; what it throws reaches the caller.
   */
  onDecision?: (rec: DecisionRecord) => void;
  /** The caller's clock, for the decision record's timestamp and timer. */
  clock?: Pick<Clock, 'now' | 'monotonic'>;
  /** Labels copied into each decision record. */
  decisionLabels?: Record<string, string>;
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

/**
 * Variable bindings. A var is bound when its entry is not undefined: unbinding sets undefined
 * rather than deleting, as delete-then-set of the same key on every backtrack is a Map's slow path.
 */
type Frame = Map<string, Value | undefined>;
type K = () => boolean;
type VK = (v: Value) => boolean;

const PENDING = Symbol('pending');
const NOT_LEAF = Symbol('not-leaf');
const UNDEFINED = Symbol('undefined');
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
  /** nodeValue results by NodeInfo id: unset, PENDING (being computed), UNDEFINED or the value. */
  memo: Array<Value | typeof PENDING | typeof UNDEFINED | undefined>;
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

/**
 * OPA's merge of the base document at a path with the virtual one (rules) there: objects merge
 * key by key, recursively; anywhere else the base document wins.
 */
function mergeDocs(base: Value, virtual: Value): Value {
  if (!(base instanceof ObjectValue) || !(virtual instanceof ObjectValue)) return base;
  if (virtual.size === 0) return base;
  if (base.size === 0) return virtual;
  const out = virtual.copy();
  for (const [k, b] of base.unorderedEntries()) {
    const v = out.get(k);
    out.set(k, v === undefined ? b : mergeDocs(b, v));
  }
  return out;
}

/**
 * A key of a base document. OPA reads base documents through storage paths, which are text: a
 * number reads the object key spelled as its text (`data.a[2]`, `data[1.5]`).
 */
function baseGet(base: Value | undefined, key: Value): Value | undefined {
  if (base === undefined) return undefined;
  const x = lookup(base, key);
  if (x !== undefined) return x;
  if (base instanceof ObjectValue) return isNumber(key) ? base.get(numberText(key)) : undefined;
  // Storage paths are text: an array reads a string of digits as its index (data.xs["1"]).
  if (Array.isArray(base) && typeof key === 'string' && DIGITS.test(key)) return (base as readonly Value[])[Number(key)];
  return undefined;
}

const DIGITS = /^[0-9]{1,15}$/;

/** Gives every node of a policy's tree its NodeInfo (once per policy); returns the node count. */
const nodeCountCache = new WeakMap<CompiledPolicy, number>();

function nodeCount(policy: CompiledPolicy): number {
  let n = nodeCountCache.get(policy);
  if (n === undefined) {
    let next = 0;
    const visit = (node: RuleNode): void => {
      attach(node, { id: next++, kind: nodeKind(node) });
      for (const c of node.children.values()) visit(c);
    };
    visit(policy.root);
    n = next;
    nodeCountCache.set(policy, n);
  }
  return n;
}

function nodeKind(node: RuleNode): NodeInfo['kind'] {
  if (node.arity !== undefined) return 'function';
  const first = node.rules[0] ?? node.defaultRule;
  if (first === undefined) return 'namespace';
  if (first.keyTerms.length === 0) {
    if (first.kind === 'complete') return 'complete';
    if (first.kind === 'multi-value') return 'set';
  }
  return 'keyed';
}

function nodeInfo(node: RuleNode): NodeInfo {
  const hit = (node as WithInfo<RuleNode, NodeInfo>)[INFO] ?? (detachedInfo.get(node) as NodeInfo | undefined);
  if (hit === undefined) throw new WardenError('eval_internal_error', `rule tree node ${node.path.join('.')} is not part of the policy`);
  return hit;
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
  /** The `walk` relation (evaluated here, one solution per node, unless mocked). */
  readonly walk: boolean;
}

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

/** Direct evaluation of a single-valued term under a frame (see Evaluator.compileOne). */
type OneFn = (ev: Evaluator, f: Frame) => Value | undefined;

/**
 * What the evaluator derives once per term. It lives on the term itself under a private,
 * non-enumerable symbol: the hot path reads it as a property, where a WeakMap lookup per term per
 * evaluation cost a measurable share of a request. `one` and `call` belong to `policy`.
 */
interface TermInfo {
  /** The vars that must be bound for the term to have at most one value (evalOne), or null when it never does. */
  readonly need: readonly string[] | null;
  policy: CompiledPolicy | undefined;
  one: OneFn | undefined;
  call: CallInfo | undefined;
}

/**
 * Per-expression, for `policy`: when it only tests its term (see Evaluator.testShape), the vars
 * that must be bound for that and the term's compiled evaluation; `one` is undefined otherwise.
 */
interface ExprInfo {
  readonly policy: CompiledPolicy;
  readonly need: readonly string[];
  readonly one: OneFn | undefined;
}

/** Per body (array of expressions), for `policy`: each expression's ExprInfo. */
interface BodyInfo {
  readonly policy: CompiledPolicy;
  readonly exprs: readonly ExprInfo[];
}

/**
 * Per rule-tree node (the tree belongs to one policy): a dense id for memo arrays, and the shape
 * of its document, derived once instead of re-read from the node on every access.
 */
interface NodeInfo {
  readonly id: number;
  readonly kind: 'namespace' | 'complete' | 'set' | 'keyed' | 'function';
}

const INFO = Symbol('rego.eval.info');
type WithInfo<T, I> = T & { [INFO]?: I };
/** Info for terms that cannot carry a property (frozen), by identity. */
const detachedInfo = new WeakMap<object, TermInfo | BodyInfo | NodeInfo>();

function attach<I extends TermInfo | BodyInfo | NodeInfo>(x: object, info: I): I {
  if (Object.isExtensible(x)) Object.defineProperty(x, INFO, { value: info, writable: true, enumerable: false, configurable: true });
  else detachedInfo.set(x, info);
  return info;
}

function termInfo(t: Term): TermInfo {
  const hit = (t as WithInfo<Term, TermInfo>)[INFO];
  if (hit !== undefined) return hit;
  const detached = detachedInfo.get(t) as TermInfo | undefined;
  if (detached !== undefined) return detached;
  return attach(t, { need: fastVars(t), policy: undefined, one: undefined, call: undefined });
}

/**
 * The variables that must be bound for `t` to have at most one value computable directly
 * (Evaluator.evalOne), or null when it never is (comprehensions, composites with variables,
 * the walk relation).
 */
function fastVars(t: Term): readonly string[] | null {
  let out: string[] | null = [];
  const addAll = (x: Term): void => {
    if (out === null) return;
    const v = termInfo(x).need;
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
      if (operatorName(t.operator) === 'walk') out = null;
      else for (const a of t.args) addAll(a);
      break;
    case 'array':
    case 'set':
    case 'object':
      if (groundValue(t) === undefined) out = null;
      break;
    default:
      out = null;
  }
  return out === null ? null : (out as string[]).length === 0 ? NO_VARS : out;
}

/**
 * Where a `data` ref's literal prefix leads in the rule tree: the node reached through namespace
 * nodes by string keys, the index of the first term not consumed, and the keys consumed.
 */
interface DataPlan {
  readonly node: RuleNode;
  readonly i: number;
  readonly prefix: readonly string[];
}

const UNREAD_KEY: OneFn = () => undefined;

function dataPlan(root: RuleNode, terms: readonly Term[]): DataPlan {
  let node = root;
  let i = 1;
  const prefix: string[] = [];
  for (; i < terms.length; i++) {
    if (node.rules.length !== 0 || node.defaultRule !== undefined || node.arity !== undefined) break;
    const t = terms[i];
    if (t.type !== 'string') break;
    const child = node.children.get(t.value);
    if (child === undefined) break;
    prefix.push(t.value);
    node = child;
  }
  return { node, i, prefix };
}

/** Whether a query term iterates (OPA's rego.iteration): a var in a ref, or the walk relation. */
function iterates(t: Term): boolean {
  switch (t.type) {
    case 'ref':
      for (let i = 1; i < t.terms.length; i++) if (t.terms[i].type === 'var') return true;
      return t.terms.some(iterates);
    case 'call':
      return operatorName(t.operator) === 'walk' || t.args.some(iterates);
    case 'array':
    case 'set':
      return t.items.some(iterates);
    case 'object':
      return t.items.some(([k, v]) => iterates(k) || iterates(v));
    default:
      return false;
  }
}

const groundHeadCache = new WeakMap<CompiledRule, boolean>();

/**
 * Whether every solution of a keyed or set rule's body adds the same entry (keys and value are
 * literals): one solution is then enough (OPA's early exit for constant rules).
 */
function groundHead(c: CompiledRule): boolean {
  let hit = groundHeadCache.get(c);
  if (hit === undefined) {
    const leaf = c.kind === 'multi-value' ? c.rule.head.key : c.rule.head.value;
    hit = c.keyTerms.every((t) => scalarOrGround(t) !== undefined) && (leaf === undefined || scalarOrGround(leaf) !== undefined);
    groundHeadCache.set(c, hit);
  }
  return hit;
}

class Evaluator {
  private ctx: Ctx;
  private steps = 0;
  private readonly maxSteps: number;
  private depth = 0;
  private loc: Location | undefined;
  /** The query expression whose `false` is a result, not a failure (see capturesValue). */
  private keepFalse: Expr | undefined;
  /** Nodes in the policy's tree (the memo arrays' length). */
  private readonly nodeCount: number;
  readonly bctx: BuiltinContext;

  constructor(
    private readonly policy: CompiledPolicy,
    private readonly opts: EvalOptions,
  ) {
    this.nodeCount = nodeCount(policy);
    this.maxSteps = opts.maxSteps ?? DEFAULT_MAX_STEPS;
    this.ctx = {
      input: opts.input,
      data: opts.data ?? new ObjectValue(),
      overridden: new Set(),
      mocks: new Map(),
      memo: new Array(this.nodeCount),
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
    if (++this.steps > this.maxSteps) {
      throw located(EVAL_LIMIT_ERROR, `evaluation exceeded ${this.maxSteps} steps`, this.loc);
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
    let plan = (body as WithInfo<Body, BodyInfo>)[INFO];
    if (plan === undefined || plan.policy !== this.policy) plan = this.bodyInfo(body);
    const infos = plan.exprs;
    for (; i < body.length; i++) {
      const e = body[i];
      const info = infos[i];
      const one = info.one;
      if (one === undefined) break;
      const need = info.need;
      let bound = true;
      for (let j = 0; j < need.length; j++) {
        if (f.get(need[j]) === undefined) {
          bound = false;
          break;
        }
      }
      if (!bound) break;
      this.tick();
      this.loc = e.location;
      const r = one(this, f);
      if ((r !== undefined && r !== false) === (e.negated === true)) return false;
    }
    if (i === body.length) return k();
    return this.evalExpr(body[i], f, () => this.evalBody(body, i + 1, f, k));
  }

  private bodyInfo(body: Body): BodyInfo {
    const hit = detachedInfo.get(body) as BodyInfo | undefined;
    if (hit !== undefined && hit.policy === this.policy) return hit;
    const exprs = body.map((e): ExprInfo => {
      const term = e.value as Term;
      const need = this.testShape(e) ? termInfo(term).need : null;
      return { policy: this.policy, need: need ?? NO_VARS, one: need === null ? undefined : this.oneOf(term) };
    });
    return attach(body, { policy: this.policy, exprs });
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
        if (r === undefined || (r === false && e !== this.keepFalse)) return false;
        onValue?.(r);
        return k();
      }
      return this.evalCall(v, f, true, (r) => {
        if (r === false && e !== this.keepFalse) return false;
        onValue?.(r);
        return k();
      });
    }
    return this.evalTerm(v, f, (r) => {
      if (r === false && e !== this.keepFalse) return false;
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
    // Grown on use: a `with` inside a loop must not cost a node-count array per iteration.
    return { input, data, overridden, mocks, memo: [], fnMemo: new Map() };
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
      // OPA: `every` over anything but an array, object or set is false, not vacuously true.
      if (!(Array.isArray(d) || d instanceof ObjectValue || d instanceof SetValue)) return true;
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
          names.forEach((n, i) => f.set(n, saved[i]));
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
        return f.get(t.name) === undefined && t.name !== 'data' && t.name !== 'input';
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
          f.set(t.name, undefined);
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
        return k(null);
      case 'boolean':
      case 'string':
        return k(t.value);
      case 'number': {
        const v = this.evalOne(t, f);
        return v === undefined ? false : k(v);
      }
      case 'var': {
        const v = f.get(t.name);
        if (v !== undefined) return k(v);
        if (t.name === 'input') return this.ctx.input === undefined ? false : k(this.ctx.input);
        if (t.name === 'data') return this.walkData(this.policy.root, this.ctx.data, [t], 1, f, k);
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
    const need = termInfo(t).need;
    if (need === null) return false;
    for (let i = 0; i < need.length; i++) if (f.get(need[i]) === undefined) return false;
    return true;
  }

  /** The value of a term canFast accepted (undefined when it has none). */
  private evalOne(t: Term, f: Frame): Value | undefined {
    const info = termInfo(t);
    let fn = info.one;
    if (fn === undefined || info.policy !== this.policy) fn = this.compileInfo(t, info);
    return fn(this, f);
  }

  /** The compiled direct evaluation of a term canFast can accept (policy-specific parts reset). */
  private oneOf(t: Term): OneFn {
    const info = termInfo(t);
    const fn = info.one;
    return fn !== undefined && info.policy === this.policy ? fn : this.compileInfo(t, info);
  }

  private compileInfo(t: Term, info: TermInfo): OneFn {
    if (info.policy !== this.policy) {
      info.policy = this.policy;
      info.call = undefined;
      info.one = undefined;
    }
    const fn = this.compileOne(t);
    info.one = fn;
    return fn;
  }

  /**
   * Compiles a single-valued term (fastVars not null) into a closure over its parts, in the same
   * order of evaluation as evalTerm: literals are constants, `data` refs start at the node their
   * literal prefix reaches, calls have their operator resolved.
   */
  private compileOne(t: Term): OneFn {
    switch (t.type) {
      case 'null':
        return () => null;
      case 'boolean':
      case 'string': {
        const v = t.value;
        return () => v;
      }
      case 'number': {
        const v = literal(t);
        return () => v;
      }
      case 'var': {
        const name = t.name;
        return (ev, f) => {
          const v = f.get(name);
          return v !== undefined ? v : ev.ctx.input;
        };
      }
      case 'ref': {
        const terms = t.terms;
        const head = terms[0];
        // keys[i] evaluates terms[i] (keys[0] is never read): indices match the ref's terms.
        const keys: OneFn[] = new Array<OneFn>(terms.length).fill(UNREAD_KEY);
        for (let i = 1; i < terms.length; i++) keys[i] = this.oneOf(terms[i]);
        if (head.type === 'var' && (head.name === 'data' || head.name === 'input')) {
          const name = head.name;
          if (name === 'data') {
            const plan = dataPlan(this.policy.root, terms);
            return (ev, f) => {
              const bound = f.get(name);
              return bound !== undefined ? ev.walkKeys(bound, keys, 1, f, false) : ev.walkDataPlan(plan, keys, f);
            };
          }
          return (ev, f) => {
            const bound = f.get(name);
            const root = bound !== undefined ? bound : ev.ctx.input;
            return root === undefined ? undefined : ev.walkKeys(root, keys, 1, f, false);
          };
        }
        const headFn = this.oneOf(head);
        return (ev, f) => {
          const v = headFn(ev, f);
          return v === undefined ? undefined : ev.walkKeys(v, keys, 1, f, false);
        };
      }
      case 'call': {
        const info = this.callInfo(t);
        const loc = t.location;
        const args = t.args.map((a) => this.oneOf(a));
        const n = args.length;
        if (info.member) {
          return (ev, f) => {
            const x = args[0](ev, f);
            if (x === undefined) return undefined;
            const y = n === 3 ? args[1](ev, f) : x;
            if (y === undefined) return undefined;
            const d = args[n - 1](ev, f);
            return d === undefined ? undefined : ev.member(n === 3 ? x : undefined, y, d);
          };
        }
        return (ev, f) => {
          const vals: Value[] = new Array(n);
          for (let i = 0; i < n; i++) {
            const v = args[i](ev, f);
            if (v === undefined) return undefined;
            vals[i] = v;
          }
          return ev.callResolved(info, vals, loc);
        };
      }
      default: {
        const v = groundValue(t);
        return () => v;
      }
    }
  }

  /** `internal.member_2/3`: whether the collection holds the value (at the key, when one is given). */
  private member(key: Value | undefined, val: Value, d: Value): boolean {
    let found = false;
    this.iterate(d, (k, v) => {
      found = key === undefined ? equals(v, val) : equals(k, key) && equals(v, val);
      return found;
    });
    return found;
  }

  /** Follows compiled keys `keys[i..]` from `v` (base documents read numbers as their text). */
  private walkKeys(v: Value, keys: readonly OneFn[], i: number, f: Frame, fromData: boolean): Value | undefined {
    let cur = v;
    for (; i < keys.length; i++) {
      const key = keys[i](this, f);
      if (key === undefined) return undefined;
      const x = fromData ? baseGet(cur, key) : lookup(cur, key);
      if (x === undefined) return undefined;
      cur = x;
    }
    return cur;
  }

  /** A `data` ref from where its literal prefix leads (the full walk while `with data` is in force). */
  private walkDataPlan(plan: DataPlan, keys: readonly OneFn[], f: Frame): Value | undefined {
    const data = this.ctx.data;
    if (this.ctx.overridden.size !== 0) return this.walkDataOne(this.policy.root, data, keys, 1, f);
    let base: Value | undefined;
    if (!(data instanceof ObjectValue && data.size === 0)) {
      base = data;
      for (let j = 0; j < plan.prefix.length && base !== undefined; j++) base = baseGet(base, plan.prefix[j]);
    }
    return this.walkDataOne(plan.node, base, keys, plan.i, f);
  }

  private walkDataOne(node: RuleNode, base: Value | undefined, keys: readonly OneFn[], i: number, f: Frame): Value | undefined {
    for (;;) {
      const leaf = this.leafValue(node);
      if (leaf !== NOT_LEAF) return leaf === undefined ? undefined : this.walkKeys(leaf, keys, i, f, this.isOverridden(node));
      if (i === keys.length) return this.extent(node, base);
      const key = keys[i](this, f);
      if (key === undefined) return undefined;
      const child = typeof key === 'string' ? node.children.get(key) : undefined;
      if (child === undefined) {
        const sub = baseGet(base, key);
        return sub === undefined ? undefined : this.walkKeys(sub, keys, i + 1, f, true);
      }
      node = child;
      base = baseGet(base, key);
      i++;
    }
  }

  private evalRef(t: RefTerm, f: Frame, k: VK): boolean {
    if (this.canFast(t, f)) {
      const v = this.evalOne(t, f);
      return v === undefined ? false : k(v);
    }
    const head = t.terms[0];
    if (head.type === 'var' && f.get(head.name) === undefined) {
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
      const x = fromData ? baseGet(v, key) : lookup(v, key);
      return x === undefined ? false : this.walkValue(x, terms, i + 1, f, k, fromData);
    });
  }

  /**
   * Walks `data` as OPA does: through the rule tree while keys name its nodes; a node with rules
   * is its rules' value (base data there is not consulted); past the tree, base data only; a
   * whole namespace is its base document merged with the rules under it (mergeDocs).
   */
  private walkData(node: RuleNode, base: Value | undefined, terms: readonly Term[], i: number, f: Frame, k: VK): boolean {
    const leaf = this.leafValue(node);
    if (leaf !== NOT_LEAF) return leaf === undefined ? false : this.walkValue(leaf, terms, i, f, k, this.isOverridden(node));
    if (i === terms.length) {
      const v = this.extent(node, base);
      return v === undefined ? false : k(v);
    }
    const t = terms[i];
    if (this.isPattern(t, f)) {
      const v = this.extent(node, base);
      return v === undefined ? false : this.walkValue(v, terms, i, f, k);
    }
    return this.evalTerm(t, f, (key) => {
      const child = typeof key === 'string' ? node.children.get(key) : undefined;
      if (child) return this.walkData(child, baseGet(base, key), terms, i + 1, f, k);
      const sub = baseGet(base, key);
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

  /**
   * The value of a node that is a document of its own (rules or functions there, or replaced by
   * `with`): NOT_LEAF for a namespace, else its value or undefined.
   */
  private leafValue(node: RuleNode): Value | undefined | typeof NOT_LEAF {
    if (nodeInfo(node).kind === 'namespace' && !this.isOverridden(node)) return NOT_LEAF;
    return this.nodeValue(node);
  }

  /** A namespace's document: its base document merged with the rules under it. */
  private extent(node: RuleNode, base: Value | undefined): Value | undefined {
    const virtual = this.nodeValue(node);
    if (base === undefined) return virtual;
    return virtual === undefined ? base : mergeDocs(base, virtual);
  }

  /**
   * The virtual document at `node` (memoised per `with` context): its rules' value, or for a
   * namespace the object of its children's (OPA's leaves: undefined children left out; a package
   * without rules is a node without children, so an empty object).
   */
  private nodeValue(node: RuleNode): Value | undefined {
    const memo = this.ctx.memo;
    const id = nodeInfo(node).id;
    const cached = memo[id];
    if (cached !== undefined) {
      if (cached === UNDEFINED) return undefined;
      if (cached === PENDING) throw located('rego_recursion_error', `rule ${node.path.join('.')} is recursive`, this.loc);
      return cached;
    }
    memo[id] = PENDING;
    let v: Value | undefined;
    try {
      v = this.computeNode(node);
    } catch (e) {
      memo[id] = undefined;
      throw e;
    }
    memo[id] = v === undefined ? UNDEFINED : v;
    return v;
  }

  private computeNode(node: RuleNode): Value | undefined {
    if (this.isOverridden(node)) return getIn(this.ctx.data, node.path, 1);
    const kind = nodeInfo(node).kind;
    // A function is no document, except one without parameters: OPA evaluates `f() := v` as `f := v`.
    if (kind === 'function') return node.arity === 0 ? this.callFunction(node, []) : undefined;
    if (kind === 'complete') return this.completeValue(node);
    if (kind === 'set') return this.setValue(node);
    const obj = new ObjectValue();
    for (const r of node.rules) this.addKeyed(obj, r);
    for (const [name, child] of node.children) {
      const cv = this.nodeValue(child);
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
        // A body solution whose head value is undefined is no solution (OPA moves the value's
        // refs into the body), so `x := data.missing if {...} else := 2` is 2.
        this.ruleSolutions(rule, f, () => {
          const vt = rule.head.value;
          if (!vt) {
            any = true;
            add(true, rule.location);
            return c.constantValue;
          }
          this.evalTerm(vt, f, (v) => {
            any = true;
            add(v, rule.location);
            return false;
          });
          return any && c.constantValue;
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
      const once = groundHead(c);
      this.ruleSolutions(c.rule, f, () => {
        this.evalTerm(key, f, (v) => {
          out.add(v);
          return false;
        });
        return once;
      });
    }
    return out;
  }

  /** Adds the entries of a ref-head / partial object rule to `obj`. */
  private addKeyed(obj: ObjectValue, c: CompiledRule): void {
    const r = c.rule;
    const f: Frame = new Map();
    const isSet = c.kind === 'multi-value';
    const once = groundHead(c);
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
      step(0);
      return once;
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
    const ti = termInfo(call);
    if (ti.policy !== this.policy) {
      ti.policy = this.policy;
      ti.one = undefined;
      ti.call = undefined;
    }
    if (ti.call !== undefined) return ti.call;
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
      walk: name === 'walk',
    };
    ti.call = info;
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
    if (info.walk && !this.ctx.mocks.has(name)) return this.evalWalk(call, f, asExpr, k);
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

  /**
   * `walk(x)`: one solution per node of x, the pair [path, value] (x itself first, at path []);
   * as `walk(x, out)` each pair is unified with `out`.
   */
  private evalWalk(call: CallTerm, f: Frame, asExpr: boolean, k: VK): boolean {
    const out = asExpr && call.args.length === 2 ? call.args[1] : undefined;
    return this.evalTerm(call.args[0], f, (x) => {
      for (const pair of walkPairs(x)) {
        this.tick();
        if (out === undefined ? k(pair) : this.unifyValue(out, pair, f, () => k(true))) return true;
      }
      return false;
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
      this.ctx = { ...outer, mocks: new Map(), memo: [], fnMemo: new Map() };
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
            const vt = rule.head.value;
            const take = (v: Value): boolean => {
              any = true;
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

  /** The document at a `data` path (`['data', 'a', 'b']`), as the ref `data.a.b` reads it. */
  dataValue(parts: readonly string[]): Value | undefined {
    let out: Value | undefined;
    this.guard(() => {
      let node = this.policy.root;
      let base: Value | undefined = this.ctx.data;
      let i = 1;
      let cur: Value | undefined;
      let fromData = true;
      for (;;) {
        const leaf = this.leafValue(node);
        if (leaf !== NOT_LEAF) {
          cur = leaf;
          fromData = this.isOverridden(node);
          break;
        }
        if (i === parts.length) {
          out = this.extent(node, base);
          return;
        }
        const child = node.children.get(parts[i]);
        if (child === undefined) {
          cur = baseGet(base, parts[i++]);
          break;
        }
        node = child;
        base = baseGet(base, parts[i++]);
      }
      for (; i < parts.length && cur !== undefined; i++) cur = fromData ? baseGet(cur, parts[i]) : lookup(cur, parts[i]);
      out = cur;
    });
    return out;
  }

  /**
   * OPA's `opa eval` captures the value of a lone query expression that computes one (a term, or a
   * call without an output argument) and reports it even when it is `false` (`1 == 2` → false).
   * Not with iteration (a var in a ref, `walk`), where false values fail as in a rule body.
   */
  private capturesValue(e: Expr): boolean {
    if (e.negated) return false;
    const v = e.value;
    if (v.type === 'some' || v.type === 'every' || v.type === 'body') return false;
    if (v.type === 'call') {
      const name = operatorName(v.operator);
      if (name === undefined || name === 'eq' || name === 'assign') return false;
      const arity = this.callInfo(v).arity;
      if (arity === undefined || arity < 0 || v.args.length !== arity) return false;
    }
    return !iterates(v);
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
    this.keepFalse = body.length === 1 && this.capturesValue(body[0]) ? body[0] : undefined;
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
  if (opts.onDecision !== undefined) {
    const text = typeof query === 'string' ? query : undefined;
    return logged(opts, '', text, () => evalQueryNow(policy, query, opts), (rows) => rows.map((r) => ObjectValue.fromRecord(r.bindings)));
  }
  return evalQueryNow(policy, query, opts);
}

function evalQueryNow(policy: CompiledPolicy, query: string | Body, opts: EvalOptions): ResultRow[] {
  const q = compileQuery(policy, query);
  try {
    return runQuery(policy, q, opts);
  } catch (e) {
    if (!(e instanceof WardenError)) throw e;
    throw withSnippet(e, typeof query === 'string' ? new Map([...policy.sources, [QUERY_FILE, query]]) : policy.sources);
  }
}

/**
 * Runs one evaluation for a caller that asked for decision records: times it on the caller's
 * clock and hands onDecision the record, then returns the result or rethrows the error.
 * A query's result is its rows' bindings, as OPA's ad-hoc query API reports them.
 */
function logged<T>(
  opts: EvalOptions,
  path: string,
  query: string | undefined,
  run: () => T,
  resultOf: (r: T) => Value | undefined,
): T {
  const clock = opts.clock;
  const sink = opts.onDecision;
  if (clock === undefined || sink === undefined) {
    throw new WardenError('eval_options_invalid', 'onDecision needs the caller\'s clock (EvalOptions.clock)');
  }
  const started = clock.monotonic();
  let out: T | undefined;
  let failure: unknown;
  let failed = false;
  try {
    out = run();
  } catch (e) {
    failure = e;
    failed = true;
  }
  const durationNs = (clock.monotonic() - started) * 1e6;
  const rec = decisionRecord({
    path,
    input: opts.input,
    result: failed ? undefined : resultOf(out as T),
    durationNs,
    clock,
    labels: opts.decisionLabels,
    query,
    error: failed ? { code: failure instanceof WardenError ? failure.code : 'internal' } : undefined,
  });
  sink(rec);
  if (failed) throw failure;
  return out as T;
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
  if (opts.onDecision !== undefined) return logged(opts, parts.join('.'), undefined, () => evalRuleNow(policy, parts, opts), (v) => v);
  return evalRuleNow(policy, parts, opts);
}

function evalRuleNow(policy: CompiledPolicy, parts: readonly string[], opts: EvalOptions): Value | undefined {
  try {
    return new Evaluator(policy, opts).dataValue(parts);
  } catch (e) {
    throw e instanceof WardenError ? withSnippet(e, policy.sources) : e;
  }
}
