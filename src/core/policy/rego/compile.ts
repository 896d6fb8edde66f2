// The Rego compiler: turns parsed modules into a CompiledPolicy — a rule tree indexed by data path,
// declared variables renamed apart, names resolved to `data.*`/`input.*` refs, bodies reordered for
// safety. The checks run in OPA's stage order (keyword overrides, imports, local declarations, rule
// conflicts, undefined functions and arity, safety, recursion, deprecated builtins); every error of
// the first failing stage is collected as a coded, located WardenError.
import { WardenError } from '../../errors.js';
import {
  ruleKind,
  type Body,
  type Expr,
  type Import,
  type Module,
  type RefTerm,
  type RegoVersionMode,
  type Rule,
  type RuleKind,
  type Term,
  type VarTerm,
} from './ast.js';
import { defaultRegistry, type BuiltinRegistry } from './builtins/index.js';
import { withSnippet, type Location } from './location.js';
import { parseModule, parseQuery, refString, type ParseModuleOptions } from './parser.js';

export const REGO_UNSAFE_VAR_ERROR = 'rego_unsafe_var_error';
export const REGO_RECURSION_ERROR = 'rego_recursion_error';
export const REGO_TYPE_ERROR = 'rego_type_error';
export const REGO_COMPILE_ERROR = 'rego_compile_error';

/** Errors one compilation collects at most (then a final "error limit reached"). */
export const MAX_COMPILE_ERRORS = 1000;

/** Calls the evaluator implements itself (not in the builtin registry), with their arity. */
export const EVALUATOR_CALLS: ReadonlyMap<string, number> = new Map([
  ['eq', 2],
  ['assign', 2],
  ['internal.member_2', 2],
  ['internal.member_3', 3],
  ['print', -1],
]);

/** OPA's deprecated builtins: rejected in v1 (and `import rego.v1`) modules, allowed in v0 ones. */
export const DEPRECATED_BUILTINS: ReadonlySet<string> = new Set([
  'any',
  'all',
  're_match',
  'net.cidr_overlap',
  'set_diff',
  'cast_array',
  'cast_set',
  'cast_string',
  'cast_boolean',
  'cast_null',
  'cast_object',
]);

/** One rule (with its else chain) placed in the tree. */
export interface CompiledRule {
  /** The resolved, safety-ordered rule (a copy; the parsed module is not changed). */
  readonly rule: Rule;
  readonly kind: RuleKind;
  /** `data`-rooted ground prefix of the head ref (the node the rule lives at). */
  readonly path: readonly string[];
  /** Head ref terms after the ground prefix (`p[x].y := v` → [x, "y"]); empty for plain rules. */
  readonly keyTerms: readonly Term[];
  /** The head value is a literal without variables: a body needs only one solution. */
  readonly constantValue: boolean;
  readonly file: string;
}

/** A node of the data tree: rules at exactly this path, and children by key. */
export interface RuleNode {
  readonly path: readonly string[];
  readonly children: Map<string, RuleNode>;
  readonly rules: CompiledRule[];
  defaultRule?: CompiledRule;
  /** Function arity when the rules here are functions. */
  arity?: number;
}

export interface CompiledPolicy {
  readonly root: RuleNode;
  readonly modules: readonly Module[];
  readonly builtins: BuiltinRegistry;
  /** Source text by file name, for the caret snippets of compile and eval errors. */
  readonly sources: ReadonlyMap<string, string>;
}

export interface CompiledQuery {
  readonly body: Body;
  /** User variables of the query, in order of first appearance (wildcards excluded). */
  readonly vars: readonly string[];
}

export interface SourceFile {
  file: string;
  text: string;
  /** Parse this file with this syntax or detection mode (see parseModule); absent: `opts.parse`'s. */
  regoVersion?: RegoVersionMode;
}

export interface CompileOptions {
  builtins?: BuiltinRegistry;
  parse?: Omit<ParseModuleOptions, 'file'>;
  /** The modules' source texts (by `file`), kept on the policy for error snippets. */
  sources?: readonly SourceFile[];
}

/** Every error of the first failing stage; `policy` only when there are none. */
export interface CompileResult {
  policy?: CompiledPolicy;
  errors: WardenError[];
}

function located(code: string, message: string, loc: Location | undefined): WardenError {
  return new WardenError(code, message, loc ? { location: { file: loc.file, line: loc.line, col: loc.col } } : {});
}

/** Collects a compilation's errors: de-duplicated, bounded, in the order found. */
class Diagnostics {
  readonly errors: WardenError[] = [];
  private readonly seen = new Set<string>();
  private full = false;

  add(code: string, message: string, loc: Location | undefined): void {
    const key = `${code}\0${message}\0${loc?.file}:${loc?.line}:${loc?.col}`;
    if (this.seen.has(key) || this.full) return;
    this.seen.add(key);
    if (this.errors.length >= MAX_COMPILE_ERRORS) {
      this.full = true;
      this.errors.push(new WardenError(REGO_COMPILE_ERROR, 'error limit reached'));
      return;
    }
    this.errors.push(located(code, message, loc));
  }

  addAll(errs: readonly WardenError[]): void {
    for (const e of errs) {
      const l = e.location;
      this.add(e.code, e.message, l ? { file: l.file, line: l.line ?? 0, col: l.col ?? 0 } : undefined);
    }
  }

