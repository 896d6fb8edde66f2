// Go's text/template as OPA's strings.render_template runs it: the template parsed by Go's rules
// and executed over the variables object decoded the way OPA decodes it (objects → maps, arrays →
// slices, numbers → json.Number, null → nil), printed the way Go's fmt prints those values.

/*
 * Written here because no npm package implements Go's template semantics (the JS ports found
 * are partial or unmaintained), and the result is OPA's contract: missing keys print
 * "<no value>" (which OPA then rewrites to "<undefined>"), json.Number is a string kind (so
 * `eq .n 1` is an incompatible comparison and a "0" is truthy), maps range in key order, and
 * `and`/`or` short-circuit.
 *
 * Supported: text, comments, trim markers, actions and pipelines with `$x :=`/`$x =`
 * declarations, fields and chains (`.a.b`, `$x.a`, `(pipe).a`), literals (strings, raw strings,
 * characters, ints, floats, true/false/nil), if / else if / else, with / else with, range (over
 * slices, maps, ints) with break and continue, define / template / block, and the builtin
 * functions and, or, not, len, index, slice, print, printf, println, eq, ne, lt, le, gt, ge, html,
 * js, urlquery and call. Not supported: complex numbers and methods (OPA's template has none).
 * Execution is bounded (steps, output size, template depth); exceeding a bound is an error.
 */

import { formatG, goSprintf, type GoArg } from './go-format.js';

export const TEMPLATE_MAX_STEPS = 1_000_000;
export const TEMPLATE_MAX_OUTPUT = 16 * 1024 * 1024;
export const TEMPLATE_MAX_DEPTH = 1000;

/** A parse or execution failure, with Go's message text (`template: template:1: …`). */
export class TemplateError extends Error {}

// ---------------------------------------------------------------------------------------------
// Values

/** encoding/json's Number: a string kind that prints as its text. */
export class GoNumber {
  constructor(readonly text: string) {}
}

/** An int constant from the template (or a byte from indexing a string, or a range index). */
class GoInt {
  constructor(readonly value: bigint) {}
}

class GoFloat {
  constructor(readonly value: number) {}
}

/** A JSON null held in a map or slice: a nil interface (printing "<no value>" once unwrapped). */
export const NIL: unique symbol = Symbol('nil');

/** `undefined` is Go's invalid reflect.Value (a missing key, or a nil interface unwrapped). */
export type GoValue = undefined | typeof NIL | string | boolean | GoNumber | GoInt | GoFloat | GoSlice | GoMap;
export type GoSlice = GoValue[];
export type GoMap = Map<string, GoValue>;

type Kind = 'invalid' | 'nil' | 'string' | 'bool' | 'int' | 'float' | 'slice' | 'map';

function kindOf(v: GoValue): Kind {
  if (v === undefined) return 'invalid';
  if (v === NIL) return 'nil';
  if (typeof v === 'string' || v instanceof GoNumber) return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (v instanceof GoInt) return 'int';
  if (v instanceof GoFloat) return 'float';
  if (Array.isArray(v)) return 'slice';
  return 'map';
}

/** Go's type name as %v notes and error messages show it. */
function typeOf(v: GoValue): string {
  if (v instanceof GoNumber) return 'json.Number';
  switch (kindOf(v)) {
    case 'string':
      return 'string';
    case 'bool':
      return 'bool';
    case 'int':
      return 'int';
    case 'float':
      return 'float64';
    case 'slice':
      return '[]interface {}';
    case 'map':
      return 'map[string]interface {}';
    default:
      return '<nil>';
  }
}

const text = (v: GoValue): string => (v instanceof GoNumber ? v.text : (v as string));

/** fmt's %v of a value (nested nils print as <nil>, maps with sorted keys). */
function formatV(v: GoValue, top: boolean): string {
  if (v === undefined) return top ? '<no value>' : '<nil>';
  if (v === NIL) return '<nil>';
  if (typeof v === 'string') return v;
  if (v instanceof GoNumber) return v.text;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (v instanceof GoInt) return v.value.toString();
  if (v instanceof GoFloat) return formatG(v.value, -1);
  if (Array.isArray(v)) return `[${v.map((x) => formatV(x, false)).join(' ')}]`;
  const keys = [...v.keys()].sort(byteOrder);
  return `map[${keys.map((k) => `${k}:${formatV(v.get(k), false)}`).join(' ')}]`;
}

/** Go compares strings by bytes; for UTF-16 JS strings code-point order is the same order. */
function byteOrder(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i].codePointAt(0) as number) - (y[i].codePointAt(0) as number);
    if (d) return d;
  }
  return x.length - y.length;
}

/** text/template's isTrue. */
function truth(v: GoValue): boolean {
  switch (kindOf(v)) {
    case 'invalid':
    case 'nil':
      return false;
    case 'string':
      return text(v).length > 0;
    case 'bool':
      return v as boolean;
    case 'int':
      return (v as GoInt).value !== 0n;
    case 'float':
      return (v as GoFloat).value !== 0;
    case 'slice':
      return (v as GoSlice).length > 0;
    default:
      return (v as GoMap).size > 0;
  }
}

/** An argument for fmt (print/printf): a nil interface and an invalid value both pass as nil. */
function goArg(v: GoValue): GoArg {
  if (v === undefined || v === NIL) return { kind: 'nil' };
  if (typeof v === 'string') return { kind: 'string', value: v };
  if (v instanceof GoNumber) return { kind: 'string', value: v.text, type: 'json.Number' };
  if (typeof v === 'boolean') return { kind: 'bool', value: v };
  if (v instanceof GoInt) return { kind: 'int', value: v.value };
  if (v instanceof GoFloat) return { kind: 'float', value: v.value };
  return { kind: 'string', value: formatV(v, false), type: typeOf(v) };
}

// ---------------------------------------------------------------------------------------------
// Lexer

