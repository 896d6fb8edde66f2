// The Rego compiler: turns parsed modules into a CompiledPolicy — a rule tree indexed by data path,
// names resolved to `data.*`/`input.*` refs, bodies reordered for safety, and the compile-time
// checks (unsafe variables, recursion, builtin arity) reported as coded, located WardenErrors.
import { WardenError } from '../../errors.js';
import {
  ruleKind,
  type Body,
  type Expr,
  type Module,
  type RefTerm,
  type Rule,
  type RuleKind,
  type Term,
  type VarTerm,
} from './ast.js';
import { defaultRegistry, type BuiltinRegistry } from './builtins/index.js';
import { withSnippet, type Location } from './location.js';
import { parseModule, parseQuery, type ParseModuleOptions } from './parser.js';

export const REGO_UNSAFE_VAR_ERROR = 'rego_unsafe_var_error';
export const REGO_RECURSION_ERROR = 'rego_recursion_error';
export const REGO_TYPE_ERROR = 'rego_type_error';
export const REGO_COMPILE_ERROR = 'rego_compile_error';

/** Calls the evaluator implements itself (not in the builtin registry), with their arity. */
export const EVALUATOR_CALLS: ReadonlyMap<string, number> = new Map([
  ['eq', 2],
  ['assign', 2],
  ['internal.member_2', 2],
  ['internal.member_3', 3],
  ['print', -1],
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
}

export interface CompileOptions {
  builtins?: BuiltinRegistry;
  parse?: Omit<ParseModuleOptions, 'file'>;
  /** The modules' source texts (by `file`), kept on the policy for error snippets. */
  sources?: readonly SourceFile[];
}

function located(code: string, message: string, loc: Location | undefined): WardenError {
  return new WardenError(code, message, loc ? { location: { file: loc.file, line: loc.line, col: loc.col } } : {});
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

function varTerm(name: string, loc: Location): VarTerm {
  return { type: 'var', name, location: loc };
}

function dataRef(path: readonly string[], loc: Location): RefTerm {
  return {
    type: 'ref',
    location: loc,
    terms: [varTerm(path[0], loc), ...path.slice(1).map((p) => ({ type: 'string' as const, value: p, location: loc }))],
  };
}

/** Calls `fn` on every var term outside closures (comprehensions, every bodies, `not {}` groups). */
function forEachVar(t: Term, fn: (v: VarTerm) => void, intoClosures = false): void {
  switch (t.type) {
    case 'var':
      fn(t);
      return;
    case 'ref':
      for (const x of t.terms) forEachVar(x, fn, intoClosures);
      return;
    case 'array':
    case 'set':
      for (const x of t.items) forEachVar(x, fn, intoClosures);
      return;
    case 'object':
      for (const [k, v] of t.items) {
        forEachVar(k, fn, intoClosures);
        forEachVar(v, fn, intoClosures);
      }
      return;
    case 'call':
      for (const x of t.args) forEachVar(x, fn, intoClosures);
      return;
    case 'arraycompr':
    case 'setcompr':
      if (intoClosures) {
        forEachVar(t.term, fn, true);
        for (const e of t.body) forEachExprVar(e, fn, true);
      }
      return;
    case 'objectcompr':
      if (intoClosures) {
        forEachVar(t.key, fn, true);
        forEachVar(t.value, fn, true);
        for (const e of t.body) forEachExprVar(e, fn, true);
      }
      return;
    default:
      return;
  }
}

function forEachExprVar(e: Expr, fn: (v: VarTerm) => void, intoClosures = false): void {
  const v = e.value;
  if (v.type === 'some') for (const s of v.symbols) forEachVar(s, fn, intoClosures);
  else if (v.type === 'every') {
    forEachVar(v.domain, fn, intoClosures);
    if (intoClosures) {
      if (v.key) fn(v.key);
      fn(v.value);
      for (const x of v.body) forEachExprVar(x, fn, true);
    }
  } else if (v.type === 'body') {
    if (intoClosures) for (const x of v.body) forEachExprVar(x, fn, true);
  } else forEachVar(v, fn, intoClosures);
  for (const w of e.with) forEachVar(w.value, fn, intoClosures);
}

const GLOBAL_ROOTS = new Set(['data', 'input']);

function isLocalVarName(name: string): boolean {
  return !GLOBAL_ROOTS.has(name);
}

// ---------------------------------------------------------------------------------------------
// Name resolution

interface Scope {
  pkg: readonly string[];
  ruleNames: ReadonlySet<string>;
  imports: ReadonlyMap<string, RefTerm>;
}

/** Variables a body declares (`some`, `:=` targets, every key/value), including nested bodies. */
function declaredVars(body: Body, out: Set<string>): Set<string> {
  const addPattern = (t: Term): void => forEachVar(t, (v) => out.add(v.name));
  for (const e of body) {
    const v = e.value;
    if (v.type === 'some') {
      for (const s of v.symbols) {
        if (s.type === 'call') s.args.slice(0, -1).forEach(addPattern);
        else addPattern(s);
      }
    } else if (v.type === 'every') {
      if (v.key) out.add(v.key.name);
      out.add(v.value.name);
      declaredVars(v.body, out);
    } else if (v.type === 'body') declaredVars(v.body, out);
    else if (v.type === 'call' && v.infix === ':=') addPattern(v.args[0]);
    const visitClosures = (t: Term): void => {
      switch (t.type) {
        case 'arraycompr':
        case 'setcompr':
        case 'objectcompr':
          declaredVars(t.body, out);
          return;
        case 'ref':
          t.terms.forEach(visitClosures);
          return;
        case 'call':
          t.args.forEach(visitClosures);
          return;
        case 'array':
        case 'set':
          t.items.forEach(visitClosures);
          return;
        case 'object':
          t.items.forEach(([k, x]) => {
            visitClosures(k);
            visitClosures(x);
          });
          return;
        default:
          return;
      }
    };
    if (v.type !== 'some' && v.type !== 'every' && v.type !== 'body') visitClosures(v);
  }
  return out;
}

class Resolver {
  constructor(
    private readonly scope: Scope,
    private readonly locals: ReadonlySet<string>,
  ) {}

  private global(name: string, loc: Location): RefTerm | undefined {
    if (this.locals.has(name) || GLOBAL_ROOTS.has(name) || name.startsWith('$')) return undefined;
    const imp = this.scope.imports.get(name);
    if (imp) return { ...imp, location: loc };
    if (this.scope.ruleNames.has(name)) return dataRef([...this.scope.pkg, name], loc);
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
// Safety: reorder each body so every variable is bound before it is read

interface SafetyEnv {
  arity(name: string): number | undefined;
}

/** Vars a term binds when evaluated: ref operands (iterated), recursively. */
function outputsOf(t: Term, out: Set<string>): void {
  switch (t.type) {
    case 'ref':
      t.terms.forEach((x, i) => {
        if (i > 0) patternVars(x, out);
        if (x.type === 'ref' || x.type === 'call' || (i === 0 && x.type !== 'var')) outputsOf(x, out);
      });
      return;
    case 'array':
    case 'set':
      t.items.forEach((x) => outputsOf(x, out));
      return;
    case 'object':
      t.items.forEach(([k, v]) => {
        outputsOf(k, out);
        outputsOf(v, out);
      });
      return;
    case 'call':
      t.args.forEach((x) => outputsOf(x, out));
      return;
    default:
      return;
  }
}

/** Vars in unifiable positions: the var itself, array items, object values. */
function patternVars(t: Term, out: Set<string>): void {
  if (t.type === 'var') out.add(t.name);
  else if (t.type === 'array') t.items.forEach((x) => patternVars(x, out));
  else if (t.type === 'object') t.items.forEach(([, v]) => patternVars(v, out));
}

function closureCaptures(t: Term, scope: ReadonlySet<string>, out: Set<string>): void {
  forEachVar(
    t,
    (v) => {
      if (scope.has(v.name)) out.add(v.name);
    },
    true,
  );
}

/** All vars of a term outside closures, plus closure vars captured from `scope`. */
function termVars(t: Term, scope: ReadonlySet<string>, out: Set<string>): void {
  forEachVar(t, (v) => out.add(v.name));
  closureCaptures(t, scope, out);
}

class Safety {
  constructor(
    private readonly env: SafetyEnv,
    private readonly file: string,
  ) {}

  /** Unification a = b: vars of either side that become bound once the other side is known. */
  private unify(a: Term, b: Term, safe: Set<string>): boolean {
    let changed = false;
    const known = (t: Term): boolean => {
      const vs = new Set<string>();
      termVars(t, safe, vs);
      for (const v of vs) if (!safe.has(v) && isLocalVarName(v)) return false;
      return true;
    };
    const bindAll = (t: Term): void => {
      const vs = new Set<string>();
      patternVars(t, vs);
      for (const v of vs)
        if (!safe.has(v)) {
          safe.add(v);
          changed = true;
        }
    };
    const go = (x: Term, y: Term): void => {
      if (x.type === 'array' && y.type === 'array' && x.items.length === y.items.length) {
        x.items.forEach((xi, i) => go(xi, y.items[i]));
        return;
      }
      if (x.type === 'object' && y.type === 'object') {
        for (const [xk, xv] of x.items) {
          const match = y.items.find(([yk]) => sameScalar(xk, yk));
          if (match) go(xv, match[1]);
        }
        return;
      }
      if (isPatternTerm(x) && known(y)) bindAll(x);
      if (isPatternTerm(y) && known(x)) bindAll(y);
    };
    go(a, b);
    return changed;
  }

  /**
   * The vars `e` needs bound before it runs, and those it binds, given the currently safe ones.
   * `scope` holds the vars of the enclosing bodies (closures capture those).
   */
  private analyse(e: Expr, safe: ReadonlySet<string>, scope: ReadonlySet<string>): { needs: Set<string>; outs: Set<string> } {
    const needs = new Set<string>();
    const outs = new Set<string>();
    for (const w of e.with) {
      const fn = w.value.type === 'var' ? w.value.name : w.value.type === 'ref' ? operatorName(w.value) : undefined;
      if (fn !== undefined && !safe.has(fn) && this.env.arity(fn) !== undefined) continue;
      termVars(w.value, scope, needs);
    }
    const v = e.value;
    if (v.type === 'some') {
      for (const s of v.symbols) {
        if (s.type !== 'call') continue;
        const domain = s.args[s.args.length - 1];
        termVars(domain, scope, needs);
        outputsOf(domain, outs);
        s.args.slice(0, -1).forEach((x) => patternVars(x, outs));
      }
    } else if (v.type === 'every') {
      termVars(v.domain, scope, needs);
      outputsOf(v.domain, outs);
      const inner = new Set<string>();
      for (const x of v.body) forEachExprVar(x, (t) => inner.add(t.name), true);
      for (const n of inner) if (scope.has(n) && n !== v.key?.name && n !== v.value.name) needs.add(n);
      outs.clear();
    } else if (v.type === 'body') {
      for (const x of v.body) forEachExprVar(x, (t) => (scope.has(t.name) ? needs.add(t.name) : undefined), true);
    } else if (v.type === 'call' && (v.infix === '=' || v.infix === ':=') && v.args.length === 2) {
      const [a, b] = v.args;
      termVars(a, scope, needs);
      termVars(b, scope, needs);
      outputsOf(a, outs);
      outputsOf(b, outs);
      const s = new Set([...safe, ...outs]);
      while (this.unify(a, b, s));
      for (const n of s) if (!safe.has(n)) outs.add(n);
    } else if (v.type === 'call') {
      const name = operatorName(v.operator);
      const arity = name === undefined ? undefined : this.env.arity(name);
      const hasOut = arity !== undefined && arity >= 0 && v.args.length === arity + 1;
      const inputs = hasOut ? v.args.slice(0, -1) : v.args;
      for (const x of inputs) {
        termVars(x, scope, needs);
        outputsOf(x, outs);
      }
      if (hasOut) {
        const o = v.args[v.args.length - 1];
        termVars(o, scope, needs);
        outputsOf(o, outs);
        patternVars(o, outs);
      }
    } else {
      termVars(v, scope, needs);
      outputsOf(v, outs);
    }
    if (e.negated) {
      // Vars only mentioned inside a negation are local to it; the rest must be bound first.
      for (const n of [...needs]) if (!scope.has(n)) needs.delete(n);
      for (const n of outs) if (scope.has(n)) needs.add(n);
      outs.clear();
    } else {
      for (const n of outs) needs.delete(n);
    }
    return { needs, outs };
  }

  /** Reorders `body` given `safe` vars; returns the new body and the vars safe after it. */
  reorder(body: Body, safe: ReadonlySet<string>, outerScope: ReadonlySet<string>): { body: Body; safe: Set<string> } {
    const scope = new Set(outerScope);
    for (const e of body) if (!e.negated) forEachExprVar(e, (v) => scope.add(v.name));
    for (const s of safe) scope.add(s);
    // A closure written before `x := ...` cannot see that x (OPA scopes `:=` from its position).
    const scopes = new Map<Expr, Set<string>>();
    const later = new Set<string>();
    for (let i = body.length - 1; i >= 0; i--) {
      const e = body[i];
      const sc = new Set(scope);
      for (const n of later) if (!outerScope.has(n) && !safe.has(n)) sc.delete(n);
      scopes.set(e, sc);
      const v = e.value;
      if (v.type === 'call' && v.infix === ':=') forEachVar(v.args[0], (x) => later.add(x.name));
    }
    const cur = new Set(safe);
    const pending = [...body];
    const out: Body = [];
    while (pending.length) {
      let placed = -1;
      for (let i = 0; i < pending.length; i++) {
        const { needs, outs } = this.analyse(pending[i], cur, scopes.get(pending[i]) ?? scope);
        let ok = true;
        for (const n of needs) if (!cur.has(n) && isLocalVarName(n)) ok = false;
        if (ok) {
          placed = i;
          for (const n of outs) cur.add(n);
          break;
        }
      }
      if (placed < 0) {
        const e = pending[0];
        const { needs } = this.analyse(e, cur, scopes.get(e) ?? scope);
        const bad = [...needs].filter((n) => !cur.has(n) && isLocalVarName(n)).sort();
        let loc: Location = e.location;
        forEachExprVar(
          e,
          (v) => {
            if (v.name === bad[0] && loc === e.location) loc = v.location;
          },
          true,
        );
        const shown = bad[0].startsWith('$') ? '_' : bad[0];
        throw located(REGO_UNSAFE_VAR_ERROR, `var ${shown} is unsafe`, { ...loc, file: loc.file || this.file });
      }
      const e = pending.splice(placed, 1)[0];
      out.push(this.closures(e, cur, scope));
    }
    return { body: out, safe: cur };
  }

  /** Reorders the bodies of closures in `e` given the vars safe where `e` runs. */
  private closures(e: Expr, safe: ReadonlySet<string>, scope: ReadonlySet<string>): Expr {
    const v = e.value;
    let value: Expr['value'] = v;
    if (v.type === 'every') {
      const s = new Set(safe);
      if (v.key) s.add(v.key.name);
      s.add(v.value.name);
      value = { ...v, domain: this.term(v.domain, safe, scope), body: this.reorder(v.body, s, scope).body };
    } else if (v.type === 'body') value = { ...v, body: this.reorder(v.body, safe, scope).body };
    else if (v.type === 'some') value = { ...v, symbols: v.symbols.map((s) => this.term(s, safe, scope)) };
    else value = this.term(v, safe, scope);
    return { ...e, value, with: e.with.map((w) => ({ ...w, value: this.term(w.value, safe, scope) })) };
  }

  private term(t: Term, safe: ReadonlySet<string>, scope: ReadonlySet<string>): Term {
    switch (t.type) {
      case 'arraycompr':
      case 'setcompr': {
        const r = this.reorder(t.body, safe, scope);
        this.checkHead([t.term], r.safe);
        return { ...t, term: this.term(t.term, r.safe, scope), body: r.body };
      }
      case 'objectcompr': {
        const r = this.reorder(t.body, safe, scope);
        this.checkHead([t.key, t.value], r.safe);
        return { ...t, key: this.term(t.key, r.safe, scope), value: this.term(t.value, r.safe, scope), body: r.body };
      }
      case 'ref':
        return { ...t, terms: t.terms.map((x) => this.term(x, safe, scope)) };
      case 'array':
        return { ...t, items: t.items.map((x) => this.term(x, safe, scope)) };
      case 'set':
        return { ...t, items: t.items.map((x) => this.term(x, safe, scope)) };
      case 'object':
        return { ...t, items: t.items.map(([k, v]) => [this.term(k, safe, scope), this.term(v, safe, scope)] as [Term, Term]) };
      case 'call':
        return { ...t, args: t.args.map((x) => this.term(x, safe, scope)) };
      default:
        return t;
    }
  }

  /** Every var of the head terms must be safe after the body. */
  checkHead(terms: readonly Term[], safe: ReadonlySet<string>): void {
    for (const t of terms) {
      forEachVar(t, (v) => {
        if (!safe.has(v.name) && isLocalVarName(v.name)) {
          throw located(REGO_UNSAFE_VAR_ERROR, `var ${v.name.startsWith('$') ? '_' : v.name} is unsafe`, v.location);
        }
      });
    }
  }
}

function isPatternTerm(t: Term): boolean {
  return t.type === 'var' || t.type === 'array' || t.type === 'object';
}

function sameScalar(a: Term, b: Term): boolean {
  if (a.type === 'string' && b.type === 'string') return a.value === b.value;
  if (a.type === 'number' && b.type === 'number') return a.text === b.text;
  if (a.type === 'boolean' && b.type === 'boolean') return a.value === b.value;
  return a.type === 'null' && b.type === 'null';
}

// ---------------------------------------------------------------------------------------------
// The compiler

function packagePath(m: Module): string[] {
  return m.package.path.terms.map((t, i) => {
    if (i === 0 && t.type === 'var') return t.name;
    if (t.type === 'string') return t.value;
    throw located(REGO_COMPILE_ERROR, 'package path must be made of names', t.location);
  });
}

function importScope(m: Module): Map<string, RefTerm> {
  const out = new Map<string, RefTerm>();
  for (const imp of m.imports) {
    const head = imp.path.terms[0];
    if (head.type !== 'var' || !GLOBAL_ROOTS.has(head.name)) continue; // future.keywords, rego.v1
    const last = imp.path.terms[imp.path.terms.length - 1];
    const alias = imp.alias ?? (last.type === 'string' ? last.value : last.type === 'var' ? last.name : undefined);
    if (alias && alias !== head.name) out.set(alias, imp.path);
  }
  return out;
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

function hasVars(t: Term): boolean {
  let found = false;
  forEachVar(t, () => (found = true), true);
  if (t.type === 'ref' || t.type === 'call' || t.type.endsWith('compr')) return true;
  return found;
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

class Compiler {
  readonly root = newNode(['data']);
  private readonly registry: BuiltinRegistry;

  constructor(registry: BuiltinRegistry) {
    this.registry = registry;
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

  index(modules: readonly Module[]): Array<{ m: Module; scope: Scope }> {
    const names = new Map<string, Set<string>>();
    const scopes: Array<{ m: Module; scope: Scope }> = [];
    for (const m of modules) {
      const key = packagePath(m).join('.');
      let set = names.get(key);
      if (!set) names.set(key, (set = new Set()));
      for (const r of m.rules) {
        const h = r.head.ref.terms[0];
        if (h.type === 'var') set.add(h.name);
      }
    }
    for (const m of modules) {
      const pkg = packagePath(m);
      scopes.push({ m, scope: { pkg, ruleNames: names.get(pkg.join('.')) ?? new Set(), imports: importScope(m) } });
      // Place every rule first (arity lookups during safety need the whole tree).
      for (const r of m.rules) this.place(r, pkg);
    }
    return scopes;
  }

  private splitHead(rule: Rule, pkg: readonly string[]): { path: string[]; keyTerms: Term[] } {
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

  /** Creates the rule's node and records function arity (rules are added after compileRule). */
  private place(rule: Rule, pkg: readonly string[]): void {
    const { path } = this.splitHead(rule, pkg);
    const node = nodeAt(this.root, path);
    const kind = ruleKind(rule);
    if (kind === 'function') {
      const n = rule.head.args?.length ?? 0;
      if (node.arity !== undefined && node.arity !== n) {
        throw located(REGO_TYPE_ERROR, `function ${path.join('.')} has arity ${n} and ${node.arity}`, rule.location);
      }
      node.arity = n;
    }
  }

  compileRule(rule: Rule, scope: Scope, file: string): CompiledRule {
    const { path, keyTerms } = this.splitHead(rule, scope.pkg);
    const kind = ruleKind(rule);
    const argLocals = new Set<string>();
    for (const a of rule.head.args ?? []) forEachVar(a, (v) => argLocals.add(v.name));
    const resolved = this.resolveRule(rule, scope, argLocals, file);
    const valueTerm = resolved.head.value;
    return {
      rule: resolved,
      kind,
      path,
      keyTerms: this.splitHead(resolved, scope.pkg).keyTerms,
      // keyTerms above are the resolved ones; `keyTerms` (unresolved) only decides constancy.
      constantValue: kind === 'complete' && keyTerms.length === 0 && (valueTerm === undefined || isLiteral(valueTerm)),
      file,
    };
  }

  private resolveRule(rule: Rule, scope: Scope, argLocals: ReadonlySet<string>, file: string): Rule {
    const locals = declaredVars(rule.body, new Set(argLocals));
    const r = new Resolver(scope, locals);
    const head = rule.head;
    const refTerms = head.ref.terms.map((t, i) => (i === 0 ? t : r.term(t)));
    const newHead = {
      ...head,
      ref: { ...head.ref, terms: refTerms },
      args: head.args?.map((a) => r.term(a)),
      key: head.key && r.term(head.key),
      value: head.value && r.term(head.value),
    };
    let body = r.body(rule.body);
    const safety = new Safety({ arity: this.arity }, file);
    const initial = new Set(argLocals);
    if (!rule.default) {
      const ordered = safety.reorder(body, initial, new Set());
      body = ordered.body;
      const headTerms: Term[] = [...refTerms.slice(1)];
      if (newHead.key) headTerms.push(newHead.key);
      if (newHead.value) headTerms.push(newHead.value);
      // Ref operands in the head (`q := xs[_]`) are bound by evaluating the head itself.
      for (const t of headTerms) outputsOf(t, ordered.safe);
      safety.checkHead(headTerms, ordered.safe);
      // Closures in the head (comprehension values) are reordered against the body's safe vars.
      if (newHead.value && hasVars(newHead.value)) {
        const safe = ordered.safe;
        const fake: Expr = { type: 'expr', negated: false, value: newHead.value, with: [], location: newHead.location };
        const redone = safety.reorder([fake], safe, safe).body[0];
        newHead.value = redone.value as Term;
      }
    } else if (newHead.value && !isLiteral(newHead.value) && newHead.value.type !== 'ref') {
      const vs = new Set<string>();
      forEachVar(newHead.value, (v) => vs.add(v.name), true);
      if (vs.size) safety.checkHead([newHead.value], new Set());
    }
    const out: Rule = { ...rule, head: newHead, body };
    if (rule.else) {
      const elseRule: Rule = { ...rule.else, head: { ...rule.else.head, args: rule.head.args } };
      out.else = this.resolveRule(elseRule, scope, argLocals, file);
    }
    return out;
  }

  addCompiled(c: CompiledRule): void {
    const node = nodeAt(this.root, c.path);
    if (c.rule.default) {
      if (node.defaultRule) throw located(REGO_TYPE_ERROR, `multiple default rules ${c.path.join('.')} found`, c.rule.location);
      node.defaultRule = c;
      return;
    }
    const prev = node.rules[0];
    if (prev && (prev.kind === 'function') !== (c.kind === 'function')) {
      throw located(REGO_TYPE_ERROR, `conflicting rules ${c.path.join('.')} found`, c.rule.location);
    }
    node.rules.push(c);
  }

  /** Checks every call resolves and has a valid arity. */
  checkCalls(body: Body, fileHint: string): void {
    const visitTerm = (t: Term): void => {
      switch (t.type) {
        case 'call': {
          const name = operatorName(t.operator);
          if (name !== undefined) {
            const a = this.arity(name);
            if (a === undefined) {
              throw located(REGO_TYPE_ERROR, `undefined function ${name}`, t.location);
            } else if (a >= 0 && t.args.length !== a && !(t.args.length === a + 1 && !t.infix)) {
              throw located(REGO_TYPE_ERROR, `${name}: arity mismatch: expected ${a} arguments, got ${t.args.length}`, t.location);
            }
          }
          t.args.forEach(visitTerm);
          return;
        }
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
        case 'arraycompr':
        case 'setcompr':
          visitTerm(t.term);
          this.checkCalls(t.body, fileHint);
          return;
        case 'objectcompr':
          visitTerm(t.key);
          visitTerm(t.value);
          this.checkCalls(t.body, fileHint);
          return;
        default:
          return;
      }
    };
    for (const e of body) {
      const v = e.value;
      if (v.type === 'some') v.symbols.forEach(visitTerm);
      else if (v.type === 'every') {
        visitTerm(v.domain);
        this.checkCalls(v.body, fileHint);
      } else if (v.type === 'body') this.checkCalls(v.body, fileHint);
      else visitTerm(v);
      e.with.forEach((w) => visitTerm(w.value));
    }
  }

  /** Rejects recursion between rules (OPA's rego_recursion_error). */
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
        if (t.type === 'ref') visitRef(t);
        if (t.type === 'call' && t.operator.terms[0].type === 'var' && t.operator.terms[0].name === 'data') visitRef(t.operator);
        const nested: Term[] = [];
        switch (t.type) {
          case 'ref':
            nested.push(...t.terms);
            break;
          case 'array':
          case 'set':
            nested.push(...t.items);
            break;
          case 'object':
            t.items.forEach(([k, v]) => nested.push(k, v));
            break;
          case 'call':
            nested.push(...t.args);
            break;
          case 'arraycompr':
          case 'setcompr':
            nested.push(t.term);
            visitBody(t.body);
            break;
          case 'objectcompr':
            nested.push(t.key, t.value);
            visitBody(t.body);
            break;
          default:
            break;
        }
        nested.forEach(visitTerm);
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
    const state = new Map<RuleNode, 1 | 2>();
    const stack: RuleNode[] = [];
    const dfs = (n: RuleNode): void => {
      state.set(n, 1);
      stack.push(n);
      for (const d of deps.get(n) ?? []) {
        const s = state.get(d);
        if (s === 1) {
          const cycle = [...stack.slice(stack.indexOf(d)), d].map((x) => x.path.join('.'));
          const rule = (d.rules[0] ?? d.defaultRule)?.rule;
          throw located(REGO_RECURSION_ERROR, `rule ${d.path.join('.')} is recursive: ${cycle.join(' -> ')}`, rule?.location);
        }
        if (s === undefined) dfs(d);
      }
      stack.pop();
      state.set(n, 2);
    };
    for (const n of all) if (!state.has(n)) dfs(n);
  }
}

/** Compiles parsed modules into a policy; throws the first compile error as a located WardenError. */
export function compileModules(modules: readonly Module[], opts: CompileOptions = {}): CompiledPolicy {
  const sources = new Map((opts.sources ?? []).map((f) => [f.file, f.text] as const));
  try {
    return compileTree(modules, opts, sources);
  } catch (e) {
    throw e instanceof WardenError ? withSnippet(e, sources) : e;
  }
}

function compileTree(modules: readonly Module[], opts: CompileOptions, sources: ReadonlyMap<string, string>): CompiledPolicy {
  const compiler = new Compiler(opts.builtins ?? defaultRegistry);
  const scopes = compiler.index(modules);
  const compiled: CompiledRule[] = [];
  for (const { m, scope } of scopes) {
    const file = m.package.location.file;
    for (const r of m.rules) compiled.push(compiler.compileRule(r, scope, file));
  }
  for (const c of compiled) compiler.addCompiled(c);
  for (const c of compiled) {
    for (let r: Rule | undefined = c.rule; r; r = r.else) {
      compiler.checkCalls(r.body, c.file);
      const headTerms = [r.head.value, r.head.key].filter((x): x is Term => x !== undefined);
      for (const t of headTerms) {
        const fake: Expr = { type: 'expr', negated: false, value: t, with: [], location: t.location };
        compiler.checkCalls([fake], c.file);
      }
    }
  }
  compiler.checkRecursion();
  return { root: compiler.root, modules, builtins: opts.builtins ?? defaultRegistry, sources };
}

/** Parses and compiles source files (`file` names appear in error locations). */
export function compilePolicy(files: readonly SourceFile[], opts: CompileOptions = {}): CompiledPolicy {
  const modules = files.map((f) => parseModule(f.text, { ...opts.parse, file: f.file }));
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
  const compiler = new Compiler(policy.builtins);
  // Reuse the policy's tree for arity lookups.
  Object.defineProperty(compiler, 'root', { value: policy.root });
  const scope: Scope = { pkg: ['data'], ruleNames: new Set(), imports: new Map() };
  const resolved = new Resolver(scope, new Set()).body(body);
  const ordered = new Safety({ arity: compiler.arity }, QUERY_FILE).reorder(resolved, new Set(), new Set());
  compiler.checkCalls(ordered.body, QUERY_FILE);
  const vars: string[] = [];
  const seen = new Set<string>();
  for (const e of body) {
    forEachExprVar(
      e,
      (v) => {
        if (!v.wildcard && !v.name.startsWith('$') && !GLOBAL_ROOTS.has(v.name) && !seen.has(v.name)) {
          seen.add(v.name);
          vars.push(v.name);
        }
      },
      false,
    );
  }
  return { body: ordered.body, vars };
}

/** Walks the tree to the node at a `data`-rooted path (undefined when no rule lives under it). */
export function findNode(policy: CompiledPolicy, path: readonly string[]): RuleNode | undefined {
  let n: RuleNode | undefined = policy.root;
  for (let i = 1; i < path.length && n; i++) n = n.children.get(path[i]);
  return n;
}
