// Go's fmt.Sprintf as OPA's sprintf exposes it: verbs %v %d %s %q %x %X %o %b %c %e %E %f %F %g %G
// %t %%, flags (+ - # 0 space), width and precision (incl. `*`), and Go's %!verb(type=value) notes.

/*
 * OPA's sprintf hands Go: int64-range integers as `int`, larger integers as `*big.Int`, other
 * numbers as float64, strings as string, and every other value as its Rego text (a Go string).
 * GoArg models those kinds so mismatches print as Go prints them (`%!s(int=5)`); strings.
 * render_template's printf adds bool, nil and named string types (json.Number).
 */
export type GoArg =
  | { kind: 'int'; value: bigint }
  | { kind: 'bigint'; value: bigint }
  | { kind: 'float'; value: number }
  /** `type` names a named string type (json.Number) or a composite printed as text, for %! notes. */
  | { kind: 'string'; value: string; type?: string }
  /** Only from strings.render_template's printf (sprintf never passes these). */
  | { kind: 'bool'; value: boolean }
  | { kind: 'nil' };

interface Spec {
  minus: boolean;
  plus: boolean;
  sharp: boolean;
  zero: boolean;
  space: boolean;
  width?: number;
  prec?: number;
}

function goTypeName(a: GoArg): string {
  switch (a.kind) {
    case 'int':
      return 'int';
    case 'bigint':
      return '*big.Int';
    case 'float':
      return 'float64';
    case 'bool':
      return 'bool';
    case 'nil':
      return '<nil>';
    default:
      return a.type ?? 'string';
  }
}

/** An argument as %v shows it inside Go's %!verb(type=value) and %!(EXTRA …) notes. */
function shownValue(a: GoArg): string {
  switch (a.kind) {
    case 'float':
      return formatG(a.value, -1);
    case 'string':
      return a.value;
    case 'bool':
      return String(a.value);
    case 'nil':
      return '';
    default:
      return a.value.toString();
  }
}

/** Shortest digits and decimal exponent of a positive finite double: value = 0.d1d2… × 10^dp. */
function shortestDigits(f: number): { digits: string; dp: number } {
  const [m, e] = f.toExponential().split('e');
  const digits = m.replace('.', '');
  return { digits, dp: Number(e) + 1 };
}

function roundedDigits(f: number, n: number): { digits: string; dp: number } {
  const [m, e] = f.toExponential(Math.max(0, Math.min(100, n - 1))).split('e');
  return { digits: m.replace('.', ''), dp: Number(e) + 1 };
}

function expPart(exp: number, upper: boolean): string {
  const sign = exp < 0 ? '-' : '+';
  const a = Math.abs(exp);
  return `${upper ? 'E' : 'e'}${sign}${a < 10 ? '0' : ''}${a}`;
}

function fmtE(digits: string, dp: number, prec: number, upper: boolean): string {
  const d = digits.padEnd(prec + 1, '0');
  const mant = prec > 0 ? `${d[0]}.${d.slice(1, prec + 1)}` : d[0];
  return `${mant}${expPart(digits === '0' ? 0 : dp - 1, upper)}`;
}

function fmtFFromDigits(digits: string, dp: number, prec: number): string {
  let intPart: string;
  let frac: string;
  if (dp <= 0) {
    intPart = '0';
    frac = '0'.repeat(-dp) + digits;
  } else {
    intPart = digits.slice(0, dp).padEnd(dp, '0');
    frac = digits.slice(dp);
  }
  frac = frac.padEnd(prec, '0').slice(0, prec);
  return prec > 0 ? `${intPart}.${frac}` : intPart;
}

/** Go's %f: fixed with `prec` decimals, correct for any magnitude. */
function fixed(f: number, prec: number): string {
  if (Math.abs(f) < 1e21 && prec <= 100) return f.toFixed(prec);
  const int = BigInt(Math.trunc(f)).toString();
  return prec > 0 ? `${int}.${'0'.repeat(prec)}` : int;
}

/** Go's strconv 'g' formatting (prec < 0 = shortest). */
export function formatG(f: number, prec: number, upper = false): string {
  if (f === 0) return '0';
  let { digits, dp } = prec < 0 ? shortestDigits(f) : roundedDigits(f, prec === 0 ? 1 : prec);
  digits = digits.replace(/0+$/, '') || '0';
  let p = prec < 0 ? digits.length : prec === 0 ? 1 : prec;
  let eprec = p;
  if (eprec > digits.length && digits.length >= dp) eprec = digits.length;
  if (prec < 0) eprec = 6;
  const exp = dp - 1;
  if (exp < -4 || exp >= eprec) {
    if (p > digits.length) p = digits.length;
    return fmtE(digits, dp, p - 1, upper);
  }
  if (p > dp) p = digits.length;
  return fmtFFromDigits(digits, dp, Math.max(p - dp, 0));
}

function floatText(f: number, verb: string, spec: Spec): string {
  const neg = f < 0 || Object.is(f, -0);
  const a = Math.abs(f);
  let body: string;
  if (!Number.isFinite(a)) body = 'Inf';
  else if (verb === 'f' || verb === 'F') body = fixed(a, spec.prec ?? 6);
  else if (verb === 'e' || verb === 'E') {
    const p = spec.prec ?? 6;
    const { digits, dp } = roundedDigits(a, p + 1);
    body = a === 0 ? fmtE('0', 1, p, verb === 'E') : fmtE(digits, dp, p, verb === 'E');
  } else body = formatG(a, spec.prec ?? -1, verb === 'G');
  return sign(neg, spec) + body;
}