type TokType =
  | 'text'
  | 'left'
  | 'right'
  | 'space'
  | 'ident'
  | 'keyword'
  | 'field'
  | 'variable'
  | 'dot'
  | 'string'
  | 'rawString'
  | 'char'
  | 'number'
  | 'bool'
  | 'nil'
  | 'pipe'
  | 'lparen'
  | 'rparen'
  | 'declare'
  | 'assign'
  | 'comma'
  | 'eof';

interface Token {
  type: TokType;
  val: string;
  pos: number;
}

const KEYWORDS = new Set(['block', 'break', 'continue', 'define', 'else', 'end', 'if', 'range', 'with', 'template']);
const isSpace = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlnum = (c: string | undefined): boolean => c !== undefined && /^[\p{L}\p{Nd}_]$/u.test(c);

function lex(src: string, line: (pos: number) => number): Token[] {
  const out: Token[] = [];
  let i = 0;
  const err = (pos: number, msg: string): never => {
    throw new TemplateError(`template: template:${line(pos)}: ${msg}`);
  };
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    let textEnd = open < 0 ? src.length : open;
    let trimLeft = false;
    if (open >= 0 && src[open + 2] === '-' && isSpace(src[open + 3])) trimLeft = true;
    let t = src.slice(i, textEnd);
    if (trimLeft) t = t.replace(/[ \t\r\n]+$/, '');
    if (t !== '') out.push({ type: 'text', val: t, pos: i });
    if (open < 0) break;
    i = open + 2 + (trimLeft ? 2 : 0);
    textEnd = i;
    // A comment is the whole action: {{/* … */}} (trim markers allowed around it).
    if (src.startsWith('/*', i)) {
      const close = src.indexOf('*/', i + 2);
      if (close < 0) err(i, 'unclosed comment');
      let j = close + 2;
      let trimRight = false;
      if (isSpace(src[j]) && src[j + 1] === '-' && src.startsWith('}}', j + 2)) {
        trimRight = true;
        j += 2;
      }
      if (!src.startsWith('}}', j)) err(j, 'comment ends before closing delimiter');
      i = j + 2;
      if (trimRight) while (isSpace(src[i])) i++;
      continue;
    }
    out.push({ type: 'left', val: '{{', pos: open });
    let parens = 0;
    for (;;) {
      if (i >= src.length) err(i, 'unclosed action');
      const c = src[i];
      if (isSpace(c) && src[i + 1] === '-' && src.startsWith('}}', i + 2)) {
        out.push({ type: 'right', val: '}}', pos: i });
        i += 4;
        while (isSpace(src[i])) i++;
        break;
      }
      if (src.startsWith('}}', i)) {
        if (parens) err(i, 'unclosed left paren');
        out.push({ type: 'right', val: '}}', pos: i });
        i += 2;
        break;
      }
      const start = i;
      if (isSpace(c)) {
        while (isSpace(src[i]) && !(src[i + 1] === '-' && src.startsWith('}}', i + 2))) i++;
        if (i === start) i++;
        out.push({ type: 'space', val: src.slice(start, i), pos: start });
      } else if (c === '=') {
        out.push({ type: 'assign', val: '=', pos: i++ });
      } else if (c === ':') {
        if (src[i + 1] !== '=') err(i, 'expected :=');
        out.push({ type: 'declare', val: ':=', pos: i });
        i += 2;
      } else if (c === '|') {
        out.push({ type: 'pipe', val: '|', pos: i++ });
      } else if (c === ',') {
        out.push({ type: 'comma', val: ',', pos: i++ });
      } else if (c === '(') {
        parens++;
        out.push({ type: 'lparen', val: '(', pos: i++ });
      } else if (c === ')') {
        if (--parens < 0) err(i, 'unexpected right paren');
        out.push({ type: 'rparen', val: ')', pos: i++ });
      } else if (c === '"') {
        i++;
        while (src[i] !== '"') {
          if (src[i] === '\\') i++;
          if (i >= src.length || src[i] === '\n') err(start, 'unterminated quoted string');
          i++;
        }
        i++;
        out.push({ type: 'string', val: src.slice(start, i), pos: start });
      } else if (c === '`') {
        const close = src.indexOf('`', i + 1);
        if (close < 0) err(start, 'unterminated raw quoted string');
        i = close + 1;
        out.push({ type: 'rawString', val: src.slice(start, i), pos: start });
      } else if (c === "'") {
        i++;
        while (src[i] !== "'") {
          if (src[i] === '\\') i++;
          if (i >= src.length || src[i] === '\n') err(start, 'unterminated character constant');
          i++;
        }
        i++;
        out.push({ type: 'char', val: src.slice(start, i), pos: start });
      } else if (c === '$') {
        i++;
        while (isAlnum(src[i])) i++;
        out.push({ type: 'variable', val: src.slice(start, i), pos: start });
      } else if (c === '.' && !/[0-9]/.test(src[i + 1] ?? '')) {
        i++;
        while (isAlnum(src[i])) i++;
        out.push({ type: i - start === 1 ? 'dot' : 'field', val: src.slice(start, i), pos: start });
      } else if (/[0-9+\-.]/.test(c)) {
        i++;
        while (/[0-9a-zA-Z_.+\-]/.test(src[i] ?? '')) {
          // A sign only continues a number right after an exponent marker.
          if ((src[i] === '+' || src[i] === '-') && !/[eEpP]/.test(src[i - 1])) break;
          i++;
        }
        out.push({ type: 'number', val: src.slice(start, i), pos: start });
      } else if (isAlnum(c)) {
        while (isAlnum(src[i])) i++;
        const word = src.slice(start, i);
        const type: TokType = KEYWORDS.has(word) ? 'keyword' : word === 'true' || word === 'false' ? 'bool' : word === 'nil' ? 'nil' : 'ident';
        out.push({ type, val: word, pos: start });
      } else {
        err(i, `unrecognized character in action: ${JSON.stringify(c)}`);
      }
    }
  }
  out.push({ type: 'eof', val: '', pos: src.length });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parse tree

