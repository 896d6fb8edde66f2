// The fake GitLab must enforce what the real API enforces, or the reporter tests prove nothing:
// these pin its auth, pagination, position and status rules through the real gitbeaker client and
// raw fetch (for exact headers and bodies).
import { Gitlab } from '@gitbeaker/rest';
import { afterEach, describe, expect, it } from 'vitest';
import { parseDiffForFake, startFakeGitlab, type FakeGitlab, type FakeGitlabOptions } from '../../../helpers/fake-gitlab.js';

const TOKEN = 'glpat-fake-dev-token-1';
const OTHER = 'glpat-fake-dev-token-2';
const READ_ONLY = 'glpat-fake-ro-token';
const JOB = 'job-token-xyz';
const REFS = { base_sha: '1'.repeat(40), start_sha: '2'.repeat(40), head_sha: '3'.repeat(40) };
const DIFF = [
  'diff --git a/lib/a.js b/lib/a.js',
  '--- a/lib/a.js',
  '+++ b/lib/a.js',
  '@@ -1,4 +1,4 @@',
  ' one',
  '-two',
  '+TWO',
  ' three',
  ' four',
  'diff --git a/old.txt b/new.txt',
  'similarity index 80%',
  'rename from old.txt',
  'rename to new.txt',
  '--- a/old.txt',
  '+++ b/new.txt',
  '@@ -5,2 +5,3 @@',
  ' five',
  '+inserted',
  ' six',
  '',
].join('\n');

let fake: FakeGitlab | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function start(opts: FakeGitlabOptions = {}): Promise<FakeGitlab> {
  fake = await startFakeGitlab({
    tokens: { [TOKEN]: { username: 'bot' }, [OTHER]: { username: 'human' }, [READ_ONLY]: { role: 'read_only' } },
    jobTokens: [JOB],
    mergeRequests: [{ iid: 3, diffRefs: REFS, diff: DIFF }],
    ...opts,
  });
  return fake;
}

function client(g: FakeGitlab, token = TOKEN) {
  return new Gitlab({ host: g.webUrl, token });
}

async function raw(g: FakeGitlab, p: string, init: RequestInit = {}): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await fetch(`${g.apiUrl}${p}`, init);
  return { status: res.status, body: (await res.json()) as unknown, headers: res.headers };
}

async function rejection(p: Promise<unknown>): Promise<{ status?: number; message: string }> {
  try {
    await p;
  } catch (e) {
    const err = e as Error & { cause?: { response?: Response } };
    return { status: err.cause?.response?.status, message: err.message };
  }
  throw new Error('expected the call to fail');
}

const pos = (over: Record<string, string | undefined>) => ({
  positionType: 'text' as const,
  baseSha: REFS.base_sha,
  startSha: REFS.start_sha,
  headSha: REFS.head_sha,
  oldPath: 'lib/a.js',
  newPath: 'lib/a.js',
  ...over,
});

