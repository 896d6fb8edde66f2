// A fake GitHub REST API for tests: node:http on 127.0.0.1, reached through Octokit's `baseUrl`. It speaks
// GitHub's wire format (JSON bodies, error shapes, `Link` pagination with per_page 30 by default and 100
// at most) and enforces the rules of the real API that reporters can get wrong: authentication and
// read-only tokens, check-run output limits (50 annotations per request, 65,535-character summary/text,
// columns only on single-line annotations), review comments only on lines of the pull request's diff
// (same hunk for multi-line comments) and on its head commit, comment body limits, commit-status
// description limits. Every call is recorded (token removed) and faults can be injected per route.
// It stands in for GitHub, never for Warden's code: it imports nothing from src/.
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Tokens the fake accepts unless startFakeGithub({ tokens, readOnlyTokens }) says otherwise. */
export const FAKE_GITHUB_TOKENS = {
  write: 'ghs_fakeWriteToken0123456789abcdefABCDEF',
  readOnly: 'ghs_fakeReadOnlyToken0123456789abcdefABCD',
} as const;

const DOCS = 'https://docs.github.com/rest';
const MAX_BODY_BYTES = 25 * 1024 * 1024;
const CHECK_TEXT_LIMIT = 65_535;
const COMMENT_LIMIT = 65_536;
const ANNOTATION_BYTES = 64 * 1024;

// ---------------------------------------------------------------------------------------------
// Configuration and state

/** Per file: head-side (right) and base-side (left) lines shown by hunks; consecutive lines form one hunk. */
export type FakeDiffLines = Record<string, { right?: number[]; left?: number[] }>;

export interface FakePullRequest {
  number: number;
  headSha: string;
  baseSha?: string;
  /** Unified diff text as `git diff` prints it, or per-file line sets. */
  diff: string | FakeDiffLines;
}

export interface FakeGithubOptions {
  owner?: string;
  repo?: string;
  /** Serve under this path, like GitHub Enterprise Server's `/api/v3`. */
  pathPrefix?: string;
  /** Tokens with write access (default: FAKE_GITHUB_TOKENS.write). */
  tokens?: string[];
  /** Tokens that may read but get 403 on every write (default: FAKE_GITHUB_TOKENS.readOnly). */
  readOnlyTokens?: string[];
  pulls?: FakePullRequest[];
  /** Further commits check runs and statuses may attach to (PR head and base shas are known already). */
  commits?: string[];
  /** The login the token acts as. */
  login?: string;
}

export interface RecordedCall {
  method: string;
  /** Path without the prefix and query, e.g. /repos/acme/widgets/check-runs. */
  path: string;
  query: Record<string, string>;
  /** Request headers, authorization removed. */
  headers: Record<string, string>;
  /** Parsed JSON body (undefined when none). */
  body: unknown;
  /** The status the fake answered. */
  status: number;
}

export interface FakeAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: string;
  title?: string;
  message: string;
  raw_details?: string;
}

export interface FakeCheckRun {
  id: number;
  name: string;
  head_sha: string;
  status: string;
  conclusion: string | null;
  details_url?: string;
  output: { title: string | null; summary: string | null; text: string | null };
  /** Appended across create and updates, as GitHub does. */
  annotations: FakeAnnotation[];
}

export interface FakeReviewComment {
  id: number;
  pull_request_review_id: number | null;
  pull_number: number;
  path: string;
  line: number;
  side: 'LEFT' | 'RIGHT';
  start_line: number | null;
  start_side: 'LEFT' | 'RIGHT' | null;
  commit_id: string;
  original_commit_id: string;
  body: string;
  user: { login: string; type: string };
  created_at: string;
  updated_at: string;
}

export interface FakeReview {
  id: number;
  pull_number: number;
  commit_id: string;
  body: string;
  state: string;
  commentIds: number[];
}

export interface FakeIssueComment {
  id: number;
  issue_number: number;
  body: string;
  user: { login: string; type: string };
  created_at: string;
  updated_at: string;
}

export interface FakeStatus {
  id: number;
  sha: string;
  state: string;
  context: string;
  description: string | null;
  target_url: string | null;
}

export type FaultKind = 'secondary-rate-limit' | 'primary-rate-limit' | 'server-error' | 'hang';

export interface FaultSpec {
  method: string;
  /** Exact path (without prefix) or a pattern. */
  path: string | RegExp;
  kind: FaultKind;
  /** How many matching requests get the fault. Default 1. */
  times?: number;
  /** Retry-After seconds for secondary rate limits. Default 1. */
  retryAfter?: number;
}

