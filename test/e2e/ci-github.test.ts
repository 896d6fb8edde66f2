// `warden ci` end to end on a GitHub pull_request event: a real repository, the real CLI as a
// subprocess, an event payload file, and a fake GitHub that enforces the API's limits.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_GITHUB_TOKENS, startFakeGithub, type FakeGithub } from '../helpers/fake-github.js';
import { ciEnv, FAKE_OPENAI_KEY, makeCiRepo, runCi, type CiFixture } from './ci-fixture.js';
import { makeHome } from './harness.js';

let fx: CiFixture;
let gh: FakeGithub;
let home: string;
let merge: string;

function eventFile(fork: boolean): string {
  const file = path.join(home, fork ? 'event-fork.json' : 'event.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      action: 'synchronize',
      number: 5,
      pull_request: {
        number: 5,
        head: { sha: fx.head, ref: 'feature', repo: { full_name: fork ? 'someone/widgets' : 'acme/widgets', fork } },
        base: { sha: fx.base, ref: 'main', repo: { full_name: 'acme/widgets' } },
      },
    }),
  );
  return file;
}

function env(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return ciEnv({
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: eventFile(false),
    GITHUB_REPOSITORY: 'acme/widgets',
    GITHUB_API_URL: gh.apiUrl,
    GITHUB_SERVER_URL: gh.serverUrl,
    GITHUB_SHA: merge,
    GITHUB_RUN_ID: '4242',
    GITHUB_STEP_SUMMARY: path.join(home, 'step-summary.md'),
    GITHUB_TOKEN: FAKE_GITHUB_TOKENS.write,
    ...extra,
  }) as Record<string, string | undefined>;
}

beforeAll(async () => {
  fx = makeCiRepo();
  home = makeHome('warden-ci-gh-');
  // actions/checkout's default for a pull request: the synthetic merge of head into base, not the head.
  fx.repo.git('checkout', '-q', 'main');
  fx.repo.write('NOTES.md', 'base moved on\n');
  fx.repo.commit('main moves on');
  fx.repo.git('merge', '-q', '--no-ff', '-m', 'Merge head into base', 'feature');
  merge = fx.repo.git('rev-parse', 'HEAD').trim();
  gh = await startFakeGithub({ owner: 'acme', repo: 'widgets', pulls: [{ number: 5, headSha: fx.head, baseSha: fx.base, diff: fx.repo.git('diff', fx.base, fx.head) }], commits: [merge] });
}, 60_000);

afterAll(async () => {
  await gh?.close();
  fx?.repo.remove();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('warden ci on a GitHub pull request', () => {
  it('fails, and reports a check run, a review and the step summary on the PR head, never the merge commit', async () => {
    const r = await runCi(home, fx.repo.dir, [], env());
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/scanning the head in a temporary worktree/);
    expect(r.stdout + r.stderr).not.toContain(FAKE_OPENAI_KEY);
    expect(r.stdout + r.stderr).not.toContain(FAKE_GITHUB_TOKENS.write);

    expect(gh.checkRuns).toHaveLength(1);
    const run = gh.checkRuns[0];
    expect(run).toMatchObject({ name: 'Warden', head_sha: fx.head, status: 'completed', conclusion: 'failure' });
    const lines = run.annotations.map((a) => `${a.path}:${a.start_line}:${a.annotation_level}`);
    expect(lines).toEqual(expect.arrayContaining([`src/app.js:${fx.evalLine}:failure`, `src/config.js:${fx.keyLine}:failure`]));

    expect(gh.reviews).toHaveLength(1);
    expect(gh.reviews[0].commit_id).toBe(fx.head);
    const comments = gh.reviewComments.map((c) => `${c.path}:${c.line}:${c.side}`);
    expect(comments).toEqual(expect.arrayContaining([`src/app.js:${fx.evalLine}:RIGHT`, `src/app.js:${fx.clientLine}:RIGHT`, `src/config.js:${fx.keyLine}:RIGHT`]));
    expect(gh.issueComments.filter((c) => c.body.includes('<!-- warden:summary -->'))).toHaveLength(1);

    const summary = fs.readFileSync(path.join(home, 'step-summary.md'), 'utf8');
    expect(summary).toMatch(/Warden CI: failed/);
    expect(summary).toContain(`${gh.serverUrl}/acme/widgets/blob/${fx.head}/src/app.js#L${fx.evalLine}`);
    // The worktree used for the head is gone again.
    expect(fx.repo.git('worktree', 'list').trim().split('\n')).toHaveLength(1);
  }, 120_000);

  it('a second run adds no review comments and edits the sticky summary instead of adding one', async () => {
    const comments = gh.reviewComments.length;
    const r = await runCi(home, fx.repo.dir, ['--reporter', 'github-review'], env());
    expect(r.code, r.stderr).toBe(1);
    expect(gh.reviewComments.length).toBe(comments);
    expect(gh.reviews).toHaveLength(1);
    expect(gh.issueComments.filter((c) => c.body.includes('<!-- warden:summary -->'))).toHaveLength(1);
  }, 120_000);

  it('on a fork pull request (read-only token) falls back to workflow-command annotations and says so', async () => {
    const writesBefore = gh.writes().filter((c) => c.status < 300).length;
    const r = await runCi(home, fx.repo.dir, ['--reporter', 'github-review'], env({ GITHUB_EVENT_PATH: eventFile(true), GITHUB_TOKEN: FAKE_GITHUB_TOKENS.readOnly }));
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^::error file=src/app.js,line=${fx.evalLine},`, 'm'));
    expect(r.stderr).toMatch(/fell back to github-annotations/);
    expect(gh.writes().filter((c) => c.status < 300).length).toBe(writesBefore);
  }, 120_000);

  it('--dry-run computes the verdict and posts nothing; --fail-on none passes', async () => {
    const calls = gh.writes().length;
    const r = await runCi(home, fx.repo.dir, ['--dry-run', '--fail-on', 'none', '--json'], env());
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { verdict: { pass: boolean; conclusion: string }; head: string; reporters: { reporter: string; ok: boolean }[]; findings: { path: string }[] };
    expect(out.verdict).toMatchObject({ pass: true, conclusion: 'neutral' });
    expect(out.head).toBe(fx.head);
    expect(out.reporters.map((x) => x.reporter)).toEqual(['github-check', 'github-review', 'github-summary']);
    expect(out.findings.map((f) => f.path)).toEqual(expect.arrayContaining(['src/app.js', 'src/config.js']));
    expect(gh.writes().length).toBe(calls);
  }, 120_000);

  it('names a usage error: an unknown reporter, a missing base outside CI', async () => {
    const bad = await runCi(home, fx.repo.dir, ['--reporter', 'nope'], env());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/unknown reporter "nope"/);
    const local = await runCi(home, fx.repo.dir, [], ciEnv({}));
    expect(local.code).toBe(2);
    expect(local.stderr).toMatch(/--base REF/);
  }, 120_000);
});
