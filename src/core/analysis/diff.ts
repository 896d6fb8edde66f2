// Diff-aware scanning (`warden scan --diff REF`): which lines of which files were added or changed
// since the merge base of HEAD and REF, and the filter that keeps only findings touching them.
//
// Decisions, each for a reason:
// - The comparison is merge base → working tree (committed, staged and unstaged changes), plus
//   untracked files that are not ignored (every line counts as added). The scanner reads the working
//   tree, so finding line numbers are working-tree line numbers and only this diff lines up with them;
//   in CI the working tree is HEAD, so it is the same as merge base → HEAD.
// - Only added lines count (hunks' "+" side, -U0). A pure deletion marks nothing: there is no line
//   left to carry a finding.
// - Renames are detected (-M): a moved file contributes only the lines changed in the move, under its
//   new path, instead of counting as entirely new.
// - Paths are keyed relative to `root` (the scan root) with forward slashes, like Finding.path; files
//   outside `root` are dropped.
// Git is run through simple-git with the user's diff settings that change the patch text overridden
// (prefixes, external diff, textconv, colour, path quoting), and the patch is parsed hunk by hunk
// using the counts in each @@ header, so a content line such as "+++ x" is never taken for a header.
import fs from 'node:fs';
import path from 'node:path';
import { type SimpleGit, simpleGit } from 'simple-git';
import { WardenError } from '../errors.js';
import type { Finding } from './types.js';

/** An untracked file larger than this is not read to count its lines (the scan skips it anyway). */
const MAX_UNTRACKED_BYTES = 16 * 1024 * 1024;
/** Abort a git command that prints nothing for this long. */
const GIT_IDLE_TIMEOUT_MS = 120_000;

export type ChangedLines = Map<string, Set<number>>;

/** simple-git for `dir` with the patch-shaping settings overridden and any non-zero exit an error. */
export function gitFor(dir: string): SimpleGit {
  return simpleGit({
    baseDir: dir,
    trimmed: false,
    timeout: { block: GIT_IDLE_TIMEOUT_MS },
    // simple-git only fails a command that exits non-zero *and* writes to stderr; `rev-parse --quiet`
    // and `merge-base` fail silently, so any non-zero exit is an error here.
    errors: (error, result) => {
      if (error || result.exitCode === 0) return error;
      return Buffer.concat([...result.stdErr, ...result.stdOut]);
    },
    // Settings that would change the patch text we parse; everything else stays the user's.
    config: ['core.quotePath=false', 'diff.noprefix=false', 'diff.mnemonicPrefix=false', 'color.ui=false'],
  });
}

/** The first meaningful line of a git failure. */
export function gitMessage(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.split('\n').map((l) => l.trim()).filter(Boolean)[0] ?? msg;
}

export function isGitMissing(e: unknown): boolean {
  const msg = e instanceof Error ? e.message : String(e);
  return /ENOENT|spawn git/i.test(msg);
}

