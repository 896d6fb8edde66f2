// Tokenizer for Rego source. Keywords are not decided here: which identifiers are keywords depends
// on the Rego version and future imports, so the parser classifies `ident` tokens itself.
import { regoParseError, type Location } from './location.js';

export type TokenKind =
  | 'ident'
  | 'number'
  | 'string'
  | 'rawstring'
  | 'punct'
  | 'eof';

export interface Token {
  kind: TokenKind;
  /** The source text of the token (for strings, including quotes). */
  text: string;
  /** Decoded value of a string token. */
  value?: string;
  line: number;
  col: number;
  offset: number;
  end: number;
  /** Whitespace or a comment separates this token from the previous one. */
  wsBefore: boolean;
  /** A newline (possibly inside a comment run) separates this token from the previous one. */
  nlBefore: boolean;
}

export interface LexComment {
  text: string;
  line: number;
  col: number;
}

export interface LexResult {
  tokens: Token[];
  comments: LexComment[];
}

const PUNCT2 = [':=', '==', '!=', '<=', '>='];
const PUNCT1 = '{}[]().,;:|&+-*/%=<>';

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}
function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

/** Tokenizes `text`; throws `rego_parse_error` on an unterminated string or a stray character. */
export function lex(text: string, file: string): LexResult {
  const tokens: Token[] = [];
  const comments: LexComment[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  let ws = false;
  let nl = false;
  const n = text.length;
  const loc = (off: number): Location => ({ file, line, col: off - lineStart + 1 });
  const fail = (msg: string, l: Location): never => {
    throw regoParseError(msg, l, text);
  };
  const push = (kind: TokenKind, start: number, startLine: number, startCol: number, value?: string) => {
    // One object shape for every token (no conditional spread): the parser's hot loop stays monomorphic.
    tokens.push({
      kind,
      text: text.slice(start, i),
      value,
      line: startLine,
      col: startCol,
      offset: start,
      end: i,
      wsBefore: ws,
      nlBefore: nl,
    });
    ws = false;
    nl = false;
  };

  while (i < n) {
    const c = text[i];
    if (c === '\n') {
      i++;
      line++;
      lineStart = i;
      ws = true;
      nl = true;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      ws = true;
      continue;
    }
    if (c === '#') {
      const start = i;
      while (i < n && text[i] !== '\n') i++;
      comments.push({ text: text.slice(start + 1, i).replace(/\r$/, ''), line, col: start - lineStart + 1 });
      ws = true;
      continue;
    }
    const start = i;
    const startLine = line;
    const startCol = i - lineStart + 1;
    if (isIdentStart(c)) {
      i++;
      while (i < n && (isIdentStart(text[i]) || isDigit(text[i]))) i++;
      push('ident', start, startLine, startCol);
      continue;
    }
    if (isDigit(c)) {
      // OPA's scanner: digits, an optional fraction, an optional exponent. Sign and a leading
      // `.` are separate tokens the parser folds into the literal.
      while (i < n && isDigit(text[i])) i++;
      if (text[i] === '.' && isDigit(text[i + 1] ?? '')) {
        i++;
        while (i < n && isDigit(text[i])) i++;
      }
      if (text[i] === 'e' || text[i] === 'E') {
        let j = i + 1;
        if (text[j] === '+' || text[j] === '-') j++;
        if (isDigit(text[j] ?? '')) {
          i = j;
          while (i < n && isDigit(text[i])) i++;
        }
      }
      if (i < n && isIdentStart(text[i])) fail(`illegal number format`, loc(start));
      push('number', start, startLine, startCol);
      continue;
    }
    if (c === '"') {
      i++;
      let closed = false;
      while (i < n) {
        const d = text[i];
        if (d === '\\') {
          i += 2;
          continue;
        }
        if (d === '\n') break;
        i++;
        if (d === '"') {
          closed = true;
          break;
        }
      }
      if (!closed || i > n) fail('non-terminated string', { file, line: startLine, col: startCol });
      const lit = text.slice(start, i);
      // Like OPA: only literals with an escape go through JSON decoding.
      let value = lit.slice(1, -1);
      if (value.includes('\\')) {
        try {
          value = JSON.parse(lit) as string;
        } catch {
          return fail(`illegal string literal: ${lit}`, { file, line: startLine, col: startCol });
        }
      }
      push('string', start, startLine, startCol, value);
      continue;
    }
    if (c === '`') {
      i++;
      while (i < n && text[i] !== '`') {
        if (text[i] === '\n') {
          line++;
          lineStart = i + 1;
        }
        i++;
      }
      if (i >= n) fail('non-terminated raw string', { file, line: startLine, col: startCol });
      i++;
      push('rawstring', start, startLine, startCol, text.slice(start + 1, i - 1));
      continue;
    }
    const two = text.slice(i, i + 2);
    if (PUNCT2.includes(two)) {
      i += 2;
      push('punct', start, startLine, startCol);
      continue;
    }
    if (PUNCT1.includes(c)) {
      i++;
      push('punct', start, startLine, startCol);
      continue;
    }
    fail(`illegal token: unexpected character ${JSON.stringify(c)}`, loc(start));
  }
  tokens.push({
    kind: 'eof',
    text: '',
    value: undefined,
    line,
    col: i - lineStart + 1,
    offset: i,
    end: i,
    wsBefore: ws,
    nlBefore: nl,
  });
  return { tokens, comments };
}
