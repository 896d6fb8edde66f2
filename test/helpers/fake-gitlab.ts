// A fake GitLab v4 REST API on 127.0.0.1:0 for the GitLab reporters' tests, reached by the real
// @gitbeaker/rest client through its `host`. It stands in for GitLab, never for Warden code, so it
// enforces the rules of the real API that a reporter can get wrong:
// - auth: PRIVATE-TOKEN (or OAuth Bearer) must name a known token, else 401 {"message":"401
//   Unauthorized"}; a JOB-TOKEN is not accepted on merge request, note or status routes, so GitLab
//   treats the caller as anonymous (private project: 404 Project Not Found; public: reads only,
//   writes 401); a read-only token (read_api scope / too low a role) gets 403 {"message":"403
//   Forbidden"} on every write; only a note's author may edit it.
// - pagination: page/per_page (default 20, clamped to 100), x-page, x-per-page, x-total,
//   x-total-pages, x-next-page, x-prev-page and a Link header (gitbeaker follows rel="next").
// - diff positions: position_type text needs base/start/head SHAs equal to the MR's diff_refs, both
//   paths naming a file of the MR's diff, and lines GitLab can turn into a line_code: new_line alone
//   for an added line, old_line + new_line for an unchanged context line, old_line alone for a removed
//   line. Anything else is GitLab's 400 "line_code can't be blank, must be a valid line code".
// - notes: body required, at most 1,000,000 characters; only resolvable discussions resolve.
// - commit statuses: state one of pending|running|success|failed|canceled|skipped, a known commit,
//   and no repeat of the state an unfinished status of the same name already has.
// Parameters are read the way Grape reads them: query string, JSON, urlencoded and multipart bodies
// (gitbeaker sends discussion positions as multipart `position[...]` fields), merged.
// Every request is recorded (method, path, query, parsed body, status) — never its headers, so a
// token cannot end up in a test's output.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeRole = 'developer' | 'read_only';

export interface FakeUser {
  role?: FakeRole;
  username?: string;
}

export interface FakeDiffRefs {
  base_sha: string;
  start_sha: string;
  head_sha: string;
}

/** One file of an MR diff as GitLab's diff viewer sees it. Line numbers are 1-based. */
export interface FakeDiffFile {
  oldPath: string;
  newPath: string;
  /** New-file lines the diff adds. */
  added: number[];
  /** Old-file lines the diff removes. */
  removed: number[];
  /** Unchanged lines shown in hunks: [newLine, oldLine]. */
  context: Array<[number, number]>;
}

export interface FakeMergeRequestInit {
  iid: number;
  /** null: GitLab has not computed the diff yet (diff_refs null). */
  diffRefs: FakeDiffRefs | null;
  /** The MR diff: unified diff text (as `git diff` prints it) or per-file line sets. */
  diff: string | FakeDiffFile[];
  title?: string;
}

export interface FakeGitlabOptions {
  /** Path prefix of a self-managed instance served under a sub-path, e.g. "/gitlab". */
  prefix?: string;
  project?: { id: number; path: string; visibility?: 'private' | 'public' };
  /** PRIVATE-TOKEN values GitLab knows. */
  tokens?: Record<string, FakeUser>;
  /** CI_JOB_TOKEN values of running jobs. */
  jobTokens?: string[];
  mergeRequests?: FakeMergeRequestInit[];
  /** SHAs the project has besides MR heads (commit statuses need a known commit). */
  commits?: string[];
}

export interface RecordedCall {
  method: string;
  /** Path below the API root, decoded per segment, e.g. /projects/42/merge_requests/7/discussions. */
  path: string;
  query: Record<string, unknown>;
  body: unknown;
  status: number;
}