  get failed(): boolean {
    return this.errors.length > 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Term helpers shared with the evaluator

const operatorNames = new WeakMap<RefTerm, string | null>();

/**
 * Dotted name of a call operator (`count`, `data.lib.f`), or undefined if not all names.
 * Memoised per term: the evaluator asks for it on every call.
 */
export function operatorName(op: RefTerm): string | undefined {
  const cached = operatorNames.get(op);
  if (cached !== undefined) return cached ?? undefined;
  let s: string | null = '';
  for (let i = 0; i < op.terms.length; i++) {
    const t = op.terms[i];
    if (i === 0 && t.type === 'var') s = t.name;
    else if (i > 0 && t.type === 'string') s += `.${t.value}`;
    else {
      s = null;
      break;
    }
  }
  operatorNames.set(op, s);
  return s ?? undefined;
}

/**
 * The name a user wrote for a compiler variable: wildcards (`$N`) are `_`, and the suffix the
 * compiler gives declared variables to rename them apart (`x$3`) is dropped.
 */
export function displayVarName(name: string): string {
  if (name.startsWith('$')) return '_';
  const i = name.indexOf('$');
  return i > 0 ? name.slice(0, i) : name;
}

function varTerm(name: string, loc: Location): VarTerm {
  return { type: 'var', name, location: loc };
}

const GLOBAL_ROOTS = new Set(['data', 'input']);

function isLocalVarName(name: string): boolean {
  return !GLOBAL_ROOTS.has(name);
}

/** `input` or `data` written alone (the parser makes them one-term refs). */
function rootDocName(t: Term): string | undefined {
  if (t.type === 'var' && GLOBAL_ROOTS.has(t.name)) return t.name;
  if (t.type === 'ref' && t.terms.length === 1 && t.terms[0].type === 'var' && GLOBAL_ROOTS.has(t.terms[0].name)) {
    return t.terms[0].name;
  }
  return undefined;
}

function isAssign(t: Expr['value']): t is Extract<Term, { type: 'call' }> {
  return t.type === 'call' && t.args.length === 2 && (t.infix === ':=' || (t.infix === undefined && operatorName(t.operator) === 'assign'));
}

function isUnify(t: Expr['value']): boolean {
  if (t.type !== 'call' || t.args.length !== 2) return false;
  const n = operatorName(t.operator);
  return n === 'eq' || n === 'assign';
}

interface VarOpts {
  skipRefHeads?: boolean;
  skipSets?: boolean;
  skipObjectKeys?: boolean;
}

/** Vars of `t` outside closures; call operators and the `data`/`input` roots are not vars. */
function collectVars(t: Term, out: Set<string>, o: VarOpts = {}): void {
  switch (t.type) {
    case 'var':
      if (isLocalVarName(t.name)) out.add(t.name);
      return;
    case 'ref':
      for (let i = 0; i < t.terms.length; i++) {
        if (i === 0 && o.skipRefHeads) continue;
        collectVars(t.terms[i], out, o);
      }
      return;
    case 'array':
      for (const x of t.items) collectVars(x, out, o);
      return;
    case 'set':
      if (!o.skipSets) for (const x of t.items) collectVars(x, out, o);
      return;
    case 'object':
      for (const [k, v] of t.items) {
        if (!o.skipObjectKeys) collectVars(k, out, o);
        collectVars(v, out, o);
      }
      return;
    case 'call':
      for (const x of t.args) collectVars(x, out, o);
      return;
    default:
      return;
  }
}

/** Every local var of `t`, inside closures too (call operators excluded). */
function collectVarsDeep(t: Term, out: Set<string>): void {
  forEachVarTerm(t, (v) => {
    if (isLocalVarName(v.name)) out.add(v.name);
  });
}

/** Every local var of `e`, inside closures, `every` bodies and `with` values too. */
function exprVarsDeep(e: Expr, out: Set<string>): void {
  forEachExprVarTerm(e, (v) => {
    if (isLocalVarName(v.name)) out.add(v.name);
  });
}

/** The vars inside the closures of `t` (comprehensions), at any depth. */
function collectClosureVars(t: Term, out: Set<string>): void {
  switch (t.type) {
    case 'arraycompr':
    case 'setcompr':
    case 'objectcompr':
      collectVarsDeep(t, out);
      return;
    case 'ref':
      for (const x of t.terms) collectClosureVars(x, out);
      return;
    case 'array':
    case 'set':
      for (const x of t.items) collectClosureVars(x, out);
      return;
    case 'object':
      for (const [k, v] of t.items) {
        collectClosureVars(k, out);
        collectClosureVars(v, out);
      }
      return;
    case 'call':
      for (const x of t.args) collectClosureVars(x, out);
      return;
    default:
      return;
  }
}

function hasClosure(t: Term): boolean {
  switch (t.type) {
    case 'arraycompr':
    case 'setcompr':
    case 'objectcompr':
      return true;
    case 'ref':
      return t.terms.some(hasClosure);
    case 'array':
    case 'set':
      return t.items.some(hasClosure);
    case 'object':
      return t.items.some(([k, v]) => hasClosure(k) || hasClosure(v));
    case 'call':
      return t.args.some(hasClosure);
    default:
      return false;
  }
}

/** OPA's requiresEval: the term holds a ref, a call or a comprehension. */
function requiresEval(t: Term): boolean {
  switch (t.type) {
    case 'ref':
    case 'call':
    case 'arraycompr':
    case 'setcompr':
    case 'objectcompr':
      return true;
    case 'array':
    case 'set':
      return t.items.some(requiresEval);
    case 'object':
      return t.items.some(([k, v]) => requiresEval(k) || requiresEval(v));
    default:
      return false;
  }
}

/** Vars a head term holds directly (outside refs, calls and comprehensions, which the body evaluates). */
function plainVars(t: Term, out: VarTerm[]): void {
  switch (t.type) {
    case 'var':
      if (isLocalVarName(t.name)) out.push(t);
      return;
    case 'array':
    case 'set':
      t.items.forEach((x) => plainVars(x, out));
      return;
    case 'object':
      t.items.forEach(([k, v]) => {
        plainVars(k, out);
        plainVars(v, out);
      });
      return;
    default:
      return;
  }
}

/** Calls `fn` on every var term of `t`, inside closures too. */
function forEachVarTerm(t: Term, fn: (v: VarTerm) => void): void {
  visitVarTerms(t, fn, true);
}

/** Var terms of `t`, into comprehension closures when `deep` (call operators are not terms here). */
function visitVarTerms(t: Term, fn: (v: VarTerm) => void, deep: boolean): void {
  switch (t.type) {
    case 'var':
      fn(t);
      return;
    case 'ref':
      t.terms.forEach((x) => visitVarTerms(x, fn, deep));
      return;
    case 'array':
    case 'set':
      t.items.forEach((x) => visitVarTerms(x, fn, deep));
      return;
    case 'object':
      t.items.forEach(([k, v]) => {
        visitVarTerms(k, fn, deep);
        visitVarTerms(v, fn, deep);
      });
      return;
    case 'call':
      t.args.forEach((x) => visitVarTerms(x, fn, deep));
      return;
    case 'arraycompr':
    case 'setcompr':
      if (!deep) return;
      forEachVarTerm(t.term, fn);
      t.body.forEach((e) => forEachExprVarTerm(e, fn));
      return;
    case 'objectcompr':
      if (!deep) return;
      forEachVarTerm(t.key, fn);
      forEachVarTerm(t.value, fn);
      t.body.forEach((e) => forEachExprVarTerm(e, fn));
      return;
    default:
      return;
  }
}

function forEachExprVarTerm(e: Expr, fn: (v: VarTerm) => void): void {
  const v = e.value;
  if (v.type === 'some') v.symbols.forEach((s) => forEachVarTerm(s, fn));
  else if (v.type === 'every') {
    forEachVarTerm(v.domain, fn);
    if (v.key) fn(v.key);
    fn(v.value);
    v.body.forEach((x) => forEachExprVarTerm(x, fn));
  } else if (v.type === 'body') v.body.forEach((x) => forEachExprVarTerm(x, fn));
  else forEachVarTerm(v, fn);
  for (const w of e.with) forEachVarTerm(w.value, fn);
}

/** Calls `fn` on every call term of `t` with whether it is the top of an expression. */
function forEachCall(t: Term, top: boolean, fn: (c: Extract<Term, { type: 'call' }>, top: boolean) => void): void {
  switch (t.type) {
    case 'call':
      fn(t, top);
      t.args.forEach((x) => forEachCall(x, false, fn));
      return;
    case 'ref':
      t.terms.forEach((x) => forEachCall(x, false, fn));
      return;
    case 'array':
    case 'set':
      t.items.forEach((x) => forEachCall(x, false, fn));
      return;
    case 'object':
      t.items.forEach(([k, v]) => {
        forEachCall(k, false, fn);
        forEachCall(v, false, fn);
      });
      return;
    case 'arraycompr':
    case 'setcompr':
      forEachCall(t.term, false, fn);
      t.body.forEach((e) => forEachExprCall(e, fn));
      return;
    case 'objectcompr':
      forEachCall(t.key, false, fn);
      forEachCall(t.value, false, fn);
      t.body.forEach((e) => forEachExprCall(e, fn));
      return;
    default:
      return;
  }
}

function forEachExprCall(e: Expr, fn: (c: Extract<Term, { type: 'call' }>, top: boolean) => void): void {
  const v = e.value;
  if (v.type === 'some') {
    // `x in xs` of a some declaration is the evaluator's own iteration, not a call.
    for (const s of v.symbols) if (s.type === 'call') s.args.forEach((a) => forEachCall(a, false, fn));
  } else if (v.type === 'every') {
    forEachCall(v.domain, false, fn);
    v.body.forEach((x) => forEachExprCall(x, fn));
  } else if (v.type === 'body') v.body.forEach((x) => forEachExprCall(x, fn));
  else forEachCall(v, true, fn);
  for (const w of e.with) forEachCall(w.value, false, fn);
}

/** Head terms other than args: the ref's key/path terms, the key and the value. */
function headTerms(rule: Rule): Term[] {
  const out: Term[] = [...rule.head.ref.terms.slice(1)];
  if (rule.head.key) out.push(rule.head.key);
  if (rule.head.value) out.push(rule.head.value);
  return out;
}

function forEachRuleCall(rule: Rule, fn: (c: Extract<Term, { type: 'call' }>, top: boolean) => void): void {
  for (let r: Rule | undefined = rule; r; r = r.else) {
    r.body.forEach((e) => forEachExprCall(e, fn));
    headTerms(r).forEach((t) => forEachCall(t, false, fn));
  }
}

/** Calls `fn` on every expression of `body`, inside closures too. */
function forEachExprDeep(body: Body, fn: (e: Expr) => void): void {
  const visitTerm = (t: Term): void => {
    switch (t.type) {
      case 'arraycompr':
      case 'setcompr':
        visitTerm(t.term);
        forEachExprDeep(t.body, fn);
        return;
      case 'objectcompr':
        visitTerm(t.key);
        visitTerm(t.value);
        forEachExprDeep(t.body, fn);
        return;
      case 'ref':
        t.terms.forEach(visitTerm);
        return;
      case 'array':
      case 'set':
        t.items.forEach(visitTerm);
        return;
      case 'object':
        t.items.forEach(([k, v]) => {
          visitTerm(k);
          visitTerm(v);
        });
        return;
      case 'call':
        t.args.forEach(visitTerm);
        return;
      default:
        return;
    }
  };
  for (const e of body) {
    fn(e);
    const v = e.value;
    if (v.type === 'some') v.symbols.forEach(visitTerm);
    else if (v.type === 'every') {
      visitTerm(v.domain);
      forEachExprDeep(v.body, fn);
    } else if (v.type === 'body') forEachExprDeep(v.body, fn);
    else visitTerm(v);
    e.with.forEach((w) => visitTerm(w.value));
  }
}

function sameScalar(a: Term, b: Term): boolean {
  if (a.type === 'string' && b.type === 'string') return a.value === b.value;
  if (a.type === 'number' && b.type === 'number') return a.text === b.text;
  if (a.type === 'boolean' && b.type === 'boolean') return a.value === b.value;
  return a.type === 'null' && b.type === 'null';
}

function isLiteral(t: Term): boolean {
  switch (t.type) {
    case 'null':
    case 'boolean':
    case 'number':
    case 'string':
      return true;
    case 'array':
    case 'set':
      return t.items.every(isLiteral);
    case 'object':
      return t.items.every(([k, v]) => isLiteral(k) && isLiteral(v));
    default:
      return false;
  }
}

function compareLoc(a: Location, b: Location): number {
  return a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col;
}

// ---------------------------------------------------------------------------------------------
// Local variables: OPA's rewriteLocalVars. Declared variables (`:=`, `some`, `every`) get unique
// names so that closures and nested scopes cannot capture them by accident, and the declaration
// rules are checked: no re-declaration in one scope, no use before declaration, only bindable
// terms on the left of `:=`.

type Occurrence = 'seen' | 'assigned' | 'declared' | 'arg';

interface DeclaredVar {
  name: string;
  occ: Occurrence;
  /** Declared by a plain `some x` (no iteration). */
  bare?: boolean;
}

const VALUE_NAMES: Readonly<Record<string, string>> = {
  string: 'string',
  number: 'number',
  boolean: 'boolean',
  null: 'null',
  ref: 'ref',
  call: 'call',
  set: 'set',
  arraycompr: 'arraycomprehension',
  setcompr: 'setcomprehension',
  objectcompr: 'objectcomprehension',
};

class Localizer {
  private readonly frames: Map<string, DeclaredVar>[] = [new Map()];

  /**
   * `renameTop` false keeps the names of variables declared in the outermost scope (a query's
   * variables are its result bindings); nested scopes are always renamed.
   */
  constructor(
    private readonly diag: Diagnostics,
    private readonly next: () => number,
    private readonly renameTop = true,
  ) {}

  /** Marks `names` as the rule's arguments (re-declaring one is an error; never renamed). */
  args(names: Iterable<string>): void {
    for (const n of names) this.frames[0].set(n, { name: n, occ: 'arg' });
  }

  /** Names declared in the outermost scope, by their original name. */
  topRenames(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [k, d] of this.frames[0]) if (d.occ === 'assigned' || d.occ === 'declared') out.set(k, d.name);
    return out;
  }

  private lookup(name: string): DeclaredVar | undefined {
    for (let i = this.frames.length - 1; i >= 0; i--) {
      const d = this.frames[i].get(name);
      if (d && d.occ !== 'seen') return d;
    }
    return undefined;
  }

  private declare(v: VarTerm, occ: Occurrence, errLoc: Location, bare = false): VarTerm {
    if (v.wildcard) return v;
    const frame = this.frames[this.frames.length - 1];
    const prev = frame.get(v.name);
    if (prev) {
      const shown = displayVarName(v.name);
      const msg =
        prev.occ === 'seen'
          ? `var ${shown} referenced above`
          : prev.occ === 'assigned'
            ? `var ${shown} assigned above`
            : prev.occ === 'declared'
              ? `var ${shown} declared above`
              : `arg ${shown} redeclared`;
      this.diag.add(REGO_COMPILE_ERROR, msg, errLoc);
      return v;
    }
    // A local named `input`/`data` is always renamed: the evaluator reads those names as the documents.
    const rename = this.frames.length > 1 || this.renameTop || GLOBAL_ROOTS.has(v.name);
    const renamed = rename ? `${v.name}$${this.next()}` : v.name;
    frame.set(v.name, { name: renamed, occ, ...(bare ? { bare } : {}) });
    return renamed === v.name ? v : { ...v, name: renamed };
  }

  body(body: Body): Body {
    return body.map((e) => this.expr(e));
  }

  private push<T>(fn: () => T): T {
    this.frames.push(new Map());
    try {
      return fn();
    } finally {
      this.frames.pop();
    }
  }

  private expr(e: Expr): Expr {
    const v = e.value;
    const withs = (): Expr['with'] => e.with.map((w) => ({ ...w, value: this.term(w.value) }));
    if (isAssign(v)) {
      if (e.negated) this.diag.add(REGO_COMPILE_ERROR, 'cannot assign vars inside negated expression', e.location);
      const rhs = this.term(v.args[1]);
      const w = withs();
      const lhs = this.assignTarget(v.args[0]);
      return { ...e, value: { ...v, args: [lhs, rhs] }, with: w };
    }
    if (v.type === 'some') {
      const symbols = v.symbols.map((s) => {
        if (s.type === 'var') return this.declare(s, 'declared', e.location, true);
        if (s.type !== 'call') return this.term(s);
        const domain = this.term(s.args[s.args.length - 1]);
        const patterns = s.args.slice(0, -1).map((p) => this.somePattern(p, e.location));
        return { ...s, args: [...patterns, domain] };
      });
      return { ...e, value: { ...v, symbols }, with: withs() };
    }
    if (v.type === 'every') {
      const domain = this.term(v.domain);
      const value = this.push(() => {
        const key = v.key && (this.declare(v.key, 'declared', e.location) as VarTerm);
        const val = this.declare(v.value, 'declared', e.location);
        return { ...v, domain, key, value: val, body: this.body(v.body) };
      });
      return { ...e, value, with: withs() };
    }
    if (v.type === 'body') {
      return { ...e, value: { ...v, body: this.push(() => this.body(v.body)) }, with: withs() };
    }
    return { ...e, value: this.term(v), with: withs() };
  }

  /** A `some … in` pattern: its unifiable vars are declared, anything else is a reference. */
  private somePattern(p: Term, loc: Location): Term {
    switch (p.type) {
      case 'var':
        return this.declare(p, 'declared', loc);
      case 'array':
        return { ...p, items: p.items.map((x) => this.somePattern(x, loc)) };
      case 'object':
        return { ...p, items: p.items.map(([k, x]) => [this.term(k), this.somePattern(x, loc)] as [Term, Term]) };
      default:
        return this.term(p);
    }
  }

  private assignTarget(t: Term): Term {
    const root = rootDocName(t);
    if (root !== undefined) {
      // v0 only (v1 rejects it earlier): a local named `input`/`data` shadows the document.
      return this.declare(varTerm(root, t.location), 'assigned', t.location);
    }
    switch (t.type) {
      case 'var':
        return this.declare(t, 'assigned', t.location);
      case 'array':
        return { ...t, items: t.items.map((x) => this.assignTarget(x)) };
      case 'object':
        return { ...t, items: t.items.map(([k, x]) => [this.term(k), this.assignTarget(x)] as [Term, Term]) };
      default:
        this.diag.add(REGO_COMPILE_ERROR, `cannot assign to ${VALUE_NAMES[t.type] ?? t.type}`, t.location);
        return t;
    }
  }

  term(t: Term): Term {
    switch (t.type) {
      case 'var': {
        if (t.wildcard) return t;
        const d = this.lookup(t.name);
        if (d) return d.name === t.name ? t : { ...t, name: d.name };
        if (isLocalVarName(t.name)) {
          const frame = this.frames[this.frames.length - 1];
          if (!frame.has(t.name)) frame.set(t.name, { name: t.name, occ: 'seen' });
        }
        return t;
      }
      case 'ref': {
        const head = t.terms[0];
        const rest = t.terms.slice(1).map((x) => this.term(x));
        let h: Term;
        if (head.type === 'var' && GLOBAL_ROOTS.has(head.name)) {
          const d = this.lookup(head.name);
          if (d && rest.length === 0) return { ...head, name: d.name };
          h = d ? { ...head, name: d.name } : head;
        } else h = this.term(head);
        return { ...t, terms: [h, ...rest] };
      }
      case 'array':
        return { ...t, items: t.items.map((x) => this.term(x)) };
      case 'set':
        return { ...t, items: t.items.map((x) => this.term(x)) };
      case 'object':
        return { ...t, items: t.items.map(([k, v]) => [this.term(k), this.term(v)] as [Term, Term]) };
      case 'call': {
        const head = t.operator.terms[0];
        if (head.type === 'var' && t.infix === undefined) {
          const d = this.lookup(head.name);
          if (d && d.occ !== 'arg') {
            this.diag.add(REGO_COMPILE_ERROR, `called function ${refString(t.operator)} shadowed`, t.location);
          }
        }
        return { ...t, args: t.args.map((x) => this.term(x)) };
      }
      case 'arraycompr':
      case 'setcompr':
        return this.push(() => {
          const body = this.body(t.body);
          return { ...t, body, term: this.term(t.term) };
        });
      case 'objectcompr':
        return this.push(() => {
          const body = this.body(t.body);
          return { ...t, body, key: this.term(t.key), value: this.term(t.value) };
        });
      default:
        return t;
    }
  }
}

/** Replaces vars named in `names` everywhere in `t` (closures included). */
function renameVars(t: Term, names: ReadonlyMap<string, string>): Term {
  if (names.size === 0) return t;
  const go = (x: Term): Term => {
    switch (x.type) {
      case 'var': {
        const n = names.get(x.name);
        return n === undefined ? x : { ...x, name: n };
      }
      case 'ref':
        return { ...x, terms: x.terms.map(go) };
      case 'array':
        return { ...x, items: x.items.map(go) };
      case 'set':
        return { ...x, items: x.items.map(go) };
      case 'object':
        return { ...x, items: x.items.map(([k, v]) => [go(k), go(v)] as [Term, Term]) };
      case 'call':
        return { ...x, args: x.args.map(go) };
      case 'arraycompr':
      case 'setcompr':
        return { ...x, term: go(x.term), body: x.body.map(goExpr) };
      case 'objectcompr':
        return { ...x, key: go(x.key), value: go(x.value), body: x.body.map(goExpr) };
      default:
        return x;
    }
  };
  const goExpr = (e: Expr): Expr => {
    const v = e.value;
    let value: Expr['value'];
    if (v.type === 'some') value = { ...v, symbols: v.symbols.map(go) };
    else if (v.type === 'every') value = { ...v, domain: go(v.domain), body: v.body.map(goExpr) };
    else if (v.type === 'body') value = { ...v, body: v.body.map(goExpr) };
    else value = go(v);
    return { ...e, value, with: e.with.map((w) => ({ ...w, value: go(w.value) })) };
  };
  return go(t);
}

// ---------------------------------------------------------------------------------------------
// Name resolution

interface Scope {
  pkg: readonly string[];
  ruleNames: ReadonlySet<string>;
  imports: ReadonlyMap<string, RefTerm>;
}

class Resolver {
  constructor(
    private readonly scope: Scope,
    private readonly locals: ReadonlySet<string>,
  ) {}

