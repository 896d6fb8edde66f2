// The filter modes of `warden ci` (added, diff_context, file, nofilter): which findings of a scan
// count for the request, and which of those can be shown on a line of its diff.
import type { Finding } from '../analysis/types.js';
import { lineInDiff } from './pr-diff.js';
import type { DiffInfo, FileChange, FilterMode } from './types.js';

/**
 * Which of `findings` the filter mode keeps, and of those which can be placed on a diff line.
 * added: touches an added line; diff_context: touches a line the diff shows; file: in a changed
 * file; nofilter: all. A kept finding is placed inline when some line of its range is shown in the
 * diff: its range is narrowed to the run of shown lines around the first one, so a review comment
 * never lands on a line the API would refuse.
 */
export function filterFindings(findings: readonly Finding[], diff: DiffInfo, mode: FilterMode): { kept: Finding[]; inline: Finding[]; outside: Finding[] } {
  const kept: Finding[] = [];
  const inline: Finding[] = [];
  const outside: Finding[] = [];
  for (const f of findings) {
    const file = diff.files.get(f.path);
    const from = f.start.line;
    const to = Math.max(f.start.line, f.end.line);
    let touchesAdded = false;
    let firstShown: number | undefined;
    if (file) {
      for (let n = from; n <= to; n++) {
        if (file.added.has(n)) touchesAdded = true;
        if (firstShown === undefined && lineInDiff(file, n)) firstShown = n;
        if (touchesAdded && firstShown !== undefined) break;
      }
    }
    const keep = mode === 'nofilter' || (file !== undefined && (mode === 'file' || (mode === 'added' ? touchesAdded : firstShown !== undefined)));
    if (!keep) continue;
    kept.push(f);
    if (file && firstShown !== undefined) inline.push(narrow(f, file, firstShown, to));
    else outside.push(f);
  }
  return { kept, inline, outside };
}

function narrow(f: Finding, file: FileChange, first: number, to: number): Finding {
  let last = first;
  while (last + 1 <= to && lineInDiff(file, last + 1)) last++;
  if (first === f.start.line && last === Math.max(f.start.line, f.end.line)) return f;
  return {
    ...f,
    start: first === f.start.line ? f.start : { line: first, column: 1 },
    end: last === f.end.line ? f.end : { line: last, column: 1 },
  };
}

