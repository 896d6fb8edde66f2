// The GitLab reporters against a fake GitLab that enforces the real API's rules, through the real
// @gitbeaker/rest client over loopback.
import { createHash } from 'node:crypto';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { renderGitlabCodeQuality } from '../../../../src/core/analysis/outputs/gitlab.js';
import type { Finding, RuleMeta, ScanSeverity } from '../../../../src/core/analysis/types.js';
import { CODE_QUALITY_FILE, gitlabCodeQualityReporter } from '../../../../src/core/scm/gitlab/codequality.js';
import { gitlabDiscussionReporter, MAX_NEW_DISCUSSIONS, summaryNoteBody } from '../../../../src/core/scm/gitlab/discussion.js';
import { gitlabReporters } from '../../../../src/core/scm/gitlab/index.js';
import { gitlabStatusReporter } from '../../../../src/core/scm/gitlab/status.js';
import type { CiReport, Conclusion, FileChange, GitlabContext, ReporterContext } from '../../../../src/core/scm/types.js';
import { markerFingerprint, SUMMARY_MARKER } from '../../../../src/core/scm/types.js';
import { startFakeGitlab, type FakeGitlab, type FakeGitlabOptions } from '../../../helpers/fake-gitlab.js';

const TOKEN = 'glpat-TEST-secret-0123456789';
const READ_ONLY = 'glpat-READONLY-abcdef987654';
const IID = 7;
// Three different SHAs, and local ones that differ from all of them, so a swapped or local SHA shows.
const REFS = { base_sha: 'a'.repeat(40), start_sha: 'b'.repeat(40), head_sha: 'c'.repeat(40) };
const LOCAL_MERGE_BASE = 'd'.repeat(40);
const LOCAL_HEAD = 'c'.repeat(40);

const DIFF = [
  'diff --git a/src/app.ts b/src/app.ts',
  'index 1111111..2222222 100644',
  '--- a/src/app.ts',
  '+++ b/src/app.ts',
  '@@ -1,5 +1,6 @@',
  ' line1',
  ' line2',
  '-old3',
  '+new3',
  '+new4',
  ' line4',
  ' line5',
  'diff --git a/src/old-name.py b/src/new-name.py',
  'similarity index 90%',
  'rename from src/old-name.py',
  'rename to src/new-name.py',
  'index 3333333..4444444 100644',
  '--- a/src/old-name.py',
  '+++ b/src/new-name.py',
  '@@ -10,3 +10,4 @@',
  ' a',
  '+b',
  ' c',
  ' d',
  'diff --git a/src/added.ts b/src/added.ts',
  'new file mode 100644',
  'index 0000000..5555555',
  '--- /dev/null',
  '+++ b/src/added.ts',
  '@@ -0,0 +1,2 @@',
  '+x',
  '+y',
  '',
].join('\n');

/** The same diff as Warden's orchestrator describes it (built by hand, independently of the fake's parser). */
function fileChanges(): Map<string, FileChange> {
  const fc = (p: string, oldPath: string, status: FileChange['status'], added: number[], ctx: Array<[number, number]>): FileChange => ({
    path: p,
    oldPath,
    status,
    added: new Set(added),
    context: new Set(ctx.map(([n]) => n)),
    oldLineOf: new Map(ctx),
  });
  return new Map([
    ['src/app.ts', fc('src/app.ts', 'src/app.ts', 'modified', [3, 4], [[1, 1], [2, 2], [5, 4], [6, 5]])],
    ['src/new-name.py', fc('src/new-name.py', 'src/old-name.py', 'renamed', [11], [[10, 10], [12, 11], [13, 12]])],
    ['src/added.ts', fc('src/added.ts', 'src/added.ts', 'added', [1, 2], [])],
  ]);
}

function finding(p: string, line: number, ruleId: string, severity: ScanSeverity = 'high', extra: Partial<Finding> = {}): Finding {
  return {
    ruleId,
    severity,
    message: `${ruleId} at ${p}:${line}`,
    path: p,
    start: { line, column: 1 },
    end: { line, column: 10 },
    snippet: 'x',
    fingerprint: createHash('sha256').update(`${ruleId}|${p}|${line}`).digest('hex'),
    ...extra,
  };
}

