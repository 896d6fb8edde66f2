// Secret scanning of a whole file for `warden scan`: the same secret detectors the proxy runs,
// with each finding located by 1-based line and column. Only offsets and types leave this module.
import { collectFindings } from './collect.js';
import { detectorsOf } from './registry.js';
import type { LocatedFinding } from './types.js';

export interface ScanSecretsOptions {
  /** Scan at most this many characters (the file's head); default: the whole text. */
  maxChars?: number;
}

/** Offsets of line starts, for binary-search location of findings. */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function locate(starts: readonly number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] as number) <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - (starts[lo] as number) + 1 };
}

/** Secret findings in a file's text, in file order; end positions are exclusive (column after the value). */
export function scanSecrets(text: string, opts: ScanSecretsOptions = {}): LocatedFinding[] {
  const limit = opts.maxChars === undefined ? text.length : Math.max(0, Math.floor(opts.maxChars));
  const scanned = text.length > limit ? text.slice(0, limit) : text;
  const { secrets } = collectFindings(scanned, detectorsOf('secret'));
  if (secrets.length === 0) return [];
  const starts = lineStarts(scanned);
  return secrets.map((f) => {
    const a = locate(starts, f.start);
    const b = locate(starts, f.end);
    return { ...f, line: a.line, column: a.column, endLine: b.line, endColumn: b.column };
  });
}
