// Source locations for Rego AST nodes, the coded `rego_parse_error` the front end throws, and the
// caret snippet of the offending line that parse, compile and eval errors carry in their hint.
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

/**
 * `err` with a caret snippet in its hint, taken from the source text of its location's file;
 * unchanged when it already has a hint, has no line, or its file's text is unknown.
 */
export function withSnippet(err: WardenError, sources: ReadonlyMap<string, string>): WardenError {
  const loc = err.location;
  if (err.hint !== undefined || !loc?.line) return err;
  const text = sources.get(loc.file);
  if (text === undefined) return err;
  return new WardenError(err.code, err.message, {
    location: loc,
    hint: `\n${caretSnippet(text, loc.line, loc.col ?? 1)}`,
    exitCode: err.exitCode,
    ...(err.cause === undefined ? {} : { cause: err.cause }),
  });
}