export interface FakeNote {
  id: number;
  type: 'DiffNote' | 'DiscussionNote' | null;
  body: string;
  author: { id: number; username: string; name: string };
  created_at: string;
  updated_at: string;
  system: boolean;
  noteable_id: number;
  noteable_type: 'MergeRequest';
  noteable_iid: number;
  project_id: number;
  resolvable: boolean;
  resolved?: boolean;
  resolved_by?: { id: number; username: string } | null;
  position?: Record<string, unknown>;
}

export interface FakeDiscussion {
  id: string;
  individual_note: boolean;
  notes: FakeNote[];
}

export interface FakeStatus {
  id: number;
  sha: string;
  ref: string | null;
  status: string;
  name: string;
  description: string | null;
  target_url: string | null;
  created_at: string;
}

interface MrState {
  iid: number;
  id: number;
  title: string;
  diffRefs: FakeDiffRefs | null;
  files: FakeDiffFile[];
  discussions: FakeDiscussion[];
}

type Principal = { kind: 'user'; id: number; username: string; role: FakeRole } | { kind: 'job' };

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly payload: unknown,
  ) {
    super(typeof payload === 'string' ? payload : JSON.stringify(payload));
  }
}

const NOTE_MAX = 1_000_000;
const MAX_BODY_BYTES = 8 * 1024 * 1024;
const STATUS_STATES = ['pending', 'running', 'success', 'failed', 'canceled', 'skipped'];
const LINE_CODE_ERROR = { message: '400 Bad request - Note {:line_code=>["can\'t be blank", "must be a valid line code"]}' };

/** Files of a unified diff (`git diff` output), with added, removed and context lines per file. */
export function parseDiffForFake(text: string): FakeDiffFile[] {
  const files: FakeDiffFile[] = [];
  let cur: FakeDiffFile | undefined;
  let renameFrom: string | undefined;
  let renameTo: string | undefined;
  let minus: string | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.startsWith('diff --git ')) {
      cur = undefined;
      renameFrom = renameTo = minus = undefined;
      const m = /^diff --git a\/(.+) b\/(.+)$/.exec(l);
      if (m) {
        cur = { oldPath: m[1], newPath: m[2], added: [], removed: [], context: [] };
        files.push(cur);
      }
    } else if (l.startsWith('rename from ')) renameFrom = l.slice(12);
    else if (l.startsWith('rename to ')) renameTo = l.slice(10);
    else if (l.startsWith('--- ')) minus = l.slice(4);
    else if (l.startsWith('+++ ') && cur) {
      const plus = l.slice(4);
      if (plus !== '/dev/null') cur.newPath = plus.replace(/^b\//, '');
      // GitLab reports a new file with old_path equal to new_path.
      cur.oldPath = minus && minus !== '/dev/null' ? minus.replace(/^a\//, '') : cur.newPath;
      if (renameFrom) cur.oldPath = renameFrom;
      if (renameTo) cur.newPath = renameTo;
    } else if (l.startsWith('@@ ') && cur) {
      const m = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(l);
      if (!m) continue;
      let o = Number(m[1]);
      let n = Number(m[3]);
      let oLeft = m[2] === undefined ? 1 : Number(m[2]);
      let nLeft = m[4] === undefined ? 1 : Number(m[4]);
      while ((oLeft > 0 || nLeft > 0) && i + 1 < lines.length) {
        const b = lines[++i];
        if (b.startsWith('\\')) continue;
        if (b.startsWith('+')) {
          cur.added.push(n++);
          nLeft--;
        } else if (b.startsWith('-')) {
          cur.removed.push(o++);
          oLeft--;
        } else {
          cur.context.push([n++, o++]);
          oLeft--;
          nLeft--;
        }
      }
    }
  }
  return files;
}

/** Rails-style nested keys: `position[base_sha]=x` → { position: { base_sha: 'x' } }. */
function nest(entries: Iterable<[string, unknown]>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
    if (!m) {
      out[key] = value;
      continue;
    }
    const path = [m[1], ...[...m[2].matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1])];
    let node = out;
    for (let i = 0; i < path.length - 1; i++) {
      const next = node[path[i]];
      if (typeof next !== 'object' || next === null) node[path[i]] = {};
      node = node[path[i]] as Record<string, unknown>;
    }
    node[path[path.length - 1]] = value;
  }
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function intParam(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return undefined;
}

