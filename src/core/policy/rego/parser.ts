// Recursive-descent parser for Rego modules and queries (OPA v1 syntax by default, v0 on request or
// by detection), following the structure and precedence of OPA's ast/parser.go. Hand-written: no
// maintained JavaScript Rego parser exists. Every failure is a `rego_parse_error` WardenError;
// nesting depth is bounded and term parses are memoised so backtracking stays linear.
import { WardenError } from '../../errors.js';
import {
  INFIX_BUILTINS,
  memberName,
  ruleKind,
  type Body,
  type CallTerm,
  type Comment,
  type Every,
  type Expr,
  type Head,
  type Import,
  type InfixOp,
  type Module,
  type Package,
  type RefTerm,
  type RegoVersion,
  type Rule,
  type SomeDecl,
  type Term,
  type RegoVersionMode,
  type VarTerm,
  type With,
} from './ast.js';
import { lex, type Token } from './lexer.js';
import { REGO_PARSE_ERROR, regoParseError, type Location } from './location.js';

export interface ParseModuleOptions {
  file?: string;
  /** A fixed syntax, or per-module detection ('auto' and absent; see parseModule). */
  regoVersion?: RegoVersionMode;
  /** Maximum nesting depth of terms and bodies (default 512). */
  maxDepth?: number;
}

export interface ParseQueryOptions {
  file?: string;
  regoVersion?: RegoVersion;
  maxDepth?: number;
}

const DEFAULT_MAX_DEPTH = 512;
const FUTURE_KEYWORDS = ['contains', 'every', 'if', 'in'] as const;
const BASE_KEYWORDS = new Set([
  'package',
  'import',
  'as',
  'default',
  'else',
  'not',
  'with',
  'some',
  'null',
  'true',
  'false',
]);
const ROOT_DOCUMENTS = new Set(['data', 'input']);
const RELATION_OPS = new Set(['==', '!=', '<', '>', '<=', '>=']);
const INFIX_HEAD_OPS = new Set(['+', '-', '*', '/', '%', '&', '|', '==', '!=', '<', '>', '<=', '>=']);

/** A recoverable failure: callers that try alternatives catch it and restore their position. */
class Fail {
  constructor(
    readonly message: string,
    readonly loc: Location,
    readonly pos: number,
  ) {}
}

interface State {
  pos: number;
  wildcard: number;
}

type CacheEntry = { ok: true; term: Term; after: State } | { ok: false; err: Fail };

class Parser {
  private pos = 0;
  private wildcard = 0;
  private depth = 0;
  private readonly future = new Set<string>();
  private cache = new Map<number, CacheEntry>();
  regoV1Import = false;
  /** `not { body }` is enabled (by `import future.keywords.not` or `import rego.v2`). */
  private notBody = false;

  constructor(
    private readonly tokens: Token[],
    private readonly file: string,
    readonly version: RegoVersion,
    private readonly maxDepth: number,
  ) {
    if (version === 'v1') for (const k of FUTURE_KEYWORDS) this.future.add(k);
  }

  // ---- token helpers -------------------------------------------------------------------------

  private get tok(): Token {
    return this.tokens[this.pos];
  }
  private peekTok(k = 1): Token {
    return this.tokens[Math.min(this.pos + k, this.tokens.length - 1)];
  }
  private advance(): Token {
    const t = this.tokens[this.pos];
    if (this.pos < this.tokens.length - 1) this.pos++;
    return t;
  }
  private save(): State {
    return { pos: this.pos, wildcard: this.wildcard };
  }
  private restore(s: State): void {
    this.pos = s.pos;
    this.wildcard = s.wildcard;
  }
  private locOf(t: Token): Location {
    return { file: this.file, line: t.line, col: t.col };
  }
  private isP(t: Token, p: string): boolean {
    return t.kind === 'punct' && t.text === p;
  }
  private isKeyword(name: string): boolean {
    return BASE_KEYWORDS.has(name) || this.future.has(name);
  }
  private isKw(t: Token, kw: string): boolean {
    return t.kind === 'ident' && t.text === kw && this.isKeyword(kw);
  }
  /** The next token follows `t` without whitespace and is `.` or `[` (a keyword used as a ref head). */
  private refFollows(): boolean {
    const n = this.peekTok();
    return !n.wsBefore && (this.isP(n, '.') || this.isP(n, '['));
  }
  private describe(t: Token): string {
    if (t.kind === 'eof') return 'unexpected eof token';
    if (t.kind === 'ident' && this.isKeyword(t.text)) return `unexpected ${t.text} keyword`;
    if (t.kind === 'string' || t.kind === 'rawstring') return 'unexpected string token';
    if (t.kind === 'number') return 'unexpected number token';
    if (t.kind === 'ident') return 'unexpected ident token';
    return `unexpected ${t.text} token`;
  }
  fail(note?: string, t: Token = this.tok): never {
    const msg = note ? `${this.describe(t)}: ${note}` : this.describe(t);
    throw new Fail(msg, this.locOf(t), t === this.tok ? this.pos : this.tokens.indexOf(t));
  }
  failAt(message: string, loc: Location): never {
    throw new Fail(message, loc, this.pos);
  }
  private expectP(p: string, note?: string): Token {
    if (!this.isP(this.tok, p)) this.fail(note ?? `expected ${p}`);
    return this.advance();
  }
  private enter(): void {
    if (++this.depth > this.maxDepth) {
      throw new DepthExceeded(this.locOf(this.tok));
    }
  }
  private leave(): void {
    this.depth--;
  }
  private genWildcard(): string {
    return `$${this.wildcard++}`;
  }

  // ---- statements ------------------------------------------------------------------------------