type Node =
  | { t: 'text'; text: string }
  | { t: 'action'; pipe: Pipe; pos: number }
  | { t: 'if' | 'with'; pipe: Pipe; list: Node[]; elseList?: Node[]; pos: number }
  | { t: 'range'; pipe: Pipe; list: Node[]; elseList?: Node[]; pos: number }
  | { t: 'template'; name: string; pipe?: Pipe; pos: number }
  | { t: 'break' | 'continue'; pos: number };

interface Pipe {
  decl: string[];
  isAssign: boolean;
  cmds: Command[];
  pos: number;
  src: string;
}

interface Command {
  args: Operand[];
  pos: number;
  src: string;
}

type Operand =
  | { t: 'field'; idents: string[]; pos: number; src: string }
  | { t: 'variable'; name: string; idents: string[]; pos: number; src: string }
  | { t: 'chain'; node: Operand; idents: string[]; pos: number; src: string }
  | { t: 'ident'; name: string; pos: number; src: string }
  | { t: 'pipe'; pipe: Pipe; pos: number; src: string }
  | { t: 'dot' | 'nil'; pos: number; src: string }
  | { t: 'bool'; value: boolean; pos: number; src: string }
  | { t: 'string'; value: string; pos: number; src: string }
  | { t: 'number'; value: GoInt | GoFloat; pos: number; src: string };

const FUNCTIONS = new Set([
  'and', 'or', 'not', 'len', 'index', 'slice', 'print', 'printf', 'println',
  'eq', 'ne', 'lt', 'le', 'gt', 'ge', 'html', 'js', 'urlquery', 'call',
]);

/** strconv.Unquote for "…" strings and '…' characters. */
function unquote(lit: string, fail: (msg: string) => never): string {
  const body = lit.slice(1, -1);
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    const simple: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', "'": "'", '"': '"' };
    if (e in simple) {
      if ((e === "'" && lit[0] === '"') || (e === '"' && lit[0] === "'")) fail(`invalid syntax: ${lit}`);
      out += simple[e];
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + n);
      if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(hex)) fail(`invalid syntax: ${lit}`);
      const cp = parseInt(hex, 16);
      if (e === 'x') out += String.fromCharCode(cp);
      else {
        if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) fail(`invalid syntax: ${lit}`);
        out += String.fromCodePoint(cp);
      }
      i += n;
    } else if (/[0-7]/.test(e ?? '')) {
      const oct = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct) || parseInt(oct, 8) > 255) fail(`invalid syntax: ${lit}`);
      out += String.fromCharCode(parseInt(oct, 8));
      i += 2;
    } else {
      fail(`invalid syntax: ${lit}`);
    }
  }
  return out;
}

const INT64_MAX = 2n ** 63n - 1n;

/** A number literal (Go syntax) as the constant text/template makes of it. */
function numberConstant(lit: string, fail: (msg: string) => never): GoInt | GoFloat {
  if (lit.startsWith("'")) {
    const s = unquote(lit, fail);
    if ([...s].length !== 1) fail(`malformed character constant: ${lit}`);
    return new GoInt(BigInt(s.codePointAt(0) as number));
  }
  const m = /^([+-]?)(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|0[0-7_]*|[1-9][0-9_]*)$/.exec(lit);
  if (m) {
    let digits = m[2].replaceAll('_', '');
    if (/^0[0-7]+$/.test(digits)) digits = `0o${digits.slice(1)}`;
    const v = BigInt(digits) * (m[1] === '-' ? -1n : 1n);
    if (v > INT64_MAX || v < -INT64_MAX - 1n) fail(`${lit} overflows int`);
    return new GoInt(v);
  }
  if (/^[+-]?(\d[\d_]*(\.[\d_]*)?|\.\d[\d_]*)([eE][+-]?\d+)?$/.test(lit)) {
    const f = Number(lit.replaceAll('_', ''));
    if (!Number.isFinite(f)) fail(`bad number syntax: "${lit}"`);
    return new GoFloat(f);
  }
  return fail(`bad number syntax: "${lit}"`);
}

class Parser {
  private i = 0;
  private vars: string[] = ['$'];
  readonly templates = new Map<string, Node[]>();
  private rangeDepth = 0;

  constructor(
    private readonly toks: Token[],
    private readonly src: string,
    private readonly lineOf: (pos: number) => number,
  ) {}

  private fail(msg: string, pos = this.toks[Math.min(this.i, this.toks.length - 1)].pos): never {
    throw new TemplateError(`template: template:${this.lineOf(pos)}: ${msg}`);
  }

  private next(): Token {
    return this.toks[this.i++];
  }

  private peek(): Token {
    return this.toks[this.i];
  }

  private nextNonSpace(): Token {
    let t = this.next();
    while (t.type === 'space') t = this.next();
    return t;
  }

  private peekNonSpace(): Token {
    const save = this.i;
    const t = this.nextNonSpace();
    this.i = save;
    return t;
  }

  private expect(type: TokType, context: string): Token {
    const t = this.nextNonSpace();
    if (t.type !== type) this.unexpected(t, context);
    return t;
  }

  private unexpected(t: Token, context: string): never {
    // Go's item.String(): keywords in angle brackets, long values cut to 10 characters.
    const what =
      t.type === 'eof' ? 'EOF' : t.type === 'keyword' ? `<${t.val}>` : t.val.length > 10 ? `${JSON.stringify([...t.val].slice(0, 10).join(''))}...` : JSON.stringify(t.val);
    return this.fail(`unexpected ${what} in ${context}`, t.pos);
  }

  parse(): Node[] {
    const root: Node[] = [];
    for (;;) {
      const t = this.peek();
      if (t.type === 'eof') break;
      if (t.type === 'left' && this.isDefine()) {
        this.parseDefine();
        continue;
      }
      const [node, end] = this.textOrAction();
      if (end) this.fail(`unexpected {{${end.val}}}`, end.pos);
      if (node) root.push(node);
    }
    return root;
  }

  private isDefine(): boolean {
    const save = this.i;
    this.next();
    const t = this.nextNonSpace();
    this.i = save;
    return t.type === 'keyword' && t.val === 'define';
  }