  private global(name: string, loc: Location): RefTerm | undefined {
    if (this.locals.has(name) || GLOBAL_ROOTS.has(name) || name.includes('$')) return undefined;
    const imp = this.scope.imports.get(name);
    if (imp) return { ...imp, location: loc };
    if (this.scope.ruleNames.has(name)) {
      const path = [...this.scope.pkg, name];
      return {
        type: 'ref',
        location: loc,
        terms: [varTerm(path[0], loc), ...path.slice(1).map((p) => ({ type: 'string' as const, value: p, location: loc }))],
      };
    }
    return undefined;
  }

  term(t: Term): Term {
    switch (t.type) {
      case 'var':
        return this.global(t.name, t.location) ?? t;
      case 'ref': {
        const rest = t.terms.slice(1).map((x) => this.term(x));
        const head = t.terms[0];
        if (head.type === 'var') {
          const g = this.global(head.name, head.location);
          if (g) return { ...t, terms: [...g.terms, ...rest] };
          return { ...t, terms: [head, ...rest] };
        }
        return { ...t, terms: [this.term(head), ...rest] };
      }
      case 'array':
        return { ...t, items: t.items.map((x) => this.term(x)) };
      case 'set':
        return { ...t, items: t.items.map((x) => this.term(x)) };
      case 'object':
        return { ...t, items: t.items.map(([k, v]) => [this.term(k), this.term(v)] as [Term, Term]) };
      case 'arraycompr':
      case 'setcompr':
        return { ...t, term: this.term(t.term), body: this.body(t.body) };
      case 'objectcompr':
        return { ...t, key: this.term(t.key), value: this.term(t.value), body: this.body(t.body) };
      case 'call': {
        const head = t.operator.terms[0];
        let operator = t.operator;
        if (head.type === 'var' && t.infix === undefined) {
          const g = this.global(head.name, head.location);
          if (g) operator = { ...t.operator, terms: [...g.terms, ...t.operator.terms.slice(1)] };
        }
        return { ...t, operator, args: t.args.map((x) => this.term(x)) };
      }
      default:
        return t;
    }
  }