  parseModule(comments: Comment[]): Module {
    const first = this.tok;
    if (!this.isKw(first, 'package')) this.fail('package expected');
    const pkg = this.parsePackage();
    const imports: Import[] = [];
    const rules: Rule[] = [];
    while (this.tok.kind !== 'eof') {
      const t = this.tok;
      if (this.isKw(t, 'package') && !this.refFollows()) this.fail('multiple package declarations');
      if (this.isKw(t, 'import') && !this.refFollows()) {
        if (rules.length > 0) this.fail('imports must appear before rules');
        imports.push(this.parseImport());
        continue;
      }
      rules.push(...this.parseRules());
    }
    const mod: Module = {
      type: 'module',
      location: pkg.location,
      package: pkg,
      imports,
      rules,
      comments,
      regoVersion: this.version,
    };
    if (this.version === 'v1' || this.regoV1Import) for (const r of rules) this.checkV1(r);
    return mod;
  }

  private parsePackage(): Package {
    const kw = this.advance();
    const t = this.tok;
    if (t.kind !== 'ident') this.fail('expected package path');
    const term = this.parseTermAllowKeyword();
    const data: VarTerm = { type: 'var', name: 'data', location: term.location };
    let path: Term[];
    if (term.type === 'var') {
      path = [data, { type: 'string', value: term.name, location: term.location }];
    } else if (term.type === 'ref' && term.terms[0].type === 'var') {
      const head = term.terms[0];
      path = [data, { type: 'string', value: head.name, location: head.location }];
      for (const p of term.terms.slice(1)) {
        if (p.type !== 'string') this.failAt(`unexpected ${p.type} token: expecting string`, p.location);
        path.push(p);
      }
    } else {
      return this.failAt('unexpected package path: expecting a name', term.location);
    }
    const loc = this.locOf(kw);
    return { type: 'package', location: loc, path: { type: 'ref', terms: path, location: term.location } };
  }

  /** A term whose first identifier may be a keyword (package and import paths). */
  private parseTermAllowKeyword(): Term {
    const t = this.tok;
    if (t.kind === 'ident' && this.isKeyword(t.text) && !['null', 'true', 'false'].includes(t.text)) {
      this.advance();
      const head: VarTerm = { type: 'var', name: t.text, location: this.locOf(t) };
      return this.parseTermFinish(head);
    }
    return this.parseTerm();
  }

  private parseImport(): Import {
    const kw = this.advance();
    const start = this.tok;
    if (start.kind !== 'ident') this.fail('expected import path');
    const term = this.parseTermAllowKeyword();
    let path: RefTerm;
    if (term.type === 'var') path = { type: 'ref', terms: [term], location: term.location };
    else if (term.type === 'ref' && term.terms[0].type === 'var') {
      for (const p of term.terms.slice(1)) {
        if (p.type !== 'string') this.failAt(`unexpected ${p.type} token: expecting string`, p.location);
      }
      path = term;
    } else {
      return this.failAt('unexpected import path: expecting a ref', term.location);
    }
    const root = (path.terms[0] as VarTerm).name;
    if (!['data', 'input', 'future', 'rego'].includes(root)) {
      this.failAt(
        `unexpected import path, must begin with one of: {data, future, input, rego}, got: ${root}`,
        path.location,
      );
    }
    const names = path.terms.slice(1).map((x) => (x.type === 'string' ? x.value : ''));
    if (root === 'future') {
      if (names.length === 2 && names[0] === 'keywords' && names[1] === 'not') {
        // Newer OPA: `not { ... }` negates a whole body.
        this.notBody = true;
        return this.finishImport(kw, path);
      }
      if (names[0] !== 'keywords' || names.length > 2) {
        this.failAt('invalid import, must be `future.keywords` or `future.keywords.<keyword>`', path.location);
      }
      if (names.length === 1) for (const k of FUTURE_KEYWORDS) this.future.add(k);
      else {
        const k = names[1];
        if (!(FUTURE_KEYWORDS as readonly string[]).includes(k)) {
          this.failAt(`unexpected keyword, must be one of [${FUTURE_KEYWORDS.join(' ')}]`, path.location);
        }
        this.future.add(k);
        // `every` needs `in`; OPA enables both for either import.
        if (k === 'every') this.future.add('in');
      }
      this.cache.clear();
    } else if (root === 'rego') {
      if (names.length === 1 && names[0] === 'v2') this.notBody = true;
      else if (names.length !== 1 || names[0] !== 'v1') {
        this.failAt('invalid import `' + ['rego', ...names].join('.') + '`, must be `rego.v1` or `rego.v2`', path.location);
      }
      for (const k of FUTURE_KEYWORDS) this.future.add(k);
      this.regoV1Import = true;
      this.cache.clear();
    }
    return this.finishImport(kw, path);
  }

  private finishImport(kw: Token, path: RefTerm): Import {
    const imp: Import = { type: 'import', location: this.locOf(kw), path };
    if (this.isKw(this.tok, 'as')) {
      this.advance();
      const a = this.tok;
      if (a.kind !== 'ident' || this.isKeyword(a.text)) this.fail('expected var');
      this.advance();
      imp.alias = a.text;
    }
    return imp;
  }

