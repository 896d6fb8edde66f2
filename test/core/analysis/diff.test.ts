import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changedLines, filterToDiff, parseUnifiedDiff } from '../../../src/core/analysis/diff.js';
import { WardenError } from '../../../src/core/errors.js';
import { finding } from './outputs/fixtures.js';

// Real repositories in temp dirs. Identity and defaults come from the repository's own config and
// -c flags; the global and system config are switched off for the commands the test runs.
const GIT_ENV = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0' };

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false', ...args], { cwd, env: GIT_ENV, encoding: 'utf8' });
}

function write(dir: string, rel: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), text);
}

function lines(n: number, tag: string): string {
  return Array.from({ length: n }, (_, i) => `${tag} line ${i + 1}`).join('\n') + '\n';
}

function initRepo(dir: string): void {
  git(dir, 'init', '-q');
  git(dir, 'config', 'user.name', 'Warden Test');
  git(dir, 'config', 'user.email', 'test@warden.invalid');
}

function sorted(set: Set<number> | undefined): number[] {
  return [...(set ?? [])].sort((a, b) => a - b);
}

let dir: string;
let changed: Map<string, Set<number>>;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-diff-'));
  initRepo(dir);
  write(dir, 'a.ts', lines(10, 'a'));
  write(dir, 'b.ts', lines(5, 'b'));
  write(dir, 'old.ts', lines(20, 'moved'));
  write(dir, 'gone.ts', lines(3, 'gone'));
  write(dir, 'sub/c.ts', lines(4, 'c'));
  write(dir, 'dir with space/ünï.ts', lines(3, 'u'));
  write(dir, 'q"uote.ts', lines(2, 'q'));
  write(dir, '.gitignore', '*.log\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'base');

  git(dir, 'checkout', '-q', '-b', 'feature');
  // a.ts: line 3 changed, two lines inserted after line 7 (one of them looks like a patch header).
  const a = lines(10, 'a').split('\n');
  a[2] = 'a line 3 CHANGED';
  a.splice(7, 0, '++ not a header', 'added after 7');
  write(dir, 'a.ts', a.join('\n'));
  // b.ts: a line deleted only.
  write(dir, 'b.ts', lines(5, 'b').split('\n').filter((l) => l !== 'b line 2').join('\n'));
  // old.ts → new.ts with line 5 edited.
  git(dir, 'mv', 'old.ts', 'new.ts');
  const moved = lines(20, 'moved').split('\n');
  moved[4] = 'moved line 5 EDITED';
  write(dir, 'new.ts', moved.join('\n'));
  git(dir, 'rm', '-q', 'gone.ts');
  write(dir, 'added.ts', lines(3, 'new'));
  write(dir, 'dir with space/ünï.ts', lines(3, 'u').replace('u line 2', 'u line 2 changed'));
  write(dir, 'q"uote.ts', 'q line 1\nq line 2 changed\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'feature work');

  // main moves on after the fork: its changes are not ours and must not show.
  git(dir, 'checkout', '-q', 'main');
  write(dir, 'b.ts', lines(5, 'b').replace('b line 5', 'b line 5 on main'));
  git(dir, 'commit', '-q', '-am', 'main moves on');
  git(dir, 'checkout', '-q', 'feature');

  // Uncommitted work: a modified tracked file, an untracked file, an ignored file.
  write(dir, 'sub/c.ts', lines(4, 'c').replace('c line 1', 'c line 1 wip'));
  write(dir, 'untracked.ts', 'one\ntwo');
  write(dir, 'debug.log', 'ignored\n');

  changed = await changedLines(dir, 'main');
});

afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('changedLines', () => {
  it('lists exactly the lines added or changed since the merge base, by new path', () => {
    expect([...changed.keys()].sort()).toEqual(['a.ts', 'added.ts', 'dir with space/ünï.ts', 'new.ts', 'q"uote.ts', 'sub/c.ts', 'untracked.ts']);
    expect(sorted(changed.get('a.ts'))).toEqual([3, 8, 9]);
    expect(sorted(changed.get('added.ts'))).toEqual([1, 2, 3]);
    expect(sorted(changed.get('dir with space/ünï.ts'))).toEqual([2]);
    expect(sorted(changed.get('q"uote.ts'))).toEqual([2]);
  });

  it('follows a rename: only the edited line of the moved file counts, under its new path', () => {
    expect(sorted(changed.get('new.ts'))).toEqual([5]);
    expect(changed.has('old.ts')).toBe(false);
  });

  it('includes uncommitted changes and untracked files, not ignored files, deletions or the other branch\'s changes', () => {
    expect(sorted(changed.get('sub/c.ts'))).toEqual([1]);
    expect(sorted(changed.get('untracked.ts'))).toEqual([1, 2]);
    expect(changed.has('debug.log')).toBe(false);
    expect(changed.has('b.ts')).toBe(false); // a deleted line here, a changed line only on main
    expect(changed.has('gone.ts')).toBe(false);
  });

  it('keys paths relative to a scan root below the repository root', async () => {
    const sub = await changedLines(path.join(dir, 'sub'), 'main');
    expect([...sub.entries()].map(([p, s]) => [p, sorted(s)])).toEqual([['c.ts', [1]]]);
  });

  it('fails with exit 2 for an unknown ref, a ref that looks like an option, a directory outside git, and unrelated history', async () => {
    const expectError = async (p: Promise<unknown>, code: string) => {
      const e = await p.then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(WardenError);
      expect((e as WardenError).code).toBe(code);
      expect((e as WardenError).exitCode).toBe(2);
    };
    await expectError(changedLines(dir, 'no-such-branch'), 'diff_ref_not_found');
    await expectError(changedLines(dir, '--output=/tmp/x'), 'diff_ref_invalid');
    const plain = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-nogit-'));
    try {
      await expectError(changedLines(plain, 'main'), 'diff_not_a_repository');
    } finally {
      fs.rmSync(plain, { recursive: true, force: true });
    }
    git(dir, 'checkout', '-q', '--orphan', 'unrelated');
    git(dir, 'commit', '-q', '-m', 'orphan');
    try {
      await expectError(changedLines(dir, 'main'), 'diff_no_merge_base');
    } finally {
      git(dir, 'checkout', '-q', '-f', 'feature');
    }
  });
});

describe('filterToDiff', () => {
  it('keeps findings whose line range touches a changed line and drops the rest', () => {
    const findings = [
      finding({ path: 'a.ts', line: 3 }), // changed line
      finding({ path: 'a.ts', line: 5 }), // unchanged line of a changed file
      finding({ path: 'a.ts', line: 4, end: { line: 8, column: 2 } }), // spans into line 8
      finding({ path: 'new.ts', line: 5 }),
      finding({ path: 'new.ts', line: 6 }),
      finding({ path: 'b.ts', line: 2 }), // file not in the diff
    ];
    expect(filterToDiff(findings, changed).map((f) => `${f.path}:${f.start.line}`)).toEqual(['a.ts:3', 'a.ts:4', 'new.ts:5']);
  });
});

describe('parseUnifiedDiff', () => {
  it('counts hunk bodies, so added content that looks like a header is not taken for one', () => {
    const patch = [
      'diff --git a/x.txt b/x.txt',
      '--- a/x.txt',
      '+++ b/x.txt',
      '@@ -1,0 +2,2 @@',
      '+++ b/evil.txt',
      '+@@ -1 +100,5 @@',
      '@@ -5 +7 @@',
      '-old',
      '+new',
      '\\ No newline at end of file',
      'diff --git a/gone b/gone',
      'deleted file mode 100644',
      '--- a/gone',
      '+++ /dev/null',
      '@@ -1,2 +0,0 @@',
      '-x',
      '-y',
      'diff --git "a/t\\tab" "b/t\\tab"',
      '--- "a/t\\tab"',
      '+++ "b/t\\tab"',
      '@@ -1 +1 @@',
      '-a',
      '+b',
      '',
    ].join('\n');
    const out = parseUnifiedDiff(patch);
    expect([...out.keys()]).toEqual(['x.txt', 't\tab']);
    expect(sorted(out.get('x.txt'))).toEqual([2, 3, 7]);
    expect(sorted(out.get('t\tab'))).toEqual([1]);
  });
});