const RULES: RuleMeta[] = [
  { id: 'llm-eval', message: 'eval of model output', severity: 'critical', language: 'typescript', pack: 'llm', cwe: ['CWE-94'], source: 'builtin', note: 'Do not eval model output.' },
  { id: 'generic', message: 'generic', severity: 'medium', language: 'typescript', source: 'builtin' },
];

const F = {
  added: finding('src/app.ts', 3, 'llm-eval', 'critical'),
  context: finding('src/app.ts', 5, 'generic', 'medium'),
  renamedAdded: finding('src/new-name.py', 11, 'generic', 'high'),
  renamedContext: finding('src/new-name.py', 12, 'generic', 'low'),
  newFile: finding('src/added.ts', 1, 'generic', 'info'),
  outside: finding('src/other.ts', 50, 'generic', 'high'),
};

function makeReport(opts: { inline?: Finding[]; outside?: Finding[]; summary?: string; conclusion?: Conclusion; headline?: string; files?: Map<string, FileChange> } = {}): CiReport {
  const inline = opts.inline ?? [F.added, F.context, F.renamedAdded, F.renamedContext, F.newFile];
  const outside = opts.outside ?? [F.outside];
  const conclusion = opts.conclusion ?? 'failure';
  return {
    tool: { name: 'warden', version: '0.1.0' },
    root: '/repo',
    filterMode: 'diff_context',
    diff: { mergeBase: LOCAL_MERGE_BASE, head: LOCAL_HEAD, files: opts.files ?? fileChanges() },
    findings: [...inline, ...outside],
    inline,
    outside,
    rules: RULES,
    decision: { verdict: 'allow', violations: [], mutations: [], monitored_mutations: [], errors: [], policies: [], duration_us: 0 },
    verdict: { conclusion, pass: conclusion !== 'failure', failOn: 'high', failingFindings: conclusion === 'failure' ? 2 : 0, headline: opts.headline ?? '2 findings at or above high' },
    summaryMarkdown: opts.summary ?? '## Warden\n\n2 findings at or above high.',
  };
}

interface Harness {
  ctx: ReporterContext;
  logs: string[];
  files: Map<string, string>;
}

function harness(fake: FakeGitlab | undefined, over: Partial<GitlabContext> = {}, dryRun = false): Harness {
  const logs: string[] = [];
  const files = new Map<string, string>();
  const gitlab: GitlabContext = {
    apiUrl: fake?.apiUrl ?? 'http://127.0.0.1:9/api/v4',
    projectId: '42',
    mrIid: IID,
    headSha: REFS.head_sha,
    baseSha: REFS.base_sha,
    token: TOKEN,
    onlyJobToken: false,
    jobUrl: 'https://gitlab.example.com/acme/app/-/jobs/99',
    ...over,
  };
  const ctx: ReporterContext = {
    ci: { provider: 'gitlab', gitlab },
    dryRun,
    log: (m) => logs.push(m),
    out: (l) => logs.push(l),
    writeFile: (f, d) => files.set(f, d),
    env: () => undefined,
    outputDir: '/repo',
    timeoutMs: 10_000,
  };
  return { ctx, logs, files };
}

let fake: FakeGitlab | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function start(opts: FakeGitlabOptions = {}): Promise<FakeGitlab> {
  fake = await startFakeGitlab({
    tokens: { [TOKEN]: { username: 'warden-bot' }, [READ_ONLY]: { role: 'read_only' } },
    mergeRequests: [{ iid: IID, diffRefs: REFS, diff: DIFF }],
    ...opts,
  });
  return fake;
}

function positionOf(g: FakeGitlab, f: Finding): Record<string, unknown> | undefined {
  const d = g.discussions(IID).find((x) => markerFingerprint(x.notes[0].body) === f.fingerprint);
  return d?.notes[0].position;
}

function summaryNotes(g: FakeGitlab) {
  return g.notes(IID).filter((n) => n.body.includes(SUMMARY_MARKER));
}