  private parseDefine(): void {
    this.next();
    this.nextNonSpace();
    const name = this.stringLiteral('define clause');
    this.expect('right', 'define clause');
    const [saved, savedDepth] = [this.vars, this.rangeDepth];
    this.vars = ['$'];
    this.rangeDepth = 0;
    const [body, end] = this.itemList('define');
    if (end.val !== 'end') this.fail('unexpected {{else}} in define', end.pos);
    [this.vars, this.rangeDepth] = [saved, savedDepth];
    this.templates.set(name, body);
  }

  private stringLiteral(context: string): string {
    const t = this.nextNonSpace();
    if (t.type === 'string') return unquote(t.val, (m) => this.fail(m, t.pos));
    if (t.type === 'rawString') return t.val.slice(1, -1).replaceAll('\r', '');
    return this.unexpected(t, context);
  }

  /** A node list up to {{end}} or {{else}}; returns the terminating keyword token. */
  private itemList(context: string): [Node[], Token] {
    const list: Node[] = [];
    for (;;) {
      if (this.peek().type === 'eof') this.fail(`unexpected EOF in ${context}`);
      const [node, end] = this.textOrAction();
      if (end) return [list, end];
      if (node) list.push(node);
    }
  }

  /** One text or action; an {{end}} / {{else}} is returned as the second element, unconsumed beyond the keyword. */
  private textOrAction(): [Node | undefined, Token | undefined] {
    const t = this.next();
    if (t.type === 'text') return [{ t: 'text', text: t.val }, undefined];
    if (t.type !== 'left') this.unexpected(t, 'input');
    const kw = this.peekNonSpace();
    if (kw.type === 'keyword') {
      this.nextNonSpace();
      switch (kw.val) {
        case 'end':
          this.expect('right', 'end');
          return [undefined, kw];
        case 'else':
          return [undefined, kw];
        case 'if':
        case 'with':
        case 'range':
          return [this.control(kw.val, kw.pos), undefined];
        case 'template':
        case 'block':
          return [this.templateCall(kw.val, kw.pos), undefined];
        case 'break':
        case 'continue':
          if (this.rangeDepth === 0) this.fail(`{{${kw.val}}} outside {{range}}`, kw.pos);
          this.expect('right', kw.val);
          return [{ t: kw.val, pos: kw.pos }, undefined];
        default:
          this.fail(`unexpected <${kw.val}> in input`, kw.pos);
      }
    }
    return [{ t: 'action', pipe: this.pipeline('command', 'right'), pos: kw.pos }, undefined];
  }

  private control(kind: 'if' | 'with' | 'range', pos: number): Node {
    const mark = this.vars.length;
    const pipe = this.pipeline(kind, 'right');
    if (kind === 'range') this.rangeDepth++;
    const [list, end] = this.itemList(kind);
    if (kind === 'range') this.rangeDepth--;
    let elseList: Node[] | undefined;
    if (end.val === 'else') {
      const next = this.peekNonSpace();
      if ((kind === 'if' && next.type === 'keyword' && next.val === 'if') || (kind === 'with' && next.type === 'keyword' && next.val === 'with')) {
        // {{else if …}} is {{else}}{{if …}} sharing the one {{end}}.
        this.nextNonSpace();
        elseList = [this.control(kind, next.pos)];
      } else {
        this.expect('right', 'else');
        const [els, end2] = this.itemList(kind);
        if (end2.val !== 'end') this.fail(`expected end; found {{else}}`, end2.pos);
        elseList = els;
      }
    }
    this.vars.length = mark;
    return { t: kind, pipe, list, elseList, pos } as Node;
  }

  private templateCall(kind: string, pos: number): Node {
    const name = this.stringLiteral(`${kind} clause`);
    let pipe: Pipe | undefined;
    if (this.peekNonSpace().type !== 'right') pipe = this.pipeline(`${kind} clause`, 'right');
    else this.nextNonSpace();
    if (kind === 'block') {
      const [saved, savedDepth] = [this.vars, this.rangeDepth];
      this.vars = ['$'];
      this.rangeDepth = 0;
      const [body, end] = this.itemList('block clause');
      if (end.val !== 'end') this.fail('unexpected {{else}} in block clause', end.pos);
      [this.vars, this.rangeDepth] = [saved, savedDepth];
      this.templates.set(name, body);
    }
    return { t: 'template', name, pipe, pos };
  }