  body(body: Body): Body {
    return body.map((e) => this.expr(e));
  }

  expr(e: Expr): Expr {
    const v = e.value;
    let value: Expr['value'];
    if (v.type === 'some') value = { ...v, symbols: v.symbols.map((s) => this.term(s)) };
    else if (v.type === 'every') value = { ...v, domain: this.term(v.domain), body: this.body(v.body) };
    else if (v.type === 'body') value = { ...v, body: this.body(v.body) };
    else value = this.term(v);
    // `with` targets stay as written except a function/rule name, which resolves like a call.
    const withs = e.with.map((w) => ({ ...w, target: this.withTarget(w.target), value: this.term(w.value) }));
    return { ...e, value, with: withs };
  }

  private withTarget(t: Term): Term {
    if (t.type === 'var' && !GLOBAL_ROOTS.has(t.name)) return this.global(t.name, t.location) ?? t;
    if (t.type === 'ref' && t.terms[0].type === 'var' && !GLOBAL_ROOTS.has(t.terms[0].name)) {
      const g = this.global(t.terms[0].name, t.location);
      if (g) return { ...t, terms: [...g.terms, ...t.terms.slice(1)] };
    }
    return t;
  }
}

// ---------------------------------------------------------------------------------------------
// Safety (OPA's reorderBodyForSafety): every variable must be bound before it is read. A body is
// reordered so each expression runs once the variables it reads are bound by earlier ones;
// negated expressions bind nothing, call inputs must be bound (only the extra output argument
// binds), and closures may only capture variables bound before them.

interface SafetyEnv {
  arity(name: string): number | undefined;
}

type IsSafe = (v: string) => boolean;

function refHeadSafe(r: RefTerm, isSafe: IsSafe): boolean {
  const h = r.terms[0];
  if (h.type === 'var') return isSafe(h.name);
  if (h.type === 'arraycompr' || h.type === 'setcompr' || h.type === 'objectcompr') return true;
  return allSafe(h, isSafe);
}

function allSafe(t: Term, isSafe: IsSafe): boolean {
  const vs = new Set<string>();
  collectVars(t, vs);
  for (const v of vs) if (!isSafe(v)) return false;
  return true;
}

/** Vars bound by iterating the refs in `t` whose heads are bound (`xs[i]` binds i). */
function refOutputs(t: Term, isSafe: IsSafe, out: Set<string>): void {
  switch (t.type) {
    case 'ref':
      if (!refHeadSafe(t, isSafe)) return;
      for (let i = 1; i < t.terms.length; i++) collectVars(t.terms[i], out, { skipRefHeads: true });
      for (const x of t.terms) refOutputs(x, isSafe, out);
      return;
    case 'array':
    case 'set':
      for (const x of t.items) refOutputs(x, isSafe, out);
      return;
    case 'object':
      for (const [k, v] of t.items) {
        refOutputs(k, isSafe, out);
        refOutputs(v, isSafe, out);
      }
      return;
    case 'call':
      for (const x of t.args) refOutputs(x, isSafe, out);
      return;
    default:
      return;
  }
}

const PATTERN_VARS: VarOpts = { skipRefHeads: true, skipObjectKeys: true };

/** OPA's unifier: which vars of `a = b` become bound, given the bound ones. */
class Unifier {
  readonly unified = new Set<string>();
  private readonly unknown = new Map<string, Set<string>>();

  constructor(private readonly safe: ReadonlySet<string>) {}

  readonly isSafe: IsSafe = (v) => this.safe.has(v) || this.unified.has(v) || !isLocalVarName(v);

  private markSafe(v: string): void {
    if (this.unified.has(v) || !isLocalVarName(v)) return;
    this.unified.add(v);
    const deps = this.unknown.get(v);
    this.unknown.delete(v);
    if (deps) for (const d of deps) this.markSafe(d);
    for (const [w, ds] of [...this.unknown]) {
      if (ds.delete(v) && ds.size === 0) this.markSafe(w);
    }
  }

  private markUnknown(a: string, b: string): void {
    let s = this.unknown.get(a);
    if (!s) this.unknown.set(a, (s = new Set()));
    s.add(b);
  }

  private markAllSafe(t: Term): void {
    const vs = new Set<string>();
    collectVars(t, vs, PATTERN_VARS);
    for (const v of vs) this.markSafe(v);
  }

  private unifyAll(a: string, b: Term): void {
    if (this.isSafe(a)) {
      this.markAllSafe(b);
      return;
    }
    const vs = new Set<string>();
    collectVars(b, vs, PATTERN_VARS);
    const unsafe = [...vs].filter((v) => !this.isSafe(v));
    if (unsafe.length === 0) this.markSafe(a);
    else for (const v of unsafe) this.markUnknown(a, v);
  }

  /** `t` is a value the other side can be matched against (bound once its own vars are). */
  private bound(t: Term): boolean {
    switch (t.type) {
      case 'ref':
        return refHeadSafe(t, this.isSafe);
      case 'call':
        return allSafe(t, this.isSafe);
      case 'arraycompr':
      case 'setcompr':
      case 'objectcompr':
        return true;
      default:
        return false;
    }
  }

  unify(a: Term, b: Term): void {
    if (a.type === 'var' && !isLocalVarName(a.name)) a = { type: 'ref', terms: [a], location: a.location };
    if (b.type === 'var' && !isLocalVarName(b.name)) b = { type: 'ref', terms: [b], location: b.location };
    switch (a.type) {
      case 'var':
        switch (b.type) {
          case 'var':
            if (this.isSafe(b.name)) this.markSafe(a.name);
            else if (this.isSafe(a.name)) this.markSafe(b.name);
            else {
              this.markUnknown(a.name, b.name);
              this.markUnknown(b.name, a.name);
            }
            return;
          case 'array':
          case 'object':
            this.unifyAll(a.name, b);
            return;
          case 'ref':
          case 'call':
            if (this.bound(b)) this.markSafe(a.name);
            return;
          default:
            this.markSafe(a.name);
            return;
        }
      case 'ref':
      case 'call':
      case 'arraycompr':
      case 'setcompr':
      case 'objectcompr':
        if (!this.bound(a)) return;
        if (b.type === 'var') this.markSafe(b.name);
        else if (b.type === 'array' || b.type === 'object') this.markAllSafe(b);
        return;
      case 'array':
        switch (b.type) {
          case 'var':
            this.unifyAll(b.name, a);
            return;
          case 'array':
            if (a.items.length === b.items.length) a.items.forEach((x, i) => this.unify(x, b.items[i]));
            return;
          default:
            if (this.bound(b)) this.markAllSafe(a);
            return;
        }
      case 'object':
        switch (b.type) {
          case 'var':
            this.unifyAll(b.name, a);
            return;
          case 'object':
            if (a.items.length === b.items.length) {
              for (const [k, v] of a.items) {
                const m = b.items.find(([bk]) => sameScalar(k, bk));
                if (m) this.unify(v, m[1]);
              }
            }
            return;
          default:
            if (this.bound(b)) this.markAllSafe(a);
            return;
        }
      default:
        if (b.type === 'var') this.markSafe(b.name);
        return;
    }
  }
}

/** A reordered body: `body[k]` is the original expression `order[k]`; `safe` holds what it binds. */
interface Reordered {
  body: Body;
  order: number[];
  safe: Set<string>;
  /** Vars of the body outside closures. */
  vars: Set<string>;
}

/** A body's safety problems: each unsafe var once, at its first location. */
interface Unsafe {
  name: string;
  loc: Location;
}

class Safety {
  readonly unsafe: Unsafe[] = [];

  constructor(private readonly env: SafetyEnv) {}

  private isFunctionValue(t: Term): boolean {
    const fn = t.type === 'var' ? t.name : t.type === 'ref' ? operatorName(t) : undefined;
    return fn !== undefined && this.env.arity(fn) !== undefined;
  }

