// Canonical Rego text in the style of `opa fmt` (v1 syntax, tab indentation). Output is stable:
// formatModule(formatModule(x)) === formatModule(x). v0 modules are printed in v1 syntax.
import type {
  Body,
  CallTerm,
  Comment,
  Expr,
  Head,
  Import,
  Module,
  Rule,
  Term,
} from './ast.js';
import { parseModule, type ParseModuleOptions } from './parser.js';

const INFIX_PRECEDENCE: Readonly<Record<string, number>> = {
  '=': 0,
  ':=': 0,
  in: 1,
  '==': 2,
  '!=': 2,
  '<': 2,
  '>': 2,
  '<=': 2,
  '>=': 2,
  '|': 3,
  '&': 4,
  '+': 5,
  '-': 5,
  '*': 6,
  '/': 6,
  '%': 6,
};

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Formats a parsed module, or parses `text` (with `opts`) and formats it. */
export function formatModule(input: Module | string, opts: ParseModuleOptions = {}): string {
  const mod = typeof input === 'string' ? parseModule(input, opts) : input;
  return new Formatter(mod.comments).module(mod);
}

class Formatter {
  private readonly comments: Comment[];
  private out: string[] = [];
  /** Some head ref has more than two parts: print heads as refs (`p.a`) rather than `p["a"]`. */
  private refHeads = false;

  constructor(comments: Comment[]) {
    this.comments = [...comments].sort((a, b) => a.location.line - b.location.line || a.location.col - b.location.col);
  }

  /** Writes, as own lines at `indent`, every pending comment that starts before `line`. */
  private flushBefore(line: number, indent: string): void {
    while (this.comments.length > 0 && this.comments[0].location.line < line) {
      this.out.push(`${indent}#${this.comments.shift()!.text}`);
    }
  }

  /** The comment at the end of `line`, if one is pending there. */
  private trailing(line: number): string {
    if (this.comments.length > 0 && this.comments[0].location.line === line) {
      return ` #${this.comments.shift()!.text}`;
    }
    return '';
  }

  module(mod: Module): string {
    this.refHeads = mod.rules.some((r) => r.head.ref.terms.length > 2);
    this.flushBefore(mod.package.location.line, '');
    const [first, ...rest] = mod.package.path.terms.slice(1);
    const name = first?.type === 'string' ? first.value : '';
    const pkg = this.ref([{ type: 'var', name, location: mod.package.location }, ...rest], '');
    this.out.push(`package ${pkg}` + this.trailing(mod.package.location.line));
    const imports = mod.imports.filter((i) => !isKeywordImport(i));
    if (imports.length > 0) {
      this.out.push('');
      for (const imp of imports) {
        this.flushBefore(imp.location.line, '');
        const alias = imp.alias ? ` as ${imp.alias}` : '';
        this.out.push(`import ${this.term(imp.path, '')}${alias}` + this.trailing(imp.location.line));
      }
    }
    for (const rule of mod.rules) {
      this.out.push('');
      this.flushBefore(rule.location.line, '');
      this.rule(rule);
    }
    if (this.comments.length > 0) {
      this.out.push('');
      this.flushBefore(Number.MAX_SAFE_INTEGER, '');
    }
    return `${this.out.join('\n')}\n`;
  }

  private rule(rule: Rule): void {
    let text = (rule.default ? 'default ' : '') + this.head(rule.head);
    text += this.ruleBody(rule, '');
    for (let e = rule.else; e; e = e.else) {
      text += ' else';
      if (!e.head.generatedValue && e.head.value) text += ` := ${this.term(e.head.value, '')}`;
      text += this.ruleBody(e, '');
    }
    this.out.push(text.includes('\n') ? text : text + this.trailing(rule.location.line));
  }

  private ruleBody(rule: Rule, indent: string): string {
    if (rule.generatedBody || rule.default) return '';
    if (rule.inlineBody && rule.body.length === 1) return ` if ${this.expr(rule.body[0], indent)}`;
    return ` if ${this.block(rule.body, indent)}`;
  }

  /** `{` newline, one literal per line one tab deeper, `}`. */
  private block(body: Body, indent: string): string {
    const inner = `${indent}\t`;
    const saved = this.out;
    this.out = [];
    for (const e of body) {
      this.flushBefore(e.location.line, inner);
      const s = this.expr(e, inner);
      this.out.push(inner + s + this.trailing(e.location.line));
    }
    const lines = this.out;
    this.out = saved;
    return `{\n${lines.join('\n')}\n${indent}}`;
  }

  private head(h: Head): string {
    if (h.key !== undefined && h.value === undefined) {
      return `${this.ref(h.ref.terms, '')} contains ${this.term(h.key, '')}`;
    }
    const [name, key] = h.ref.terms;
    let s = !this.refHeads && h.ref.terms.length === 2 ? `${this.term(name, '')}[${this.term(key, '')}]` : this.ref(h.ref.terms, '');
    if (h.args !== undefined) s += `(${h.args.map((a) => this.term(a, '')).join(', ')})`;
    if (h.value !== undefined && !h.generatedValue) s += ` := ${this.term(h.value, '')}`;
    return s;
  }