  private pipeline(context: string, end: 'right' | 'rparen'): Pipe {
    const start = this.peekNonSpace().pos;
    const pipe: Pipe = { decl: [], isAssign: false, cmds: [], pos: start, src: '' };
    // Declarations: `$x :=`, `$x =`, and in range `$i, $e :=`.
    for (;;) {
      const v = this.peekNonSpace();
      if (v.type !== 'variable') break;
      const save = this.i;
      this.nextNonSpace();
      const after = this.peekNonSpace();
      if (after.type === 'declare' || after.type === 'assign') {
        this.nextNonSpace();
        pipe.isAssign = after.type === 'assign';
        pipe.decl.push(v.val);
        this.vars.push(v.val);
        break;
      }
      if (after.type === 'comma') {
        this.nextNonSpace();
        pipe.decl.push(v.val);
        this.vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const n = this.peekNonSpace();
          if (n.type === 'variable') continue;
          this.fail('range can only initialize variables', n.pos);
        }
        this.fail(`too many declarations in ${context}`, after.pos);
      }
      this.i = save;
      break;
    }
    for (;;) {
      const t = this.peekNonSpace();
      if (t.type === end) {
        this.nextNonSpace();
        if (pipe.cmds.length === 0) this.fail(`missing value for ${context}`, t.pos);
        pipe.cmds.slice(1).forEach((c, i) => {
          if (['bool', 'dot', 'nil', 'number', 'string'].includes(c.args[0].t)) this.fail(`non executable command in pipeline stage ${i + 2}`, c.pos);
        });
        pipe.src = this.src.slice(start, t.pos).trim();
        return pipe;
      }
      if (['bool', 'char', 'dot', 'field', 'ident', 'number', 'nil', 'rawString', 'string', 'variable', 'lparen'].includes(t.type)) {
        pipe.cmds.push(this.command());
      } else {
        this.unexpected(this.nextNonSpace(), context);
      }
    }
  }

  private command(): Command {
    const start = this.peekNonSpace().pos;
    const cmd: Command = { args: [], pos: start, src: '' };
    let endPos = start;
    for (;;) {
      this.skipSpace();
      const op = this.operand();
      if (op) {
        cmd.args.push(op);
        endPos = op.pos + op.src.length;
      }
      const t = this.next();
      if (t.type === 'space') continue;
      if (t.type === 'right' || t.type === 'rparen') this.i--;
      else if (t.type !== 'pipe') this.unexpected(t, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.fail('empty command', start);
    cmd.src = this.src.slice(start, endPos);
    return cmd;
  }

  private skipSpace(): void {
    while (this.peek().type === 'space') this.i++;
  }

  private operand(): Operand | undefined {
    const node = this.term();
    if (!node) return undefined;
    if (this.peek().type !== 'field') return node;
    const idents: string[] = [];
    let endPos = node.pos + node.src.length;
    while (this.peek().type === 'field') {
      const f = this.next();
      idents.push(f.val.slice(1));
      endPos = f.pos + f.val.length;
    }
    const src = this.src.slice(node.pos, endPos);
    switch (node.t) {
      case 'field':
        return { t: 'field', idents: [...node.idents, ...idents], pos: node.pos, src };
      case 'variable':
        return { t: 'variable', name: node.name, idents: [...node.idents, ...idents], pos: node.pos, src };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        return this.fail(`unexpected . after term ${JSON.stringify(node.src)}`, node.pos);
      default:
        return { t: 'chain', node, idents, pos: node.pos, src };
    }
  }

  private term(): Operand | undefined {
    const t = this.nextNonSpace();
    const base = { pos: t.pos, src: t.val };
    switch (t.type) {
      case 'ident':
        if (!FUNCTIONS.has(t.val)) this.fail(`function ${JSON.stringify(t.val)} not defined`, t.pos);
        return { t: 'ident', name: t.val, ...base };
      case 'dot':
        return { t: 'dot', ...base };
      case 'nil':
        return { t: 'nil', ...base };
      case 'variable':
        if (!this.vars.includes(t.val)) this.fail(`undefined variable ${JSON.stringify(t.val)}`, t.pos);
        return { t: 'variable', name: t.val, idents: [], ...base };
      case 'field':
        return { t: 'field', idents: [t.val.slice(1)], ...base };
      case 'bool':
        return { t: 'bool', value: t.val === 'true', ...base };
      case 'char':
      case 'number':
        return { t: 'number', value: numberConstant(t.val, (m) => this.fail(m, t.pos)), ...base };
      case 'string':
        return { t: 'string', value: unquote(t.val, (m) => this.fail(m, t.pos)), ...base };
      case 'rawString':
        return { t: 'string', value: t.val.slice(1, -1).replaceAll('\r', ''), ...base };
      case 'lparen': {
        const pipe = this.pipeline('parenthesized pipeline', 'rparen');
        const close = this.toks[this.i - 1];
        return { t: 'pipe', pipe, pos: t.pos, src: this.src.slice(t.pos, close.pos + 1) };
      }
      default:
        this.i--;
        return undefined;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Execution

const MISSING: unique symbol = Symbol('missing');
type Final = GoValue | typeof MISSING;

class Break {}
class Continue {}

interface Variable {
  name: string;
  value: GoValue;
}

class Exec {
  out = '';
  private steps = 0;
  private vars: Variable[] = [];
  private depth = 0;
  private at: { pos: number; src: string } = { pos: 0, src: '' };

  constructor(
    private readonly templates: Map<string, Node[]>,
    private readonly lineOf: (pos: number) => number,
    private readonly colOf: (pos: number) => number,
  ) {}

  fail(msg: string): never {
    const { pos, src } = this.at;
    throw new TemplateError(`template: template:${this.lineOf(pos)}:${this.colOf(pos)}: executing "template" at <${src}>: ${msg}`);
  }

  run(root: Node[], data: GoValue): void {
    this.vars = [{ name: '$', value: data }];
    this.walkList(data, root);
  }

  private tick(): void {
    if (++this.steps > TEMPLATE_MAX_STEPS) this.fail(`template execution exceeds ${TEMPLATE_MAX_STEPS} steps`);
  }

  private write(s: string): void {
    this.out += s;
    if (this.out.length > TEMPLATE_MAX_OUTPUT) this.fail(`template output exceeds ${TEMPLATE_MAX_OUTPUT} characters`);
  }

  private walkList(dot: GoValue, list: Node[]): void {
    for (const n of list) this.walk(dot, n);
  }

  private walk(dot: GoValue, node: Node): void {
    this.tick();
    switch (node.t) {
      case 'text':
        this.write(node.text);
        return;
      case 'action': {
        const v = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.write(formatV(v, true));
        return;
      }
      case 'if':
      case 'with': {
        const mark = this.vars.length;
        const v = this.evalPipeline(dot, node.pipe);
        if (truth(v)) this.walkList(node.t === 'with' ? v : dot, node.list);
        else if (node.elseList) this.walkList(dot, node.elseList);
        this.vars.length = mark;
        return;
      }
      case 'range':
        this.walkRange(dot, node);
        return;
      case 'template': {
        const body = this.templates.get(node.name);
        this.at = { pos: node.pos, src: `template ${JSON.stringify(node.name)}` };
        if (!body) this.fail(`template ${JSON.stringify(node.name)} not defined`);
        if (this.depth >= TEMPLATE_MAX_DEPTH) this.fail(`exceeded maximum template depth (${TEMPLATE_MAX_DEPTH})`);
        const newDot = node.pipe ? this.evalPipeline(dot, node.pipe) : undefined;
        const saved = this.vars;
        this.vars = [{ name: '$', value: newDot }];
        this.depth++;
        try {
          this.walkList(newDot, body);
        } finally {
          this.depth--;
          this.vars = saved;
        }
        return;
      }
      case 'break':
        throw new Break();
      case 'continue':
        throw new Continue();
    }
  }

  private walkRange(dot: GoValue, node: Extract<Node, { t: 'range' }>): void {
    const mark = this.vars.length;
    const val = this.evalPipeline(dot, node.pipe);
    const decl = node.pipe.decl;
    const one = (index: GoValue, elem: GoValue): boolean => {
      this.tick();
      if (decl.length > 0) {
        if (node.pipe.isAssign) this.setVar(decl[0], decl.length > 1 ? index : elem);
        else this.setTopVar(1, elem);
      }
      if (decl.length > 1) {
        if (node.pipe.isAssign) this.setVar(decl[1], elem);
        else this.setTopVar(2, index);
      }
      const inner = this.vars.length;
      try {
        this.walkList(elem, node.list);
      } catch (e) {
        if (e instanceof Break) return false;
        if (!(e instanceof Continue)) throw e;
      } finally {
        this.vars.length = inner;
      }
      return true;
    };
    let ran = false;
    try {
      switch (kindOf(val)) {
        case 'slice':
          for (let i = 0; i < (val as GoSlice).length; i++) {
            ran = true;
            if (!one(new GoInt(BigInt(i)), (val as GoSlice)[i])) break;
          }
          break;
        case 'map':
          for (const k of [...(val as GoMap).keys()].sort(byteOrder)) {
            ran = true;
            if (!one(k, (val as GoMap).get(k))) break;
          }
          break;
        case 'int': {
          if (decl.length > 1) this.fail(`can't use ${formatV(val, true)} to iterate over more than one variable`);
          const n = (val as GoInt).value;
          for (let i = 0n; i < n; i++) {
            ran = true;
            if (!one(new GoInt(i), new GoInt(i))) break;
          }
          break;
        }
        case 'invalid':
          break;
        default:
          this.at = { pos: node.pipe.pos, src: node.pipe.src };
          this.fail(`range can't iterate over ${formatV(val, true)}`);
      }
      if (!ran && node.elseList) this.walkList(dot, node.elseList);
    } finally {
      this.vars.length = mark;
    }
  }

  private setVar(name: string, value: GoValue): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i].name === name) {
        this.vars[i].value = value;
        return;
      }
    }
    this.fail(`undefined variable: ${name}`);
  }

  private setTopVar(n: number, value: GoValue): void {
    this.vars[this.vars.length - n].value = value;
  }

  private varValue(name: string): GoValue {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i].name === name) return this.vars[i].value;
    return this.fail(`undefined variable: ${name}`);
  }

  evalPipeline(dot: GoValue, pipe: Pipe): GoValue {
    this.at = { pos: pipe.pos, src: pipe.src };
    let value: Final = MISSING;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value);
      // A nil held in an interface{} is dug out to an invalid value, as Go's pipeline does.
      if (value === NIL) value = undefined;
    }
    const v = value === MISSING ? undefined : value;
    for (const name of pipe.decl) {
      if (pipe.isAssign) this.setVar(name, v);
      else this.vars.push({ name, value: v });
    }
    return v;
  }

  private notAFunction(args: Operand[], final: Final): void {
    if (args.length > 1 || final !== MISSING) this.fail(`can't give argument to non-function ${args[0].src}`);
  }

  private evalCommand(dot: GoValue, cmd: Command, final: Final): GoValue {
    this.tick();
    const first = cmd.args[0];
    this.at = { pos: first.pos, src: first.src };
    switch (first.t) {
      case 'field':
        return this.evalFieldChain(dot, dot, first.idents, cmd.args, final);
      case 'chain': {
        if (first.node.t === 'nil') this.fail(`indirection through explicit nil in ${first.src}`);
        const recv = this.evalArg(dot, first.node);
        return this.evalFieldChain(dot, recv, first.idents, cmd.args, final);
      }
      case 'ident':
        this.at = { pos: cmd.pos, src: cmd.src };
        return this.call(dot, first.name, cmd.args.slice(1), final);
      case 'pipe':
        this.notAFunction(cmd.args, final);
        return this.evalPipeline(dot, first.pipe);
      case 'variable': {
        const v = this.varValue(first.name);
        if (first.idents.length === 0) {
          this.notAFunction(cmd.args, final);
          return v;
        }
        return this.evalFieldChain(dot, v, first.idents, cmd.args, final);
      }
    }
    this.notAFunction(cmd.args, final);
    switch (first.t) {
      case 'bool':
      case 'string':
      case 'number':
        return first.value;
      case 'dot':
        return dot;
      default:
        return this.fail('nil is not a command');
    }
  }

  private evalFieldChain(dot: GoValue, receiver: GoValue, idents: string[], args: Operand[], final: Final): GoValue {
    let r = receiver;
    for (let i = 0; i < idents.length - 1; i++) r = this.evalField(idents[i], [], MISSING, r);
    return this.evalField(idents[idents.length - 1], args, final, r);
  }

  private evalField(name: string, args: Operand[], final: Final, receiver: GoValue): GoValue {
    if (receiver === undefined) return undefined;
    if (receiver === NIL) this.fail(`nil pointer evaluating interface {}.${name}`);
    if (receiver instanceof Map) {
      if (args.length > 1 || final !== MISSING) this.fail(`${name} is not a method but has arguments`);
      return receiver.get(name);
    }
    const type = receiver instanceof GoInt ? 'int' : receiver instanceof GoFloat ? 'float64' : 'interface {}';
    return this.fail(`can't evaluate field ${name} in type ${type}`);
  }

  /** An argument's value; a nil literal is a nil (invalid) value. */
  private evalArg(dot: GoValue, n: Operand): GoValue {
    switch (n.t) {
      case 'dot':
        return dot;
      case 'nil':
        return undefined;
      case 'field':
        return this.evalFieldChain(dot, dot, n.idents, [n], MISSING);
      case 'variable': {
        const v = this.varValue(n.name);
        return n.idents.length ? this.evalFieldChain(dot, v, n.idents, [n], MISSING) : v;
      }
      case 'pipe':
        return this.evalPipeline(dot, n.pipe);
      case 'ident': {
        const saved = this.at;
        this.at = { pos: n.pos, src: n.src };
        const v = this.call(dot, n.name, [], MISSING);
        this.at = saved;
        return v;
      }
      case 'chain': {
        if (n.node.t === 'nil') this.fail(`indirection through explicit nil in ${n.src}`);
        return this.evalFieldChain(dot, this.evalArg(dot, n.node), n.idents, [n], MISSING);
      }
      default:
        return n.value;
    }
  }

  private call(dot: GoValue, name: string, argNodes: Operand[], final: Final): GoValue {
    const at = this.at;
    if (name === 'and' || name === 'or') {
      if (argNodes.length === 0 && final === MISSING) this.fail(`wrong number of args for ${name}: want at least 1 got 0`);
      let v: GoValue;
      for (const a of argNodes) {
        v = this.evalArg(dot, a);
        this.at = at;
        if (truth(v) === (name === 'or')) return v;
      }
      return final !== MISSING ? final : v;
    }
    const args = argNodes.map((a) => this.evalArg(dot, a));
    this.at = at;
    if (final !== MISSING) args.push(final);
    try {
      return builtin(name, args);
    } catch (e) {
      if (e instanceof CallError) this.fail(`error calling ${name}: ${e.message}`);
      if (e instanceof ArgError) this.fail(e.message);
      throw e;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Builtin functions

/** A function's own failure, reported as `error calling <name>: …`. */
class CallError extends Error {}

/** A call the template machinery rejects before the function runs (argument count or type). */
class ArgError extends Error {}

function wantArgs(name: string, args: GoValue[], n: number, variadic = false): void {
  if (variadic ? args.length < n : args.length !== n) {
    throw new ArgError(`wrong number of args for ${name}: want ${variadic ? 'at least ' : ''}${n} got ${args.length}`);
  }
}

type BasicKind = 'bool' | 'int' | 'float' | 'string' | 'invalid' | 'other';

function basicKind(v: GoValue): BasicKind {
  const k = kindOf(v);
  return k === 'bool' || k === 'int' || k === 'float' || k === 'string' ? k : k === 'invalid' || k === 'nil' ? 'invalid' : 'other';
}

function num(v: GoValue): number | bigint {
  return v instanceof GoInt ? v.value : (v as GoFloat).value;
}

function eq(a: GoValue, bs: GoValue[]): boolean {
  if (bs.length === 0) throw new CallError('missing argument for comparison');
  const k1 = basicKind(a);
  for (const b of bs) {
    const k2 = basicKind(b);
    let same: boolean;
    if (k1 !== k2) {
      if (k1 !== 'invalid' && k2 !== 'invalid') throw new CallError('incompatible types for comparison');
      same = false;
    } else {
      switch (k1) {
        case 'bool':
          same = a === b;
          break;
        case 'int':
        case 'float':
          same = num(a) === num(b);
          break;
        case 'string':
          same = text(a) === text(b);
          break;
        case 'invalid':
          same = true;
          break;
        default:
          throw new CallError(`non-comparable type ${formatV(a, false)}: ${typeOf(a)}`);
      }
    }
    if (same) return true;
  }
  return false;
}

function lt(a: GoValue, b: GoValue): boolean {
  const k1 = basicKind(a);
  const k2 = basicKind(b);
  if (k1 === 'invalid' || k1 === 'other' || k1 === 'bool' || k2 === 'invalid' || k2 === 'other' || k2 === 'bool') {
    throw new CallError('invalid type for comparison');
  }
  if (k1 !== k2) throw new CallError('incompatible types for comparison');
  if (k1 === 'string') return byteOrder(text(a), text(b)) < 0;
  return num(a) < num(b);
}

function indexArg(v: GoValue, cap: number): number {
  if (v === undefined || v === NIL) throw new CallError('cannot index slice/array with nil');
  if (!(v instanceof GoInt)) throw new CallError(`cannot index slice/array with type ${typeOf(v)}`);
  if (v.value < 0n || v.value > BigInt(cap)) throw new CallError(`index out of range: ${v.value}`);
  return Number(v.value);
}

function index(item: GoValue, idx: GoValue[]): GoValue {
  if (item === undefined) throw new CallError('index of untyped nil');
  let cur: GoValue = item;
  for (const i of idx) {
    if (cur === NIL || cur === undefined) throw new CallError('index of nil pointer');
    if (typeof cur === 'string' || cur instanceof GoNumber) {
      const bytes: Buffer = Buffer.from(text(cur), 'utf8');
      const x = indexArg(i, bytes.length);
      if (x >= bytes.length) throw new CallError(`reflect: string index out of range`);
      cur = new GoInt(BigInt(bytes[x]));
    } else if (Array.isArray(cur)) {
      const x = indexArg(i, cur.length);
      if (x >= cur.length) throw new CallError(`reflect: slice index out of range`);
      cur = cur[x];
    } else if (cur instanceof Map) {
      if (typeof i !== 'string') throw new CallError(`value has type ${typeOf(i)}; should be string`);
      cur = cur.has(i) ? cur.get(i) : NIL;
    } else {
      throw new CallError(`can't index item of type ${typeOf(cur)}`);
    }
  }
  return cur;
}

function sliceOf(item: GoValue, idx: GoValue[]): GoValue {
  if (item === undefined || item === NIL) throw new CallError('slice of untyped nil');
  if (idx.length > 3) throw new CallError(`too many slice indexes: ${idx.length}`);
  let len: number;
  if (typeof item === 'string' || item instanceof GoNumber) {
    if (idx.length === 3) throw new CallError('cannot 3-index slice a string');
    len = Buffer.byteLength(text(item), 'utf8');
  } else if (Array.isArray(item)) len = item.length;
  else throw new CallError(`can't slice item of type ${typeOf(item)}`);
  const cap = len;
  const ix = [0, len];
  idx.forEach((v, n) => {
    ix[n] = indexArg(v, cap);
  });
  if (ix[0] > ix[1]) throw new CallError(`invalid slice index: ${ix[0]} > ${ix[1]}`);
  if (idx.length === 3 && ix[1] > ix[2]) throw new CallError(`invalid slice index: ${ix[1]} > ${ix[2]}`);
  if (Array.isArray(item)) return item.slice(ix[0], ix[1]);
  const out = Buffer.from(text(item), 'utf8').subarray(ix[0], ix[1]).toString('utf8');
  return out;
}

function length(v: GoValue): GoValue {
  if (v === undefined || v === NIL) throw new CallError('len of nil pointer');
  if (typeof v === 'string' || v instanceof GoNumber) return new GoInt(BigInt(Buffer.byteLength(text(v), 'utf8')));
  if (Array.isArray(v)) return new GoInt(BigInt(v.length));
  if (v instanceof Map) return new GoInt(BigInt(v.size));
  throw new CallError(`len of type ${typeOf(v)}`);
}

/** fmt.Sprint: a space between operands when neither is a string. */
function sprint(args: GoValue[]): string {
  let out = '';
  args.forEach((a, i) => {
    const isStr = (x: GoValue): boolean => typeof x === 'string' || x instanceof GoNumber;
    if (i > 0 && !isStr(a) && !isStr(args[i - 1])) out += ' ';
    out += formatV(a === undefined ? NIL : a, false);
  });
  return out;
}

/** The text html/js/urlquery escape: a lone string as is, else fmt.Sprint of printable values. */
function escaperInput(values: GoValue[]): string {
  const args = values.map((v) => (v === NIL ? undefined : v));
  if (args.length === 1 && typeof args[0] === 'string') return args[0];
  let out = '';
  args.forEach((a, i) => {
    const isStr = (x: GoValue): boolean => typeof x === 'string' || x instanceof GoNumber || x === undefined;
    if (i > 0 && !isStr(a) && !isStr(args[i - 1])) out += ' ';
    out += formatV(a, true);
  });
  return out;
}

function htmlEscape(s: string): string {
  return s.replace(/[<>&'"\0]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&#39;', '"': '&#34;', '\0': '\uFFFD' })[c] as string);
}

function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    const named: Record<string, string> = { '\\': '\\\\', "'": "\\'", '"': '\\"', '<': '\\u003C', '>': '\\u003E', '&': '\\u0026', '=': '\\u003D' };
    if (named[ch]) out += named[ch];
    else if (c < 0x20) out += `\\u00${c.toString(16).toUpperCase().padStart(2, '0')}`;
    else if (c >= 0x80 && /[\p{C}\p{Z}]/u.test(ch)) out += `\\u${c.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += ch;
  }
  return out;
}

/** url.QueryEscape. */
function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function builtin(name: string, args: GoValue[]): GoValue {
  switch (name) {
    case 'not':
      wantArgs(name, args, 1);
      return !truth(args[0]);
    case 'len':
      wantArgs(name, args, 1);
      return length(args[0]);
    case 'index':
      wantArgs(name, args, 1, true);
      return index(args[0], args.slice(1));
    case 'slice':
      wantArgs(name, args, 1, true);
      return sliceOf(args[0], args.slice(1));
    case 'print':
      return sprint(args);
    case 'println':
      return `${args.map((a) => formatV(a === undefined ? NIL : a, false)).join(' ')}\n`;
    case 'printf': {
      wantArgs(name, args, 1, true);
      if (typeof args[0] !== 'string') throw new ArgError(`wrong type for value; expected string; got ${typeOf(args[0])}`);
      return goSprintf(args[0], args.slice(1).map(goArg));
    }
    case 'eq':
      wantArgs(name, args, 1, true);
      return eq(args[0], args.slice(1));
    case 'ne':
      wantArgs(name, args, 2);
      return !eq(args[0], [args[1]]);
    case 'lt':
      wantArgs(name, args, 2);
      return lt(args[0], args[1]);
    case 'le':
      wantArgs(name, args, 2);
      return lt(args[0], args[1]) || eq(args[0], [args[1]]);
    case 'gt':
      wantArgs(name, args, 2);
      return !(lt(args[0], args[1]) || eq(args[0], [args[1]]));
    case 'ge':
      wantArgs(name, args, 2);
      return !lt(args[0], args[1]);
    case 'html':
      return htmlEscape(escaperInput(args));
    case 'js':
      return jsEscape(escaperInput(args));
    case 'urlquery':
      return queryEscape(escaperInput(args));
    default:
      // `call`: the variables hold no functions, so there is nothing it could call.
      wantArgs(name, args, 1, true);
      throw new CallError(`non-function ${formatV(args[0], true)} of type ${typeOf(args[0])}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Entry point

/** Parses and executes `src` over `data`, returning Go's output (before OPA's rewrite). */
export function executeTemplate(src: string, data: GoValue): string {
  const lineOf = (pos: number): number => 1 + (src.slice(0, pos).match(/\n/g)?.length ?? 0);
  const colOf = (pos: number): number => {
    const nl = src.lastIndexOf('\n', pos - 1);
    return nl < 0 ? pos : pos - nl - 1;
  };
  const parser = new Parser(lex(src, lineOf), src, lineOf);
  const root = parser.parse();
  const exec = new Exec(parser.templates, lineOf, colOf);
  try {
    exec.run(root, data);
  } catch (e) {
    if (e instanceof TemplateError) throw e;
    if (e instanceof Break || e instanceof Continue) throw new TemplateError('template: break/continue outside range');
    if (e instanceof RangeError) throw new TemplateError('template: execution too deep');
    throw e;
  }
  return exec.out;
}