  /** Vars of `e` outside closures (OPA's SafetyCheckVisitorParams). */
  private exprVars(e: Expr): Set<string> {
    const out = new Set<string>();
    const v = e.value;
    if (v.type === 'some') {
      // A plain `some x` only declares; `some … in xs` iterates.
      for (const s of v.symbols) if (s.type === 'call') collectVars(s, out);
    } else if (v.type === 'every') collectVars(v.domain, out);
    else if (v.type !== 'body') collectVars(v, out);
    for (const w of e.with) if (!this.isFunctionValue(w.value)) collectVars(w.value, out);
    return out;
  }

  private exprClosureVars(e: Expr): Set<string> {
    const out = new Set<string>();
    const v = e.value;
    if (v.type === 'some') v.symbols.forEach((s) => collectClosureVars(s, out));
    else if (v.type === 'every') {
      collectClosureVars(v.domain, out);
      for (const x of v.body) exprVarsDeep(x, out);
    } else if (v.type === 'body') for (const x of v.body) exprVarsDeep(x, out);
    else collectClosureVars(v, out);
    for (const w of e.with) collectClosureVars(w.value, out);
    return out;
  }

  /** The vars `e` binds when it runs with `safe` bound (OPA's outputVarsForExpr). */
  outputs(e: Expr, safe: ReadonlySet<string>): Set<string> {
    const out = new Set<string>();
    if (e.negated) return out;
    const isSafe: IsSafe = (v) => safe.has(v) || !isLocalVarName(v);
    for (const w of e.with) {
      if (this.isFunctionValue(w.value)) continue;
      if (!allSafe(w.value, isSafe)) return out;
    }
    const v = e.value;
    if (v.type === 'some') {
      for (const s of v.symbols) {
        if (s.type !== 'call') continue;
        refOutputs(s, isSafe, out);
        const domain = s.args[s.args.length - 1];
        const bound = domain.type === 'ref' ? refHeadSafe(domain, isSafe) : allSafe(domain, isSafe);
        if (!bound) continue;
        const pats = s.args.slice(0, -1);
        if (pats.length === 2) collectVars(pats[0], out, PATTERN_VARS);
        collectVars(pats[pats.length - 1], out, PATTERN_VARS);
      }
      return out;
    }
    if (v.type === 'every') {
      refOutputs(v.domain, isSafe, out);
      return out;
    }
    if (v.type === 'body') return out;
    if (v.type === 'call' && isUnify(v)) {
      refOutputs(v, isSafe, out);
      const u = new Unifier(new Set([...safe, ...out]));
      u.unify(v.args[0], v.args[1]);
      for (const x of u.unified) out.add(x);
      return out;
    }
    if (v.type === 'call') {
      const name = operatorName(v.operator);
      const arity = name === undefined ? undefined : this.env.arity(name);
      if (arity === undefined) return out;
      refOutputs(v, isSafe, out);
      if (arity < 0 || v.args.length <= arity) return out;
      const inputs = new Set<string>();
      for (const a of v.args.slice(0, arity)) collectVars(a, inputs, { skipRefHeads: true, skipSets: true, skipObjectKeys: true });
      for (const x of inputs) if (!out.has(x) && !isSafe(x)) return new Set();
      for (const a of v.args.slice(arity)) collectVars(a, out, { skipRefHeads: true, skipSets: true, skipObjectKeys: true });
      return out;
    }
    refOutputs(v, isSafe, out);
    return out;
  }

  /**
   * Reorders `body` given the `globals` bound outside it (rule arguments, enclosing bodies);
   * returns the new body and the vars bound after it. Problems go to `unsafe`.
   */
  reorder(body: Body, globals: ReadonlySet<string>): Reordered {
    const vars = body.map((e) => this.exprVars(e));
    const bodyVars = new Set<string>();
    for (const vs of vars) for (const v of vs) bodyVars.add(v);
    const captured = body.map((e) => {
      const cv = this.exprClosureVars(e);
      return [...cv].filter((v) => bodyVars.has(v) && !globals.has(v));
    });
    const safe = new Set(globals);
    const placed = new Array<boolean>(body.length).fill(false);
    const order: number[] = [];
    for (let progress = true; progress; ) {
      progress = false;
      for (let i = 0; i < body.length; i++) {
        if (placed[i]) continue;
        const ovs = this.outputs(body[i], safe);
        // Closures may only capture what earlier expressions bound (not what their own binds).
        if (captured[i].some((v) => !safe.has(v))) continue;
        let ok = true;
        for (const v of vars[i]) if (!safe.has(v) && !ovs.has(v)) ok = false;
        if (!ok) continue;
        placed[i] = true;
        order.push(i);
        for (const v of ovs) safe.add(v);
        progress = true;
      }
    }
    if (order.length < body.length) this.report(body, placed, vars, captured, safe);
    const g = new Set(globals);
    const out: Body = [];
    for (const i of order) {
      out.push(this.closures(body[i], g));
      for (const v of vars[i]) g.add(v);
    }
    for (let i = 0; i < body.length; i++) {
      if (placed[i]) continue;
      out.push(body[i]);
      order.push(i);
    }
    return { body: out, order, safe, vars: bodyVars };
  }

  private report(body: Body, placed: boolean[], vars: Set<string>[], captured: string[][], safe: ReadonlySet<string>): void {
    const firstLoc = new Map<string, Location>();
    for (let i = 0; i < body.length; i++) {
      if (placed[i]) continue;
      const e = body[i];
      const ovs = this.outputs(e, safe);
      const bad = new Set<string>();
      for (const v of vars[i]) if (!safe.has(v) && !ovs.has(v)) bad.add(v);
      for (const v of captured[i]) if (!safe.has(v)) bad.add(v);
      if (bad.size === 0) for (const v of captured[i]) bad.add(v);
      forEachExprVarTerm(e, (t) => {
        if (!bad.has(t.name)) return;
        const prev = firstLoc.get(t.name);
        if (!prev || compareLoc(t.location, prev) < 0) firstLoc.set(t.name, t.location);
      });
      for (const v of bad) if (!firstLoc.has(v)) firstLoc.set(v, e.location);
    }
    for (const [name, loc] of firstLoc) this.unsafe.push({ name, loc });
  }

  /** Reorders the bodies of the closures in `e`, which may capture the vars in `g`. */
  private closures(e: Expr, g: ReadonlySet<string>): Expr {
    const v = e.value;
    let value: Expr['value'];
    if (v.type === 'every') {
      const inner = new Set(g);
      if (v.key) inner.add(v.key.name);
      inner.add(v.value.name);
      value = { ...v, domain: this.term(v.domain, g), body: this.reorder(v.body, inner).body };
    } else if (v.type === 'body') value = { ...v, body: this.reorder(v.body, g).body };
    else if (v.type === 'some') value = { ...v, symbols: v.symbols.map((s) => this.term(s, g)) };
    else value = this.term(v, g);
    return { ...e, value, with: e.with.map((w) => ({ ...w, value: this.term(w.value, g) })) };
  }

  /** `t` with its comprehension bodies reordered; their head terms must be bound after the body. */
  term(t: Term, g: ReadonlySet<string>): Term {
    switch (t.type) {
      case 'arraycompr':
      case 'setcompr': {
        const r = this.reorder(t.body, g);
        this.checkTerms([t.term], r);
        return { ...t, term: this.term(t.term, r.safe), body: r.body };
      }
      case 'objectcompr': {
        const r = this.reorder(t.body, g);
        this.checkTerms([t.key, t.value], r);
        return { ...t, key: this.term(t.key, r.safe), value: this.term(t.value, r.safe), body: r.body };
      }
      case 'ref':
        return hasClosure(t) ? { ...t, terms: t.terms.map((x) => this.term(x, g)) } : t;
      case 'array':
        return hasClosure(t) ? { ...t, items: t.items.map((x) => this.term(x, g)) } : t;
      case 'set':
        return hasClosure(t) ? { ...t, items: t.items.map((x) => this.term(x, g)) } : t;
      case 'object':
        return hasClosure(t) ? { ...t, items: t.items.map(([k, v]) => [this.term(k, g), this.term(v, g)] as [Term, Term]) } : t;
      case 'call':
        return hasClosure(t) ? { ...t, args: t.args.map((x) => this.term(x, g)) } : t;
      default:
        return t;
    }
  }