  private parseRules(): Rule[] {
    const start = this.tok;
    let isDefault = false;
    if (this.isKw(start, 'default') && !this.refFollows()) {
      this.advance();
      isDefault = true;
    }
    const nameTok = this.tok;
    if (nameTok.kind !== 'ident' || (this.isKeyword(nameTok.text) && !this.refFollows())) {
      this.fail('expected rule');
    }
    const loc = this.locOf(start);
    const head = this.parseHead(isDefault);
    const rule: Rule = { type: 'rule', location: loc, default: isDefault, head, body: [] };
    const trueBody = (): Body => [
      { type: 'expr', location: loc, negated: false, with: [], value: { type: 'boolean', value: true, location: loc } },
    ];

    if (isDefault) {
      this.validateDefault(rule);
      rule.body = trueBody();
      rule.generatedBody = true;
      return [rule];
    }

    const hasIf = this.isKw(this.tok, 'if');
    const refLen = head.ref.terms.length;
    if (hasIf && !head.contains && refLen === 2 && head.args === undefined) {
      const k = head.ref.terms[1];
      if (!isGround(k) || k.type === 'ref') head.key = k;
      if (head.value === undefined) {
        head.value = { type: 'boolean', value: true, location: head.location };
        head.generatedValue = true;
      }
    }
    if (!hasIf && !head.contains && head.args === undefined && refLen === 2) {
      head.key = head.ref.terms[1];
      if (head.value === undefined) {
        head.ref = { ...head.ref, terms: head.ref.terms.slice(0, 1) };
        head.generatedValue = undefined;
      }
    }

    if (hasIf) {
      rule.hasIf = true;
      this.advance();
      const s = this.save();
      let parsed = false;
      if (!this.isP(this.tok, '{')) {
        rule.body = [this.parseLiteral()];
        rule.inlineBody = true;
        parsed = true;
      } else {
        try {
          const e = this.parseLiteral();
          if (!(e.value.type === 'set')) {
            rule.body = [e];
            rule.inlineBody = true;
            parsed = true;
          }
        } catch (err) {
          if (!(err instanceof Fail)) throw err;
        }
      }
      if (!parsed) {
        this.restore(s);
        rule.body = this.parseBraceBody();
      }
    } else if (this.isP(this.tok, '{')) {
      rule.body = this.parseBraceBody();
    } else if (head.key !== undefined || head.contains || !head.generatedValue) {
      rule.body = trueBody();
      rule.generatedBody = true;
      return [rule];
    } else {
      this.fail('expected rule body, value or `contains`');
    }

    if (this.isKw(this.tok, 'else') && !this.refFollows()) {
      if (refLen > 1 && !isGround(head.ref)) {
        this.fail('else keyword cannot be used on rules with variables in head');
      }
      if (head.key !== undefined) this.fail('else keyword cannot be used on multi-value rules');
      rule.else = this.parseElse(head);
    }

    const rules = [rule];
    while (this.isP(this.tok, '{')) {
      if (rule.else) this.fail('expected else keyword');
      const bl = this.locOf(this.tok);
      const body = this.parseBraceBody();
      rules.push({
        type: 'rule',
        location: bl,
        default: false,
        head: this.copyHead(head, bl),
        body,
        ...(rule.hasIf ? { hasIf: true } : {}),
      });
    }
    return rules;
  }

  private parseBraceBody(): Body {
    this.expectP('{');
    const body = this.parseBody('}');
    this.advance();
    return body;
  }

  private copyHead(head: Head, loc: Location): Head {
    const c = structuredClone(head);
    const fix = (x: unknown): void => {
      if (x === null || typeof x !== 'object') return;
      const o = x as Record<string, unknown>;
      if (o.type === 'var' && o.wildcard === true) o.name = this.genWildcard();
      for (const v of Object.values(o)) fix(v);
    };
    if (c.args) fix(c.args);
    c.location = loc;
    return c;
  }

  private parseElse(head: Head): Rule {
    const elseTok = this.advance();
    const loc = this.locOf(elseTok);
    const h = this.copyHead(head, loc);
    h.generatedValue = undefined;
    const rule: Rule = { type: 'rule', location: loc, default: false, head: h, body: [] };
    if (this.isP(this.tok, '{') || this.isKw(this.tok, 'if')) {
      h.value = { type: 'boolean', value: true, location: loc };
      h.generatedValue = true;
    } else if (this.isP(this.tok, '=') || this.isP(this.tok, ':=')) {
      h.assign = this.advance().text === ':=';
      h.value = this.parseTermInfixCall();
    } else {
      this.fail('expected else value term or rule body');
    }
    const hasIf = this.isKw(this.tok, 'if');
    if (!hasIf && !this.isP(this.tok, '{')) {
      rule.body = [
        { type: 'expr', location: loc, negated: false, with: [], value: { type: 'boolean', value: true, location: loc } },
      ];
      rule.generatedBody = true;
    } else {
      if (hasIf) {
        rule.hasIf = true;
        this.advance();
      }
      if (this.isP(this.tok, '{')) {
        // `else if { ... }` could also be a set literal; a body is what OPA parses here.
        rule.body = this.parseBraceBody();
      } else if (this.tok.kind !== 'eof') {
        rule.body = [this.parseLiteral()];
        rule.inlineBody = true;
      } else {
        this.fail('rule body expected');
      }
    }
    if (this.isKw(this.tok, 'else') && !this.refFollows()) rule.else = this.parseElse(head);
    return rule;
  }