/** Undoes git's C-style quoting of a path ("a\tb", octal escapes for bytes, \" and \\). */
export function unquoteGitPath(s: string): string {
  if (!(s.length >= 2 && s.startsWith('"') && s.endsWith('"'))) return s;
  const body = s.slice(1, -1);
  const bytes: number[] = [];
  const simple: Record<string, number> = { a: 7, b: 8, t: 9, n: 10, v: 11, f: 12, r: 13, '"': 34, '\\': 92 };
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\' && i + 1 < body.length) {
      const n = body[i + 1];
      if (/[0-7]/.test(n)) {
        const oct = /^[0-7]{1,3}/.exec(body.slice(i + 1))![0];
        bytes.push(parseInt(oct, 8));
        i += oct.length;
        continue;
      }
      if (n in simple) {
        bytes.push(simple[n]);
        i++;
        continue;
      }
    }
    bytes.push(...Buffer.from(c, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** One file of a parsed unified diff, head ("new") side. Line numbers are 1-based. */
export interface PatchFile {
  /** New path as printed, "b/" prefix removed. */
  path: string;
  /** Old path ("a/" removed); equal to `path` unless renamed; undefined for an added file. */
  oldPath?: string;
  /** New lines the hunks add ('+' lines). */
  added: Set<number>;
  /** New lines shown as unchanged context inside hunks, mapped to their old line number. */
  context: Map<number, number>;
}

/**
 * Every file of a unified diff with its added and context lines. Deleted files and binary files are
 * left out (nothing on the new side to point at). Hunks are walked by the counts in their @@ headers,
 * so a content line such as "+++ x" is never taken for a header.
 */
export function parsePatchFiles(patch: string): PatchFile[] {
  const out: PatchFile[] = [];
  const lines = patch.split('\n');
  let oldPath: string | undefined;
  let current: PatchFile | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith('diff --git ')) {
      current = undefined;
      oldPath = undefined;
    } else if (line.startsWith('--- ')) {
      const source = line.slice(4).replace(/\t$/, '');
      if (source === '/dev/null') oldPath = undefined;
      else {
        const p = unquoteGitPath(source);
        oldPath = p.startsWith('a/') ? p.slice(2) : p;
      }
    } else if (line.startsWith('+++ ')) {
      const target = line.slice(4).replace(/\t$/, '');
      if (target === '/dev/null') {
        current = undefined;
      } else {
        const p = unquoteGitPath(target);
        current = { path: p.startsWith('b/') ? p.slice(2) : p, oldPath, added: new Set(), context: new Map() };
        out.push(current);
      }
    } else if (line.startsWith('@@ ')) {
      const m = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
      if (!m) continue;
      let oldLine = Number(m[1]);
      let oldLeft = m[2] === undefined ? 1 : Number(m[2]);
      let newLine = Number(m[3]);
      let newLeft = m[4] === undefined ? 1 : Number(m[4]);
      // Skip exactly the hunk's body so its content is never read as a header.
      while ((oldLeft > 0 || newLeft > 0) && i + 1 < lines.length) {
        const body = lines[++i];
        if (body.startsWith('\\')) continue; // "\ No newline at end of file"
        if (body.startsWith('-')) {
          oldLeft--;
          oldLine++;
        } else if (body.startsWith('+')) {
          current?.added.add(newLine);
          newLeft--;
          newLine++;
        } else {
          current?.context.set(newLine, oldLine);
          oldLeft--;
          newLeft--;
          oldLine++;
          newLine++;
        }
      }
    }
  }
  return out;
}

/**
 * The new-side lines of a unified diff produced with -U0, by new path (as printed, prefix "b/"
 * removed). Deleted files and binary files contribute nothing.
 */
export function parseUnifiedDiff(patch: string): ChangedLines {
  const out: ChangedLines = new Map();
  for (const f of parsePatchFiles(patch)) {
    if (f.added.size === 0) continue;
    const set = out.get(f.path);
    if (set) for (const n of f.added) set.add(n);
    else out.set(f.path, f.added);
  }
  return out;
}

function countLines(file: string): number | undefined {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(file);
  } catch {
    return undefined;
  }
  if (!st.isFile() || st.size > MAX_UNTRACKED_BYTES) return undefined;
  const buf = fs.readFileSync(file);
  if (buf.length === 0) return 0;
  let n = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  return buf[buf.length - 1] === 10 ? n : n + 1;
}

function toPosix(p: string): string {
  return p.split(path.sep).join('/');
}

/**
 * Lines added or changed in the working tree since the merge base of HEAD and `ref`, plus every
 * line of untracked, not-ignored files; keyed by path relative to `root`. Throws a WardenError
 * (exit 2) when `root` is not in a git repository, `ref` does not name a commit, or HEAD and `ref`
 * share no history (typically a shallow CI clone).
 */
