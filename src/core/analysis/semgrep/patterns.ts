// Semgrep pattern text → ast-grep pattern text: ellipses, metavariable spellings, string
// ellipses, argument-list variants and statement sequences. Hand-written because no library
// converts between the two pattern languages; it works on the pattern's text with a small
// string-aware scanner rather than a parser, so it stays language-agnostic across grammars.

/** How a language's source is split into statements. */
export type StatementStyle = 'indent' | 'brace' | 'none';

export interface PatternLanguage {
  /** ast-grep's language name. */
  name: string;
  statements: StatementStyle;
  /** Opening delimiters of string literals, longest first. */
  quotes: readonly string[];
  /** A Rust-regex the text of a string literal (quotes included) must match: semgrep's `"..."`. */
  stringLiteral: string;
  /** Finds typed-metavariable syntax (semgrep type inference has no ast-grep equivalent). */
  typedMetavariable?: (code: string) => boolean;
  /** Drop one trailing `;` from a statement pattern (JS family: a statement pattern matches the expression too). */
  stripSemicolon: boolean;
}

/** One piece of pattern text: code, or a whole string literal (quotes included). */
interface Segment {
  kind: 'code' | 'string';
  text: string;
}

/** Splits text into code and string-literal segments; an unterminated string runs to the end. */
export function segments(text: string, quotes: readonly string[]): Segment[] {
  const out: Segment[] = [];
  let code = '';
  let i = 0;
  while (i < text.length) {
    const q = quotes.find((d) => text.startsWith(d, i));
    if (!q) {
      code += text[i];
      i++;
      continue;
    }
    if (code) out.push({ kind: 'code', text: code });
    code = '';
    let j = i + q.length;
    while (j < text.length && !text.startsWith(q, j)) {
      if (text[j] === '\\') j++;
      if (q.length === 1 && q !== '`' && text[j] === '\n') break;
      j++;
    }
    j = Math.min(text.length, j + q.length);
    out.push({ kind: 'string', text: text.slice(i, j) });
    i = j;
  }
  if (code) out.push({ kind: 'code', text: code });
  return out;
}

export interface RewriteResult {
  text: string;
  /** Metavariable (without `$`) → Rust regex its node's text must match (string ellipses). */
  stringConstraints: Record<string, string>;
  /** Semgrep constructs with no ast-grep equivalent found in the text. */
  unsupported: string[];
  /** Approximations the rewrite made, for the rule's note and the docs. */
  approximations: string[];
}

const METAVAR_UNDERSCORE = /\$_([A-Z0-9_]+)\b/g;

/**
 * Rewrites one semgrep pattern to ast-grep syntax: `...` → `$$$`, `$...X` → `$$$X`, a named
 * `$_X` (a unifying metavariable in semgrep, non-capturing in ast-grep) → `$WARDEN_U_X`, and a
 * whole `"..."` string → a fresh metavariable constrained to string literals. `counter` numbers
 * the fresh metavariables across a rule.
 */
export function rewritePattern(src: string, lang: PatternLanguage, counter: { n: number }): RewriteResult {
  const unsupported: string[] = [];
  const approximations: string[] = [];
  const stringConstraints: Record<string, string> = {};
  const text = src.replace(/\s+$/, '').replace(/^\s*\n/, '');

  const codeOnly = segments(text, lang.quotes)
    .map((s) => (s.kind === 'code' ? s.text : '""'))
    .join('');
  if (/<\.\.\.[\s\S]*?\.\.\.>/.test(codeOnly)) unsupported.push('deep expression operator <... e ...>');
  if (/\.\s*\.\.\.\s*\./.test(codeOnly)) unsupported.push('method-chain ellipsis (. ... .)');
  if (lang.typedMetavariable?.(codeOnly)) unsupported.push('typed metavariable');

  let out = '';
  for (const seg of segments(text, lang.quotes)) {
    if (seg.kind === 'string') {
      const body = stringBody(seg.text, lang.quotes);
      if (body === '...') {
        const name = `WARDEN_STR_${++counter.n}`;
        stringConstraints[name] = lang.stringLiteral;
        out += `$${name}`;
        if (!approximations.includes('string ellipsis "..."')) approximations.push('string ellipsis "..."');
        continue;
      }
      if (body !== undefined && body.startsWith('=~/')) unsupported.push('deprecated string regex "=~/.../"');
      out += seg.text.replace(METAVAR_UNDERSCORE, (_m, n: string) => `$WARDEN_U_${n}`);
      continue;
    }
    let code = seg.text;
    code = code.replace(/\$\.\.\.([A-Z_][A-Z0-9_]*)/g, (_m, n: string) => `$$$${n.startsWith('_') && n.length > 1 ? `WARDEN_U${n}` : n}`);
    // `...` directly followed by an identifier is a JS spread, not an ellipsis.
    code = code.replace(/\.\.\.(?![A-Za-z_$.])/g, '$$$$$$');
    code = code.replace(METAVAR_UNDERSCORE, (_m, n: string) => `$WARDEN_U_${n}`);
    out += code;
  }
  return { text: out, stringConstraints, unsupported, approximations };
}