  private parseHead(isDefault: boolean): Head {
    const t = this.advance();
    const loc = this.locOf(t);
    const v: VarTerm = { type: 'var', name: t.text, location: loc };
    // Unlike terms, a head may put whitespace before its `[`, `(` or `.`.
    const nx = this.tok;
    if (!nx.wsBefore && nx.kind === 'punct' && INFIX_HEAD_OPS.has(nx.text)) this.fail();
    let term: Term = v;
    if (this.isP(nx, '(') || this.isP(nx, '.') || this.isP(nx, '[')) term = this.parseRef(v);
    const head: Head = { location: loc, ref: { type: 'ref', terms: [v], location: loc }, assign: false, contains: false };
    if (term.type === 'ref') head.ref = term;
    else if (term.type === 'call') {
      head.ref = term.operator;
      head.args = term.args;
    } else if (term.type !== 'var') this.failAt('illegal rule head', loc);
    if (head.ref.terms[0].type !== 'var') this.failAt('rule head ref must start with a var', loc);

    const name = refString(head.ref);
    if (this.isKw(this.tok, 'contains')) {
      if (head.args) this.fail(`the contains keyword can only be used with multi-value rule definitions (e.g., ${name} contains <VALUE> { ... })`);
      this.advance();
      head.contains = true;
      head.key = this.parseTermInfixCall();
      return head;
    }
    if (this.isP(this.tok, '=') || this.isP(this.tok, ':=')) {
      head.assign = this.advance().text === ':=';
      if (this.tok.kind === 'eof' || this.isKw(this.tok, 'if')) {
        this.fail(
          isDefault
            ? `expected default rule value term (e.g., default ${name} := <VALUE>)`
            : `expected rule value term (e.g., ${name} := <VALUE> { ... })`,
        );
      }
      head.value = this.parseTermInfixCall();
    }
    if (head.value === undefined && head.key === undefined) {
      if (head.ref.terms.length !== 2 || head.args !== undefined) {
        head.generatedValue = true;
        head.value = { type: 'boolean', value: true, location: loc };
      }
    }
    return head;
  }

  private validateDefault(rule: Rule): void {
    const h = rule.head;
    if (h.value === undefined || h.generatedValue) this.failAt('illegal default rule (must have a value)', rule.location);
    const walk = (t: Term): void => {
      switch (t.type) {
        case 'var':
        case 'ref':
        case 'call':
          this.failAt(`illegal default rule (value cannot contain ${t.type})`, rule.location);
          break;
        case 'array':
        case 'set':
          t.items.forEach(walk);
          break;
        case 'object':
          for (const [k, v] of t.items) {
            walk(k);
            walk(v);
          }
          break;
        default:
          break;
      }
    };
    walk(h.value);
    if (h.args) {
      const seen = new Set<string>();
      for (const a of h.args) {
        if (a.type !== 'var') this.failAt(`illegal default rule (arguments cannot contain ${a.type})`, rule.location);
        if (!a.wildcard && seen.has(a.name)) this.failAt(`illegal default rule (arguments cannot be repeated ${a.name})`, rule.location);
        seen.add(a.name);
      }
    }
  }

  /** OPA v1 (and rego.v1-importing v0) rules: bodies need `if`, partial sets need `contains`. */
  private checkV1(rule: Rule): void {
    for (let r: Rule | undefined = rule; r; r = r.else) {
      if (!r.generatedBody && !r.hasIf && !r.default) {
        this.failAt('`if` keyword is required before rule body', r.location);
      }
      if (ruleKind(r) === 'multi-value' && !r.head.contains) {
        this.failAt('`contains` keyword is required for partial set rules', r.location);
      }
    }
  }

  // ---- bodies and literals ---------------------------------------------------------------------

  /** Parses literals up to (not including) the `end` punctuation; `end` null means end of input. */
  parseBody(end: string | null): Body {
    this.enter();
    try {
      const atEnd = (): boolean => (end === null ? this.tok.kind === 'eof' : this.isP(this.tok, end));
      if (atEnd()) this.fail('found empty body');
      const body: Body = [];
      for (;;) {
        body.push(this.parseLiteral());
        if (this.isP(this.tok, ';')) {
          this.advance();
          continue;
        }
        if (atEnd()) return body;
        if (!this.tok.nlBefore) this.fail(`expected \\n or ; or ${end ?? 'end of input'}`);
      }
    } finally {
      this.leave();
    }
  }

  private parseLiteral(): Expr {
    const start = this.tok;
    const loc = this.locOf(start);
    let negated = false;
    if (this.isKw(start, 'not') && !this.refFollows()) {
      this.advance();
      negated = true;
    }
    const t = this.tok;
    if (negated && this.notBody && this.isP(t, '{')) {
      const body = this.parseBraceBody();
      const expr: Expr = { type: 'expr', location: loc, negated, value: { type: 'body', location: loc, body }, with: [] };
      if (this.isKw(this.tok, 'with')) expr.with = this.parseWith();
      return expr;
    }
    if (this.isKw(t, 'some') && !this.refFollows()) {
      if (negated) this.fail("illegal negation of 'some'");
      return this.parseSome(loc);
    }
    if (this.isKw(t, 'every') && !this.refFollows()) {
      if (negated) this.fail("illegal negation of 'every'");
      return this.parseEvery(loc);
    }
    const value = this.parseExpr();
    const expr: Expr = { type: 'expr', location: loc, negated, value, with: [] };
    if (this.isKw(this.tok, 'with')) expr.with = this.parseWith();
    return expr;
  }

  private parseWith(): With[] {
    const out: With[] = [];
    while (this.isKw(this.tok, 'with')) {
      const w = this.advance();
      const t = this.tok;
      if (t.kind !== 'ident' || (this.isKeyword(t.text) && !this.refFollows())) this.fail('expected ident');
      const target = this.parseTermAllowKeyword();
      if (target.type !== 'ref' && target.type !== 'var') this.failAt('unexpected with target: expected with target path', target.location);
      if (!this.isKw(this.tok, 'as')) this.fail('expected as keyword');
      this.advance();
      const value = this.parseTermInfixCall();
      out.push({ type: 'with', location: this.locOf(w), target, value });
    }
    return out;
  }

