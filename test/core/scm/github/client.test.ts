// The GitHub client's transport policy against the fake: retries on 5xx, waits out primary and
// secondary rate limits (bounded, one log line each), per-attempt timeouts, GHES base URLs, and error
// messages without the token. Timing knobs are shrunk so the waits cost milliseconds.
import { afterEach, describe, expect, it } from 'vitest';
import { createGithubClient, type GithubClientOptions } from '../../../../src/core/scm/github/client.js';
import { describeError, truncateUtf8 } from '../../../../src/core/scm/github/shared.js';
import { FAKE_GITHUB_TOKENS, startFakeGithub, type FakeGithub } from '../../../helpers/fake-github.js';

const HEAD = '1'.repeat(40);
const STATUS_PATH = `/repos/acme/widgets/statuses/${HEAD}`;

let fake: FakeGithub;
afterEach(async () => {
  await fake?.close();
});

async function setup(extra: { pathPrefix?: string } = {}) {
  fake = await startFakeGithub({ ...extra, pulls: [{ number: 1, headSha: HEAD, diff: { 'a.ts': { right: [1] } } }] });
}

function client(over: Partial<GithubClientOptions> = {}) {
  const logs: string[] = [];
  const gh = createGithubClient({
    apiUrl: fake.apiUrl,
    token: FAKE_GITHUB_TOKENS.write,
    timeoutMs: 5000,
    log: (m) => logs.push(m),
    timing: { secondMs: 2, writeIntervalMs: 0, notificationIntervalMs: 0 },
    ...over,
  });
  return { gh, logs };
}

const setStatus = (gh: ReturnType<typeof client>['gh']) => gh.rest.repos.createCommitStatus({ owner: 'acme', repo: 'widgets', sha: HEAD, state: 'success', context: 'warden' });

async function caught(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('createGithubClient', () => {
  it('retries a request GitHub answered with 502 and succeeds', async () => {
    await setup();
    fake.failNext({ method: 'POST', path: STATUS_PATH, kind: 'server-error', times: 2 });
    const { gh } = client();
    const res = await setStatus(gh);
    expect(res.status).toBe(201);
    expect(fake.calls.map((c) => c.status)).toEqual([502, 502, 201]);
    expect(fake.statuses).toHaveLength(1);
  });

  it('gives up on a persistent 5xx after the configured retries', async () => {
    await setup();
    fake.failNext({ method: 'POST', path: STATUS_PATH, kind: 'server-error', times: 10 });
    const { gh } = client({ retries: 1 });
    const err = await caught(setStatus(gh));
    expect(describeError(err)).toMatch(/^GitHub API 502/);
    expect(fake.calls).toHaveLength(2);
  });

  it('waits out a secondary rate limit per Retry-After and logs one line', async () => {
    await setup();
    fake.failNext({ method: 'POST', path: STATUS_PATH, kind: 'secondary-rate-limit', retryAfter: 1 });
    const { gh, logs } = client();
    await setStatus(gh);
    expect(fake.calls.map((c) => c.status)).toEqual([403, 201]);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/secondary rate limit on POST .*retrying in 1 s \(retry 1 of 2\)/);
  });

  it('waits out a primary rate limit until x-ratelimit-reset', async () => {
    await setup();
    fake.failNext({ method: 'POST', path: STATUS_PATH, kind: 'primary-rate-limit' });
    const { gh, logs } = client();
    await setStatus(gh);
    expect(fake.calls.map((c) => c.status)).toEqual([403, 201]);
    expect(logs.join('\n')).toMatch(/primary rate limit/);
  });

  it('stops after two rate-limit retries', async () => {
    await setup();
    fake.failNext({ method: 'POST', path: STATUS_PATH, kind: 'secondary-rate-limit', times: 5 });
    const { gh, logs } = client();
    const err = await caught(setStatus(gh));
    expect(describeError(err)).toMatch(/GitHub API 403: You have exceeded a secondary rate limit/);
    expect(fake.calls).toHaveLength(3);
    expect(logs.at(-1)).toMatch(/giving up after 2 retries/);
  });

  it('does not wait longer than the bound for a rate limit', async () => {
    await setup();
    fake.failNext({ method: 'POST', path: STATUS_PATH, kind: 'secondary-rate-limit', retryAfter: 3600 });
    const { gh, logs } = client();
    await caught(setStatus(gh));
    expect(fake.calls).toHaveLength(1);
    expect(logs[0]).toMatch(/not waiting/);
  });

  it('times out an attempt that gets no answer', async () => {
    await setup();
    fake.failNext({ method: 'POST', path: STATUS_PATH, kind: 'hang' });
    const { gh } = client({ timeoutMs: 150, retries: 0 });
    const err = await caught(setStatus(gh));
    expect(describeError(err)).toBe('request timed out');
    expect(fake.statuses).toHaveLength(0);
  });

  it('gives each retry a fresh timeout', async () => {
    await setup();
    fake.failNext({ method: 'POST', path: STATUS_PATH, kind: 'hang' });
    const { gh } = client({ timeoutMs: 150, retries: 1 });
    const res = await setStatus(gh);
    expect(res.status).toBe(201);
    expect(fake.calls.map((c) => c.status)).toEqual([-1, 201]);
  });

  it('works against a GitHub Enterprise Server style base URL', async () => {
    await setup({ pathPrefix: '/api/v3' });
    const { gh } = client({ apiUrl: `${fake.apiUrl}/` });
    await setStatus(gh);
    expect(fake.calls[0]).toMatchObject({ method: 'POST', path: STATUS_PATH, status: 201 });
    expect(fake.calls[0].headers['user-agent']).toMatch(/^warden/);
  });

  it('reports bad credentials without the token', async () => {
    await setup();
    const token = 'ghp_ThisIsASecretTokenValue0123456789abcd';
    const { gh, logs } = client({ token });
    const err = await caught(setStatus(gh));
    const msg = describeError(err, token);
    expect(msg).toMatch(/GitHub API 401: Bad credentials/);
    expect(msg).not.toContain(token);
    expect(logs.join('\n')).not.toContain(token);
  });
});

describe('describeError', () => {
  it('scrubs the token, whatever its shape, and GitHub-shaped tokens from any message', () => {
    const token = 'enterprise-token.0123456789';
    expect(describeError(new Error(`boom ${token} and ghp_ABCDEFGHIJKLMNOPQRSTUVWXYZ012345`), token)).toBe('boom [REDACTED] and [REDACTED]');
  });
});

describe('truncateUtf8', () => {
  it('cuts on a character boundary at every byte offset', () => {
    const text = 'aé警🙂b'.repeat(3);
    const full = Buffer.byteLength(text, 'utf8');
    for (let max = 0; max <= full + 1; max++) {
      const cut = truncateUtf8(text, max);
      expect(Buffer.byteLength(cut, 'utf8')).toBeLessThanOrEqual(max);
      expect(text.startsWith(cut)).toBe(true);
      // The longest such prefix: one more character would not fit.
      const next = text.slice(0, cut.length + (cut.length < text.length && /[\ud800-\udbff]/.test(text[cut.length]) ? 2 : 1));
      if (cut.length < text.length) expect(Buffer.byteLength(next, 'utf8')).toBeGreaterThan(max);
    }
  });
});