  /**
   * Vars of comprehension head terms must occur in the body (which reports them if unsafe there),
   * be bound outside it, or be bound by iterating a ref in the term itself.
   */
  private checkTerms(terms: readonly Term[], r: Reordered): void {
    const safe = r.safe;
    const isSafe: IsSafe = (v) => safe.has(v) || !isLocalVarName(v);
    for (const t of terms) {
      const outs = new Set<string>();
      refOutputs(t, isSafe, outs);
      const reported = new Set<string>();
      const check = (x: Term): void => {
        const vs = new Set<string>();
        collectVars(x, vs);
        forEachVarTermShallow(x, (v) => {
          if (!vs.has(v.name) || safe.has(v.name) || r.vars.has(v.name) || outs.has(v.name) || reported.has(v.name)) return;
          reported.add(v.name);
          this.unsafe.push({ name: v.name, loc: v.location });
        });
      };
      check(t);
    }
  }
}

/** Calls `fn` on the var terms of `t` outside closures (call operators excluded). */
function forEachVarTermShallow(t: Term, fn: (v: VarTerm) => void): void {
  visitVarTerms(t, fn, false);
}

// ---------------------------------------------------------------------------------------------
// The compiler

function packagePath(m: Module): string[] | undefined {
  const out: string[] = [];
  for (const [i, t] of m.package.path.terms.entries()) {
    if (i === 0 && t.type === 'var') out.push(t.name);
    else if (t.type === 'string') out.push(t.value);
    else return undefined;
  }
  return out;
}

function importScope(m: Module): Map<string, RefTerm> {
  const out = new Map<string, RefTerm>();
  for (const imp of m.imports) {
    const head = imp.path.terms[0];
    if (head.type !== 'var' || !GLOBAL_ROOTS.has(head.name)) continue; // future.keywords, rego.v1
    const alias = importName(imp);
    if (alias && alias !== head.name) out.set(alias, imp.path);
  }
  return out;
}

/** The name an import binds: its alias or its last path element. */
function importName(imp: Import): string | undefined {
  if (imp.alias) return imp.alias;
  const last = imp.path.terms[imp.path.terms.length - 1];
  return last.type === 'string' ? last.value : last.type === 'var' ? last.name : undefined;
}

function importsRegoV1(m: Module): boolean {
  return m.imports.some((imp) => {
    const [h, v] = imp.path.terms;
    return imp.path.terms.length === 2 && h.type === 'var' && h.name === 'rego' && v.type === 'string' && (v.value === 'v1' || v.value === 'v2');
  });
}

/**
 * OPA's regoV1Compatible: v1 syntax, or v0 with `import rego.v1`; the v1 checks apply to both. A
 * module detected as valid in both syntaxes (`parsesAsV0`, parseModule's default) counts as v0.
 */
export function isV1Compatible(m: Module): boolean {
  return (m.regoVersion === 'v1' && m.parsesAsV0 !== true) || importsRegoV1(m);
}

function newNode(path: readonly string[]): RuleNode {
  return { path, children: new Map(), rules: [] };
}

function nodeAt(root: RuleNode, path: readonly string[]): RuleNode {
  let n = root;
  for (let i = 1; i < path.length; i++) {
    let c = n.children.get(path[i]);
    if (!c) {
      c = newNode(path.slice(0, i + 1));
      n.children.set(path[i], c);
    }
    n = c;
  }
  return n;
}

/** The node a data ref reaches through its ground prefix, and whether the ref continues past it. */
function lookupNode(root: RuleNode, ref: RefTerm): { node: RuleNode; partial: boolean } | undefined {
  const head = ref.terms[0];
  if (head.type !== 'var' || head.name !== 'data') return undefined;
  let n = root;
  for (let i = 1; i < ref.terms.length; i++) {
    const t = ref.terms[i];
    if (n.rules.length || n.defaultRule) return { node: n, partial: false };
    if (t.type === 'number' || t.type === 'boolean' || t.type === 'null') return undefined;
    if (t.type !== 'string') return { node: n, partial: true };
    const c = n.children.get(t.value);
    if (!c) return undefined;
    n = c;
  }
  return { node: n, partial: n.rules.length === 0 && !n.defaultRule };
}

function ruleNodesUnder(n: RuleNode, out: RuleNode[]): void {
  if (n.rules.length || n.defaultRule) out.push(n);
  for (const c of n.children.values()) ruleNodesUnder(c, out);
}

/** A rule on its way through the stages. */
interface Pending {
  readonly source: Rule;
  readonly module: Module;
  readonly scope: Scope;
  readonly file: string;
  readonly path: string[];
  /** Unresolved head key terms (they decide constancy). */
  readonly keyTerms: Term[];
  readonly kind: RuleKind;
  readonly argVars: ReadonlySet<string>;
  /** After local renaming and name resolution. */
  resolved?: Rule;
  compiled?: CompiledRule;
}

class Compiler {
  readonly root: RuleNode;
  private readonly registry: BuiltinRegistry;
  private counter = 0;
  readonly next = (): number => ++this.counter;

  constructor(
    registry: BuiltinRegistry,
    readonly diag: Diagnostics,
    root?: RuleNode,
  ) {
    this.registry = registry;
    this.root = root ?? newNode(['data']);
  }

  arity = (name: string): number | undefined => {
    const internal = EVALUATOR_CALLS.get(name);
    if (internal !== undefined) return internal;
    if (name.startsWith('data.')) {
      let n: RuleNode | undefined = this.root;
      for (const p of name.split('.').slice(1)) n = n?.children.get(p);
      return n?.arity;
    }
    const def = this.registry.get(name);
    if (!def) return undefined;
    return def.variadic ? -1 : def.args.length;
  };

  // -- Stage: keyword overrides (input/data shadowed) -----------------------------------------

  checkKeywordOverrides(m: Module): void {
    for (const r of m.rules) {
      for (const a of r.head.args ?? []) {
        const root = rootDocName(a);
        if (root) this.diag.add(REGO_COMPILE_ERROR, `args must not shadow ${root} (use a different variable name)`, a.location);
      }
    }
    if (!isV1Compatible(m)) return;
    for (const r of m.rules) {
      const h = r.head.ref.terms[0];
      if (h.type === 'var' && GLOBAL_ROOTS.has(h.name)) {
        this.diag.add(REGO_COMPILE_ERROR, `rules must not shadow ${h.name} (use a different rule name)`, r.location);
      }
    }
    const check = (e: Expr): void => {
      if (!isAssign(e.value)) return;
      const root = rootDocName(e.value.args[0]);
      if (root) this.diag.add(REGO_COMPILE_ERROR, `variables must not shadow ${root} (use a different variable name)`, e.location);
    };
    for (const r of m.rules) {
      for (let x: Rule | undefined = r; x; x = x.else) {
        forEachExprDeep(x.body, check);
        for (const t of headTerms(x)) forEachExprDeep([{ type: 'expr', negated: false, value: t, with: [], location: t.location }], check);
      }
    }
  }

  // -- Stage: duplicate imports -----------------------------------------------------------------

  checkImports(m: Module): void {
    if (!isV1Compatible(m)) return;
    const seen = new Map<string, Import>();
    for (const imp of m.imports) {
      const name = importName(imp);
      if (name === undefined) continue;
      const prev = seen.get(name);
      if (prev) {
        const text = `import ${refString(prev.path)}${prev.alias ? ` as ${prev.alias}` : ''}`;
        this.diag.add(REGO_COMPILE_ERROR, `import must not shadow ${text}`, imp.location);
      } else seen.set(name, imp);
    }
  }

  // -- Indexing ---------------------------------------------------------------------------------

  index(modules: readonly Module[]): Pending[] {
    const names = new Map<string, Set<string>>();
    const pkgs = new Map<Module, string[]>();
    for (const m of modules) {
      const pkg = packagePath(m);
      if (!pkg) {
        this.diag.add(REGO_COMPILE_ERROR, 'package path must be made of names', m.package.location);
        continue;
      }
      pkgs.set(m, pkg);
      const key = pkg.join('.');
      let set = names.get(key);
      if (!set) names.set(key, (set = new Set()));
      for (const r of m.rules) {
        const h = r.head.ref.terms[0];
        if (h.type === 'var') set.add(h.name);
      }
    }
    const out: Pending[] = [];
    for (const m of modules) {
      const pkg = pkgs.get(m);
      if (!pkg) continue;
      // A package with no rules still exists as a (possibly empty) document.
      nodeAt(this.root, pkg);
      const scope: Scope = { pkg, ruleNames: names.get(pkg.join('.')) ?? new Set(), imports: importScope(m) };
      const file = m.package.location.file;
      for (const r of m.rules) {
        const { path, keyTerms } = splitHead(r, pkg);
        const kind = ruleKind(r);
        const argVars = new Set<string>();
        for (const a of r.head.args ?? []) {
          const vs = new Set<string>();
          collectVarsDeep(a, vs);
          for (const v of vs) argVars.add(v);
        }
        const node = nodeAt(this.root, path);
        if (kind === 'function' && node.arity === undefined) node.arity = r.head.args?.length ?? 0;
        out.push({ source: r, module: m, scope, file, path, keyTerms, kind, argVars });
      }
    }
    return out;
  }

  // -- Stage: local variables and name resolution -----------------------------------------------

  localize(p: Pending): void {
    p.resolved = this.localizeRule(p.source, p);
  }

  private localizeRule(rule: Rule, p: Pending): Rule {
    // Closures in the head get a scope of their own (OPA rewrites them before the body).
    const headLocal = (t: Term): Term => (hasClosure(t) ? new Localizer(this.diag, this.next).term(t) : t);
    const loc = new Localizer(this.diag, this.next);
    loc.args(p.argVars);
    const body = loc.body(rule.body);
    const renames = loc.topRenames();
    const head = rule.head;
    const fix = (t: Term): Term => renameVars(headLocal(t), renames);
    const newHead = {
      ...head,
      ref: { ...head.ref, terms: head.ref.terms.map((t, i) => (i === 0 ? t : fix(t))) },
      key: head.key && fix(head.key),
      value: head.value && fix(head.value),
    };
    const r = new Resolver(p.scope, p.argVars);
    const out: Rule = {
      ...rule,
      head: {
        ...newHead,
        ref: { ...newHead.ref, terms: newHead.ref.terms.map((t, i) => (i === 0 ? t : r.term(t))) },
        args: head.args?.map((a) => r.term(a)),
        key: newHead.key && r.term(newHead.key),
        value: newHead.value && r.term(newHead.value),
      },
      body: r.body(body),
    };
    if (rule.else) out.else = this.localizeRule({ ...rule.else, head: { ...rule.else.head, args: rule.head.args } }, p);
    return out;
  }

  // -- Stage: rule conflicts --------------------------------------------------------------------