function boolParam(v: unknown): boolean | undefined {
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  return undefined;
}

export class FakeGitlab {
  readonly calls: RecordedCall[] = [];
  readonly statuses: FakeStatus[] = [];
  private readonly mrs = new Map<number, MrState>();
  private readonly commits = new Set<string>();
  private readonly tokens: Map<string, { id: number; username: string; role: FakeRole }>;
  private readonly jobTokens: Set<string>;
  private readonly prefix: string;
  private readonly project: { id: number; path: string; visibility: 'private' | 'public' };
  private faults: number[] = [];
  private seq = 0;
  private server!: http.Server;
  private origin = '';

  constructor(opts: FakeGitlabOptions = {}) {
    this.prefix = (opts.prefix ?? '').replace(/\/+$/, '');
    this.project = { id: 42, path: 'acme/app', visibility: 'private', ...opts.project };
    let uid = 100;
    this.tokens = new Map(
      Object.entries(opts.tokens ?? {}).map(([t, u]) => {
        uid++;
        return [t, { id: uid, username: u.username ?? `user${uid}`, role: u.role ?? 'developer' }];
      }),
    );
    this.jobTokens = new Set(opts.jobTokens ?? []);
    for (const c of opts.commits ?? []) this.commits.add(c);
    for (const mr of opts.mergeRequests ?? []) this.addMergeRequest(mr);
  }

  /** Web root to give gitbeaker as `host` (prefix included). */
  get webUrl(): string {
    return `${this.origin}${this.prefix}`;
  }

  /** What CI_API_V4_URL would be. */
  get apiUrl(): string {
    return `${this.webUrl}/api/v4`;
  }

  addMergeRequest(init: FakeMergeRequestInit): void {
    const files = typeof init.diff === 'string' ? parseDiffForFake(init.diff) : init.diff;
    this.mrs.set(init.iid, { iid: init.iid, id: 1000 + init.iid, title: init.title ?? `MR ${init.iid}`, diffRefs: init.diffRefs, files, discussions: [] });
    if (init.diffRefs) this.commits.add(init.diffRefs.head_sha);
  }

  /** The MR's discussions as the API would list them (live objects: tests read, never mutate). */
  discussions(iid: number): FakeDiscussion[] {
    return this.mr(iid).discussions;
  }

  /** Every note of the MR, oldest first. */
  notes(iid: number): FakeNote[] {
    return this.mr(iid).discussions.flatMap((d) => d.notes);
  }

  /** Adds a discussion as if someone (by default the first token's user) had posted it earlier. */
  seedDiscussion(iid: number, init: { body: string; individual?: boolean; system?: boolean; resolved?: boolean; username?: string }): FakeDiscussion {
    const author = init.username ? { id: 9, username: init.username, role: 'developer' as const } : [...this.tokens.values()][0] ?? { id: 9, username: 'someone', role: 'developer' as const };
    const individual = init.individual ?? false;
    const d = this.newDiscussion(this.mr(iid), author, init.body, individual ? null : 'DiscussionNote', !individual && !init.system, undefined, init.system ?? false);
    if (init.resolved) for (const n of d.notes) if (n.resolvable) n.resolved = true;
    return d;
  }

  /** The next `count` requests answer `status` (gitbeaker retries 429 and 502 by itself). */
  failNext(status: number, count = 1): void {
    for (let i = 0; i < count; i++) this.faults.push(status);
  }