describe('gitlab-discussion', () => {
  it('places each inline finding with the MR diff_refs, both paths, new_line for added lines and old_line+new_line for context lines', async () => {
    const g = await start();
    const { ctx } = harness(g);
    const res = await gitlabDiscussionReporter.report(makeReport(), ctx);
    expect(res).toMatchObject({ reporter: 'gitlab-discussion', ok: true, posted: 5 });

    const shas = { base_sha: REFS.base_sha, start_sha: REFS.start_sha, head_sha: REFS.head_sha };
    expect(positionOf(g, F.added)).toMatchObject({ ...shas, position_type: 'text', old_path: 'src/app.ts', new_path: 'src/app.ts', new_line: 3, old_line: null });
    expect(positionOf(g, F.context)).toMatchObject({ ...shas, old_path: 'src/app.ts', new_path: 'src/app.ts', new_line: 5, old_line: 4 });
    expect(positionOf(g, F.renamedAdded)).toMatchObject({ ...shas, old_path: 'src/old-name.py', new_path: 'src/new-name.py', new_line: 11, old_line: null });
    expect(positionOf(g, F.renamedContext)).toMatchObject({ old_path: 'src/old-name.py', new_path: 'src/new-name.py', new_line: 12, old_line: 11 });
    expect(positionOf(g, F.newFile)).toMatchObject({ old_path: 'src/added.ts', new_path: 'src/added.ts', new_line: 1 });

    // What went over the wire: an added line carries no old_line at all.
    const posts = g.calls.filter((c) => c.method === 'POST' && c.path === `/projects/42/merge_requests/${IID}/discussions`);
    expect(posts).toHaveLength(5);
    const sent = posts.map((c) => (c.body as { position: Record<string, string> }).position);
    const addedPos = sent.find((p) => p.new_path === 'src/app.ts' && p.new_line === '3');
    expect(addedPos).toBeDefined();
    expect(addedPos).not.toHaveProperty('old_line');
    expect(sent.every((p) => p.old_path && p.new_path)).toBe(true);
    // The finding's Markdown body (with its marker) is the discussion's body; the outside finding is summary-only.
    const body = g.discussions(IID).find((d) => markerFingerprint(d.notes[0].body) === F.added.fingerprint)!.notes[0].body;
    expect(body).toContain('llm-eval');
    expect(body).toContain('Why and how to fix');
    expect(g.discussions(IID).some((d) => markerFingerprint(d.notes[0].body) === F.outside.fingerprint)).toBe(false);
    expect(summaryNotes(g)).toHaveLength(1);
    expect(summaryNotes(g)[0].body).toContain('2 findings at or above high');
  });

  it('posts nothing new on a second run over the same findings and leaves one summary note', async () => {
    const g = await start();
    const report = makeReport();
    expect((await gitlabDiscussionReporter.report(report, harness(g).ctx)).posted).toBe(5);
    const before = g.calls.length;
    const second = await gitlabDiscussionReporter.report(report, harness(g).ctx);
    expect(second).toMatchObject({ ok: true, posted: 0 });
    expect(second.detail).toContain('5 already posted');
    const writes = g.calls.slice(before).filter((c) => c.method !== 'GET');
    expect(writes).toEqual([]); // identical summary: not even re-saved
    expect(g.discussions(IID).filter((d) => !d.individual_note)).toHaveLength(5);
    expect(summaryNotes(g)).toHaveLength(1);
  });

  it('updates the summary note in place instead of adding another', async () => {
    const g = await start();
    await gitlabDiscussionReporter.report(makeReport({ summary: 'first run' }), harness(g).ctx);
    const noteId = summaryNotes(g)[0].id;
    const res = await gitlabDiscussionReporter.report(makeReport({ summary: 'second run' }), harness(g).ctx);
    expect(res.ok).toBe(true);
    expect(res.detail).toContain('summary note updated');
    const notes = summaryNotes(g);
    expect(notes).toHaveLength(1);
    expect(notes[0].id).toBe(noteId);
    expect(notes[0].body).toContain('second run');
    expect(notes[0].body).not.toContain('first run');
    expect(g.calls.filter((c) => c.method === 'PUT' && c.path === `/projects/42/merge_requests/${IID}/notes/${noteId}`)).toHaveLength(1);
    expect(g.calls.filter((c) => c.method === 'POST' && c.path.endsWith('/notes'))).toHaveLength(1);
  });

  it('replaces a summary note written under another token (which it may not edit) and edits the new one afterwards', async () => {
    const g = await start();
    const old = g.seedDiscussion(IID, { body: `${SUMMARY_MARKER}\nold summary`, individual: true, username: 'previous-bot' });
    const first = await gitlabDiscussionReporter.report(makeReport({ summary: 'run one' }), harness(g).ctx);
    expect(first.ok).toBe(true);
    expect(first.detail).toContain('summary note replaced');
    expect(old.notes[0].body).toContain('old summary');
    const second = await gitlabDiscussionReporter.report(makeReport({ summary: 'run two' }), harness(g).ctx);
    expect(second.detail).toContain('summary note updated');
    const mine = summaryNotes(g).filter((n) => n.author.username === 'warden-bot');
    expect(mine).toHaveLength(1);
    expect(mine[0].body).toContain('run two');
  });

  it("resolves only Warden's unresolved discussions whose finding is gone", async () => {
    const g = await start();
    await gitlabDiscussionReporter.report(makeReport(), harness(g).ctx);
    // A reviewer's own thread, and a Warden thread someone already resolved by hand.
    const human = g.seedDiscussion(IID, { body: 'Please rename this.', username: 'reviewer' });
    const goneAlreadyResolved = finding('src/app.ts', 4, 'generic');
    const already = g.seedDiscussion(IID, { body: `old finding\n<!-- warden:fp=${goneAlreadyResolved.fingerprint} -->`, resolved: true });

    const res = await gitlabDiscussionReporter.report(makeReport({ inline: [F.added, F.renamedAdded, F.renamedContext, F.newFile] }), harness(g).ctx);
    expect(res).toMatchObject({ ok: true, posted: 0 });
    expect(res.detail).toContain('1 resolved');
    const fixed = g.discussions(IID).find((d) => markerFingerprint(d.notes[0].body) === F.context.fingerprint)!;
    expect(fixed.notes[0].resolved).toBe(true);
    const still = g.discussions(IID).find((d) => markerFingerprint(d.notes[0].body) === F.added.fingerprint)!;
    expect(still.notes[0].resolved).toBe(false);
    expect(human.notes[0].resolved).toBe(false);
    const resolves = g.calls.filter((c) => c.method === 'PUT' && c.path.includes('/discussions/'));
    expect(resolves.map((c) => c.path)).toEqual([`/projects/42/merge_requests/${IID}/discussions/${fixed.id}`]);
    expect(resolves[0].query).toEqual({ resolved: 'true' });
    expect(resolves.some((c) => c.path.endsWith(already.id))).toBe(false);
  });

  it('treats a suppressed finding as gone: its discussion is resolved and it is not posted again', async () => {
    const g = await start();
    await gitlabDiscussionReporter.report(makeReport(), harness(g).ctx);
    const suppressed = { ...F.context, suppressed: { kind: 'inline' as const } };
    const res = await gitlabDiscussionReporter.report(makeReport({ inline: [F.added, suppressed, F.renamedAdded, F.renamedContext, F.newFile] }), harness(g).ctx);
    expect(res).toMatchObject({ ok: true, posted: 0 });
    expect(g.discussions(IID).find((d) => markerFingerprint(d.notes[0].body) === F.context.fingerprint)!.notes[0].resolved).toBe(true);
  });

  it('reads every page of existing discussions before deciding what is new', async () => {
    const g = await start();
    for (let i = 0; i < 150; i++) g.seedDiscussion(IID, { body: `review comment ${i}`, username: 'reviewer' });
    await gitlabDiscussionReporter.report(makeReport(), harness(g).ctx);
    // Warden's five threads are now on page 2 of 100: a client reading only page 1 would repost them.
    const res = await gitlabDiscussionReporter.report(makeReport(), harness(g).ctx);
    expect(res).toMatchObject({ ok: true, posted: 0 });
    const lists = g.calls.filter((c) => c.method === 'GET' && c.path.endsWith('/discussions'));
    expect(lists.map((c) => c.query.page ?? '1')).toEqual(['1', '2', '1', '2']);
    expect(g.discussions(IID).filter((d) => markerFingerprint(d.notes[0].body))).toHaveLength(5);
  });

  it(`posts at most ${MAX_NEW_DISCUSSIONS} new discussions per run and lists the rest in the summary note`, async () => {
    const lines = 60;
    const diff = ['diff --git a/src/big.ts b/src/big.ts', 'new file mode 100644', '--- /dev/null', '+++ b/src/big.ts', `@@ -0,0 +1,${lines} @@`];
    for (let i = 1; i <= lines; i++) diff.push(`+l${i}`);
    const g = await start({ mergeRequests: [{ iid: IID, diffRefs: REFS, diff: `${diff.join('\n')}\n` }] });
    const files = new Map<string, FileChange>([
      ['src/big.ts', { path: 'src/big.ts', oldPath: 'src/big.ts', status: 'added', added: new Set(Array.from({ length: lines }, (_, i) => i + 1)), context: new Set(), oldLineOf: new Map() }],
    ]);
    const many = Array.from({ length: lines }, (_, i) => finding('src/big.ts', i + 1, 'generic', 'medium'));
    const report = makeReport({ inline: many, outside: [], files });

    const first = await gitlabDiscussionReporter.report(report, harness(g).ctx);
    expect(first).toMatchObject({ ok: true, posted: MAX_NEW_DISCUSSIONS });
    expect(first.detail).toContain(`10 over the limit of ${MAX_NEW_DISCUSSIONS}`);
    const summary = summaryNotes(g)[0].body;
    expect(summary).toContain('10 more finding(s) on changed lines not posted as discussions');
    expect(summary).toContain('`src/big.ts:51`');
    expect(summary).toContain('`src/big.ts:60`');
    expect(summary).not.toContain('`src/big.ts:50`');

    const second = await gitlabDiscussionReporter.report(report, harness(g).ctx);
    expect(second).toMatchObject({ ok: true, posted: 10 });
    expect(summaryNotes(g)).toHaveLength(1);
    expect(summaryNotes(g)[0].body).not.toContain('not posted as discussions');
  });

  it('lists a finding GitLab refuses to place in the summary and still posts the others', async () => {
    const g = await start();
    // Warden believes line 2 of src/app.ts was added; the MR's diff shows it as context (old_line 2).
    const files = fileChanges();
    files.get('src/app.ts')!.added.add(2);
    const misplaced = finding('src/app.ts', 2, 'generic', 'critical');
    const res = await gitlabDiscussionReporter.report(makeReport({ inline: [misplaced, F.added], files }), harness(g).ctx);
    expect(res).toMatchObject({ ok: true, posted: 1 });
    expect(res.detail).toContain('1 not placeable inline');
    const bad = g.calls.find((c) => c.method === 'POST' && c.status === 400);
    expect(bad).toBeDefined();
    expect(summaryNotes(g)[0].body).toContain('`src/app.ts:2`');
  });

  it('bounds the summary note to GitLab\'s 1,000,000-character limit', async () => {
    const g = await start();
    const huge = `## Warden\n\n${'x'.repeat(1_200_000)}`;
    const res = await gitlabDiscussionReporter.report(makeReport({ summary: huge }), harness(g).ctx);
    expect(res.ok).toBe(true);
    const body = summaryNotes(g)[0].body;
    expect(body.length).toBeLessThanOrEqual(1_000_000);
    expect(body).toContain('summary truncated');
    expect(summaryNoteBody('short', [], [])).toBe(`${SUMMARY_MARKER}\nshort`);
  });

  it('fails with a clear error when only CI_JOB_TOKEN is available, and sends nothing', async () => {
    const g = await start();
    const res = await gitlabDiscussionReporter.report(makeReport(), harness(g, { token: undefined, onlyJobToken: true }).ctx);
    expect(res.ok).toBe(false);
    expect(res.error).toMatch(/CI_JOB_TOKEN cannot create merge request notes or discussions/);
    expect(res.error).toContain('`api` scope');
    expect(res.error).toContain('GITLAB_TOKEN');
    expect(res.error).toContain('masked');
    const noToken = await gitlabDiscussionReporter.report(makeReport(), harness(g, { token: undefined }).ctx);
    expect(noToken.ok).toBe(false);
    expect(noToken.error).toMatch(/no GitLab token/);
    expect(g.calls).toEqual([]);
  });

  it('reports a read-only token (403) as ok:false with a hint and without the token', async () => {
    const g = await start();
    const res = await gitlabDiscussionReporter.report(makeReport(), harness(g, { token: READ_ONLY }).ctx);
    expect(res.ok).toBe(false);
    expect(res.error).toContain('403');
    expect(res.error).toContain('403 Forbidden');
    expect(res.error).toMatch(/`api` scope/);
    expect(res.error).not.toContain(READ_ONLY);
    expect(JSON.stringify(res)).not.toContain(READ_ONLY);
    expect(g.discussions(IID)).toEqual([]);
  });

  it('reports a rejected token (401) without echoing it', async () => {
    const g = await start();
    const bad = 'glpat-WRONG-token-555555';
    const res = await gitlabDiscussionReporter.report(makeReport(), harness(g, { token: bad }).ctx);
    expect(res.ok).toBe(false);
    expect(res.error).toContain('401');
    expect(res.error).toMatch(/rejected/);
    expect(JSON.stringify(res)).not.toContain(bad);
  });

  it('needs a merge request, and says so', async () => {
    const g = await start();
    const res = await gitlabDiscussionReporter.report(makeReport(), harness(g, { mrIid: undefined }).ctx);
    expect(res.ok).toBe(false);
    expect(res.error).toMatch(/merge request pipeline|--mr/);
    expect(g.calls).toEqual([]);
  });

  it('fails clearly while GitLab has not computed the MR diff (diff_refs null)', async () => {
    const g = await start({ mergeRequests: [{ iid: IID, diffRefs: null, diff: DIFF }] });
    const res = await gitlabDiscussionReporter.report(makeReport(), harness(g).ctx);
    expect(res.ok).toBe(false);
    expect(res.error).toMatch(/diff_refs/);
    expect(g.writes()).toEqual([]);
  });

  it('works on a self-managed instance under a path prefix, with a URL-encoded project path', async () => {
    const g = await start({ prefix: '/gitlab/internal', project: { id: 42, path: 'acme/app' } });
    expect(g.apiUrl).toMatch(/\/gitlab\/internal\/api\/v4$/);
    const res = await gitlabDiscussionReporter.report(makeReport(), harness(g, { projectId: 'acme%2Fapp' }).ctx);
    expect(res).toMatchObject({ ok: true, posted: 5 });
    expect(g.calls.every((c) => c.path.startsWith('/projects/acme/app/'))).toBe(true);
    expect(summaryNotes(g)).toHaveLength(1);
  });

  it('rides out a transient 502', async () => {
    const g = await start();
    g.failNext(502);
    const res = await gitlabDiscussionReporter.report(makeReport(), harness(g).ctx);
    expect(res).toMatchObject({ ok: true, posted: 5 });
    expect(g.calls[0].status).toBe(502);
  });

  it('sends nothing in a dry run and says what it would post', async () => {
    const g = await start();
    const { ctx, logs } = harness(g, {}, true);
    const res = await gitlabDiscussionReporter.report(makeReport(), ctx);
    expect(res).toMatchObject({ ok: true, posted: 0 });
    expect(res.detail).toMatch(/^dry run: would post up to 5 discussion\(s\) on !7/);
    expect(logs.some((l) => l.includes('src/old-name.py → src/new-name.py new_line=12 old_line=11'))).toBe(true);
    expect(g.calls).toEqual([]);
  });
});

