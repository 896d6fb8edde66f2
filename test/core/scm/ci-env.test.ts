// CI detection from GitHub Actions' and GitLab CI's own variables and event payloads.
import { describe, expect, it } from 'vitest';
import { contextBase, contextHead, defaultReporters, detectCiContext, type CiEnvSources } from '../../../src/core/scm/ci-env.js';
import { WardenError } from '../../../src/core/errors.js';

const HEAD = 'a'.repeat(40);
const BASE = 'b'.repeat(40);
const MERGE = 'c'.repeat(40);

function sources(env: Record<string, string>, files: Record<string, unknown> = {}): CiEnvSources {
  return {
    env: (n) => env[n],
    readFile: (f) => {
      if (!(f in files)) throw new Error(`ENOENT: no such file '${f}'`);
      const v = files[f];
      return typeof v === 'string' ? v : JSON.stringify(v);
    },
  };
}

const prEvent = (fork = false) => ({
  pull_request: {
    number: 17,
    head: { sha: HEAD, repo: { full_name: fork ? 'someone/app' : 'acme/app', fork } },
    base: { sha: BASE, repo: { full_name: 'acme/app' } },
  },
});

const GH = { GITHUB_ACTIONS: 'true', GITHUB_REPOSITORY: 'acme/app', GITHUB_EVENT_NAME: 'pull_request', GITHUB_EVENT_PATH: '/ev.json', GITHUB_SHA: MERGE };

describe('GitHub Actions', () => {
  it('uses pull_request.head.sha, never the synthetic merge GITHUB_SHA, and the PR base and number', () => {
    const ci = detectCiContext(sources({ ...GH, GITHUB_TOKEN: 'ghs_x', GITHUB_STEP_SUMMARY: '/sum.md', GITHUB_RUN_ID: '99' }, { '/ev.json': prEvent() }));
    expect(ci.provider).toBe('github');
    expect(ci.github).toMatchObject({ owner: 'acme', repo: 'app', headSha: HEAD, baseSha: BASE, pullNumber: 17, fromFork: false, token: 'ghs_x', apiUrl: 'https://api.github.com', serverUrl: 'https://github.com', stepSummaryFile: '/sum.md', runId: '99' });
    expect(contextHead(ci)).toBe(HEAD);
    expect(contextBase(ci)).toBe(BASE);
    expect(defaultReporters(ci)).toEqual(['github-check', 'github-review', 'github-summary']);
  });

  it('takes GitHub Enterprise URLs from GITHUB_API_URL and GITHUB_SERVER_URL', () => {
    const ci = detectCiContext(sources({ ...GH, GITHUB_API_URL: 'https://ghe.example/api/v3/', GITHUB_SERVER_URL: 'https://ghe.example' }, { '/ev.json': prEvent() }));
    expect(ci.github).toMatchObject({ apiUrl: 'https://ghe.example/api/v3', serverUrl: 'https://ghe.example' });
  });

  it('marks a fork pull request and defaults to annotations, which need no write access', () => {
    const ci = detectCiContext(sources({ ...GH, GITHUB_TOKEN: 'ghs_ro' }, { '/ev.json': prEvent(true) }));
    expect(ci.github?.fromFork).toBe(true);
    expect(defaultReporters(ci)).toEqual(['github-annotations']);
  });

  it('on push uses GITHUB_SHA and the event before commit, ignoring the all-zero before of a new branch', () => {
    const push = detectCiContext(sources({ ...GH, GITHUB_EVENT_NAME: 'push', GITHUB_SHA: HEAD }, { '/ev.json': { before: BASE } }));
    expect(push.github).toMatchObject({ headSha: HEAD, baseSha: BASE });
    expect(push.github?.pullNumber).toBeUndefined();
    const newBranch = detectCiContext(sources({ ...GH, GITHUB_EVENT_NAME: 'push', GITHUB_SHA: HEAD }, { '/ev.json': { before: '0'.repeat(40) } }));
    expect(newBranch.github?.baseSha).toBeUndefined();
  });

  it('lets flags override every value for a local run', () => {
    const ci = detectCiContext(sources({}), { provider: 'github', repo: 'o/r', pr: 3, head: HEAD, base: BASE, token: 't', apiUrl: 'http://127.0.0.1:9/' });
    expect(ci.github).toMatchObject({ owner: 'o', repo: 'r', pullNumber: 3, headSha: HEAD, baseSha: BASE, token: 't', apiUrl: 'http://127.0.0.1:9' });
  });

  it('with --provider outside Actions reports on the checked-out commit until --head says otherwise', () => {
    expect(detectCiContext(sources({}), { provider: 'github', repo: 'o/r' }).github?.headSha).toBe('HEAD');
    expect(detectCiContext(sources({}), { provider: 'gitlab', project: '9' }).gitlab?.headSha).toBe('HEAD');
  });

  it('names what is missing or malformed', () => {
    const noRepo = () => detectCiContext(sources({ GITHUB_ACTIONS: 'true', GITHUB_SHA: HEAD }));
    expect(noRepo).toThrow(WardenError);
    expect(noRepo).toThrow(/GITHUB_REPOSITORY/);
    expect(() => detectCiContext(sources({ GITHUB_ACTIONS: 'true', GITHUB_SHA: HEAD }), { repo: 'no-slash' })).toThrow(/OWNER\/NAME/);
    expect(() => detectCiContext(sources({ ...GH }, {}))).toThrow(/GITHUB_EVENT_PATH: cannot read \/ev.json/);
    expect(() => detectCiContext(sources({ ...GH }, { '/ev.json': '{not json' }))).toThrow(/not JSON/);
  });
});

