// What a pull/merge request changed, as its reviewers see it: the diff from the merge base of base
// and head to the head commit, with the three lines of context GitHub and GitLab show, per file
// (added lines, context lines with their base line numbers, renames). Review comments and MR
// discussions may only be placed on lines this diff shows.
import { gitFor, gitMessage, isGitMissing, parsePatchFiles } from '../analysis/diff.js';
import { WardenError } from '../errors.js';
import type { DiffInfo, FileChange } from './types.js';

/** The context GitHub's and GitLab's diff views show around each change. */
const CONTEXT_LINES = 3;

function checkRef(ref: string, flag: string): void {
  if (!ref || ref.startsWith('-') || /[\0\n\r]/.test(ref)) {
    throw new WardenError('ci_ref_invalid', `${flag}: not a usable git ref: ${JSON.stringify(ref)}`);
  }
}

/** The full commit id `ref` names in the repository at `top`, or a located error with a fetch hint. */
export async function resolveCommit(top: string, ref: string, flag: string): Promise<string> {
  checkRef(ref, flag);
  try {
    return (await gitFor(top).raw(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).trim();
  } catch (e) {
    if (isGitMissing(e)) throw new WardenError('git_not_found', 'warden ci needs git, and it was not found on PATH', { cause: e });
    throw new WardenError('ci_ref_not_found', `${flag}: commit not found in this clone: ${ref}`, {
      hint: 'fetch it first: a full clone (actions/checkout with fetch-depth: 0; GIT_DEPTH: 0 in GitLab) or `git fetch origin <ref>`',
      cause: e,
    });
  }
}

/** The repository's top-level directory around `dir`. */
export async function repoTop(dir: string): Promise<string> {
  try {
    return (await gitFor(dir).raw(['rev-parse', '--show-toplevel'])).trim();
  } catch (e) {
    if (isGitMissing(e)) throw new WardenError('git_not_found', 'warden ci needs git, and it was not found on PATH', { cause: e });
    throw new WardenError('ci_not_a_repository', `${dir} is not inside a git repository`, { cause: e });
  }
}

/**
 * The request's diff: merge base of `base` and `head` → `head` (both commit ids in the repository at
 * `top`), renames followed, paths repository-relative. Deleted files are left out.
 */
export async function computePrDiff(top: string, base: string, head: string): Promise<DiffInfo> {
  const git = gitFor(top);
  let mergeBase: string;
  try {
    mergeBase = (await git.raw(['merge-base', base, head])).trim();
  } catch (e) {
    throw new WardenError('ci_no_merge_base', `the base ${base.slice(0, 12)} and head ${head.slice(0, 12)} share no history in this clone`, {
      hint: 'a shallow clone hides it: fetch more history (fetch-depth: 0, or GIT_DEPTH: 0 in GitLab)',
      cause: e,
    });
  }
  let patch: string;
  try {
    patch = await git.raw([
      'diff', `-U${CONTEXT_LINES}`, '--no-color', '--no-ext-diff', '--no-textconv', '-M', '--ignore-submodules=all',
      '--src-prefix=a/', '--dst-prefix=b/', '--diff-filter=ACMRT', mergeBase, head,
    ]);
  } catch (e) {
    throw new WardenError('ci_diff_failed', `git diff ${mergeBase.slice(0, 12)} ${head.slice(0, 12)} failed: ${gitMessage(e)}`, { cause: e });
  }
  const files = new Map<string, FileChange>();
  for (const f of parsePatchFiles(patch)) {
    const oldPath = f.oldPath ?? f.path;
    files.set(f.path, {
      path: f.path,
      oldPath,
      status: f.oldPath === undefined ? 'added' : oldPath !== f.path ? 'renamed' : 'modified',
      added: f.added,
      context: new Set(f.context.keys()),
      oldLineOf: f.context,
    });
  }
  return { mergeBase, head, files };
}

/** Whether head line `line` of `file` is shown in the diff (added or context). */
export function lineInDiff(file: FileChange | undefined, line: number): boolean {
  return !!file && (file.added.has(line) || file.context.has(line));
}
