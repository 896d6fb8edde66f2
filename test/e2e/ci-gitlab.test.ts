// `warden ci` end to end on a GitLab merge request pipeline: a real repository, the real CLI as a
// subprocess, and a fake GitLab that checks discussion positions against the MR's diff.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { markerFingerprint } from '../../src/core/scm/types.js';
import { startFakeGitlab, type FakeGitlab } from '../helpers/fake-gitlab.js';
import { ciEnv, FAKE_OPENAI_KEY, makeCiRepo, runCi, type CiFixture } from './ci-fixture.js';
import { makeHome } from './harness.js';

const TOKEN = 'glpat-e2e-token-0123456789';
let fx: CiFixture;
let gl: FakeGitlab;
let home: string;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  fx = makeCiRepo();
  home = makeHome('warden-ci-gl-');
  const diff = fx.repo.git('diff', '-M', fx.base, fx.head);
  gl = await startFakeGitlab({
    tokens: { [TOKEN]: { username: 'project_42_bot' } },
    mergeRequests: [{ iid: 7, diffRefs: { base_sha: fx.base, start_sha: fx.base, head_sha: fx.head }, diff }],
  });
  env = ciEnv({
    GITLAB_CI: 'true',
    CI_API_V4_URL: gl.apiUrl,
    CI_PROJECT_ID: '42',
    CI_PROJECT_URL: `${gl.webUrl}/acme/app`,
    CI_MERGE_REQUEST_IID: '7',
    CI_COMMIT_SHA: fx.head,
    CI_MERGE_REQUEST_DIFF_BASE_SHA: fx.base,
    CI_JOB_TOKEN: 'job-token-not-for-notes',
    GITLAB_TOKEN: TOKEN,
  });
}, 60_000);

afterAll(async () => {
  await gl?.close();
  fx?.repo.remove();
  fs.rmSync(home, { recursive: true, force: true });
});

describe('warden ci on a GitLab merge request', () => {
  it('fails the job, posts positioned discussions, a summary note and the code-quality report', async () => {
    const r = await runCi(home, fx.repo.dir, [], env);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/warden ci: failed: /);
    expect(r.stdout).toContain(`src/app.js:${fx.evalLine}:`);
    expect(r.stdout).toContain(`src/config.js:${fx.keyLine}:`);
    expect(r.stdout + r.stderr).not.toContain(FAKE_OPENAI_KEY);
    expect(r.stdout + r.stderr).not.toContain(TOKEN);

    const diffNotes = gl.notes(7).filter((n) => n.type === 'DiffNote');
    const byLine = new Map(diffNotes.map((n) => [`${n.position?.new_path}:${n.position?.new_line}`, n]));
    expect([...byLine.keys()]).toEqual(expect.arrayContaining([`src/app.js:${fx.evalLine}`, `src/app.js:${fx.clientLine}`, `src/config.js:${fx.keyLine}`]));
    for (const n of diffNotes) {
      expect(n.position).toMatchObject({ base_sha: fx.base, start_sha: fx.base, head_sha: fx.head, position_type: 'text' });
      expect(n.position?.old_path).toBe(n.position?.new_path);
      expect(markerFingerprint(n.body)).toMatch(/^[0-9a-f]{64}$/);
    }
    const summaries = gl.notes(7).filter((n) => n.body.includes('<!-- warden:summary -->'));
    expect(summaries).toHaveLength(1);
    expect(summaries[0].body).toMatch(/Warden CI: failed/);
    expect(summaries[0].body).toMatch(/no-secrets|llm-calls-through-proxy/);

    const cq = JSON.parse(fs.readFileSync(path.join(fx.repo.dir, 'gl-code-quality-report.json'), 'utf8')) as { location: { path: string; lines: { begin: number } } }[];
    expect(cq.map((i) => `${i.location.path}:${i.location.lines.begin}`)).toEqual(expect.arrayContaining([`src/app.js:${fx.evalLine}`, `src/config.js:${fx.keyLine}`]));
  }, 120_000);

  it('a second run posts nothing new and updates the one summary note in place', async () => {
    const before = gl.notes(7).length;
    const posted = gl.writes().filter((c) => c.method === 'POST').length;
    const r = await runCi(home, fx.repo.dir, [], env);
    expect(r.code, r.stderr).toBe(1);
    expect(gl.notes(7).length).toBe(before);
    expect(gl.writes().filter((c) => c.method === 'POST').length).toBe(posted);
    expect(gl.notes(7).filter((n) => n.body.includes('<!-- warden:summary -->'))).toHaveLength(1);
  }, 120_000);

  it('with only CI_JOB_TOKEN says a project access token is needed, and keeps the verdict (exit 1 beats 4)', async () => {
    const r = await runCi(home, fx.repo.dir, ['--reporter', 'gitlab-discussion'], { ...env, GITLAB_TOKEN: undefined });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/CI_JOB_TOKEN cannot create merge request notes/);
    expect(r.stdout).toMatch(/warden ci: failed/);
  }, 120_000);

  it('exits 4 when the verdict passes but reporting fails, still printing the verdict', async () => {
    const r = await runCi(home, fx.repo.dir, ['--reporter', 'gitlab-status', '--fail-on', 'none'], { ...env, GITLAB_TOKEN: 'glpat-unknown' });
    expect(r.code).toBe(4);
    expect(r.stdout).toMatch(/warden ci: passed \(--fail-on none\)/);
    expect(r.stderr).toMatch(/gitlab-status: FAILED/);
    expect(r.stderr).not.toContain('glpat-unknown');
  }, 120_000);
});
