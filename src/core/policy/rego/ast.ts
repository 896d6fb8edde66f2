// The Rego abstract syntax tree produced by parser.ts and printed by format.ts, shaped after OPA's
// ast package: infix operators become calls to their builtin names, `_` becomes a fresh `$N` var.
import type { Location } from './location.js';

export type { Location } from './location.js';

export type RegoVersion = 'v0' | 'v1';

interface NodeBase {
  location: Location;
}

export interface NullTerm extends NodeBase {
  type: 'null';
}
export interface BooleanTerm extends NodeBase {
  type: 'boolean';
  value: boolean;
}
/** `text` is the literal exactly as written (sign included), so big integers and decimals stay exact. */
export interface NumberTerm extends NodeBase {
  type: 'number';
  text: string;
}
/** `value` is the decoded string; `raw` records a backtick literal so the formatter can keep it. */
export interface StringTerm extends NodeBase {
  type: 'string';
  value: string;
  raw?: boolean;
}
/** `wildcard` marks a var written as `_` (its name is a generated `$N`). */
export interface VarTerm extends NodeBase {
  type: 'var';
  name: string;
  wildcard?: boolean;
}
/**
 * `terms[0]` is the head (a var, a composite, a comprehension or a call); each later term is one
 * path element: `.name` is stored as a string term, `[x]` as the term x (the formatter picks the form).
 */
export interface RefTerm extends NodeBase {
  type: 'ref';
  terms: Term[];
}
export interface ArrayTerm extends NodeBase {
  type: 'array';
  items: Term[];
}
export interface ObjectTerm extends NodeBase {
  type: 'object';
  items: Array<[Term, Term]>;
}
export interface SetTerm extends NodeBase {
  type: 'set';
  items: Term[];
}
export interface ArrayComprehension extends NodeBase {
  type: 'arraycompr';
  term: Term;
  body: Body;
}
export interface SetComprehension extends NodeBase {
  type: 'setcompr';
  term: Term;
  body: Body;
}
export interface ObjectComprehension extends NodeBase {
  type: 'objectcompr';
  key: Term;
  value: Term;
  body: Body;
}
/**
 * A function call. `operator` is a ref of var/string terms naming the function (`count`,
 * `io.jwt.decode`, `data.lib.f`); infix forms keep their builtin name plus the written `infix`
 * symbol: `plus`/`+`, `eq`/`=`, `assign`/`:=`, `internal.member_2`/`in`, ...
 */
export interface CallTerm extends NodeBase {
  type: 'call';
  operator: RefTerm;
  args: Term[];
  infix?: InfixOp;
  /** Written inside parentheses (the formatter keeps them, as opa fmt does). */
  parens?: boolean;
}

export type ScalarTerm = NullTerm | BooleanTerm | NumberTerm | StringTerm;
export type Term =
  | ScalarTerm
  | VarTerm
  | RefTerm
  | ArrayTerm
  | ObjectTerm
  | SetTerm
  | ArrayComprehension
  | SetComprehension
  | ObjectComprehension
  | CallTerm;

export type InfixOp =
  | '='
  | ':='
  | '=='
  | '!='
  | '<'
  | '>'
  | '<='
  | '>='
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '&'
  | '|'
  | 'in';

/** Builtin names of the infix operators (OPA's names; `in` depends on arity, see memberName). */
export const INFIX_BUILTINS: Readonly<Record<Exclude<InfixOp, 'in'>, string>> = {
  '=': 'eq',
  ':=': 'assign',
  '==': 'equal',
  '!=': 'neq',
  '<': 'lt',
  '>': 'gt',
  '<=': 'lte',
  '>=': 'gte',
  '+': 'plus',
  '-': 'minus',
  '*': 'mul',
  '/': 'div',
  '%': 'rem',
  '&': 'and',
  '|': 'or',
};

/** `x in xs` calls internal.member_2, `k, v in xs` internal.member_3. */
export function memberName(arity: 2 | 3): string {
  return arity === 2 ? 'internal.member_2' : 'internal.member_3';
}

/** `some x, y` (symbols are vars) or `some x in xs` / `some k, v in xs` (one member call). */
export interface SomeDecl extends NodeBase {
  type: 'some';
  symbols: Term[];
}

export interface Every extends NodeBase {
  type: 'every';
  key?: VarTerm;
  value: VarTerm;
  domain: Term;
  body: Body;
}

/** `not { a; b }`: a negated group of literals (newer OPA, `import rego.v2` / `future.keywords.not`). */
export interface BodyGroup extends NodeBase {
  type: 'body';
  body: Body;
}

export interface With extends NodeBase {
  type: 'with';
  target: Term;
  value: Term;
}

/** One literal of a body. A top-level call (including `=` and `:=`) is a CallTerm in `value`. */
export interface Expr extends NodeBase {
  type: 'expr';
  negated: boolean;
  value: Term | SomeDecl | Every | BodyGroup;
  with: With[];
}

export type Body = Expr[];

/**
 * A rule head. `ref` names the rule (`p`, `a.b[c]`); function args are `args`. Multi-value rules
 * (partial sets) have `key` and no `value`; everything else has `value` (generated `true` when
 * written without one, see `generatedValue`). `assign` records `:=` against `=`.
 */
export interface Head extends NodeBase {
  ref: RefTerm;
  args?: Term[];
  key?: Term;
  value?: Term;
  assign: boolean;
  /** Written with `contains` (v1 partial set syntax). */
  contains: boolean;
  generatedValue?: boolean;
}

export interface Rule extends NodeBase {
  type: 'rule';
  default: boolean;
  head: Head;
  body: Body;
  /** The body was generated (`true`) because the rule was written without one. */
  generatedBody?: boolean;
  /** Written with `if`. */
  hasIf?: boolean;
  /** Written as `if <literal>` without braces (the formatter keeps the one-line form). */
  inlineBody?: boolean;
  else?: Rule;
}

export interface Package extends NodeBase {
  type: 'package';
  /** The full path, starting with the `data` var: `package a.b` is data.a.b. */
  path: RefTerm;
}

export interface Import extends NodeBase {
  type: 'import';
  path: RefTerm;
  alias?: string;
}

export interface Comment extends NodeBase {
  type: 'comment';
  /** The text after `#`. */
  text: string;
}

export interface Module extends NodeBase {
  type: 'module';
  package: Package;
  imports: Import[];
  rules: Rule[];
  comments: Comment[];
  /** The syntax the module was parsed with. */
  regoVersion: RegoVersion;
  /**
   * Set by parseModule's default detection when the text is valid v1 and v0 alike and does not
   * import rego.v1: the compiler then applies v0's checks to it (as regorus, which defaults to v0).
   */
  parsesAsV0?: boolean;
}

/** How parseModule picks the syntax: a fixed version, or per-module detection (see parseModule). */
export type RegoVersionMode = RegoVersion | 'auto';

export type RuleKind = 'complete' | 'multi-value' | 'function';

/** OPA's rule classification: functions have args; partial sets have a key and no value. */
export function ruleKind(rule: Rule): RuleKind {
  if (rule.head.args !== undefined) return 'function';
  if (rule.head.key !== undefined && rule.head.value === undefined) return 'multi-value';
  return 'complete';
}

/** The name parts of a ref made of a var head and string path terms, or undefined if not one. */
export function refToPath(ref: RefTerm): string[] | undefined {
  const out: string[] = [];
  for (const [i, t] of ref.terms.entries()) {
    if (i === 0 && t.type === 'var') out.push(t.name);
    else if (i > 0 && t.type === 'string') out.push(t.value);
    else return undefined;
  }
  return out;
}