export interface FakeGithub {
  /** The API root to give Octokit as baseUrl (includes pathPrefix). */
  apiUrl: string;
  /** The web root (links). */
  serverUrl: string;
  owner: string;
  repo: string;
  calls: RecordedCall[];
  checkRuns: FakeCheckRun[];
  reviews: FakeReview[];
  reviewComments: FakeReviewComment[];
  issueComments: FakeIssueComment[];
  statuses: FakeStatus[];
  /** Answer the next `times` requests matching method and path with a fault. */
  failNext(spec: FaultSpec): void;
  /** Calls other than GET. */
  writes(): RecordedCall[];
  /** Seeds an issue comment (e.g. someone else's) without going through the API. */
  seedIssueComment(issueNumber: number, body: string, login?: string): FakeIssueComment;
  /** Seeds a review comment on a pull request's head commit (RIGHT side) without going through the API. */
  seedReviewComment(pullNumber: number, c: { path: string; line: number; body: string; login?: string }): FakeReviewComment;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Diffs

interface Hunk {
  /** Head-side lines [first, last] shown by the hunk. */
  right?: [number, number];
  /** Base-side lines [first, last]. */
  left?: [number, number];
}

export interface ParsedDiffFile {
  path: string;
  oldPath: string;
  status: 'added' | 'modified' | 'renamed';
  hunks: Hunk[];
  /** Head lines added ('+'). */
  added: number[];
  /** Context lines as [head line, base line]. */
  context: [number, number][];
  /** Base lines removed ('-'). */
  removed: number[];
}

/** Parses `git diff` output into files and hunks (deleted files are skipped: nothing on their head side). */
export function parseUnifiedDiff(text: string): ParsedDiffFile[] {
  const files: ParsedDiffFile[] = [];
  let cur: ParsedDiffFile | undefined;
  let oldPath = '';
  let newLine = 0;
  let oldLine = 0;
  // Lines still to come in the current hunk, per side (the header's counts end it).
  let newLeft = 0;
  let oldLeft = 0;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    const inHunk = cur !== undefined && (newLeft > 0 || oldLeft > 0);
    if (inHunk && cur) {
      if (line.startsWith('\\')) continue; // "\ No newline at end of file"
      if (line.startsWith('+')) {
        cur.added.push(newLine++);
        newLeft -= 1;
      } else if (line.startsWith('-')) {
        cur.removed.push(oldLine++);
        oldLeft -= 1;
      } else {
        // A context line (' '), or an empty line whose leading space an editor stripped.
        cur.context.push([newLine++, oldLine++]);
        newLeft -= 1;
        oldLeft -= 1;
      }
      continue;
    }
    if (line.startsWith('diff --git ')) {
      cur = undefined;
      oldPath = '';
      continue;
    }
    if (line.startsWith('--- ')) {
      oldPath = stripPrefix(line.slice(4));
      continue;
    }
    if (line.startsWith('+++ ')) {
      const p = stripPrefix(line.slice(4));
      if (p === '/dev/null') {
        cur = undefined;
        continue;
      }
      const status = oldPath === '/dev/null' ? 'added' : oldPath !== p ? 'renamed' : 'modified';
      cur = { path: p, oldPath: oldPath === '/dev/null' ? p : oldPath, status, hunks: [], added: [], context: [], removed: [] };
      files.push(cur);
      continue;
    }
    const h = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (h && cur) {
      oldLine = Number(h[1]);
      oldLeft = h[2] === undefined ? 1 : Number(h[2]);
      newLine = Number(h[3]);
      newLeft = h[4] === undefined ? 1 : Number(h[4]);
      const hunk: Hunk = {};
      if (newLeft > 0) hunk.right = [newLine, newLine + newLeft - 1];
      if (oldLeft > 0) hunk.left = [oldLine, oldLine + oldLeft - 1];
      cur.hunks.push(hunk);
    }
  }
  return files;
}

function stripPrefix(p: string): string {
  const t = p.replace(/\t.*$/, '');
  return t.startsWith('a/') || t.startsWith('b/') ? t.slice(2) : t;
}

function runs(lines: number[]): [number, number][] {
  const sorted = [...new Set(lines)].sort((a, b) => a - b);
  const out: [number, number][] = [];
  for (const n of sorted) {
    const last = out[out.length - 1];
    if (last && n === last[1] + 1) last[1] = n;
    else out.push([n, n]);
  }
  return out;
}