  private parseSome(loc: Location): Expr {
    const s = this.save();
    this.advance();
    let firstErr: Fail | undefined;
    try {
      const term = this.parseTermInfixCall();
      if (term.type === 'call') {
        const name = refString(term.operator);
        if (name !== memberName(2) && name !== memberName(3)) {
          this.failAt('unexpected some declaration: expected `x in xs` or `x, y in xs` expression', term.location);
        }
        const decl: SomeDecl = { type: 'some', location: loc, symbols: [term] };
        const expr: Expr = { type: 'expr', location: loc, negated: false, value: decl, with: [] };
        if (this.isKw(this.tok, 'with')) expr.with = this.parseWith();
        return expr;
      }
    } catch (err) {
      if (!(err instanceof Fail)) throw err;
      firstErr = err;
    }
    this.restore(s);
    const symbols: Term[] = [];
    for (;;) {
      this.advance();
      const t = this.tok;
      if (t.kind !== 'ident' || this.isKeyword(t.text)) {
        if (firstErr) throw firstErr;
        this.fail('expected var');
      }
      this.advance();
      symbols.push(this.makeVar(t));
      if (!this.isP(this.tok, ',')) break;
    }
    if (firstErr && this.isKw(this.tok, 'in')) throw firstErr;
    return { type: 'expr', location: loc, negated: false, value: { type: 'some', location: loc, symbols }, with: [] };
  }

  private parseEvery(loc: Location): Expr {
    this.advance();
    const term = this.parseTermInfixCall();
    if (term.type !== 'call') this.failAt('unexpected every: expected `x[, y] in xs { ... }` expression', term.location);
    const name = refString(term.operator);
    let key: VarTerm | undefined;
    let value: Term;
    let domain: Term;
    if (name === memberName(2)) {
      [value, domain] = term.args;
    } else if (name === memberName(3)) {
      const k = term.args[0];
      if (k.type !== 'var') return this.failAt('unexpected every: expected key to be a variable', k.location);
      key = k;
      [, value, domain] = term.args;
    } else {
      return this.failAt('unexpected every: expected `x[, y] in xs { ... }` expression', term.location);
    }
    if (value.type !== 'var') return this.failAt('unexpected every: expected value to be a variable', value.location);
    if (!this.isP(this.tok, '{')) this.fail('missing body');
    const body = this.parseBraceBody();
    const every: Every = { type: 'every', location: loc, ...(key ? { key } : {}), value, domain, body };
    const expr: Expr = { type: 'expr', location: loc, negated: false, value: every, with: [] };
    if (this.isKw(this.tok, 'with')) expr.with = this.parseWith();
    return expr;
  }

  private parseExpr(): Term {
    const lhs = this.parseTermInfixCall();
    if (this.isP(this.tok, '=') || this.isP(this.tok, ':=')) {
      const op = this.advance();
      const rhs = this.parseTermInfixCall();
      return this.infixCall(op, [lhs, rhs]);
    }
    return lhs;
  }

  // ---- terms -----------------------------------------------------------------------------------

  private infixCall(opTok: Token, args: Term[]): CallTerm {
    const sym = opTok.text as InfixOp;
    const loc = this.locOf(opTok);
    const name = sym === 'in' ? memberName(args.length === 3 ? 3 : 2) : INFIX_BUILTINS[sym];
    return { type: 'call', location: args[0].location, operator: nameRef(name, loc), args, infix: sym };
  }

  parseTermInfixCall(): Term {
    return this.parseTermIn(true);
  }

  private parseTermInfixCallInList(): Term {
    return this.parseTermIn(false);
  }

  private parseTermIn(keyVal: boolean): Term {
    this.enter();
    try {
      let lhs = this.parseTermRelation();
      if (keyVal && this.isP(this.tok, ',')) {
        const s = this.save();
        this.advance();
        try {
          const mhs = this.parseTermRelation();
          if (this.isKw(this.tok, 'in')) {
            const op = this.advance();
            const rhs = this.parseTermRelation();
            lhs = this.infixCall(op, [lhs, mhs, rhs]);
          } else this.restore(s);
        } catch (err) {
          if (!(err instanceof Fail)) throw err;
          this.restore(s);
        }
      }
      while (this.isKw(this.tok, 'in')) {
        const op = this.advance();
        const rhs = this.parseTermRelation();
        lhs = this.infixCall(op, [lhs, rhs]);
      }
      return lhs;
    } finally {
      this.leave();
    }
  }

  private parseTermRelation(): Term {
    let lhs = this.parseTermBinary('|');
    while (this.tok.kind === 'punct' && RELATION_OPS.has(this.tok.text)) {
      const op = this.advance();
      lhs = this.infixCall(op, [lhs, this.parseTermBinary('|')]);
    }
    return lhs;
  }

  /** The binary levels below relations: `|` < `&` < `+ -` < `* / %`. */
  private parseTermBinary(level: '|' | '&' | '+' | '*'): Term {
    const next = { '|': '&', '&': '+', '+': '*', '*': null } as const;
    const ops = { '|': ['|'], '&': ['&'], '+': ['+', '-'], '*': ['*', '/', '%'] }[level];
    const sub = (): Term => {
      const n = next[level];
      return n === null ? this.parseTerm() : this.parseTermBinary(n);
    };
    let lhs = sub();
    while (this.tok.kind === 'punct' && ops.includes(this.tok.text)) {
      const op = this.advance();
      lhs = this.infixCall(op, [lhs, sub()]);
    }
    return lhs;
  }

  parseTerm(): Term {
    const at = this.pos;
    const hit = this.cache.get(at);
    if (hit) {
      if (!hit.ok) throw hit.err;
      this.restore(hit.after);
      return hit.term;
    }
    this.enter();
    try {
      const term = this.parseTermUncached();
      this.cache.set(at, { ok: true, term, after: this.save() });
      return term;
    } catch (err) {
      if (err instanceof Fail) this.cache.set(at, { ok: false, err });
      throw err;
    } finally {
      this.leave();
    }
  }