  /** Calls that changed something (POST, PUT, PATCH, DELETE). */
  writes(): RecordedCall[] {
    return this.calls.filter((c) => c.method !== 'GET');
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      void this.handle(req, res);
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // -------------------------------------------------------------------------------------------

  private mr(iid: number): MrState {
    const mr = this.mrs.get(iid);
    if (!mr) throw new Error(`fake GitLab: no merge request !${iid}`);
    return mr;
  }

  private now(): string {
    // Deterministic, strictly increasing timestamps: order is what the API's sorting needs.
    this.seq++;
    return new Date(Date.UTC(2025, 0, 1, 0, 0, this.seq)).toISOString();
  }

  private nextId(): number {
    this.seq++;
    return 5000 + this.seq;
  }

  private newDiscussion(
    mr: MrState,
    author: { id: number; username: string },
    body: string,
    type: FakeNote['type'],
    resolvable: boolean,
    position?: Record<string, unknown>,
    system = false,
  ): FakeDiscussion {
    const at = this.now();
    const note: FakeNote = {
      id: this.nextId(),
      type,
      body,
      author: { id: author.id, username: author.username, name: author.username },
      created_at: at,
      updated_at: at,
      system,
      noteable_id: mr.id,
      noteable_type: 'MergeRequest',
      noteable_iid: mr.iid,
      project_id: this.project.id,
      resolvable,
      ...(resolvable ? { resolved: false, resolved_by: null } : {}),
      ...(position ? { position } : {}),
    };
    const d: FakeDiscussion = {
      id: createHash('sha1').update(`discussion-${note.id}`).digest('hex'),
      individual_note: type === null,
      notes: [note],
    };
    mr.discussions.push(d);
    return d;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://fake');
    const apiRoot = `${this.prefix}/api/v4/`;
    const segments = url.pathname.startsWith(apiRoot) ? url.pathname.slice(apiRoot.length).split('/').map(safeDecode) : undefined;
    const query = nest(url.searchParams.entries());
    const call: RecordedCall = { method, path: segments ? `/${segments.join('/')}` : url.pathname, query, body: undefined, status: 0 };
    this.calls.push(call);
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
      call.status = status;
      const text = JSON.stringify(payload);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
      res.end(text);
    };
    try {
      const body = await this.readParams(req);
      call.body = body;
      const fault = this.faults.shift();
      if (fault !== undefined) throw new HttpError(fault, { message: `${fault} ${http.STATUS_CODES[fault] ?? 'Error'}` });
      if (!segments) throw new HttpError(404, { message: '404 Not Found' });
      const principal = this.authenticate(req);
      const params = { ...query, ...(typeof body === 'object' && body !== null ? body : {}) } as Record<string, unknown>;
      const out = this.route(method, segments, params, principal, req, url);
      send(out.status, out.payload, out.headers);
    } catch (e) {
      if (e instanceof HttpError) send(e.status, e.payload);
      else send(500, { message: `500 Internal Server Error: ${e instanceof Error ? e.message : String(e)}` });
    }
  }