function stringBody(lit: string, quotes: readonly string[]): string | undefined {
  const q = quotes.find((d) => lit.startsWith(d));
  if (!q || lit.length < 2 * q.length || !lit.endsWith(q)) return undefined;
  return lit.slice(q.length, lit.length - q.length);
}

/** Renames semgrep metavariables in free text (message, fix) the way `rewritePattern` does. */
export function rewriteMetavariablesInText(text: string): string {
  return text
    .replace(/\$\.\.\.([A-Z_][A-Z0-9_]*)/g, (_m, n: string) => `$$$${n.startsWith('_') && n.length > 1 ? `WARDEN_U${n}` : n}`)
    .replace(METAVAR_UNDERSCORE, (_m, n: string) => `$WARDEN_U_${n}`);
}

/** Names (without `$`) of the single-node metavariables a rewritten pattern binds; `$_` excluded. */
export function metavariablesOf(astGrepPattern: string): string[] {
  const names = new Set<string>();
  for (const m of astGrepPattern.matchAll(/(?<!\$)\$([A-Z][A-Z0-9_]*|_[A-Z0-9_]+)/g)) names.add(m[1]);
  for (const m of astGrepPattern.matchAll(/\$\$\$([A-Z_][A-Z0-9_]*)/g)) names.add(m[1]);
  return [...names];
}

/** Names (without `$`) of the `$$$X` multi-node metavariables a rewritten pattern binds. */
export function multiMetavariablesOf(astGrepPattern: string): string[] {
  return [...new Set([...astGrepPattern.matchAll(/\$\$\$([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]))];
}

/** At most this many `, $$$` sites are expanded (2^n variants). */
export const MAX_ELLIPSIS_VARIANTS = 5;

/**
 * ast-grep's default (smart) strictness needs the comma before a trailing `$$$` to be present,
 * so `foo(1, $$$)` misses `foo(1)` while semgrep's `foo(1, ...)` matches it. Every `, $$$` site
 * is therefore expanded into "present" and "dropped" variants. Returns undefined past the cap.
 */
export function commaEllipsisVariants(pattern: string): string[] | undefined {
  const re = /,\s*\$\$\$(?:[A-Z_][A-Z0-9_]*)?(?=\s*[,)\]}])/g;
  const sites = [...pattern.matchAll(re)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
  if (sites.length === 0) return [pattern];
  if (sites.length > MAX_ELLIPSIS_VARIANTS) return undefined;
  const variants: string[] = [];
  for (let mask = 0; mask < 1 << sites.length; mask++) {
    let s = '';
    let last = 0;
    sites.forEach((site, k) => {
      s += pattern.slice(last, site.start);
      if (!(mask & (1 << k))) s += pattern.slice(site.start, site.end);
      last = site.end;
    });
    variants.push(s + pattern.slice(last));
  }
  return variants;
}

/** A statement of a sequence pattern, and whether an ellipsis separates it from the previous one. */
export interface SequenceItem {
  text: string;
  afterEllipsis: boolean;
}

export interface Sequence {
  items: SequenceItem[];
  /** The sequence starts / ends with an ellipsis statement. */
  leadingEllipsis: boolean;
  trailingEllipsis: boolean;
}

/**
 * Splits a rewritten pattern into its top-level statements. A statement that is only `$$$` is
 * an ellipsis between its neighbours. One statement and no ellipsis is not a sequence.
 */