  private parseTermUncached(): Term {
    const t = this.tok;
    const loc = this.locOf(t);
    let term: Term;
    switch (t.kind) {
      case 'ident':
        if (t.text === 'null') {
          this.advance();
          term = { type: 'null', location: loc };
        } else if (t.text === 'true' || t.text === 'false') {
          this.advance();
          term = { type: 'boolean', value: t.text === 'true', location: loc };
        } else if (this.isKeyword(t.text) && t.text !== 'contains' && !this.refFollows()) {
          return this.fail();
        } else {
          this.advance();
          term = this.makeVar(t);
        }
        break;
      case 'number':
        term = this.parseNumber();
        break;
      case 'string':
        this.advance();
        term = { type: 'string', value: t.value ?? '', location: loc };
        break;
      case 'rawstring':
        this.advance();
        term = { type: 'string', value: t.value ?? '', raw: true, location: loc };
        break;
      case 'punct':
        switch (t.text) {
          case '-':
          case '.':
            term = this.parseNumber();
            break;
          case '[':
            term = this.parseArray();
            break;
          case '{':
            term = this.parseSetOrObject();
            break;
          case '(': {
            this.advance();
            const inner = this.parseTermInfixCall();
            if (!this.isP(this.tok, ')')) this.fail('non-terminated expression');
            this.advance();
            term = inner.type === 'call' && inner.infix ? { ...inner, parens: true } : inner;
            break;
          }
          default:
            return this.fail();
        }
        break;
      default:
        return this.fail();
    }
    return this.parseTermFinish(term);
  }

  private makeVar(t: Token): VarTerm {
    const loc = this.locOf(t);
    if (t.text === '_') return { type: 'var', name: this.genWildcard(), wildcard: true, location: loc };
    return { type: 'var', name: t.text, location: loc };
  }

  /** Continues `head` into a ref or call when `(`, `.` or `[` follows without whitespace. */
  private parseTermFinish(head: Term): Term {
    const n = this.tok;
    if (!n.wsBefore && (this.isP(n, '(') || this.isP(n, '.') || this.isP(n, '['))) return this.parseRef(head);
    if (head.type === 'var' && ROOT_DOCUMENTS.has(head.name)) {
      return { type: 'ref', terms: [head], location: head.location };
    }
    return head;
  }

  private parseRef(head: Term): Term {
    this.enter();
    try {
      switch (head.type) {
        case 'var':
        case 'array':
        case 'object':
        case 'set':
        case 'arraycompr':
        case 'setcompr':
        case 'objectcompr':
        case 'call':
          break;
        default:
          this.failAt(`illegal ref (head cannot be ${head.type})`, head.location);
      }
      const terms: Term[] = [head];
      const loc = head.location;
      for (;;) {
        const t = this.tok;
        if (terms.length > 1 && t.wsBefore) break;
        if (this.isP(t, '.')) {
          this.advance();
          const id = this.tok;
          if (id.kind !== 'ident' || id.wsBefore) this.fail('expected ident');
          this.advance();
          terms.push({ type: 'string', value: id.text, location: this.locOf(id) });
        } else if (this.isP(t, '[')) {
          this.advance();
          const inner = this.parseTermInfixCall();
          if (!this.isP(this.tok, ']')) this.fail('expected ]');
          this.advance();
          terms.push(inner);
        } else if (this.isP(t, '(')) {
          const operator: RefTerm = { type: 'ref', terms: [...terms], location: loc };
          const call = this.parseCall(operator);
          const n = this.tok;
          if (!n.wsBefore && (this.isP(n, '.') || this.isP(n, '['))) return this.parseRef(call);
          return call;
        } else break;
      }
      return { type: 'ref', terms, location: loc };
    } finally {
      this.leave();
    }
  }

  private parseCall(operator: RefTerm): Term {
    this.advance(); // (
    if (this.isP(this.tok, ')')) {
      this.advance();
      if (operator.terms.length === 1 && operator.terms[0].type === 'var' && operator.terms[0].name === 'set') {
        return { type: 'set', items: [], location: operator.location };
      }
      return { type: 'call', operator, args: [], location: operator.location };
    }
    const args = this.parseTermList(')', []);
    return { type: 'call', operator, args, location: operator.location };
  }

  private parseNumber(): Term {
    const start = this.tok;
    let prefix = '';
    if (this.isP(this.tok, '-')) {
      prefix = '-';
      this.advance();
      if (!(this.tok.kind === 'number' || this.isP(this.tok, '.'))) this.fail('expected number');
    }
    if (this.isP(this.tok, '.')) {
      prefix += '.';
      this.advance();
      if (this.tok.kind !== 'number') this.fail('expected number');
    }
    const lit = this.tok.text;
    if (!prefix.endsWith('.') && lit.length > 1 && lit[0] === '0' && lit[1] !== '.' && lit[1] !== 'e' && lit[1] !== 'E') {
      this.fail('expected number without leading zero');
    }
    const text = prefix + lit;
    if (Math.abs(decimalExponent(text)) > 30000) {
      this.fail('number too big');
    }
    this.advance();
    return { type: 'number', text, location: this.locOf(start) };
  }

  private parseTermList(end: string, r: Term[]): Term[] {
    if (this.isP(this.tok, end)) {
      this.advance();
      return r;
    }
    for (;;) {
      r.push(this.parseTermInfixCallInList());
      if (this.isP(this.tok, end)) {
        this.advance();
        return r;
      }
      if (this.isP(this.tok, ',')) {
        this.advance();
        if (this.isP(this.tok, end)) {
          this.advance();
          return r;
        }
        continue;
      }
      this.fail(`expected "," or "${end}"`);
    }
  }

  private parseTermPairList(end: string, r: Array<[Term, Term]>): Array<[Term, Term]> {
    if (this.isP(this.tok, end)) {
      this.advance();
      return r;
    }
    for (;;) {
      const k = this.parseTermInfixCallInList();
      if (!this.isP(this.tok, ':')) this.fail('expected ":"');
      this.advance();
      const v = this.parseTermInfixCallInList();
      r.push([k, v]);
      if (this.isP(this.tok, end)) {
        this.advance();
        return r;
      }
      if (this.isP(this.tok, ',')) {
        this.advance();
        if (this.isP(this.tok, end)) {
          this.advance();
          return r;
        }
        continue;
      }
      this.fail(`expected "," or "${end}"`);
    }
  }