function sign(neg: boolean, spec: Spec): string {
  return neg ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
}

function intText(v: bigint, verb: string, spec: Spec): string | undefined {
  const neg = v < 0n;
  const a = neg ? -v : v;
  let body: string;
  let prefix = '';
  switch (verb) {
    case 'd':
    case 'v':
    case 's':
      body = a.toString();
      break;
    case 'x':
      body = a.toString(16);
      if (spec.sharp) prefix = '0x';
      break;
    case 'X':
      body = a.toString(16).toUpperCase();
      if (spec.sharp) prefix = '0X';
      break;
    case 'o':
      body = a.toString(8);
      if (spec.sharp) prefix = '0';
      break;
    case 'O':
      body = a.toString(8);
      prefix = '0o';
      break;
    case 'b':
      body = a.toString(2);
      break;
    default:
      return undefined;
  }
  if (spec.prec !== undefined) body = body.padStart(spec.prec, '0');
  return sign(neg, spec) + prefix + body;
}

/** Go's strconv.Quote. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c === 12) out += '\\f';
    else if (c === 10) out += '\\n';
    else if (c === 13) out += '\\r';
    else if (c === 9) out += '\\t';
    else if (c === 11) out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c >= 0x80 && c < 0xa0) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function hexOfString(s: string, upper: boolean, spec: Spec): string {
  const hex = Buffer.from(s, 'utf8').toString('hex');
  const h = upper ? hex.toUpperCase() : hex;
  if (!spec.sharp) return h;
  return h.replace(/(..)/g, upper ? '0X$1' : '0x$1');
}

function pad(s: string, spec: Spec, numeric: boolean): string {
  const w = spec.width;
  const len = [...s].length;
  if (w === undefined || len >= w) return s;
  if (spec.minus) return s + ' '.repeat(w - len);
  if (spec.zero && numeric) {
    const m = /^[+\- ]?(0[xXob])?/.exec(s) as RegExpExecArray;
    return m[0] + '0'.repeat(w - len) + s.slice(m[0].length);
  }
  return ' '.repeat(w - len) + s;
}

function badVerb(verb: string, a: GoArg): string {
  if (a.kind === 'nil') return `%!${verb}(<nil>)`;
  return `%!${verb}(${goTypeName(a)}=${shownValue(a)})`;
}

function formatOne(verb: string, a: GoArg, spec: Spec): string {
  switch (a.kind) {
    case 'int':
    case 'bigint': {
      if (verb === 'c' && a.kind === 'int') return pad(String.fromCodePoint(Number(a.value)), spec, false);
      if (verb === 'q' && a.kind === 'int') return pad(`'${String.fromCodePoint(Number(a.value))}'`, spec, false);
      if (verb === 's' && a.kind === 'int') return badVerb(verb, a);
      const t = intText(a.value, verb, spec);
      return t === undefined ? badVerb(verb, a) : pad(t, spec, true);
    }
    case 'float':
      if ('eEfFgGv'.includes(verb)) return pad(floatText(a.value, verb, spec), spec, true);
      return badVerb(verb, a);
    case 'string': {
      let s = a.value;
      if (verb === 's' || verb === 'v') {
        if (spec.prec !== undefined) s = [...s].slice(0, spec.prec).join('');
        return pad(s, spec, false);
      }
      if (verb === 'q') return pad(goQuote(spec.prec !== undefined ? [...s].slice(0, spec.prec).join('') : s), spec, false);
      if (verb === 'x' || verb === 'X') return pad(hexOfString(s, verb === 'X', spec), spec, false);
      return badVerb(verb, a);
    }
    case 'bool':
      return verb === 't' || verb === 'v' ? pad(String(a.value), spec, false) : badVerb(verb, a);
    case 'nil':
      return verb === 'v' ? pad('<nil>', spec, false) : badVerb(verb, a);
  }
}

/** fmt.Sprintf(format, args...) with Go's output for bad verbs, missing and extra arguments. */
export function goSprintf(format: string, args: readonly GoArg[]): string {
  let out = '';
  let argi = 0;
  let i = 0;
  const n = format.length;
  while (i < n) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const spec: Spec = { minus: false, plus: false, sharp: false, zero: false, space: false };
    for (; i < n; i++) {
      const c = format[i];
      if (c === '-') spec.minus = true;
      else if (c === '+') spec.plus = true;
      else if (c === '#') spec.sharp = true;
      else if (c === '0') spec.zero = true;
      else if (c === ' ') spec.space = true;
      else break;
    }
    const readNum = (): number | undefined => {
      if (format[i] === '*') {
        i++;
        const a = args[argi++];
        return a && a.kind === 'int' ? Number(a.value) : undefined;
      }
      const m = /^\d+/.exec(format.slice(i, i + 10));
      if (!m) return undefined;
      i += m[0].length;
      return Number(m[0]);
    };
    spec.width = readNum();
    if (spec.width !== undefined && spec.width < 0) {
      spec.minus = true;
      spec.width = -spec.width;
    }
    if (format[i] === '.') {
      i++;
      spec.prec = readNum() ?? 0;
    }
    if (i >= n) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i) as number);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    const a = args[argi++];
    if (a === undefined) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatOne(verb, a, spec);
  }
  if (argi < args.length) {
    const extra = args.slice(argi).map((a) => (a.kind === 'nil' ? '<nil>' : `${goTypeName(a)}=${shownValue(a)}`));
    out += `%!(EXTRA ${extra.join(', ')})`;
  }
  return out;
}