function hunksOf(diff: string | FakeDiffLines): Map<string, Hunk[]> {
  const out = new Map<string, Hunk[]>();
  if (typeof diff === 'string') {
    for (const f of parseUnifiedDiff(diff)) out.set(f.path, f.hunks);
    return out;
  }
  for (const [path, sides] of Object.entries(diff)) {
    out.set(path, [...runs(sides.right ?? []).map((r) => ({ right: r })), ...runs(sides.left ?? []).map((l) => ({ left: l }))]);
  }
  return out;
}

/** Index of the hunk showing `line` on `side`, or -1. */
function hunkIndex(hunks: Hunk[], side: 'LEFT' | 'RIGHT', line: number): number {
  return hunks.findIndex((h) => {
    const r = side === 'RIGHT' ? h.right : h.left;
    return r !== undefined && line >= r[0] && line <= r[1];
  });
}

// ---------------------------------------------------------------------------------------------
// HTTP plumbing

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly payload: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(String(payload.message));
  }
}

const notFound = () => new ApiError(404, { message: 'Not Found', documentation_url: DOCS, status: '404' });
const invalid = (message: string) => new ApiError(422, { message: `Invalid request.\n\n${message}`, documentation_url: DOCS, status: '422' });
const validation = (resource: string, field: string, message: string) =>
  new ApiError(422, { message: 'Validation Failed', errors: [{ resource, code: 'custom', field, message }], documentation_url: DOCS, status: '422' });
const unprocessable = (error: string) => new ApiError(422, { message: 'Unprocessable Entity', errors: [error], documentation_url: DOCS, status: '422' });

interface Req {
  method: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
  origin: string;
}

interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Obj, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' ? v : undefined;
}