describe('fake GitLab', () => {
  it('parses a unified diff the way GitLab shows it (renames keep both paths, context lines map old to new)', () => {
    const [a, renamed] = parseDiffForFake(DIFF);
    expect(a).toEqual({ oldPath: 'lib/a.js', newPath: 'lib/a.js', added: [2], removed: [2], context: [[1, 1], [3, 3], [4, 4]] });
    expect(renamed).toMatchObject({ oldPath: 'old.txt', newPath: 'new.txt', added: [6], context: [[5, 5], [7, 6]] });
  });

  it('answers 401 without a known PRIVATE-TOKEN', async () => {
    const g = await start();
    expect(await raw(g, '/projects/42/merge_requests/3')).toMatchObject({ status: 401, body: { message: '401 Unauthorized' } });
    const bad = await raw(g, '/projects/42/merge_requests/3', { headers: { 'private-token': 'nope' } });
    expect(bad).toMatchObject({ status: 401, body: { message: '401 Unauthorized' } });
    expect((await rejection(client(g, 'nope').MergeRequests.show(42, 3))).status).toBe(401);
  });

  it('does not accept a JOB-TOKEN on merge request routes (private: 404; public: reads only)', async () => {
    const g = await start();
    const job = new Gitlab({ host: g.webUrl, jobToken: JOB });
    expect(await rejection(job.MergeRequestDiscussions.all(42, 3))).toMatchObject({ status: 404, message: '404 Project Not Found' });
    await g.close();
    const pub = await start({ project: { id: 42, path: 'acme/app', visibility: 'public' } });
    const jobPub = new Gitlab({ host: pub.webUrl, jobToken: JOB });
    await expect(jobPub.MergeRequestDiscussions.all(42, 3)).resolves.toEqual([]);
    expect(await rejection(jobPub.MergeRequestNotes.create(42, 3, 'hi'))).toMatchObject({ status: 401, message: '401 Unauthorized' });
  });

  it('lets a read-only token read but answers 403 Forbidden to its writes', async () => {
    const g = await start();
    const ro = client(g, READ_ONLY);
    await expect(ro.MergeRequests.show(42, 3)).resolves.toMatchObject({ iid: 3, diff_refs: REFS });
    const res = await raw(g, '/projects/42/merge_requests/3/notes', { method: 'POST', headers: { 'private-token': READ_ONLY, 'content-type': 'application/json' }, body: '{"body":"x"}' });
    expect(res).toMatchObject({ status: 403, body: { message: '403 Forbidden' } });
    expect(g.notes(3)).toEqual([]);
  });

  it('paginates like GitLab: 20 per page by default, 100 at most, x-* headers and a Link gitbeaker follows', async () => {
    const g = await start();
    for (let i = 0; i < 45; i++) g.seedDiscussion(3, { body: `c${i}` });
    const first = await raw(g, '/projects/42/merge_requests/3/discussions', { headers: { 'private-token': TOKEN } });
    expect((first.body as unknown[]).length).toBe(20);
    expect(Object.fromEntries(['x-page', 'x-per-page', 'x-total', 'x-total-pages', 'x-next-page', 'x-prev-page'].map((h) => [h, first.headers.get(h)]))).toEqual({
      'x-page': '1',
      'x-per-page': '20',
      'x-total': '45',
      'x-total-pages': '3',
      'x-next-page': '2',
      'x-prev-page': '',
    });
    expect(first.headers.get('link')).toMatch(/<http:\/\/127\.0\.0\.1:\d+\/api\/v4\/projects\/42\/merge_requests\/3\/discussions\?page=2&per_page=20>; rel="next"/);
    const clamped = await raw(g, '/projects/42/merge_requests/3/discussions?per_page=500&page=1', { headers: { 'private-token': TOKEN } });
    expect(clamped.headers.get('x-per-page')).toBe('100');
    const last = await raw(g, '/projects/42/merge_requests/3/discussions?page=3', { headers: { 'private-token': TOKEN } });
    expect((last.body as unknown[]).length).toBe(5);
    expect(last.headers.get('x-next-page')).toBe('');
    expect(last.headers.get('link')).not.toContain('rel="next"');

    const all = await client(g).MergeRequestDiscussions.all(42, 3);
    expect(all.map((d) => d.notes?.[0].body)).toEqual(Array.from({ length: 45 }, (_, i) => `c${i}`));
  });

  it('accepts positions only on lines the MR diff shows, with the right line fields', async () => {
    const g = await start();
    const api = client(g);
    const lineCode = { status: 400, message: '400 Bad request - Note {:line_code=>["can\'t be blank", "must be a valid line code"]}' };
    // Valid: added line (new_line only), context line (both), removed line (old_line only), renamed file.
    await expect(api.MergeRequestDiscussions.create(42, 3, 'added', { position: pos({ newLine: '2' }) })).resolves.toMatchObject({ individual_note: false });
    await expect(api.MergeRequestDiscussions.create(42, 3, 'context', { position: pos({ newLine: '3', oldLine: '3' }) })).resolves.toBeDefined();
    await expect(api.MergeRequestDiscussions.create(42, 3, 'removed', { position: pos({ oldLine: '2' }) })).resolves.toBeDefined();
    await expect(api.MergeRequestDiscussions.create(42, 3, 'renamed', { position: pos({ oldPath: 'old.txt', newPath: 'new.txt', newLine: '7', oldLine: '6' }) })).resolves.toBeDefined();
    // Invalid: context line without old_line, added line with an old_line, wrong SHAs, old_path missing
    // or not the rename's, a line outside the diff.
    expect(await rejection(api.MergeRequestDiscussions.create(42, 3, 'x', { position: pos({ newLine: '3' }) }))).toMatchObject(lineCode);
    expect(await rejection(api.MergeRequestDiscussions.create(42, 3, 'x', { position: pos({ newLine: '2', oldLine: '2' }) }))).toMatchObject(lineCode);
    expect(await rejection(api.MergeRequestDiscussions.create(42, 3, 'x', { position: pos({ newLine: '2', baseSha: REFS.start_sha, startSha: REFS.base_sha }) }))).toMatchObject(lineCode);
    expect(await rejection(api.MergeRequestDiscussions.create(42, 3, 'x', { position: pos({ oldPath: undefined, newLine: '2' }) }))).toMatchObject(lineCode);
    expect(await rejection(api.MergeRequestDiscussions.create(42, 3, 'x', { position: pos({ oldPath: 'new.txt', newPath: 'new.txt', newLine: '6' }) }))).toMatchObject(lineCode);
    expect(await rejection(api.MergeRequestDiscussions.create(42, 3, 'x', { position: pos({ newLine: '40' }) }))).toMatchObject(lineCode);
    expect(await rejection(api.MergeRequestDiscussions.create(42, 3, 'x', { position: pos({ baseSha: undefined, newLine: '2' }) }))).toMatchObject({ status: 400, message: 'position[base_sha] is missing' });
    expect(g.discussions(3)).toHaveLength(4);
  });

  it('resolves only resolvable discussions and lets only the author edit a note', async () => {
    const g = await start();
    const api = client(g);
    const thread = await api.MergeRequestDiscussions.create(42, 3, 'thread');
    await api.MergeRequestDiscussions.resolve(42, 3, thread.id, true);
    expect(g.discussions(3)[0].notes[0]).toMatchObject({ resolvable: true, resolved: true, resolved_by: { username: 'bot' } });
    const note = await api.MergeRequestNotes.create(42, 3, 'plain note');
    const individual = g.discussions(3).find((d) => d.individual_note)!;
    expect(await rejection(api.MergeRequestDiscussions.resolve(42, 3, individual.id, true))).toMatchObject({ status: 403 });
    expect(await rejection(client(g, OTHER).MergeRequestNotes.edit(42, 3, note.id, { body: 'hijack' }))).toMatchObject({ status: 403 });
    await api.MergeRequestNotes.edit(42, 3, note.id, { body: 'edited' });
    expect(g.notes(3).find((n) => n.id === note.id)!.body).toBe('edited');
    expect(await rejection(api.MergeRequestNotes.create(42, 3, 'x'.repeat(1_000_001)))).toMatchObject({ status: 400 });
  });

  it('lists notes newest first by default, as GitLab does', async () => {
    const g = await start();
    const api = client(g);
    await api.MergeRequestNotes.create(42, 3, 'older');
    await api.MergeRequestNotes.create(42, 3, 'newer');
    expect((await api.MergeRequestNotes.all(42, 3)).map((n) => n.body)).toEqual(['newer', 'older']);
    expect((await api.MergeRequestNotes.all(42, 3, { sort: 'asc' })).map((n) => n.body)).toEqual(['older', 'newer']);
  });

  it('validates commit statuses: state values, a known commit, no repeated unfinished state', async () => {
    const g = await start();
    const api = client(g);
    expect(await rejection(api.Commits.editStatus(42, REFS.head_sha, 'bogus' as 'success'))).toMatchObject({ status: 400, message: 'state does not have a valid value' });
    expect(await rejection(api.Commits.editStatus(42, 'f'.repeat(40), 'success'))).toMatchObject({ status: 404 });
    await api.Commits.editStatus(42, REFS.head_sha, 'pending', { name: 'warden' });
    expect(await rejection(api.Commits.editStatus(42, REFS.head_sha, 'pending', { name: 'warden' }))).toMatchObject({ status: 400 });
    await api.Commits.editStatus(42, REFS.head_sha, 'success', { name: 'warden' });
    expect(g.statuses).toEqual([expect.objectContaining({ name: 'warden', status: 'success' })]);
  });

  it('serves a self-managed path prefix only under that prefix', async () => {
    const g = await start({ prefix: '/gitlab' });
    await expect(client(g).MergeRequests.show(42, 3)).resolves.toMatchObject({ iid: 3 });
    const outside = await fetch(`${g.webUrl.replace(/\/gitlab$/, '')}/api/v4/projects/42/merge_requests/3`, { headers: { 'private-token': TOKEN } });
    expect(outside.status).toBe(404);
  });

  it('records calls without any token, and can inject a failure', async () => {
    const g = await start();
    g.failNext(503);
    expect(await rejection(client(g).MergeRequests.show(42, 3))).toMatchObject({ status: 503 });
    await client(g).MergeRequestNotes.create(42, 3, 'hello');
    expect(g.calls.map((c) => [c.method, c.path, c.status])).toEqual([
      ['GET', '/projects/42/merge_requests/3', 503],
      ['POST', '/projects/42/merge_requests/3/notes', 201],
    ]);
    expect(g.calls[1].body).toEqual({ body: 'hello' });
    expect(JSON.stringify(g.calls)).not.toContain(TOKEN);
  });
});
