// The request's diff from real git repositories, and the filter modes built on it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WardenError } from '../../../src/core/errors.js';
import { filterFindings } from '../../../src/core/scm/filter.js';
import { computePrDiff, repoTop, resolveCommit } from '../../../src/core/scm/pr-diff.js';
import type { DiffInfo } from '../../../src/core/scm/types.js';
import { finding } from '../analysis/outputs/fixtures.js';
import { GitRepo, numberedLines } from '../../helpers/git-repo.js';

let repo: GitRepo;
let base: string;
let head: string;
let diff: DiffInfo;

const sorted = (s: Iterable<number>) => [...s].sort((a, b) => a - b);

beforeAll(async () => {
  repo = GitRepo.init('warden-prdiff-');
  repo.write('app.ts', numberedLines(30, 'app')).write('old-name.py', numberedLines(12, 'mv')).write('gone.ts', 'x\n');
  base = repo.commit('base');
  repo.git('checkout', '-q', '-b', 'feature');
  const app = numberedLines(30, 'app').split('\n');
  app[9] = 'app line 10 CHANGED'; // line 10 changed
  app.splice(20, 0, 'new 21', 'new 22'); // two lines after line 20
  repo.write('app.ts', app.join('\n'));
  repo.git('mv', 'old-name.py', 'new-name.py');
  const mv = numberedLines(12, 'mv').split('\n');
  mv[5] = 'mv line 6 EDITED';
  repo.write('new-name.py', mv.join('\n'));
  repo.write('fresh.go', 'package x\n\nfunc F() {}\n');
  repo.git('rm', '-q', 'gone.ts');
  head = repo.commit('feature');
  // The base branch moves on after the fork: the merge base, not main's tip, is what the PR diff uses.
  repo.git('checkout', '-q', 'main');
  repo.write('later.ts', 'later\n');
  repo.commit('main moves');
  repo.git('checkout', '-q', 'feature');
  diff = await computePrDiff(repo.dir, await resolveCommit(repo.dir, 'main', '--base'), head);
});

afterAll(() => repo.remove());

describe('computePrDiff', () => {
  it('diffs from the merge base to the head, so later commits on the base branch are not in it', () => {
    expect(diff.mergeBase).toBe(base);
    expect(diff.head).toBe(head);
    expect([...diff.files.keys()].sort()).toEqual(['app.ts', 'fresh.go', 'new-name.py']);
  });

  it('gives added lines and the three lines of context around them with their base line numbers', () => {
    const app = diff.files.get('app.ts')!;
    expect(app.status).toBe('modified');
    expect(sorted(app.added)).toEqual([10, 21, 22]);
    expect(sorted(app.context)).toEqual([7, 8, 9, 11, 12, 13, 18, 19, 20, 23, 24, 25]);
    // After the two inserted lines, head line 23 is base line 21.
    expect(app.oldLineOf.get(23)).toBe(21);
    expect(app.oldLineOf.get(9)).toBe(9);
  });

  it('follows a rename: the old path is kept for positions, only the edited line is added', () => {
    const mv = diff.files.get('new-name.py')!;
    expect(mv).toMatchObject({ status: 'renamed', oldPath: 'old-name.py' });
    expect(sorted(mv.added)).toEqual([6]);
    const fresh = diff.files.get('fresh.go')!;
    expect(fresh).toMatchObject({ status: 'added', oldPath: 'fresh.go' });
    expect(sorted(fresh.added)).toEqual([1, 2, 3]);
  });

  it('names a commit it cannot find, with the fetch hint', async () => {
    const err = await resolveCommit(repo.dir, 'no-such-branch', '--base').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WardenError);
    expect((err as WardenError).message).toBe('--base: commit not found in this clone: no-such-branch');
    expect((err as WardenError).hint).toMatch(/fetch-depth: 0/);
    await expect(resolveCommit(repo.dir, '--upload-pack=x', '--head')).rejects.toThrow(/not a usable git ref/);
  });

  it('finds the top of the repository from a subdirectory and refuses a directory outside git', async () => {
    expect(await repoTop(repo.dir)).toBe(repo.dir);
    await expect(repoTop('/')).rejects.toThrow(/not inside a git repository/);
  });
});

describe('filterFindings', () => {
  const onAdded = finding({ path: 'app.ts', line: 10, ruleId: 'a' });
  const onContext = finding({ path: 'app.ts', line: 8, ruleId: 'b' });
  const farInFile = finding({ path: 'app.ts', line: 2, ruleId: 'c' });
  const otherFile = finding({ path: 'untouched.ts', line: 1, ruleId: 'd' });
  // Spans lines 19..27: touches added 21-22; lines 26-27 are outside the hunk's context.
  const spanning = { ...finding({ path: 'app.ts', line: 19, ruleId: 'e' }), end: { line: 27, column: 3 } };
  const all = [onAdded, onContext, farInFile, otherFile, spanning];
  const ids = (l: { ruleId: string }[]) => l.map((f) => f.ruleId);

  it('added keeps findings touching an added line', () => {
    const r = filterFindings(all, diff, 'added');
    expect(ids(r.kept)).toEqual(['a', 'e']);
    expect(r.outside).toEqual([]);
  });

  it('diff_context also keeps findings on context lines', () => {
    expect(ids(filterFindings(all, diff, 'diff_context').kept)).toEqual(['a', 'b', 'e']);
  });

  it('file keeps anything in a changed file; what the diff does not show goes outside, not away', () => {
    const r = filterFindings(all, diff, 'file');
    expect(ids(r.kept)).toEqual(['a', 'b', 'c', 'e']);
    expect(ids(r.outside)).toEqual(['c']);
  });

  it('nofilter keeps everything, placing only what the diff shows', () => {
    const r = filterFindings(all, diff, 'nofilter');
    expect(ids(r.kept)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(ids(r.outside)).toEqual(['c', 'd']);
    expect(ids(r.inline)).toEqual(['a', 'b', 'e']);
  });

  it('narrows an inline finding to the shown lines so a comment never lands outside the hunk', () => {
    const placed = filterFindings([spanning], diff, 'added').inline[0];
    expect(placed.start).toEqual(spanning.start);
    expect(placed.end).toEqual({ line: 25, column: 1 });
    expect(placed.fingerprint).toBe(spanning.fingerprint);
  });
});
