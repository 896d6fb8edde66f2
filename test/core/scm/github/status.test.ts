// github-status against the fake GitHub: one "warden" commit status on the head commit, description
// within GitHub's 140 characters, a link to the Actions run when known.
import { afterEach, describe, expect, it } from 'vitest';
import { createGithubStatusReporter } from '../../../../src/core/scm/github/status.js';
import type { CiReport, Conclusion, ReporterContext } from '../../../../src/core/scm/types.js';
import { FAKE_GITHUB_TOKENS, startFakeGithub, type FakeGithub } from '../../../helpers/fake-github.js';

const HEAD = 'c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00';
const fast = { client: { timing: { secondMs: 2, writeIntervalMs: 0, notificationIntervalMs: 0 } } };

function makeReport(conclusion: Conclusion, headline: string): CiReport {
  return {
    tool: { name: 'warden', version: '0.1.0' },
    root: '/repo',
    filterMode: 'added',
    diff: { mergeBase: 'b'.repeat(40), head: HEAD, files: new Map() },
    findings: [],
    inline: [],
    outside: [],
    rules: [],
    decision: { verdict: 'allow', violations: [], mutations: [], monitored_mutations: [], errors: [], policies: [], duration_us: 0 },
    verdict: { conclusion, pass: conclusion !== 'failure', failOn: 'high', failingFindings: conclusion === 'failure' ? 3 : 0, headline },
    summaryMarkdown: '## Warden',
  };
}

let fake: FakeGithub;
afterEach(async () => {
  await fake?.close();
});

function context(over: { token?: string; runId?: string; dryRun?: boolean } = {}) {
  const logs: string[] = [];
  const ctx: ReporterContext = {
    ci: {
      provider: 'github',
      github: {
        apiUrl: fake.apiUrl,
        serverUrl: 'https://github.example.com',
        owner: 'acme',
        repo: 'widgets',
        token: over.token ?? FAKE_GITHUB_TOKENS.write,
        headSha: HEAD,
        fromFork: false,
        ...(over.runId ? { runId: over.runId } : {}),
      },
    },
    dryRun: over.dryRun ?? false,
    log: (m) => logs.push(m),
    out: () => {},
    writeFile: () => {},
    env: () => undefined,
    outputDir: '/repo',
    timeoutMs: 5000,
  };
  return { ctx, logs };
}

describe('github-status', () => {
  it('sets a failure status on the head commit with a bounded description and the run link', async () => {
    fake = await startFakeGithub({ commits: [HEAD] });
    const headline = `3 findings at or above high: ${'llm-output-to-eval, '.repeat(20)}`;
    const res = await createGithubStatusReporter(fast).report(makeReport('failure', headline), context({ runId: '987654' }).ctx);
    expect(res).toMatchObject({ reporter: 'github-status', ok: true, posted: 1 });
    expect(fake.statuses).toHaveLength(1);
    const s = fake.statuses[0];
    expect(s).toMatchObject({ sha: HEAD, state: 'failure', context: 'warden', target_url: 'https://github.example.com/acme/widgets/actions/runs/987654' });
    expect(s.description?.length).toBe(140);
    expect(s.description?.endsWith('…')).toBe(true);
    expect(s.description?.startsWith('3 findings at or above high')).toBe(true);
  });

  it('reports a neutral verdict as success and omits target_url without a run id', async () => {
    fake = await startFakeGithub({ commits: [HEAD] });
    await createGithubStatusReporter(fast).report(makeReport('neutral', 'only warnings'), context().ctx);
    expect(fake.statuses[0]).toMatchObject({ state: 'success', description: 'only warnings', target_url: null });
    expect(fake.calls[0].body).not.toHaveProperty('target_url');
  });

  it('fails with a clear error that does not contain the token', async () => {
    fake = await startFakeGithub({ commits: [HEAD] });
    const token = 'ghp_NotAGoodToken0123456789abcdefghijklmn';
    const { ctx, logs } = context({ token });
    const res = await createGithubStatusReporter(fast).report(makeReport('success', 'ok'), ctx);
    expect(res).toMatchObject({ ok: false, error: expect.stringMatching(/setting the commit status failed: GitHub API 401: Bad credentials/) });
    expect(JSON.stringify(res) + logs.join('')).not.toContain(token);
  });

  it('in a dry run sends nothing', async () => {
    fake = await startFakeGithub({ commits: [HEAD] });
    const res = await createGithubStatusReporter(fast).report(makeReport('failure', 'x'), context({ dryRun: true }).ctx);
    expect(res).toMatchObject({ ok: true, posted: 0, detail: expect.stringMatching(/would set status "warden" failure on c0ffee0/) });
    expect(fake.calls).toHaveLength(0);
  });
});