export function splitStatements(text: string, lang: PatternLanguage): Sequence {
  const raw =
    lang.statements === 'indent' ? splitIndent(text, lang) : lang.statements === 'brace' ? splitBrace(text, lang) : [text];
  const items: SequenceItem[] = [];
  let leadingEllipsis = false;
  let trailingEllipsis = false;
  let pendingEllipsis = false;
  for (const stmt of raw.map((s) => s.trim()).filter((s) => s !== '')) {
    if (/^\$\$\$;?$/.test(stmt)) {
      if (items.length === 0) leadingEllipsis = true;
      pendingEllipsis = true;
      continue;
    }
    let t = stmt;
    if (lang.stripSemicolon) t = t.replace(/;\s*$/, '');
    items.push({ text: t, afterEllipsis: pendingEllipsis });
    pendingEllipsis = false;
  }
  if (pendingEllipsis && items.length > 0) trailingEllipsis = true;
  return { items, leadingEllipsis, trailingEllipsis };
}

const CONTINUATION_WORDS = /^(else|elif|except|finally|catch)\b/;

function splitBrace(text: string, lang: PatternLanguage): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  const segs = segments(text, lang.quotes);
  for (let si = 0; si < segs.length; si++) {
    const seg = segs[si];
    if (seg.kind === 'string') {
      cur += seg.text;
      continue;
    }
    const t = seg.text;
    for (let i = 0; i < t.length; i++) {
      const ch = t[i];
      if ('([{'.includes(ch)) depth++;
      else if (')]}'.includes(ch)) depth = Math.max(0, depth - 1);
      if (depth === 0 && ch === ';') {
        out.push(cur + ';');
        cur = '';
        continue;
      }
      if (depth === 0 && ch === '\n') {
        const rest = t.slice(i + 1) + segs.slice(si + 1).map((s) => s.text).join('');
        if (cur.trim() !== '' && braceStatementEnds(cur, rest)) {
          out.push(cur);
          cur = '';
          continue;
        }
      }
      cur += ch;
    }
  }
  if (cur.trim() !== '') out.push(cur);
  return out;
}

function braceStatementEnds(cur: string, rest: string): boolean {
  const before = cur.trimEnd();
  if (/(=>|[=+\-*/%&|^!<>?:,.([{])$/.test(before) && !/\$\$\$$/.test(before)) return false;
  const next = rest.trimStart();
  if (next === '') return true;
  if (/^([.?:)\]},]|&&|\|\||[+\-*/%&|^=<>](?!\$))/.test(next)) return false;
  if (CONTINUATION_WORDS.test(next)) return false;
  return true;
}

function splitIndent(text: string, lang: PatternLanguage): string[] {
  const lines = text.split('\n');
  const indents = lines.filter((l) => l.trim() !== '').map((l) => /^[ \t]*/.exec(l)![0].length);
  const base = indents.length ? Math.min(...indents) : 0;
  // Bracket depth and open multi-line strings at each line start, from one pass over the segments.
  const depthAtLine: number[] = [];
  let depth = 0;
  let line = 0;
  depthAtLine[0] = 0;
  for (const seg of segments(text, lang.quotes)) {
    for (const ch of seg.text) {
      if (seg.kind === 'code') {
        if ('([{'.includes(ch)) depth++;
        else if (')]}'.includes(ch)) depth = Math.max(0, depth - 1);
      }
      if (ch === '\n') {
        line++;
        // A newline inside a string literal continues the statement like an open bracket does.
        depthAtLine[line] = depth + (seg.kind === 'string' ? 1 : 0);
      }
    }
  }
  const out: string[] = [];
  let cur: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    const startsStatement =
      i > 0 &&
      l.trim() !== '' &&
      (depthAtLine[i] ?? 0) === 0 &&
      /^[ \t]*/.exec(l)![0].length === base &&
      !CONTINUATION_WORDS.test(l.trim()) &&
      !/\\\s*$/.test(lines[i - 1]) &&
      !cur.every((c) => c.trim() === '' || c.trim().startsWith('@'));
    if (startsStatement) {
      out.push(cur.join('\n'));
      cur = [];
    }
    cur.push(l);
  }
  if (cur.length) out.push(cur.join('\n'));
  return out;
}