  private expr(e: Expr, indent: string): string {
    let s = e.negated ? 'not ' : '';
    const v = e.value;
    switch (v.type) {
      case 'some':
        if (v.symbols.length === 1 && v.symbols[0].type === 'call') s += `some ${this.term(v.symbols[0], indent)}`;
        else s += `some ${v.symbols.map((x) => this.term(x, indent)).join(', ')}`;
        break;
      case 'every': {
        const vars = v.key ? `${this.term(v.key, indent)}, ${this.term(v.value, indent)}` : this.term(v.value, indent);
        s += `every ${vars} in ${this.term(v.domain, indent)} ${this.block(v.body, indent)}`;
        break;
      }
      case 'body':
        s += `{ ${v.body.map((x) => this.expr(x, indent)).join('; ')} }`;
        break;
      default:
        s += this.term(v, indent);
    }
    for (const w of e.with) s += ` with ${this.term(w.target, indent)} as ${this.term(w.value, indent)}`;
    return s;
  }

  private ref(terms: Term[], indent: string): string {
    const [head, ...path] = terms;
    let s: string;
    if (head.type === 'call' && head.infix && !head.parens) s = `(${this.term(head, indent)})`;
    else s = this.term(head, indent);
    for (const p of path) {
      if (p.type === 'string' && IDENT.test(p.value)) s += `.${p.value}`;
      else s += `[${this.term(p, indent)}]`;
    }
    return s;
  }

  /** An item of an array, set or object: a bare `|` or `k, v in` call would re-parse differently. */
  private item(t: Term, indent: string): string {
    if (t.type === 'call' && !t.parens && (t.infix === '|' || (t.infix === 'in' && t.args.length === 3))) {
      return `(${this.term(t, indent)})`;
    }
    return this.term(t, indent);
  }

  term(t: Term, indent: string): string {
    switch (t.type) {
      case 'null':
        return 'null';
      case 'boolean':
        return t.value ? 'true' : 'false';
      case 'number':
        return t.text;
      case 'string':
        return t.raw && !t.value.includes('`') ? `\`${t.value}\`` : JSON.stringify(t.value);
      case 'var':
        return t.wildcard ? '_' : t.name;
      case 'ref':
        return this.ref(t.terms, indent);
      case 'call':
        return this.call(t, indent);
      case 'array':
        return this.collection('[', ']', t.items.map((x) => this.item(x, `${indent}\t`)), t, t.items, indent);
      case 'set':
        if (t.items.length === 0) return 'set()';
        return this.collection('{', '}', t.items.map((x) => this.item(x, `${indent}\t`)), t, t.items, indent);
      case 'object':
        return this.collection(
          '{',
          '}',
          t.items.map(([k, v]) => `${this.item(k, `${indent}\t`)}: ${this.item(v, `${indent}\t`)}`),
          t,
          t.items.map(([k]) => k),
          indent,
        );
      case 'arraycompr':
        return `[${this.item(t.term, indent)} | ${this.inlineBody(t.body, indent)}]`;
      case 'setcompr':
        return `{${this.item(t.term, indent)} | ${this.inlineBody(t.body, indent)}}`;
      case 'objectcompr':
        return `{${this.item(t.key, indent)}: ${this.item(t.value, indent)} | ${this.inlineBody(t.body, indent)}}`;
    }
  }

  private inlineBody(body: Body, indent: string): string {
    return body.map((e) => this.expr(e, indent)).join('; ');
  }

  /** One line, or (when the source put items on other lines) one item per line with trailing commas. */
  private collection(open: string, close: string, items: string[], node: Term, starts: Term[], indent: string): string {
    const multi = starts.some((x) => x.location.line !== node.location.line);
    if (!multi || items.length === 0) return `${open}${items.join(', ')}${close}`;
    return `${open}\n${items.map((s) => `${indent}\t${s},`).join('\n')}\n${indent}${close}`;
  }

  private call(t: CallTerm, indent: string): string {
    if (t.parens) return `(${this.bareCall(t, indent)})`;
    return this.bareCall(t, indent);
  }

  private bareCall(t: CallTerm, indent: string): string {
    if (!t.infix) return `${this.ref(t.operator.terms, indent)}(${t.args.map((a) => this.item(a, indent)).join(', ')})`;
    const prec = INFIX_PRECEDENCE[t.infix];
    const side = (a: Term, right: boolean): string => {
      if (a.type === 'call' && a.infix && !a.parens) {
        const p = INFIX_PRECEDENCE[a.infix];
        if (p < prec || (p === prec && right)) return `(${this.term(a, indent)})`;
      }
      return this.term(a, indent);
    };
    if (t.infix === 'in' && t.args.length === 3) {
      return `${side(t.args[0], true)}, ${side(t.args[1], true)} in ${side(t.args[2], true)}`;
    }
    return `${side(t.args[0], false)} ${t.infix} ${side(t.args[1], true)}`;
  }
}

function isKeywordImport(i: Import): boolean {
  const names = i.path.terms.map((t) => (t.type === 'var' ? t.name : t.type === 'string' ? t.value : '?')).join('.');
  return i.alias === undefined && (names === 'rego.v1' || (/^future\.keywords(\.(in|if|every|contains))?$/.test(names)));
}