describe('gitlab-status', () => {
  it('posts state, name, description and target_url for the head commit', async () => {
    const g = await start();
    const res = await gitlabStatusReporter.report(makeReport({ conclusion: 'failure', headline: '2 findings at or above high' }), harness(g).ctx);
    expect(res).toMatchObject({ reporter: 'gitlab-status', ok: true, posted: 1 });
    const call = g.calls.find((c) => c.method === 'POST')!;
    expect(call.path).toBe(`/projects/42/statuses/${REFS.head_sha}`);
    expect(call.body).toEqual({ state: 'failed', name: 'warden', description: '2 findings at or above high', target_url: 'https://gitlab.example.com/acme/app/-/jobs/99' });
    expect(g.statuses).toHaveLength(1);
    expect(g.statuses[0]).toMatchObject({ status: 'failed', name: 'warden' });
  });

  it('maps neutral to success, bounds the description and leaves out an unknown job URL', async () => {
    const g = await start();
    const res = await gitlabStatusReporter.report(makeReport({ conclusion: 'neutral', headline: `a\nlong ${'w'.repeat(400)}` }), harness(g, { jobUrl: undefined }).ctx);
    expect(res.ok).toBe(true);
    const body = g.calls.find((c) => c.method === 'POST')!.body as Record<string, string>;
    expect(body.state).toBe('success');
    expect(body.description.length).toBeLessThanOrEqual(255);
    expect(body.description).not.toContain('\n');
    expect(body).not.toHaveProperty('target_url');
  });

  it('fails clearly with only CI_JOB_TOKEN, on a read-only token and on an unknown commit', async () => {
    const g = await start();
    const job = await gitlabStatusReporter.report(makeReport(), harness(g, { token: undefined, onlyJobToken: true }).ctx);
    expect(job.ok).toBe(false);
    expect(job.error).toMatch(/CI_JOB_TOKEN cannot create commit statuses/);
    const ro = await gitlabStatusReporter.report(makeReport(), harness(g, { token: READ_ONLY }).ctx);
    expect(ro.ok).toBe(false);
    expect(ro.error).toContain('403');
    expect(JSON.stringify(ro)).not.toContain(READ_ONLY);
    const unknown = await gitlabStatusReporter.report(makeReport(), harness(g, { headSha: 'e'.repeat(40) }).ctx);
    expect(unknown.ok).toBe(false);
    expect(unknown.error).toContain('404');
    expect(g.statuses).toEqual([]);
  });

  it('sends nothing in a dry run', async () => {
    const g = await start();
    const res = await gitlabStatusReporter.report(makeReport(), harness(g, {}, true).ctx);
    expect(res).toMatchObject({ ok: true, posted: 0 });
    expect(res.detail).toMatch(/^dry run: would set commit status "warden" = failed/);
    expect(g.calls).toEqual([]);
  });
});