  checkConflicts(pending: readonly Pending[]): void {
    const byNode = new Map<string, Pending[]>();
    for (const p of pending) {
      const key = p.path.join('\0');
      let list = byNode.get(key);
      if (!list) byNode.set(key, (list = []));
      list.push(p);
    }
    for (const list of byNode.values()) {
      const name = list[0].path.join('.');
      const kinds = new Set(list.map((p) => p.kind));
      const arities = new Set(list.map((p) => p.source.head.args?.length ?? -1));
      const complete = list.filter((p) => p.kind === 'complete' && p.keyTerms.length === 0).length;
      const partial = list.length - complete;
      const defaults = list.filter((p) => p.source.default);
      if (kinds.size > 1 || arities.size > 1 || (complete > 0 && partial > 0)) {
        this.diag.add(REGO_TYPE_ERROR, `conflicting rules ${name} found`, list[0].source.location);
      } else if (defaults.length > 1) {
        const at = defaults.map((d) => `${d.source.location.file}:${d.source.location.line}`).join(', ');
        this.diag.add(REGO_TYPE_ERROR, `multiple default rules ${name} found at ${at}`, defaults[0].module.package.location);
      }
    }
  }

  // -- Stage: undefined functions and arity -----------------------------------------------------

  checkCallsIn(visit: (fn: (c: Extract<Term, { type: 'call' }>, top: boolean) => void) => void): void {
    visit((t, top) => {
      const name = operatorName(t.operator);
      if (name === undefined) return;
      if (t.infix === ':=' || t.infix === '=') return;
      const a = this.arity(name);
      if (a === undefined) {
        this.diag.add(REGO_TYPE_ERROR, `undefined function ${name}`, t.location);
        return;
      }
      if (a < 0) return;
      const n = t.args.length;
      // A top-level call may carry one extra argument: its output (`count(xs, n)`).
      if (n === a || (top && n === a + 1)) return;
      const msg = name.startsWith('data.')
        ? `function ${name} has arity ${a}, got ${n} argument${n === 1 ? '' : 's'}`
        : `${name}: arity mismatch: expected ${a} argument${a === 1 ? '' : 's'}, got ${n}`;
      this.diag.add(REGO_TYPE_ERROR, msg, t.location);
    });
  }

  // -- Stage: safety ----------------------------------------------------------------------------

  /** Reorders the rule's bodies; head and body problems are returned apart (OPA checks heads first). */
  safeRule(rule: Rule, argVars: ReadonlySet<string>): { rule: Rule; head: Unsafe[]; body: Unsafe[] } {
    const safety = new Safety({ arity: this.arity });
    const headUnsafe: Unsafe[] = [];
    const head = rule.head;
    // Head terms that need evaluation are checked as if `$hN = term` ended the body, as OPA does.
    const slots: Array<{ get: () => Term | undefined; set: (t: Term) => void }> = [];
    const newHead = { ...head, ref: { ...head.ref, terms: [...head.ref.terms] } };
    for (let i = 1; i < newHead.ref.terms.length; i++) {
      slots.push({ get: () => newHead.ref.terms[i], set: (t) => (newHead.ref.terms[i] = t) });
    }
    slots.push({ get: () => newHead.key, set: (t) => (newHead.key = t) });
    slots.push({ get: () => newHead.value, set: (t) => (newHead.value = t) });
    const virtual: Array<{ expr: Expr; slot: (typeof slots)[number]; name: string }> = [];
    for (const slot of slots) {
      const t = slot.get();
      if (!t || !requiresEval(t)) continue;
      const name = `$h${this.next()}`;
      const loc = t.location;
      const expr: Expr = {
        type: 'expr',
        negated: false,
        with: [],
        location: loc,
        value: { type: 'call', operator: { type: 'ref', terms: [varTerm('eq', loc)], location: loc }, args: [varTerm(name, loc), t], infix: '=', location: loc },
      };
      virtual.push({ expr, slot, name });
    }
    const realCount = rule.body.length;
    const all = [...rule.body, ...virtual.map((v) => v.expr)];
    const r = safety.reorder(all, argVars);
    // Plain head vars must occur in the body (OPA's checkSafetyRuleHeads).
    const known = new Set([...r.vars, ...argVars]);
    const reported = new Set<string>();
    for (const slot of slots) {
      const t = slot.get();
      if (!t) continue;
      const vs: VarTerm[] = [];
      plainVars(t, vs);
      for (const v of vs) {
        if (known.has(v.name) || reported.has(v.name)) continue;
        reported.add(v.name);
        headUnsafe.push({ name: v.name, loc: v.location });
      }
    }
    // Keep the evaluation of head terms in the head unless the body needs what they bind.
    const isVirtual = (k: number): boolean => r.order[k] >= realCount;
    let lastReal = -1;
    let firstVirtual = -1;
    r.order.forEach((_, k) => {
      if (!isVirtual(k)) lastReal = k;
      else if (firstVirtual < 0) firstVirtual = k;
    });
    let body: Body;
    if (firstVirtual < 0 || firstVirtual > lastReal) {
      body = [];
      r.body.forEach((e, k) => {
        if (!isVirtual(k)) {
          body.push(e);
          return;
        }
        const value = e.value;
        if (value.type === 'call') virtual[r.order[k] - realCount].slot.set(value.args[1]);
      });
    } else {
      body = r.body;
      for (const v of virtual) v.slot.set(varTerm(v.name, v.expr.location));
    }
    const out: Rule = { ...rule, head: newHead, body };
    let bodyUnsafe = safety.unsafe;
    if (rule.else) {
      const e = this.safeRule({ ...rule.else, head: { ...rule.else.head, args: rule.head.args } }, argVars);
      out.else = e.rule;
      headUnsafe.push(...e.head);
      bodyUnsafe = [...bodyUnsafe, ...e.body];
    }
    return { rule: out, head: headUnsafe, body: bodyUnsafe };
  }

  reportUnsafe(list: readonly Unsafe[]): void {
    const sorted = [...list].sort((a, b) => compareLoc(a.loc, b.loc));
    for (const u of sorted) this.diag.add(REGO_UNSAFE_VAR_ERROR, `var ${displayVarName(u.name)} is unsafe`, u.loc);
  }

  // -- Tree -------------------------------------------------------------------------------------

  addCompiled(c: CompiledRule): void {
    const node = nodeAt(this.root, c.path);
    if (c.rule.default) {
      node.defaultRule ??= c;
      return;
    }
    node.rules.push(c);
  }

  // -- Stage: recursion -------------------------------------------------------------------------

  /** Rejects recursion between rules (OPA's rego_recursion_error), one error per rule on a cycle. */
  checkRecursion(): void {
    const all: RuleNode[] = [];
    ruleNodesUnder(this.root, all);
    const deps = new Map<RuleNode, Set<RuleNode>>();
    for (const n of all) {
      const out = new Set<RuleNode>();
      const visitRef = (ref: RefTerm): void => {
        const hit = lookupNode(this.root, ref);
        if (!hit) return;
        if (hit.partial) {
          const under: RuleNode[] = [];
          ruleNodesUnder(hit.node, under);
          under.forEach((u) => out.add(u));
        } else out.add(hit.node);
      };
      const visitTerm = (t: Term): void => {
        switch (t.type) {
          case 'ref':
            visitRef(t);
            t.terms.forEach(visitTerm);
            return;
          case 'array':
          case 'set':
            t.items.forEach(visitTerm);
            return;
          case 'object':
            t.items.forEach(([k, v]) => {
              visitTerm(k);
              visitTerm(v);
            });
            return;
          case 'call':
            if (t.operator.terms[0].type === 'var' && t.operator.terms[0].name === 'data') visitRef(t.operator);
            t.args.forEach(visitTerm);
            return;
          case 'arraycompr':
          case 'setcompr':
            visitTerm(t.term);
            visitBody(t.body);
            return;
          case 'objectcompr':
            visitTerm(t.key);
            visitTerm(t.value);
            visitBody(t.body);
            return;
          default:
            return;
        }
      };
      const visitBody = (b: Body): void => {
        for (const e of b) {
          const v = e.value;
          if (v.type === 'some') v.symbols.forEach(visitTerm);
          else if (v.type === 'every') {
            visitTerm(v.domain);
            visitBody(v.body);
          } else if (v.type === 'body') visitBody(v.body);
          else visitTerm(v);
          // A `with` replacing a function/rule breaks the cycle through it; values still count.
          e.with.forEach((w) => visitTerm(w.value));
        }
      };
      const visitRule = (r: Rule): void => {
        visitBody(r.body);
        r.head.ref.terms.slice(1).forEach(visitTerm);
        if (r.head.key) visitTerm(r.head.key);
        if (r.head.value) visitTerm(r.head.value);
        if (r.else) visitRule(r.else);
      };
      for (const c of n.rules) visitRule(c.rule);
      if (n.defaultRule) visitRule(n.defaultRule.rule);
      deps.set(n, out);
    }
    // Tarjan's SCCs: only nodes on a cycle need a path search.
    const index = new Map<RuleNode, number>();
    const low = new Map<RuleNode, number>();
    const onStack = new Set<RuleNode>();
    const stack: RuleNode[] = [];
    const cyclic = new Set<RuleNode>();
    let counter = 0;
    const strong = (start: RuleNode): void => {
      // Iterative to stay within the call stack on long dependency chains.
      const work: Array<{ n: RuleNode; it: Iterator<RuleNode> }> = [];
      const open = (n: RuleNode): void => {
        index.set(n, counter);
        low.set(n, counter++);
        stack.push(n);
        onStack.add(n);
        work.push({ n, it: (deps.get(n) ?? new Set<RuleNode>()).values() });
      };
      open(start);
      while (work.length) {
        const top = work[work.length - 1];
        const step = top.it.next();
        if (!step.done) {
          const d = step.value;
          if (!index.has(d)) open(d);
          else if (onStack.has(d)) low.set(top.n, Math.min(low.get(top.n) ?? 0, index.get(d) ?? 0));
          continue;
        }
        work.pop();
        if (work.length) {
          const parent = work[work.length - 1].n;
          low.set(parent, Math.min(low.get(parent) ?? 0, low.get(top.n) ?? 0));
        }
        if (low.get(top.n) === index.get(top.n)) {
          const comp: RuleNode[] = [];
          let x: RuleNode | undefined;
          do {
            x = stack.pop();
            if (x) {
              onStack.delete(x);
              comp.push(x);
            }
          } while (x && x !== top.n);
          if (comp.length > 1 || deps.get(top.n)?.has(top.n)) comp.forEach((c) => cyclic.add(c));
        }
      }
    };
    for (const n of all) if (!index.has(n)) strong(n);
    for (const n of all) {
      if (!cyclic.has(n)) continue;
      const path = this.cyclePath(n, deps, cyclic);
      const rule = (n.rules[0] ?? n.defaultRule)?.rule;
      const name = n.path.join('.');
      this.diag.add(REGO_RECURSION_ERROR, `rule ${name} is recursive: ${[n, ...path].map((x) => x.path.join('.')).join(' -> ')}`, rule?.location);
    }
  }