  /** Tries a comprehension body after `|`; a failure at a `,` means "not a comprehension". */
  private tryComprehensionBody(end: string): Body | undefined {
    try {
      const body = this.parseBody(end);
      this.advance();
      return body;
    } catch (err) {
      if (err instanceof Fail && this.isP(this.tokens[err.pos] ?? this.tok, ',')) return undefined;
      throw err;
    }
  }

  /**
   * Just inside `[` or `{`: a leading comma rules out a comprehension; then one term is tried (the
   * caller decides, from what follows it, between a literal and a comprehension, and may rewind to `s`).
   */
  private collectionHead(): { potentialComprehension: boolean; s: State; head: Term | undefined } {
    let potentialComprehension = true;
    if (this.isP(this.tok, ',')) {
      potentialComprehension = false;
      this.advance();
    }
    const s = this.save();
    let head: Term | undefined;
    try {
      head = this.parseTerm();
    } catch (err) {
      if (!(err instanceof Fail)) throw err;
    }
    return { potentialComprehension, s, head };
  }

  private parseArray(): Term {
    const open = this.advance();
    const loc = this.locOf(open);
    if (this.isP(this.tok, ']')) {
      this.advance();
      return { type: 'array', items: [], location: loc };
    }
    // A single term first: `[a | b]` is a comprehension, not an array holding `a | b`.
    const { potentialComprehension, s, head } = this.collectionHead();
    if (head) {
      if (this.isP(this.tok, ']')) {
        this.advance();
        return { type: 'array', items: [head], location: loc };
      }
      if (this.isP(this.tok, ',')) {
        this.advance();
        return { type: 'array', items: this.parseTermList(']', [head]), location: loc };
      }
      if (this.isP(this.tok, '|') && potentialComprehension) {
        this.advance();
        const body = this.tryComprehensionBody(']');
        if (body) return { type: 'arraycompr', term: head, body, location: loc };
      }
    }
    this.restore(s);
    return { type: 'array', items: this.parseTermList(']', []), location: loc };
  }

  private parseSetOrObject(): Term {
    const open = this.advance();
    const loc = this.locOf(open);
    if (this.isP(this.tok, '}')) {
      this.advance();
      return { type: 'object', items: [], location: loc };
    }
    const { potentialComprehension, s, head } = this.collectionHead();
    if (head) {
      if (this.isP(this.tok, '|') && potentialComprehension) {
        this.advance();
        const body = this.tryComprehensionBody('}');
        if (body) return { type: 'setcompr', term: head, body, location: loc };
        this.restore(s);
        return { type: 'set', items: this.parseTermList('}', []), location: loc };
      }
      if (this.isP(this.tok, '}') || this.isP(this.tok, ',')) return this.parseSetRest(head, loc);
      if (this.isP(this.tok, ':')) return this.parseObject(head, potentialComprehension, loc);
    }
    this.restore(s);
    const item = this.parseTermInfixCallInList();
    if (this.isP(this.tok, '}') || this.isP(this.tok, ',')) return this.parseSetRest(item, loc);
    if (this.isP(this.tok, ':')) return this.parseObject(item, potentialComprehension, loc);
    return this.fail('non-terminated set');
  }

  private parseSetRest(head: Term, loc: Location): Term {
    if (this.isP(this.tok, '}')) {
      this.advance();
      return { type: 'set', items: [head], location: loc };
    }
    this.advance(); // ,
    return { type: 'set', items: this.parseTermList('}', [head]), location: loc };
  }

  private parseObject(key: Term, potentialComprehension: boolean, loc: Location): Term {
    this.advance(); // :
    const s = this.save();
    let potentialRelation = true;
    let v: Term | undefined;
    try {
      v = this.parseTerm();
    } catch (err) {
      if (!(err instanceof Fail)) throw err;
    }
    if (v && potentialComprehension) {
      if (this.isP(this.tok, '}') || this.isP(this.tok, ',')) {
        potentialRelation = false;
        return this.parseObjectFinish(key, v, loc);
      }
      if (this.isP(this.tok, '|')) {
        this.advance();
        const body = this.tryComprehensionBody('}');
        if (body) return { type: 'objectcompr', key, value: v, body, location: loc };
      }
    }
    this.restore(s);
    if (potentialRelation) {
      const val = this.parseTermInfixCallInList();
      if (this.isP(this.tok, '}') || this.isP(this.tok, ',')) return this.parseObjectFinish(key, val, loc);
    }
    return this.fail('non-terminated object');
  }

  private parseObjectFinish(key: Term, val: Term, loc: Location): Term {
    if (this.isP(this.tok, '}')) {
      this.advance();
      return { type: 'object', items: [[key, val]], location: loc };
    }
    this.advance(); // ,
    return { type: 'object', items: this.parseTermPairList('}', [[key, val]]), location: loc };
  }
}

class DepthExceeded {
  constructor(readonly loc: Location) {}
}

function nameRef(name: string, loc: Location): RefTerm {
  const [first, ...rest] = name.split('.');
  return {
    type: 'ref',
    location: loc,
    terms: [{ type: 'var', name: first, location: loc }, ...rest.map((p) => ({ type: 'string' as const, value: p, location: loc }))],
  };
}