function int(o: Obj, key: string): number | undefined {
  const v = o[key];
  return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        reject(new ApiError(413, { message: 'Request body too large' }));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

// ---------------------------------------------------------------------------------------------
// The server

export async function startFakeGithub(options: FakeGithubOptions = {}): Promise<FakeGithub> {
  const owner = options.owner ?? 'acme';
  const repo = options.repo ?? 'widgets';
  const prefix = (options.pathPrefix ?? '').replace(/\/+$/, '');
  const writeTokens = new Set(options.tokens ?? [FAKE_GITHUB_TOKENS.write]);
  const readOnlyTokens = new Set(options.readOnlyTokens ?? [FAKE_GITHUB_TOKENS.readOnly]);
  const login = options.login ?? 'github-actions[bot]';
  const user = { login, type: 'Bot' };
  const pulls = new Map((options.pulls ?? []).map((p) => [p.number, { ...p, hunks: hunksOf(p.diff) }]));
  const commits = new Set<string>(options.commits ?? []);
  for (const p of pulls.values()) {
    commits.add(p.headSha);
    if (p.baseSha) commits.add(p.baseSha);
  }

  const calls: RecordedCall[] = [];
  const checkRuns: FakeCheckRun[] = [];
  const reviews: FakeReview[] = [];
  const reviewComments: FakeReviewComment[] = [];
  const issueComments: FakeIssueComment[] = [];
  const statuses: FakeStatus[] = [];
  const faults: (FaultSpec & { left: number })[] = [];
  const hanging = new Set<ServerResponse>();
  let nextId = 1000;
  const now = () => new Date().toISOString();

  const repoBase = `/repos/${owner}/${repo}`;

  function pullOr404(n: string): NonNullable<ReturnType<typeof pulls.get>> {
    const p = pulls.get(Number(n));
    if (!p) throw notFound();
    return p;
  }

  function paginate(req: Req, items: unknown[]): Reply {
    const perRaw = Number(req.query.per_page ?? 30);
    const per = Number.isFinite(perRaw) && perRaw >= 1 ? Math.min(100, Math.floor(perRaw)) : 30;
    const pageRaw = Number(req.query.page ?? 1);
    const page = Number.isFinite(pageRaw) && pageRaw >= 1 ? Math.floor(pageRaw) : 1;
    const last = Math.max(1, Math.ceil(items.length / per));
    const link = (p: number, rel: string) => {
      const q = new URLSearchParams({ ...req.query, per_page: String(per), page: String(p) });
      return `<${req.origin}${prefix}${req.path}?${q.toString()}>; rel="${rel}"`;
    };
    const links: string[] = [];
    if (page > 1) links.push(link(page - 1, 'prev'));
    if (page < last) links.push(link(page + 1, 'next'));
    if (last > 1) links.push(link(last, 'last'), link(1, 'first'));
    return { status: 200, body: items.slice((page - 1) * per, page * per), headers: links.length > 0 ? { link: links.join(', ') } : {} };
  }

  // --- check runs --------------------------------------------------------------------------

  function validateOutput(output: unknown): { title: string; summary: string; text: string | null; annotations: FakeAnnotation[] } {
    if (!isObj(output)) throw invalid('For \'properties/output\', is not an object.');
    const title = str(output, 'title');
    const summary = str(output, 'summary');
    if (title === undefined) throw invalid('"title" wasn\'t supplied.');
    if (summary === undefined) throw invalid('"summary" wasn\'t supplied.');
    if (summary.length > CHECK_TEXT_LIMIT) throw invalid(`Only ${CHECK_TEXT_LIMIT} characters are allowed; ${summary.length} were supplied. (summary)`);
    const text = output.text === undefined || output.text === null ? null : str(output, 'text');
    if (text === undefined) throw invalid('For \'properties/text\', is not a string.');
    if (text !== null && text.length > CHECK_TEXT_LIMIT) throw invalid(`Only ${CHECK_TEXT_LIMIT} characters are allowed; ${text.length} were supplied. (text)`);
    const raw = output.annotations ?? [];
    if (!Array.isArray(raw)) throw invalid('For \'properties/annotations\', is not an array.');
    if (raw.length > 50) throw invalid(`Only 50 annotations may be sent per request; ${raw.length} were supplied.`);
    const annotations = raw.map((a, i): FakeAnnotation => {
      if (!isObj(a)) throw invalid(`For 'items', ${JSON.stringify(a)} is not an object.`);
      for (const k of ['path', 'message', 'annotation_level']) if (str(a, k) === undefined) throw invalid(`"${k}" wasn't supplied. (annotation ${i})`);
      for (const k of ['start_line', 'end_line']) if (int(a, k) === undefined) throw invalid(`"${k}" wasn't supplied. (annotation ${i})`);
      const level = str(a, 'annotation_level') as string;
      if (!['notice', 'warning', 'failure'].includes(level)) throw invalid(`For 'properties/annotation_level', "${level}" is not a member of ["notice", "warning", "failure"].`);
      const start = int(a, 'start_line') as number;
      const end = int(a, 'end_line') as number;
      if (start < 1 || end < start) throw invalid(`Annotation ${i}: end_line must be at or after start_line.`);
      const hasColumns = a.start_column !== undefined || a.end_column !== undefined;
      if (hasColumns && start !== end) throw invalid(`Annotation ${i}: start_column and end_column may only be given when start_line and end_line are the same.`);
      const message = str(a, 'message') as string;
      if (Buffer.byteLength(message, 'utf8') > ANNOTATION_BYTES) throw invalid(`Annotation ${i}: message is larger than 64 KB.`);
      const title = str(a, 'title');
      if (title !== undefined && title.length > 255) throw invalid(`Annotation ${i}: title is longer than 255 characters.`);
      const rawDetails = str(a, 'raw_details');
      if (rawDetails !== undefined && Buffer.byteLength(rawDetails, 'utf8') > ANNOTATION_BYTES) throw invalid(`Annotation ${i}: raw_details is larger than 64 KB.`);
      return {
        path: str(a, 'path') as string,
        start_line: start,
        end_line: end,
        ...(int(a, 'start_column') !== undefined ? { start_column: int(a, 'start_column') } : {}),
        ...(int(a, 'end_column') !== undefined ? { end_column: int(a, 'end_column') } : {}),
        annotation_level: level,
        ...(title !== undefined ? { title } : {}),
        message,
        ...(rawDetails !== undefined ? { raw_details: rawDetails } : {}),
      };
    });
    return { title, summary, text, annotations };
  }

  const STATUSES = ['queued', 'in_progress', 'completed', 'waiting', 'requested', 'pending'];
  const CONCLUSIONS = ['action_required', 'cancelled', 'failure', 'neutral', 'success', 'skipped', 'stale', 'timed_out'];

  function applyStatus(run: FakeCheckRun, b: Obj): void {
    const status = str(b, 'status');
    const conclusion = str(b, 'conclusion');
    if (status !== undefined && !STATUSES.includes(status)) throw invalid(`For 'properties/status', "${status}" is not a member of ${JSON.stringify(STATUSES)}.`);
    if (conclusion !== undefined && !CONCLUSIONS.includes(conclusion)) throw invalid(`For 'properties/conclusion', "${conclusion}" is not a member of ${JSON.stringify(CONCLUSIONS)}.`);
    if (status === 'completed' && conclusion === undefined && run.conclusion === null) throw invalid('"conclusion" wasn\'t supplied. It is required when status is completed.');
    if (conclusion !== undefined) {
      run.conclusion = conclusion;
      run.status = 'completed';
    } else if (status !== undefined) run.status = status;
  }

  function checkRunJson(run: FakeCheckRun): Obj {
    return {
      id: run.id,
      name: run.name,
      head_sha: run.head_sha,
      status: run.status,
      conclusion: run.conclusion,
      details_url: run.details_url ?? null,
      html_url: `${serverUrl}/${owner}/${repo}/runs/${run.id}`,
      output: { ...run.output, annotations_count: run.annotations.length, annotations_url: `${apiUrl}${repoBase}/check-runs/${run.id}/annotations` },
    };
  }

  function createCheckRun(b: Obj): Reply {
    const name = str(b, 'name');
    const headSha = str(b, 'head_sha');
    if (!name) throw invalid('"name" wasn\'t supplied.');
    if (!headSha) throw invalid('"head_sha" wasn\'t supplied.');
    if (!commits.has(headSha)) throw new ApiError(422, { message: `No commit found for SHA: ${headSha}`, documentation_url: DOCS, status: '422' });
    const output = b.output === undefined ? undefined : validateOutput(b.output);
    const run: FakeCheckRun = { id: nextId++, name, head_sha: headSha, status: 'queued', conclusion: null, output: { title: null, summary: null, text: null }, annotations: [] };
    if (str(b, 'details_url')) run.details_url = str(b, 'details_url');
    applyStatus(run, b);
    if (output) {
      run.output = { title: output.title, summary: output.summary, text: output.text };
      run.annotations.push(...output.annotations);
    }
    checkRuns.push(run);
    return { status: 201, body: checkRunJson(run) };
  }

  function updateCheckRun(id: string, b: Obj): Reply {
    const run = checkRuns.find((r) => r.id === Number(id));
    if (!run) throw notFound();
    const output = b.output === undefined ? undefined : validateOutput(b.output);
    applyStatus(run, b);
    if (output) {
      run.output = { title: output.title, summary: output.summary, text: output.text ?? run.output.text };
      run.annotations.push(...output.annotations);
    }
    return { status: 200, body: checkRunJson(run) };
  }

  // --- pull request reviews and comments ------------------------------------------------------

  function reviewCommentJson(c: FakeReviewComment): Obj {
    return {
      id: c.id,
      node_id: `PRRC_${c.id}`,
      pull_request_review_id: c.pull_request_review_id,
      path: c.path,
      line: c.line,
      original_line: c.line,
      side: c.side,
      start_line: c.start_line,
      original_start_line: c.start_line,
      start_side: c.start_side,
      commit_id: c.commit_id,
      original_commit_id: c.original_commit_id,
      body: c.body,
      user: c.user,
      created_at: c.created_at,
      updated_at: c.updated_at,
      subject_type: 'line',
      html_url: `${serverUrl}/${owner}/${repo}/pull/${c.pull_number}#discussion_r${c.id}`,
      pull_request_url: `${apiUrl}${repoBase}/pulls/${c.pull_number}`,
    };
  }

  function bodyText(b: Obj, key: string, resource: string, required: boolean): string | undefined {
    const v = b[key];
    if (v === undefined || v === null || v === '') {
      if (required) throw validation(resource, key, `${key} can't be blank`);
      return undefined;
    }
    if (typeof v !== 'string') throw invalid(`For 'properties/${key}', ${JSON.stringify(v)} is not a string.`);
    if (v.length > COMMENT_LIMIT) throw validation(resource, key, `Body is too long (maximum is ${COMMENT_LIMIT} characters)`);
    return v;
  }

  function createReview(pullNumber: string, b: Obj): Reply {
    const pr = pullOr404(pullNumber);
    const commitId = str(b, 'commit_id') ?? pr.headSha;
    if (commitId !== pr.headSha) throw unprocessable(`commit_id ${commitId} is not the head of pull request #${pr.number} (${pr.headSha})`);
    const event = str(b, 'event');
    if (event !== undefined && !['APPROVE', 'REQUEST_CHANGES', 'COMMENT'].includes(event)) throw unprocessable(`Unknown event ${event}`);
    const body = bodyText(b, 'body', 'PullRequestReview', event === 'COMMENT' || event === 'REQUEST_CHANGES') ?? '';
    const rawComments = b.comments ?? [];
    if (!Array.isArray(rawComments)) throw invalid('For \'properties/comments\', is not an array.');
    // Validate every comment before creating anything: GitHub rejects the review as a whole.
    const drafts = rawComments.map((c, i) => {
      if (!isObj(c)) throw invalid(`comments[${i}] is not an object.`);
      const path = str(c, 'path');
      if (!path) throw invalid(`"path" wasn't supplied. (comments[${i}])`);
      const cbody = bodyText(c, 'body', 'PullRequestReviewComment', true) as string;
      const line = int(c, 'line');
      if (line === undefined) throw invalid(`"line" wasn't supplied. (comments[${i}])`);
      const side = (str(c, 'side') ?? 'RIGHT') as 'LEFT' | 'RIGHT';
      if (side !== 'LEFT' && side !== 'RIGHT') throw invalid(`For 'properties/side', "${side}" is not a member of ["LEFT", "RIGHT"].`);
      const hunks = pr.hunks.get(path);
      if (!hunks) throw unprocessable('Path could not be resolved');
      const at = hunkIndex(hunks, side, line);
      if (at < 0) throw unprocessable('Pull request review thread line must be part of the diff');
      const startLine = int(c, 'start_line');
      let startSide: 'LEFT' | 'RIGHT' | null = null;
      if (startLine !== undefined) {
        startSide = (str(c, 'start_side') ?? side) as 'LEFT' | 'RIGHT';
        if (startSide !== 'LEFT' && startSide !== 'RIGHT') throw invalid(`For 'properties/start_side', "${startSide}" is not a member of ["LEFT", "RIGHT"].`);
        if (startSide === side && startLine >= line) throw unprocessable('Pull request review thread start line must precede the end line');
        const startAt = hunkIndex(hunks, startSide, startLine);
        if (startAt < 0) throw unprocessable('Pull request review thread start line must be part of the diff');
        if (startAt !== at) throw unprocessable('Pull request review thread start line must be part of the same hunk as the line.');
      } else if (c.start_side !== undefined) {
        throw unprocessable('start_side requires start_line');
      }
      return { path, body: cbody, line, side, startLine: startLine ?? null, startSide };
    });
    const review: FakeReview = {
      id: nextId++,
      pull_number: pr.number,
      commit_id: commitId,
      body,
      state: event === 'APPROVE' ? 'APPROVED' : event === 'REQUEST_CHANGES' ? 'CHANGES_REQUESTED' : event === 'COMMENT' ? 'COMMENTED' : 'PENDING',
      commentIds: [],
    };
    reviews.push(review);
    for (const d of drafts) {
      const t = now();
      const c: FakeReviewComment = {
        id: nextId++,
        pull_request_review_id: review.id,
        pull_number: pr.number,
        path: d.path,
        line: d.line,
        side: d.side,
        start_line: d.startLine,
        start_side: d.startSide,
        commit_id: commitId,
        original_commit_id: commitId,
        body: d.body,
        user,
        created_at: t,
        updated_at: t,
      };
      reviewComments.push(c);
      review.commentIds.push(c.id);
    }
    return {
      status: 200,
      body: { id: review.id, node_id: `PRR_${review.id}`, user, body: review.body, state: review.state, commit_id: review.commit_id, html_url: `${serverUrl}/${owner}/${repo}/pull/${pr.number}#pullrequestreview-${review.id}` },
    };
  }

  function updateReviewComment(id: string, b: Obj): Reply {
    const c = reviewComments.find((x) => x.id === Number(id));
    if (!c) throw notFound();
    c.body = bodyText(b, 'body', 'PullRequestReviewComment', true) as string;
    c.updated_at = now();
    return { status: 200, body: reviewCommentJson(c) };
  }

  // --- issue comments ---------------------------------------------------------------------------

  function issueCommentJson(c: FakeIssueComment): Obj {
    return {
      id: c.id,
      node_id: `IC_${c.id}`,
      body: c.body,
      user: c.user,
      created_at: c.created_at,
      updated_at: c.updated_at,
      html_url: `${serverUrl}/${owner}/${repo}/pull/${c.issue_number}#issuecomment-${c.id}`,
      issue_url: `${apiUrl}${repoBase}/issues/${c.issue_number}`,
    };
  }

  function seedIssueComment(issueNumber: number, body: string, who = login): FakeIssueComment {
    const t = now();
    const c: FakeIssueComment = { id: nextId++, issue_number: issueNumber, body, user: { login: who, type: who.endsWith('[bot]') ? 'Bot' : 'User' }, created_at: t, updated_at: t };
    issueComments.push(c);
    return c;
  }

  function seedReviewComment(pullNumber: number, c: { path: string; line: number; body: string; login?: string }): FakeReviewComment {
    const pr = pulls.get(pullNumber);
    if (!pr) throw new Error(`fake-github: no pull request #${pullNumber}`);
    const t = now();
    const who = c.login ?? login;
    const comment: FakeReviewComment = {
      id: nextId++,
      pull_request_review_id: null,
      pull_number: pullNumber,
      path: c.path,
      line: c.line,
      side: 'RIGHT',
      start_line: null,
      start_side: null,
      commit_id: pr.headSha,
      original_commit_id: pr.headSha,
      body: c.body,
      user: { login: who, type: who.endsWith('[bot]') ? 'Bot' : 'User' },
      created_at: t,
      updated_at: t,
    };
    reviewComments.push(comment);
    return comment;
  }

  // --- statuses -------------------------------------------------------------------------------

  function createStatus(sha: string, b: Obj): Reply {
    if (!commits.has(sha)) throw new ApiError(422, { message: `No commit found for SHA: ${sha}`, documentation_url: DOCS, status: '422' });
    const state = str(b, 'state');
    if (!state || !['error', 'failure', 'pending', 'success'].includes(state)) {
      throw validation('Status', 'state', `state is not included in the list (error, failure, pending, success)`);
    }
    const description = b.description === undefined || b.description === null ? null : str(b, 'description');
    if (description === undefined) throw invalid('For \'properties/description\', is not a string.');
    if (description !== null && description.length > 140) throw validation('Status', 'description', 'description is too long (maximum is 140 characters)');
    const s: FakeStatus = { id: nextId++, sha, state, context: str(b, 'context') ?? 'default', description, target_url: str(b, 'target_url') ?? null };
    statuses.push(s);
    return { status: 201, body: { ...s, url: `${apiUrl}${repoBase}/statuses/${sha}`, creator: user } };
  }

  // --- routing ------------------------------------------------------------------------------------

  type Handler = (req: Req, m: RegExpExecArray) => Reply;
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const R = `^${esc(repoBase)}`;
  const routes: [string, RegExp, Handler][] = [
    ['POST', new RegExp(`${R}/check-runs$`), (req) => createCheckRun(asObj(req.body))],
    ['PATCH', new RegExp(`${R}/check-runs/(\\d+)$`), (req, m) => updateCheckRun(m[1], asObj(req.body))],
    [
      'GET',
      new RegExp(`${R}/check-runs/(\\d+)$`),
      (_req, m) => {
        const run = checkRuns.find((r) => r.id === Number(m[1]));
        if (!run) throw notFound();
        return { status: 200, body: checkRunJson(run) };
      },
    ],
    [
      'GET',
      new RegExp(`${R}/check-runs/(\\d+)/annotations$`),
      (req, m) => {
        const run = checkRuns.find((r) => r.id === Number(m[1]));
        if (!run) throw notFound();
        return paginate(req, run.annotations);
      },
    ],
    [
      'GET',
      new RegExp(`${R}/pulls/(\\d+)$`),
      (_req, m) => {
        const pr = pullOr404(m[1]);
        return { status: 200, body: { number: pr.number, state: 'open', head: { sha: pr.headSha }, base: { sha: pr.baseSha ?? null } } };
      },
    ],
    [
      'GET',
      new RegExp(`${R}/pulls/(\\d+)/comments$`),
      (req, m) => {
        const pr = pullOr404(m[1]);
        return paginate(req, reviewComments.filter((c) => c.pull_number === pr.number).map(reviewCommentJson));
      },
    ],
    ['POST', new RegExp(`${R}/pulls/(\\d+)/reviews$`), (req, m) => createReview(m[1], asObj(req.body))],
    [
      'GET',
      new RegExp(`${R}/pulls/(\\d+)/reviews$`),
      (req, m) => {
        const pr = pullOr404(m[1]);
        return paginate(req, reviews.filter((r) => r.pull_number === pr.number).map((r) => ({ id: r.id, body: r.body, state: r.state, commit_id: r.commit_id, user })));
      },
    ],
    ['PATCH', new RegExp(`${R}/pulls/comments/(\\d+)$`), (req, m) => updateReviewComment(m[1], asObj(req.body))],
    [
      'GET',
      new RegExp(`${R}/issues/(\\d+)/comments$`),
      (req, m) => {
        const pr = pullOr404(m[1]);
        return paginate(req, issueComments.filter((c) => c.issue_number === pr.number).map(issueCommentJson));
      },
    ],
    [
      'POST',
      new RegExp(`${R}/issues/(\\d+)/comments$`),
      (req, m) => {
        const pr = pullOr404(m[1]);
        const body = bodyText(asObj(req.body), 'body', 'IssueComment', true) as string;
        return { status: 201, body: issueCommentJson(seedIssueComment(pr.number, body)) };
      },
    ],
    [
      'PATCH',
      new RegExp(`${R}/issues/comments/(\\d+)$`),
      (req, m) => {
        const c = issueComments.find((x) => x.id === Number(m[1]));
        if (!c) throw notFound();
        c.body = bodyText(asObj(req.body), 'body', 'IssueComment', true) as string;
        c.updated_at = now();
        return { status: 200, body: issueCommentJson(c) };
      },
    ],
    ['POST', new RegExp(`${R}/statuses/([0-9a-fA-F]+)$`), (req, m) => createStatus(m[1], asObj(req.body))],
  ];

  function asObj(body: unknown): Obj {
    if (!isObj(body)) throw new ApiError(400, { message: 'Problems parsing JSON', documentation_url: DOCS, status: '400' });
    return body;
  }

  function takeFault(method: string, path: string): (FaultSpec & { left: number }) | undefined {
    const f = faults.find((x) => x.left > 0 && x.method === method && (typeof x.path === 'string' ? x.path === path : x.path.test(path)));
    if (f) f.left -= 1;
    return f;
  }

  function faultReply(f: FaultSpec): Reply {
    if (f.kind === 'secondary-rate-limit') {
      return {
        status: 403,
        body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: DOCS, status: '403' },
        headers: { 'retry-after': String(f.retryAfter ?? 1) },
      };
    }
    if (f.kind === 'primary-rate-limit') {
      // Reset "now": the client waits about a second (its +1) and tries again.
      return {
        status: 403,
        body: { message: 'API rate limit exceeded for installation.', documentation_url: DOCS, status: '403' },
        headers: { 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.floor(Date.now() / 1000)) },
      };
    }
    return { status: 502, body: { message: 'Server Error' } };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    let path = url.pathname;
    const query = Object.fromEntries(url.searchParams.entries());
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (k !== 'authorization' && v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const call: RecordedCall = { method, path, query, headers, body: undefined, status: 0 };
    calls.push(call);
    const send = (reply: Reply) => {
      call.status = reply.status;
      const text = JSON.stringify(reply.body);
      res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...reply.headers });
      res.end(text);
    };
    try {
      if (prefix) {
        if (!path.startsWith(`${prefix}/`)) throw notFound();
        path = path.slice(prefix.length);
        call.path = path;
      }
      const raw = await readBody(req);
      if (raw.length > 0) {
        try {
          call.body = JSON.parse(raw.toString('utf8'));
        } catch {
          throw new ApiError(400, { message: 'Problems parsing JSON', documentation_url: DOCS, status: '400' });
        }
      }
      const auth = req.headers.authorization ?? '';
      const token = /^(?:token|bearer)\s+(\S+)$/i.exec(auth)?.[1];
      const write = method !== 'GET' && method !== 'HEAD';
      if (!token || (!writeTokens.has(token) && !readOnlyTokens.has(token))) {
        throw new ApiError(401, { message: 'Bad credentials', documentation_url: DOCS, status: '401' });
      }
      const fault = takeFault(method, path);
      if (fault?.kind === 'hang') {
        call.status = -1;
        hanging.add(res);
        return;
      }
      if (fault) {
        send(faultReply(fault));
        return;
      }
      for (const [m, re, handler] of routes) {
        if (m !== method) continue;
        const match = re.exec(path);
        if (!match) continue;
        if (write && readOnlyTokens.has(token)) {
          throw new ApiError(403, { message: 'Resource not accessible by integration', documentation_url: DOCS, status: '403' });
        }
        send(handler({ method, path, query, body: call.body, origin: `http://${req.headers.host ?? 'localhost'}` }, match));
        return;
      }
      throw notFound();
    } catch (err) {
      if (err instanceof ApiError) send({ status: err.status, body: err.payload, headers: err.headers });
      else send({ status: 500, body: { message: `fake-github: ${err instanceof Error ? err.message : String(err)}` } });
    }
  }

  const server = http.createServer((req, res) => {
    void handle(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const serverUrl = `http://127.0.0.1:${port}`;
  const apiUrl = `${serverUrl}${prefix}`;

  return {
    apiUrl,
    serverUrl,
    owner,
    repo,
    calls,
    checkRuns,
    reviews,
    reviewComments,
    issueComments,
    statuses,
    failNext(spec) {
      faults.push({ ...spec, left: spec.times ?? 1 });
    },
    writes: () => calls.filter((c) => c.method !== 'GET'),
    seedIssueComment,
    seedReviewComment,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