  /** A shortest dependency path from `n` back to itself (breadth-first over the cyclic nodes). */
  private cyclePath(n: RuleNode, deps: ReadonlyMap<RuleNode, ReadonlySet<RuleNode>>, cyclic: ReadonlySet<RuleNode>): RuleNode[] {
    const prev = new Map<RuleNode, RuleNode>();
    const queue: RuleNode[] = [n];
    for (let i = 0; i < queue.length; i++) {
      const x = queue[i];
      for (const d of deps.get(x) ?? []) {
        if (!cyclic.has(d)) continue;
        if (d === n) {
          const path: RuleNode[] = [n];
          for (let y: RuleNode | undefined = x; y && y !== n; y = prev.get(y)) path.unshift(y);
          return path;
        }
        if (!prev.has(d)) {
          prev.set(d, x);
          queue.push(d);
        }
      }
    }
    return [n];
  }

  // -- Stage: deprecated builtins ---------------------------------------------------------------

  checkDeprecated(rule: Rule): void {
    forEachRuleCall(rule, (t) => {
      const name = operatorName(t.operator);
      if (name !== undefined && DEPRECATED_BUILTINS.has(name)) {
        this.diag.add(REGO_TYPE_ERROR, `deprecated built-in function calls in expression: ${name}`, t.location);
      }
    });
  }
}

function splitHead(rule: Rule, pkg: readonly string[]): { path: string[]; keyTerms: Term[] } {
  const terms = rule.head.ref.terms;
  const path = [...pkg];
  let i = 0;
  for (; i < terms.length; i++) {
    const t = terms[i];
    if (i === 0 && t.type === 'var') path.push(t.name);
    else if (i > 0 && t.type === 'string') path.push(t.value);
    else break;
  }
  return { path, keyTerms: terms.slice(i) };
}

/** Compiles parsed modules into a policy; throws the first compile error as a located WardenError. */
export function compileModules(modules: readonly Module[], opts: CompileOptions = {}): CompiledPolicy {
  const res = compileModulesCollect(modules, opts);
  if (res.policy) return res.policy;
  const [first, ...rest] = res.errors;
  if (rest.length === 0) return fail(first);
  // The others are not lost on the reader: `policy check` lists them all.
  const more = `${rest.length} more compile error${rest.length === 1 ? '' : 's'}: \`warden policy check\` lists them all`;
  return fail(
    new WardenError(first.code, first.message, {
      ...(first.location ? { location: first.location } : {}),
      hint: first.hint === undefined ? more : `${first.hint}\n${more}`,
      exitCode: first.exitCode,
    }),
  );
}

function fail(e: WardenError): never {
  throw e;
}

/**
 * Compiles parsed modules, collecting every error of the first failing stage (each with a caret
 * snippet when its file's text is among `opts.sources`) instead of throwing.
 */
export function compileModulesCollect(modules: readonly Module[], opts: CompileOptions = {}): CompileResult {
  const sources = new Map((opts.sources ?? []).map((f) => [f.file, f.text] as const));
  const diag = new Diagnostics();
  const policy = compileTree(modules, opts, sources, diag);
  if (diag.failed || !policy) return { errors: diag.errors.map((e) => withSnippet(e, sources)) };
  return { policy, errors: [] };
}

function compileTree(
  modules: readonly Module[],
  opts: CompileOptions,
  sources: ReadonlyMap<string, string>,
  diag: Diagnostics,
): CompiledPolicy | undefined {
  const builtins = opts.builtins ?? defaultRegistry;
  const c = new Compiler(builtins, diag);
  for (const m of modules) c.checkKeywordOverrides(m);
  if (diag.failed) return undefined;
  for (const m of modules) c.checkImports(m);
  if (diag.failed) return undefined;
  const pending = c.index(modules);
  if (diag.failed) return undefined;
  for (const p of pending) c.localize(p);
  if (diag.failed) return undefined;
  c.checkConflicts(pending);
  if (diag.failed) return undefined;
  for (const p of pending) if (p.resolved) c.checkCallsIn((fn) => forEachRuleCall(p.resolved as Rule, fn));
  if (diag.failed) return undefined;
  const heads: Unsafe[] = [];
  const bodies: Unsafe[] = [];
  for (const p of pending) {
    if (!p.resolved) continue;
    const s = c.safeRule(p.resolved, p.argVars);
    heads.push(...s.head);
    bodies.push(...s.body);
    const valueTerm = p.source.head.value;
    p.compiled = {
      rule: s.rule,
      kind: p.kind,
      path: p.path,
      keyTerms: splitHead(s.rule, p.scope.pkg).keyTerms,
      // keyTerms above are the resolved ones; the unresolved ones only decide constancy.
      constantValue: p.kind === 'complete' && p.keyTerms.length === 0 && (valueTerm === undefined || isLiteral(valueTerm)),
      file: p.file,
    };
  }
  // OPA checks heads, then bodies, as two stages; both are reported (neither causes the other).
  c.reportUnsafe([...heads, ...bodies]);
  if (diag.failed) return undefined;
  for (const p of pending) if (p.compiled) c.addCompiled(p.compiled);
  c.checkRecursion();
  if (diag.failed) return undefined;
  for (const p of pending) if (p.compiled && isV1Compatible(p.module)) c.checkDeprecated(p.compiled.rule);
  if (diag.failed) return undefined;
  return { root: c.root, modules, builtins, sources };
}

/** Parses and compiles source files (`file` names appear in error locations). */
export function compilePolicy(files: readonly SourceFile[], opts: CompileOptions = {}): CompiledPolicy {
  const modules = files.map((f) => parseModule(f.text, { ...opts.parse, ...(f.regoVersion ? { regoVersion: f.regoVersion } : {}), file: f.file }));
  return compileModules(modules, { ...opts, sources: [...(opts.sources ?? []), ...files] });
}

/** The file name query locations carry (parseQuery's default). */
export const QUERY_FILE = '<query>';

/** Resolves and safety-orders a query against a compiled policy. */
export function compileQuery(policy: CompiledPolicy, query: string | Body): CompiledQuery {
  try {
    return compileQueryBody(policy, typeof query === 'string' ? parseQuery(query) : query);
  } catch (e) {
    if (!(e instanceof WardenError) || typeof query !== 'string') throw e;
    throw withSnippet(e, new Map([...policy.sources, [QUERY_FILE, query]]));
  }
}

function compileQueryBody(policy: CompiledPolicy, body: Body): CompiledQuery {
  const diag = new Diagnostics();
  const compiler = new Compiler(policy.builtins, diag, policy.root);
  const fail = (): never => {
    throw diag.errors[0];
  };
  const localized = new Localizer(diag, compiler.next, false).body(body);
  if (diag.failed) fail();
  const scope: Scope = { pkg: ['data'], ruleNames: new Set(), imports: new Map() };
  const resolved = new Resolver(scope, new Set()).body(localized);
  compiler.checkCallsIn((fn) => resolved.forEach((e) => forEachExprCall(e, fn)));
  if (diag.failed) fail();
  const safety = new Safety({ arity: compiler.arity });
  const ordered = safety.reorder(resolved, new Set());
  compiler.reportUnsafe(safety.unsafe);
  if (diag.failed) fail();
  const vars: string[] = [];
  const seen = new Set<string>();
  for (const e of body) {
    const v = e.value;
    const visit = (t: VarTerm): void => {
      if (!t.wildcard && !t.name.startsWith('$') && !GLOBAL_ROOTS.has(t.name) && !seen.has(t.name)) {
        seen.add(t.name);
        vars.push(t.name);
      }
    };
    // Closure-local vars are not the query's; every/not-group bodies are closures too.
    if (v.type === 'some') v.symbols.forEach((s) => forEachVarTermShallow(s, visit));
    else if (v.type === 'every') forEachVarTermShallow(v.domain, visit);
    else if (v.type !== 'body') forEachVarTermShallow(v, visit);
    e.with.forEach((w) => forEachVarTermShallow(w.value, visit));
  }
  return { body: ordered.body, vars };
}

/** Walks the tree to the node at a `data`-rooted path (undefined when no rule lives under it). */
export function findNode(policy: CompiledPolicy, path: readonly string[]): RuleNode | undefined {
  let n: RuleNode | undefined = policy.root;
  for (let i = 1; i < path.length && n; i++) n = n.children.get(path[i]);
  return n;
}