  private async readParams(req: http.IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > MAX_BODY_BYTES) throw new HttpError(413, { message: '413 Request Entity Too Large' });
      chunks.push(c as Buffer);
    }
    if (size === 0) return undefined;
    const buf = Buffer.concat(chunks);
    const ct = String(req.headers['content-type'] ?? '');
    if (ct.startsWith('application/json')) {
      try {
        return JSON.parse(buf.toString('utf8')) as unknown;
      } catch {
        throw new HttpError(400, { error: '400 Bad Request' });
      }
    }
    if (ct.startsWith('application/x-www-form-urlencoded')) return nest(new URLSearchParams(buf.toString('utf8')).entries());
    if (ct.startsWith('multipart/form-data')) {
      // The platform's own multipart parser (undici), fed the raw body and boundary.
      const form = await new Request('http://fake/', { method: 'POST', headers: { 'content-type': ct }, body: buf }).formData();
      const entries: Array<[string, unknown]> = [];
      form.forEach((v, k) => entries.push([k, typeof v === 'string' ? v : '[file]']));
      return nest(entries);
    }
    return buf.toString('utf8');
  }

  private authenticate(req: http.IncomingMessage): Principal {
    const bearer = /^Bearer (.+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
    const priv = req.headers['private-token'];
    const token = typeof priv === 'string' ? priv : bearer;
    if (token !== undefined) {
      const u = this.tokens.get(token);
      if (!u) throw new HttpError(401, { message: '401 Unauthorized' });
      return { kind: 'user', ...u };
    }
    const job = req.headers['job-token'];
    if (typeof job === 'string' && this.jobTokens.has(job)) return { kind: 'job' };
    throw new HttpError(401, { message: '401 Unauthorized' });
  }

  private route(
    method: string,
    seg: string[],
    params: Record<string, unknown>,
    who: Principal,
    req: http.IncomingMessage,
    url: URL,
  ): { status: number; payload: unknown; headers?: Record<string, string> } {
    if (seg[0] !== 'projects' || seg.length < 3) throw new HttpError(404, { message: '404 Not Found' });
    if (seg[1] !== String(this.project.id) && seg[1] !== this.project.path) throw new HttpError(404, { message: '404 Project Not Found' });
    const write = method !== 'GET';
    if (who.kind === 'job') {
      // None of these routes accepts a job token: GitLab ignores it and sees an anonymous caller.
      if (this.project.visibility === 'private') throw new HttpError(404, { message: '404 Project Not Found' });
      if (write) throw new HttpError(401, { message: '401 Unauthorized' });
    } else if (write && who.role === 'read_only') throw new HttpError(403, { message: '403 Forbidden' });
    const user = who.kind === 'user' ? who : undefined;
    const rest = seg.slice(2);
    const ok = (payload: unknown, status = 200) => ({ status, payload });

    if (rest[0] === 'statuses' && rest.length === 2 && method === 'POST') return ok(this.createStatus(rest[1], params), 201);
    if (rest[0] === 'repository' && rest[1] === 'commits' && rest[3] === 'statuses' && rest.length === 4 && method === 'GET') {
      return this.paginate(this.statuses.filter((s) => s.sha === rest[2]).reverse(), params, req, url);
    }
    if (rest[0] !== 'merge_requests' || rest.length < 2) throw new HttpError(404, { message: '404 Not Found' });
    const mr = this.mrs.get(Number(rest[1]));
    if (!mr || !/^\d+$/.test(rest[1])) throw new HttpError(404, { message: '404 Not found' });

    if (rest.length === 2 && method === 'GET') return ok(this.mrJson(mr));
    if (rest[2] === 'discussions') {
      if (rest.length === 3 && method === 'GET') return this.paginate(mr.discussions, params, req, url);
      if (rest.length === 3 && method === 'POST') return ok(this.createDiscussion(mr, user!, params), 201);
      const d = rest.length === 4 ? mr.discussions.find((x) => x.id === rest[3]) : undefined;
      if (rest.length === 4 && !d) throw new HttpError(404, { message: '404 Discussion Not Found' });
      if (d && method === 'GET') return ok(d);
      if (d && method === 'PUT') return ok(this.resolveDiscussion(d, user!, params));
    }
    if (rest[2] === 'notes') {
      if (rest.length === 3 && method === 'GET') {
        const desc = (params.sort ?? 'desc') !== 'asc';
        const key = params.order_by === 'updated_at' ? 'updated_at' : 'created_at';
        const all = mr.discussions.flatMap((d) => d.notes).sort((a, b) => (a[key] < b[key] ? -1 : a[key] > b[key] ? 1 : a.id - b.id) * (desc ? -1 : 1));
        return this.paginate(all, params, req, url);
      }
      if (rest.length === 3 && method === 'POST') {
        const body = this.noteBody(params.body);
        return ok(this.newDiscussion(mr, user!, body, null, false).notes[0], 201);
      }
      const note = rest.length === 4 ? mr.discussions.flatMap((d) => d.notes).find((n) => String(n.id) === rest[3]) : undefined;
      if (rest.length === 4 && !note) throw new HttpError(404, { message: '404 Note Not Found' });
      if (note && method === 'GET') return ok(note);
      if (note && method === 'PUT') {
        if (note.author.id !== user!.id) throw new HttpError(403, { message: '403 Forbidden' });
        if (params.body === undefined) throw new HttpError(400, { error: 'body is missing' });
        note.body = this.noteBody(params.body);
        note.updated_at = this.now();
        return ok(note);
      }
    }
    throw new HttpError(method === 'GET' ? 404 : 405, { message: method === 'GET' ? '404 Not Found' : '405 Method Not Allowed' });
  }

  private noteBody(v: unknown): string {
    if (v === undefined) throw new HttpError(400, { error: 'body is missing' });
    const body = String(v);
    if (body.trim() === '') throw new HttpError(400, { message: '400 Bad request - Note {:note=>["can\'t be blank"]}' });
    if (body.length > NOTE_MAX) throw new HttpError(400, { message: { note: [`is too long (maximum is ${NOTE_MAX} characters)`] } });
    return body;
  }

  private mrJson(mr: MrState): Record<string, unknown> {
    return {
      id: mr.id,
      iid: mr.iid,
      project_id: this.project.id,
      title: mr.title,
      state: 'opened',
      sha: mr.diffRefs?.head_sha ?? null,
      diff_refs: mr.diffRefs,
      web_url: `${this.webUrl}/${this.project.path}/-/merge_requests/${mr.iid}`,
    };
  }

  private createDiscussion(mr: MrState, user: { id: number; username: string }, params: Record<string, unknown>): FakeDiscussion {
    const body = this.noteBody(params.body);
    const pos = params.position;
    if (pos === undefined) return this.newDiscussion(mr, user, body, 'DiscussionNote', true);
    if (typeof pos !== 'object' || pos === null) throw new HttpError(400, { error: 'position is invalid' });
    const p = pos as Record<string, unknown>;
    for (const k of ['position_type', 'base_sha', 'start_sha', 'head_sha']) {
      if (p[k] === undefined || p[k] === '') throw new HttpError(400, { error: `position[${k}] is missing` });
    }
    if (p.position_type !== 'text' && p.position_type !== 'image') throw new HttpError(400, { error: 'position[position_type] does not have a valid value' });
    if (p.position_type !== 'text') throw new HttpError(400, { message: '400 Bad request - image positions are not supported by this fake' });
    const refs = mr.diffRefs;
    if (!refs || p.base_sha !== refs.base_sha || p.start_sha !== refs.start_sha || p.head_sha !== refs.head_sha) throw new HttpError(400, LINE_CODE_ERROR);
    if (typeof p.new_path !== 'string' || typeof p.old_path !== 'string') throw new HttpError(400, LINE_CODE_ERROR);
    const file = mr.files.find((f) => f.newPath === p.new_path && f.oldPath === p.old_path);
    if (!file) throw new HttpError(400, LINE_CODE_ERROR);
    const newLine = p.new_line === undefined ? undefined : intParam(p.new_line);
    const oldLine = p.old_line === undefined ? undefined : intParam(p.old_line);
    if ((p.new_line !== undefined && newLine === undefined) || (p.old_line !== undefined && oldLine === undefined)) {
      throw new HttpError(400, { error: 'position[new_line] is invalid' });
    }
    let valid = false;
    if (newLine !== undefined && oldLine === undefined) valid = file.added.includes(newLine);
    else if (newLine !== undefined && oldLine !== undefined) valid = file.context.some(([n, o]) => n === newLine && o === oldLine);
    else if (oldLine !== undefined) valid = file.removed.includes(oldLine);
    if (!valid) throw new HttpError(400, LINE_CODE_ERROR);
    const lineCode = `${createHash('sha1').update(file.newPath).digest('hex')}_${oldLine ?? 0}_${newLine ?? 0}`;
    const position = {
      base_sha: refs.base_sha,
      start_sha: refs.start_sha,
      head_sha: refs.head_sha,
      old_path: file.oldPath,
      new_path: file.newPath,
      position_type: 'text',
      old_line: oldLine ?? null,
      new_line: newLine ?? null,
      line_range: null,
      line_code: lineCode,
    };
    return this.newDiscussion(mr, user, body, 'DiffNote', true, position);
  }

  private resolveDiscussion(d: FakeDiscussion, user: { id: number; username: string }, params: Record<string, unknown>): FakeDiscussion {
    const resolved = boolParam(params.resolved);
    if (params.resolved === undefined) throw new HttpError(400, { error: 'resolved is missing' });
    if (resolved === undefined) throw new HttpError(400, { error: 'resolved is invalid' });
    // GitLab: `forbidden! unless discussion.can_resolve?(current_user)`, false for a non-resolvable one.
    if (!d.notes.some((n) => n.resolvable)) throw new HttpError(403, { message: '403 Forbidden' });
    for (const n of d.notes) {
      if (!n.resolvable) continue;
      n.resolved = resolved;
      n.resolved_by = resolved ? { id: user.id, username: user.username } : null;
    }
    return d;
  }

  private createStatus(sha: string, params: Record<string, unknown>): FakeStatus {
    if (params.state === undefined) throw new HttpError(400, { error: 'state is missing' });
    const state = String(params.state);
    if (!STATUS_STATES.includes(state)) throw new HttpError(400, { error: 'state does not have a valid value' });
    if (!this.commits.has(sha)) throw new HttpError(404, { message: '404 References for commit Not Found' });
    const name = params.name === undefined ? 'default' : String(params.name);
    const open = [...this.statuses].reverse().find((s) => s.sha === sha && s.name === name && (s.status === 'pending' || s.status === 'running'));
    if (open && open.status === state) throw new HttpError(400, { message: `Cannot transition status via :${state === 'running' ? 'run' : 'enqueue'} from :${open.status}` });
    const status: FakeStatus = {
      id: this.nextId(),
      sha,
      ref: params.ref === undefined ? null : String(params.ref),
      status: state,
      name,
      description: params.description === undefined ? null : String(params.description),
      target_url: params.target_url === undefined ? null : String(params.target_url),
      created_at: this.now(),
    };
    if (open) Object.assign(open, { status: state, description: status.description, target_url: status.target_url });
    else this.statuses.push(status);
    return open ?? status;
  }

  private paginate(items: unknown[], params: Record<string, unknown>, req: http.IncomingMessage, url: URL) {
    const perPage = Math.min(100, Math.max(1, intParam(params.per_page) ?? 20));
    const page = Math.max(1, intParam(params.page) ?? 1);
    const total = items.length;
    const totalPages = Math.max(1, Math.ceil(total / perPage));
    const slice = items.slice((page - 1) * perPage, page * perPage);
    const link = (p: number): string => {
      const q = new URLSearchParams(url.searchParams);
      q.set('page', String(p));
      q.set('per_page', String(perPage));
      return `http://${req.headers.host}${url.pathname}?${q.toString()}`;
    };
    const rels: string[] = [];
    if (page > 1) rels.push(`<${link(page - 1)}>; rel="prev"`);
    if (page < totalPages) rels.push(`<${link(page + 1)}>; rel="next"`);
    rels.push(`<${link(1)}>; rel="first"`, `<${link(totalPages)}>; rel="last"`);
    return {
      status: 200,
      payload: slice,
      headers: {
        'x-page': String(page),
        'x-per-page': String(perPage),
        'x-total': String(total),
        'x-total-pages': String(totalPages),
        'x-next-page': page < totalPages ? String(page + 1) : '',
        'x-prev-page': page > 1 ? String(page - 1) : '',
        link: rels.join(', '),
      },
    };
  }
}

export async function startFakeGitlab(opts: FakeGitlabOptions = {}): Promise<FakeGitlab> {
  return new FakeGitlab(opts).start();
}