/** `a.b[c]`-style text of a ref (for messages and operator names). */
export function refString(ref: RefTerm): string {
  return ref.terms
    .map((t, i) => {
      if (i === 0) return t.type === 'var' ? t.name : `<${t.type}>`;
      if (t.type === 'string') return `.${t.value}`;
      if (t.type === 'var') return `[${t.name}]`;
      if (t.type === 'number') return `[${t.text}]`;
      return `[<${t.type}>]`;
    })
    .join('');
}

function isGround(t: Term): boolean {
  switch (t.type) {
    case 'var':
      return false;
    case 'ref':
      return t.terms.every(isGround);
    case 'array':
    case 'set':
      return t.items.every(isGround);
    case 'object':
      return t.items.every(([k, v]) => isGround(k) && isGround(v));
    case 'call':
      return t.args.every(isGround);
    case 'arraycompr':
    case 'setcompr':
    case 'objectcompr':
      return false;
    default:
      return true;
  }
}

/** The approximate decimal exponent of a number literal (for OPA's "number too big" bound). */
function decimalExponent(text: string): number {
  const m = /^-?(\d*)\.?(\d*)(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) return 0;
  const exp = m[3] ? Number(m[3]) : 0;
  return exp + (m[1] ?? '').replace(/^0+/, '').length;
}

function toWardenError(err: unknown, text: string): WardenError {
  if (err instanceof WardenError) return err;
  if (err instanceof Fail) return regoParseError(err.message, err.loc, text);
  if (err instanceof DepthExceeded) return regoParseError('max parsing recursion depth exceeded', err.loc, text);
  if (err instanceof RangeError) {
    return new WardenError(REGO_PARSE_ERROR, 'max parsing recursion depth exceeded (input nests too deeply)');
  }
  // Anything else is a bug in this parser; report it coded rather than as a crash.
  return new WardenError(REGO_PARSE_ERROR, `internal parser error: ${String(err)}`);
}

function parseWith(text: string, file: string, version: RegoVersion, maxDepth: number): Module {
  try {
    const { tokens, comments } = lex(text, file);
    const p = new Parser(tokens, file, version, maxDepth);
    const cs: Comment[] = comments.map((c) => ({
      type: 'comment',
      text: c.text,
      location: { file, line: c.line, col: c.col },
    }));
    return p.parseModule(cs);
  } catch (err) {
    throw toWardenError(err, text);
  }
}

/** The `line:col` of an error, for comparing how far two parses got. */
function errorPos(e: WardenError): number {
  return (e.location?.line ?? 0) * 1e6 + (e.location?.col ?? 0);
}

/** `err` with `advice` after its caret snippet. */
function advised(err: WardenError, advice: string): WardenError {
  return new WardenError(err.code, err.message, {
    ...(err.location ? { location: err.location } : {}),
    hint: `${err.hint ?? ''}\n${advice}`,
    exitCode: err.exitCode,
  });
}

const IMPORTS_REGO_V1 = /^\s*import\s+rego\.v1\b/m;

/**
 * Parses one Rego module.
 *
 * - `regoVersion: 'v1'` / `'v0'`: that syntax only. When it fails and the other syntax parses, the
 *   error's hint says so (`--v0-compatible` is the CLI's switch to v0).
 * - `'auto'` (the CLI without `--v0-compatible`): v1 is tried first; a module that is not valid
 *   v1, does not import `rego.v1` and is valid v0 is returned as v0 (`module.regoVersion`). When
 *   neither parses, the v1 error is thrown, with a hint quoting the v0 error when the v0 parse got
 *   further (the module is more likely v0 with a mistake in it).
 * - absent: as 'auto', and a module valid in both syntaxes (without `import rego.v1`) is marked
 *   `parsesAsV0` so that the compiler applies v0's checks to it, as regorus (v0 by default) does.
 *
 * Throws only `WardenError` with code `rego_parse_error`.
 */
export function parseModule(text: string, opts: ParseModuleOptions = {}): Module {
  const file = opts.file ?? '<input>';
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
  const mode = opts.regoVersion;
  const attempt = (v: RegoVersion): Module | WardenError => {
    try {
      return parseWith(text, file, v, maxDepth);
    } catch (e) {
      if (e instanceof WardenError) return e;
      throw e;
    }
  };
  if (mode === 'v0' || mode === 'v1') {
    const m = attempt(mode);
    if (!(m instanceof WardenError)) return m;
    const other = attempt(mode === 'v1' ? 'v0' : 'v1');
    if (other instanceof WardenError) throw m;
    throw advised(
      m,
      mode === 'v1'
        ? 'this module is valid Rego v0: parse it as v0 (warden policy … --v0-compatible)'
        : 'this module is valid Rego v1: parse it as v1 (drop --v0-compatible)',
    );
  }
  const v1 = attempt('v1');
  const importsV1 = IMPORTS_REGO_V1.test(text);
  if (!(v1 instanceof WardenError)) {
    if (mode === undefined && !importsV1 && !(attempt('v0') instanceof WardenError)) v1.parsesAsV0 = true;
    return v1;
  }
  if (importsV1) throw v1;
  const v0 = attempt('v0');
  if (!(v0 instanceof WardenError)) return v0;
  if (errorPos(v0) > errorPos(v1)) {
    const l = v0.location;
    throw advised(v1, `as Rego v0 the module gets further and fails at ${l?.line}:${l?.col}: ${v0.message} (--v0-compatible parses it as v0 only)`);
  }
  throw v1;
}

/** Parses a query such as `data.x.allow` or `x := input.a; x > 1` into a body. */
export function parseQuery(text: string, opts: ParseQueryOptions = {}): Body {
  const file = opts.file ?? '<query>';
  try {
    const { tokens } = lex(text, file);
    const p = new Parser(tokens, file, opts.regoVersion ?? 'v1', opts.maxDepth ?? DEFAULT_MAX_DEPTH);
    return p.parseBody(null);
  } catch (err) {
    throw toWardenError(err, text);
  }
}
