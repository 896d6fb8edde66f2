// `policy fmt` logic: canonical formatting of `.rego` files (the engine's formatModule, which is
// idempotent), in-place rewrites that are atomic (temp file + rename in the same directory), and a
// unified diff of what would change. Parse errors are collected per file, not thrown.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { WardenError } from '../errors.js';
import type { RegoVersionMode } from './rego/ast.js';
import { formatModule } from './rego/format.js';

export interface FormattedFile {
  file: string;
  /** The formatted text differs from the file. */
  changed: boolean;
  original: string;
  /** Absent when the file did not parse. */
  formatted?: string;
  error?: WardenError;
}

export interface FormatOptions {
  /** How modules are parsed ('v0' for --v0-compatible, default 'auto'); output is always v1. */
  regoVersion?: RegoVersionMode;
}

/** Formats each file's text (read from disk); a file that does not parse carries its coded error. */
export function formatPolicyFiles(files: readonly string[], opts: FormatOptions = {}): FormattedFile[] {
  return files.map((file) => {
    let original: string;
    try {
      original = fs.readFileSync(file, 'utf8');
    } catch (e) {
      return { file, changed: false, original: '', error: new WardenError('path_not_found', `${file}: ${(e as Error).message}`) };
    }
    try {
      const formatted = formatModule(original, { file, regoVersion: opts.regoVersion ?? 'auto' });
      return { file, changed: formatted !== original, original, formatted };
    } catch (e) {
      if (e instanceof WardenError) return { file, changed: false, original, error: e };
      throw e;
    }
  });
}

/** Replaces `file` with `text` atomically, keeping its permission bits. */
export function writeFileAtomic(file: string, text: string): void {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  let mode: number | undefined;
  try {
    mode = fs.statSync(file).mode & 0o7777;
  } catch {
    mode = undefined;
  }
  try {
    fs.writeFileSync(tmp, text, mode === undefined ? undefined : { mode });
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw new WardenError('file_write_failed', `cannot write ${file}: ${(e as Error).message}`);
  }
}

type Op = { kind: ' ' | '-' | '+'; line: string };

/** Line edit script by LCS; common prefix and suffix are trimmed first, so typical fmt diffs stay cheap. */
function diffLines(a: string[], b: string[]): Op[] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  const mid: Op[] = [];
  if (am.length * bm.length > 4_000_000) {
    // Too large for the table: show the changed region as a block replacement.
    for (const l of am) mid.push({ kind: '-', line: l });
    for (const l of bm) mid.push({ kind: '+', line: l });
  } else {
    const n = am.length;
    const m = bm.length;
    const t: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) t[i][j] = am[i] === bm[j] ? t[i + 1][j + 1] + 1 : Math.max(t[i + 1][j], t[i][j + 1]);
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && am[i] === bm[j]) {
        mid.push({ kind: ' ', line: am[i++] });
        j++;
      } else if (i < n && (j >= m || t[i + 1][j] >= t[i][j + 1])) mid.push({ kind: '-', line: am[i++] });
      else mid.push({ kind: '+', line: bm[j++] });
    }
  }
  return [
    ...a.slice(0, pre).map((line) => ({ kind: ' ' as const, line })),
    ...mid,
    ...a.slice(a.length - suf).map((line) => ({ kind: ' ' as const, line })),
  ];
}

/** A unified diff (3 lines of context) from `before` to `after`; empty when they are equal. */
export function unifiedDiff(file: string, before: string, after: string): string {
  if (before === after) return '';
  const split = (s: string): string[] => {
    const lines = s.split('\n');
    if (lines[lines.length - 1] === '') lines.pop();
    return lines;
  };
  const ops = diffLines(split(before), split(after));
  const CONTEXT = 3;
  const out = [`--- ${file}`, `+++ ${file} (formatted)`];
  const changed = ops.map((o, i) => (o.kind === ' ' ? -1 : i)).filter((i) => i >= 0);
  let k = 0;
  while (k < changed.length) {
    const start = Math.max(0, changed[k] - CONTEXT);
    let end = Math.min(ops.length, changed[k] + CONTEXT + 1);
    while (k + 1 < changed.length && changed[k + 1] - CONTEXT <= end) {
      k++;
      end = Math.min(ops.length, changed[k] + CONTEXT + 1);
    }
    k++;
    // Line numbers of the hunk's first line in each side.
    let aLine = 1;
    let bLine = 1;
    for (let i = 0; i < start; i++) {
      if (ops[i].kind !== '+') aLine++;
      if (ops[i].kind !== '-') bLine++;
    }
    const hunk = ops.slice(start, end);
    const aCount = hunk.filter((o) => o.kind !== '+').length;
    const bCount = hunk.filter((o) => o.kind !== '-').length;
    out.push(`@@ -${aCount === 0 ? aLine - 1 : aLine},${aCount} +${bCount === 0 ? bLine - 1 : bLine},${bCount} @@`);
    for (const o of hunk) out.push(`${o.kind}${o.line}`);
  }
  return out.join('\n');
}