export async function changedLines(root: string, ref: string): Promise<ChangedLines> {
  if (!ref || ref.startsWith('-') || /[\0\n\r]/.test(ref)) {
    throw new WardenError('diff_ref_invalid', `not a usable git ref: ${JSON.stringify(ref)}`, { hint: 'pass a branch, tag or commit, e.g. --diff origin/main' });
  }
  let absRoot: string;
  try {
    absRoot = fs.realpathSync(path.resolve(root));
  } catch (e) {
    throw new WardenError('path_not_found', `scan root not found: ${root}`, { cause: e });
  }

  let top: string;
  try {
    top = (await gitFor(absRoot).raw(['rev-parse', '--show-toplevel'])).trim();
  } catch (e) {
    if (isGitMissing(e)) throw new WardenError('git_not_found', '--diff needs git, and it was not found on PATH', { cause: e });
    throw new WardenError('diff_not_a_repository', `${root} is not inside a git repository (--diff compares against git history)`, { cause: e });
  }
  const topReal = fs.realpathSync(top);
  const git = gitFor(topReal);
  const rootRel = toPosix(path.relative(topReal, absRoot));

  try {
    await git.raw(['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
  } catch (e) {
    throw new WardenError('diff_no_commits', 'the repository has no commit yet, so there is nothing to diff against', { cause: e });
  }
  try {
    await git.raw(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  } catch (e) {
    throw new WardenError('diff_ref_not_found', `git ref not found: ${ref}`, {
      hint: 'fetch it first (in CI: a full clone, e.g. actions/checkout with fetch-depth: 0, or `git fetch origin <branch>`)',
      cause: e,
    });
  }
  let base: string;
  try {
    base = (await git.raw(['merge-base', 'HEAD', ref])).trim();
  } catch (e) {
    base = '';
    if (!/^$|exit code 1|^fatal: no merge base/i.test(gitMessage(e))) {
      throw new WardenError('diff_failed', `git merge-base HEAD ${ref} failed: ${gitMessage(e)}`, { cause: e });
    }
  }
  if (!/^[0-9a-f]{40,64}$/.test(base)) {
    throw new WardenError('diff_no_merge_base', `HEAD and ${ref} have no common ancestor`, {
      hint: 'a shallow clone hides it: fetch more history (fetch-depth: 0) or diff against a ref that shares history with HEAD',
    });
  }

  const pathspec = rootRel === '' ? [] : ['--', rootRel];
  let patch: string;
  let untracked: string;
  try {
    patch = await git.raw([
      'diff', '-U0', '--no-color', '--no-ext-diff', '--no-textconv', '-M', '--ignore-submodules=all',
      '--src-prefix=a/', '--dst-prefix=b/', '--diff-filter=ACMRT', base, ...pathspec,
    ]);
    untracked = await git.raw(['ls-files', '--others', '--exclude-standard', '--full-name', '-z', ...pathspec]);
  } catch (e) {
    throw new WardenError('diff_failed', `git diff against ${ref} failed: ${gitMessage(e)}`, { cause: e });
  }

  const byTop = parseUnifiedDiff(patch);
  for (const p of untracked.split('\0')) {
    if (!p) continue;
    const n = countLines(path.join(topReal, p));
    if (n === undefined || n === 0) continue;
    const set = new Set<number>();
    for (let i = 1; i <= n; i++) set.add(i);
    byTop.set(p, set);
  }

  if (rootRel === '') return byTop;
  const out: ChangedLines = new Map();
  const prefix = `${rootRel}/`;
  for (const [p, set] of byTop) if (p.startsWith(prefix)) out.set(p.slice(prefix.length), set);
  return out;
}

/** Keeps the findings whose line range [start.line, end.line] touches a changed line of their file. */
export function filterToDiff(findings: readonly Finding[], changed: ChangedLines): Finding[] {
  return findings.filter((f) => {
    const set = changed.get(f.path);
    if (!set || set.size === 0) return false;
    const from = f.start.line;
    const to = Math.max(f.start.line, f.end.line);
    if (to - from + 1 <= set.size) {
      for (let n = from; n <= to; n++) if (set.has(n)) return true;
      return false;
    }
    for (const n of set) if (n >= from && n <= to) return true;
    return false;
  });
}