describe('GitLab CI', () => {
  const GL = { GITLAB_CI: 'true', CI_API_V4_URL: 'https://gitlab.example/api/v4', CI_PROJECT_ID: '42', CI_COMMIT_SHA: HEAD, CI_MERGE_REQUEST_IID: '7', CI_MERGE_REQUEST_DIFF_BASE_SHA: BASE, CI_PROJECT_URL: 'https://gitlab.example/g/p' };

  it('reads the merge request pipeline variables and a token from GITLAB_TOKEN', () => {
    const ci = detectCiContext(sources({ ...GL, GITLAB_TOKEN: 'glpat-x', CI_JOB_TOKEN: 'job' }));
    expect(ci.gitlab).toMatchObject({ apiUrl: 'https://gitlab.example/api/v4', projectId: '42', mrIid: 7, headSha: HEAD, baseSha: BASE, token: 'glpat-x', onlyJobToken: false, projectUrl: 'https://gitlab.example/g/p' });
    expect(defaultReporters(ci)).toEqual(['gitlab-codequality', 'gitlab-discussion']);
  });

  it('knows when CI_JOB_TOKEN is the only credential, and then only writes the artifact', () => {
    const ci = detectCiContext(sources({ ...GL, CI_JOB_TOKEN: 'job' }));
    expect(ci.gitlab?.onlyJobToken).toBe(true);
    expect(ci.gitlab?.token).toBeUndefined();
    expect(defaultReporters(ci)).toEqual(['gitlab-codequality']);
  });

  it('in a merged-results pipeline reports on the source branch head, not the merge commit', () => {
    const ci = detectCiContext(sources({ ...GL, CI_COMMIT_SHA: MERGE, CI_MERGE_REQUEST_SOURCE_BRANCH_SHA: HEAD }));
    expect(ci.gitlab?.headSha).toBe(HEAD);
  });

  it('needs a project and a commit', () => {
    expect(() => detectCiContext(sources({ GITLAB_CI: 'true', CI_COMMIT_SHA: HEAD }))).toThrow(/CI_PROJECT_ID/);
    expect(() => detectCiContext(sources({ GITLAB_CI: 'true', CI_PROJECT_ID: '1' }))).toThrow(/CI_COMMIT_SHA/);
  });
});

it('is local outside CI, with no default reporters', () => {
  const ci = detectCiContext(sources({ GITHUB_TOKEN: 'x' }));
  expect(ci).toEqual({ provider: 'local' });
  expect(defaultReporters(ci)).toEqual([]);
});
