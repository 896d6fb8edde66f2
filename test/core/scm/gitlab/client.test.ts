// The shared GitLab client: host derivation from CI_API_V4_URL, token rules, project ids, and error
// lines that say what to do without leaking the token.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createGitlabClient, describeGitlabError, gitlabWebRoot, projectIdForApi, writeTokenProblem } from '../../../../src/core/scm/gitlab/client.js';
import type { GitlabContext } from '../../../../src/core/scm/types.js';

const TOKEN = 'glpat-client-test-secret';

describe('gitlabWebRoot', () => {
  it.each([
    ['https://gitlab.com/api/v4', 'https://gitlab.com'],
    ['https://gitlab.com/api/v4/', 'https://gitlab.com'],
    ['https://git.example.org/gitlab/api/v4', 'https://git.example.org/gitlab'],
    ['https://git.example.org:8443/a/b/api/v4', 'https://git.example.org:8443/a/b'],
    ['https://git.example.org/gitlab', 'https://git.example.org/gitlab'],
    ['https://user:pass@git.example.org/api/v4', 'https://git.example.org'],
  ])('%s → %s', (api, root) => {
    expect(gitlabWebRoot(api)).toBe(root);
  });

  it('rejects a URL that is not http(s)', () => {
    expect(() => gitlabWebRoot('ftp://gitlab.example.org/api/v4')).toThrow(/http/);
    expect(() => gitlabWebRoot('not a url')).toThrow();
  });
});

describe('createGitlabClient', () => {
  it('points gitbeaker at <web root>/api/v4, sends the token as PRIVATE-TOKEN and sets the timeout', async () => {
    const api = createGitlabClient({ apiUrl: 'https://git.example.org/gitlab/api/v4', token: TOKEN, timeoutMs: 1234 });
    expect(api.url).toBe('https://git.example.org/gitlab/api/v4/');
    expect(api.queryTimeout).toBe(1234);
    expect(Object.keys(api.authHeaders)).toEqual(['private-token']);
    expect(await api.authHeaders['private-token']()).toBe(TOKEN);
  });
});

describe('projectIdForApi', () => {
  it('decodes an already encoded path (gitbeaker encodes it again) and keeps numeric ids', () => {
    expect(projectIdForApi('group%2Fsub%2Fapp')).toBe('group/sub/app');
    expect(projectIdForApi('group/app')).toBe('group/app');
    expect(projectIdForApi('1234')).toBe('1234');
    expect(projectIdForApi('bad%zz')).toBe('bad%zz');
  });
});

describe('writeTokenProblem', () => {
  const base: GitlabContext = { apiUrl: 'https://gitlab.com/api/v4', projectId: '1', headSha: 'a'.repeat(40), onlyJobToken: false };
  it('is undefined with a real token and explains the fix otherwise', () => {
    expect(writeTokenProblem({ ...base, token: TOKEN }, 'x')).toBeUndefined();
    const job = writeTokenProblem({ ...base, onlyJobToken: true }, 'merge request notes or discussions');
    expect(job).toMatch(/^only CI_JOB_TOKEN is available, and CI_JOB_TOKEN cannot create merge request notes or discussions: /);
    expect(job).toContain('project or group access token with the `api` scope');
    expect(job).toContain('GITLAB_TOKEN (a masked CI/CD variable)');
    expect(writeTokenProblem(base, 'commit statuses')).toMatch(/^no GitLab token is set/);
    // onlyJobToken wins even if a token value is present (it is the job token).
    expect(writeTokenProblem({ ...base, token: 'job', onlyJobToken: true }, 'x')).toBeDefined();
  });
});

describe('describeGitlabError', () => {
  let server: http.Server | undefined;
  afterEach(async () => {
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  it('says a request timed out, without the token', async () => {
    // A server that accepts and never answers.
    server = http.createServer(() => undefined);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const api = createGitlabClient({ apiUrl: `http://127.0.0.1:${port}/api/v4`, token: TOKEN, timeoutMs: 200 });
    const e = await api.MergeRequests.show(1, 1).then(
      () => undefined,
      (err: unknown) => err,
    );
    const msg = describeGitlabError(e, 'reading merge request !1', TOKEN);
    expect(msg).toMatch(/did not answer in time while reading merge request !1/);
    expect(msg).not.toContain(TOKEN);
  });

  it('names the connection failure when GitLab is unreachable', async () => {
    server = http.createServer();
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((r) => server!.close(() => r()));
    server = undefined;
    const api = createGitlabClient({ apiUrl: `http://127.0.0.1:${port}/api/v4`, token: TOKEN, timeoutMs: 5000 });
    const e = await api.MergeRequests.show(1, 1).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(describeGitlabError(e, 'reading merge request !1', TOKEN)).toMatch(/cannot reach GitLab while reading merge request !1: .*ECONNREFUSED/);
  });

  it('masks the token if the server echoes it', () => {
    expect(describeGitlabError(new Error(`boom ${TOKEN}`), 'x', TOKEN)).not.toContain(TOKEN);
  });
});