describe('gitlab-codequality', () => {
  it('writes the Code Quality renderer\'s output for every finding, without any API call or token', async () => {
    const report = makeReport({ inline: [F.added, { ...F.context, suppressed: { kind: 'inline' } }] });
    const { ctx, files } = harness(undefined, { token: undefined, onlyJobToken: true });
    const res = await gitlabCodeQualityReporter.report(report, ctx);
    expect(res).toMatchObject({ reporter: 'gitlab-codequality', ok: true, posted: 2 });
    const file = path.join('/repo', CODE_QUALITY_FILE);
    expect([...files.keys()]).toEqual([file]);
    const expected = renderGitlabCodeQuality({
      root: '/repo',
      findings: report.findings,
      rules: report.rules,
      skipped: [],
      summary: { files: 0, bySeverity: { info: 0, low: 0, medium: 0, high: 0, critical: 0 }, byRule: {}, durationMs: 0, cached: 0 },
    });
    expect(files.get(file)).toBe(expected);
    const issues = JSON.parse(files.get(file)!) as Array<{ check_name: string; location: { path: string } }>;
    expect(issues.map((i) => `${i.check_name}@${i.location.path}`).sort()).toEqual(['generic@src/other.ts', 'llm-eval@src/app.ts']);
  });

  it('writes nothing in a dry run', async () => {
    const { ctx, files } = harness(undefined, {}, true);
    const res = await gitlabCodeQualityReporter.report(makeReport(), ctx);
    expect(res).toMatchObject({ ok: true, posted: 0 });
    expect(res.detail).toMatch(/^dry run: would write 6 issue\(s\)/);
    expect(files.size).toBe(0);
  });

  it('reports a write failure as ok:false', async () => {
    const { ctx } = harness(undefined);
    ctx.writeFile = () => {
      throw new Error('EACCES: permission denied');
    };
    const res = await gitlabCodeQualityReporter.report(makeReport(), ctx);
    expect(res.ok).toBe(false);
    expect(res.error).toContain('EACCES');
  });
});

describe('gitlabReporters', () => {
  it('registers the three GitLab reporters by name', () => {
    expect(gitlabReporters.map((r) => [r.name, r.provider])).toEqual([
      ['gitlab-discussion', 'gitlab'],
      ['gitlab-codequality', 'gitlab'],
      ['gitlab-status', 'gitlab'],
    ]);
  });

  it('never throw, even without a GitLab context', async () => {
    const { ctx } = harness(undefined);
    ctx.ci = { provider: 'local' };
    for (const r of gitlabReporters.filter((x) => x.name !== 'gitlab-codequality')) {
      const res = await r.report(makeReport(), ctx);
      expect(res.ok).toBe(false);
      expect(res.error).toMatch(/GitLab/);
    }
  });
});
