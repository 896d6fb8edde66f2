// Source locations for Rego AST nodes and the coded `rego_parse_error` the front end throws,
// with a caret snippet of the offending line in the hint.
import { WardenError } from '../../errors.js';

/** Where a node starts: 1-based line and column (columns count UTF-16 code units). */
export interface Location {
  file: string;
  line: number;
  col: number;
}

export const REGO_PARSE_ERROR = 'rego_parse_error';

/** The source line at `line` with a caret under `col`, tabs kept so the caret lines up. */
export function caretSnippet(text: string, line: number, col: number): string {
  const lines = text.split('\n');
  const src = (lines[line - 1] ?? '').replace(/\r$/, '');
  const pad = src.slice(0, Math.max(0, col - 1)).replace(/[^\t]/g, ' ');
  return `${src}\n${pad}^`;
}

/** A `rego_parse_error` located at `loc`; the hint carries the caret snippet. */
export function regoParseError(message: string, loc: Location, text: string): WardenError {
  return new WardenError(REGO_PARSE_ERROR, message, {
    location: { file: loc.file, line: loc.line, col: loc.col },
    hint: `\n${caretSnippet(text, loc.line, loc.col)}`,
  });
}
