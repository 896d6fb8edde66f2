// `--reporter gitlab-discussion`: findings as merge request diff discussions, one sticky summary note,
// and re-run bookkeeping. Owns the GitLab position rules (text positions carry the MR's diff_refs and
// both paths; an added line gives new_line, an unchanged context line gives old_line and new_line),
// the dedupe by fingerprint marker, resolving Warden's discussions whose finding is gone, and the
// bounds (new discussions per run, note length).
//
// Order of work, for a reason each:
// - diff_refs come from the MR itself (GET merge request), never from local git: GitLab rejects a
//   position whose SHAs are not one of the MR's diff versions.
// - Existing discussions are read once (paginated, bounded) and serve three purposes: what was posted
//   before (fingerprint markers), what to resolve, and where the summary note is.
// - Discussions are posted before the summary note so the note can list what did not fit or what
//   GitLab refused to place.
import type { Finding } from '../../analysis/types.js';
import { compareByPriority } from '../../analysis/outputs/json.js';
import { mdEscape } from '../../analysis/outputs/markdown.js';
import { findingCommentBody } from '../render.js';
import type { CiReport, GitlabContext, Reporter, ReporterContext, ReporterResult } from '../types.js';
import { markerFingerprint, SUMMARY_MARKER } from '../types.js';
import { createGitlabClient, gitlabReporter, describeGitlabError, errorStatus, projectIdForApi, writeTokenProblem, type GitlabClient } from './client.js';
import { cutChars } from '../../util/text-bounds.js';

const NAME = 'gitlab-discussion';

/** New diff discussions per run; the rest are listed in the summary note (a re-run posts the next ones). */
export const MAX_NEW_DISCUSSIONS = 50;
/** GitLab refuses a note body longer than this many characters. */
export const GITLAB_NOTE_MAX_CHARS = 1_000_000;
/** Existing discussions read: up to this many pages of 100. */
const DISCUSSION_PAGES = 50;
/** Findings listed by name in the summary's "not posted inline" section; the rest are counted. */
const MAX_LISTED = 100;

export interface DiffRefs {
  base_sha: string;
  start_sha: string;
  head_sha: string;
}

/** A GitLab text position, in the API's own field names. */
export interface TextPosition extends DiffRefs {
  position_type: 'text';
  old_path: string;
  new_path: string;
  new_line: number;
  /** Only for unchanged (context) lines: the same line's number in the base file. */
  old_line?: number;
}

/**
 * Where `f` goes on the MR diff, or undefined when its line is neither added nor shown as context
 * in the diff of its file (GitLab would answer 400 "line_code can't be blank").
 */
export function positionFor(f: Finding, report: CiReport, refs: DiffRefs): TextPosition | undefined {
  const file = report.diff.files.get(f.path);
  if (!file) return undefined;
  const line = f.start.line;
  const base = { position_type: 'text' as const, ...pickRefs(refs), old_path: file.oldPath || file.path, new_path: file.path, new_line: line };
  if (file.added.has(line)) return base;
  const oldLine = file.oldLineOf.get(line);
  if (file.context.has(line) && oldLine !== undefined) return { ...base, old_line: oldLine };
  return undefined;
}

function pickRefs(r: DiffRefs): DiffRefs {
  return { base_sha: r.base_sha, start_sha: r.start_sha, head_sha: r.head_sha };
}

/** Inline findings worth a discussion: unsuppressed, one per fingerprint, most severe first. */
function candidates(report: CiReport): Finding[] {
  const seen = new Set<string>();
  const out: Finding[] = [];
  for (const f of [...report.inline].sort(compareByPriority)) {
    if (f.suppressed || seen.has(f.fingerprint)) continue;
    seen.add(f.fingerprint);
    out.push(f);
  }
  return out;
}

function findingRef(f: Finding): string {
  return `\`${f.path.replace(/`/g, "'")}:${f.start.line}\` ${f.severity} \`${f.ruleId.replace(/`/g, "'")}\` — ${mdEscape(f.message).slice(0, 300)}`;
}

/**
 * The sticky note: SUMMARY_MARKER, the run's summary, then what could not be posted inline. Bounded
 * to GitLab's note limit: the tail (what was left out) is kept and the summary cut to fit.
 */
export function summaryNoteBody(summaryMarkdown: string, overflow: Finding[], rejected: Finding[], maxChars = GITLAB_NOTE_MAX_CHARS): string {
  const sections: string[] = [];
  const list = (title: string, items: Finding[]): void => {
    if (items.length === 0) return;
    const lines = [title, ''];
    for (const f of items.slice(0, MAX_LISTED)) lines.push(`- ${findingRef(f)}`);
    if (items.length > MAX_LISTED) lines.push(`- …and ${items.length - MAX_LISTED} more`);
    sections.push(lines.join('\n'));
  };
  list(
    `#### ${overflow.length} more finding(s) on changed lines not posted as discussions (at most ${MAX_NEW_DISCUSSIONS} new per run; a re-run posts the next ones)`,
    overflow,
  );
  list(`#### ${rejected.length} finding(s) GitLab refused to place on the diff`, rejected);
  const tail = sections.length > 0 ? `\n\n${sections.join('\n\n')}` : '';
  const head = `${SUMMARY_MARKER}\n`;
  const notice = '\n\n_…summary truncated to fit GitLab\'s note limit._';
  let body = summaryMarkdown;
  if (head.length + body.length + tail.length > maxChars) {
    const room = Math.max(0, maxChars - head.length - tail.length - notice.length);
    body = cutChars(body, room) + notice;
  }
  const out = head + body + tail;
  return out.length > maxChars ? cutChars(out, maxChars) : out;
}

interface ExistingDiscussion {
  id: string;
  resolvable: boolean;
  resolved: boolean;
}

interface ExistingState {
  byFingerprint: Map<string, ExistingDiscussion>;
  summary?: { noteId: number; body: string };
}

/** Reads Warden's markers out of the MR's discussions (first note of each carries the marker). */
function readExisting(discussions: ReadonlyArray<{ id: string; notes?: ReadonlyArray<Record<string, unknown>> }>): ExistingState {
  const byFingerprint = new Map<string, ExistingDiscussion>();
  let summary: ExistingState['summary'];
  for (const d of discussions) {
    const first = d.notes?.[0];
    if (!first || first.system === true) continue;
    const body = typeof first.body === 'string' ? first.body : '';
    if (body.includes(SUMMARY_MARKER)) {
      // The newest summary note wins (GitLab lists discussions oldest first): after a token change the
      // old note belongs to another (bot) user and cannot be edited, so a new one replaced it.
      if (typeof first.id === 'number') summary = { noteId: first.id, body };
      continue;
    }
    const fp = markerFingerprint(body);
    if (!fp || byFingerprint.has(fp)) continue;
    const notes = d.notes ?? [];
    const resolvable = first.resolvable === true;
    const resolved = resolvable && notes.every((n) => n.resolvable !== true || n.resolved === true);
    byFingerprint.set(fp, { id: d.id, resolvable, resolved });
  }
  return { byFingerprint, summary };
}

function fail(error: string, prefix = 'failed'): ReporterResult {
  return { reporter: NAME, ok: false, detail: `${prefix}: ${error}`, error };
}

function describePosition(f: Finding, p: TextPosition | undefined): string {
  if (!p) return `${f.path}:${f.start.line} (not on the diff: summary only)`;
  const paths = p.old_path === p.new_path ? p.new_path : `${p.old_path} → ${p.new_path}`;
  return `${paths} new_line=${p.new_line}${p.old_line !== undefined ? ` old_line=${p.old_line}` : ''} ${f.ruleId}`;
}

function dryRun(report: CiReport, ctx: ReporterContext, g: GitlabContext, iid: number): ReporterResult {
  const all = candidates(report);
  const post = all.slice(0, MAX_NEW_DISCUSSIONS);
  // The MR's diff_refs are not fetched in a dry run (no request at all); local SHAs stand in for them.
  const refs = { base_sha: report.diff.mergeBase, start_sha: report.diff.mergeBase, head_sha: report.diff.head };
  for (const f of post) ctx.log(`${NAME}: would post a discussion at ${describePosition(f, positionFor(f, report, refs))}`);
  const body = summaryNoteBody(report.summaryMarkdown, all.slice(MAX_NEW_DISCUSSIONS), []);
  const tokenNote = writeTokenProblem(g, 'merge request discussions') ? ' (no usable GitLab token: a real run would fail)' : '';
  return {
    reporter: NAME,
    ok: true,
    posted: 0,
    detail:
      `dry run: would post up to ${post.length} discussion(s) on !${iid} (those not posted before), ` +
      `resolve Warden discussions whose finding is gone, and create or update the summary note (${body.length} chars); existing discussions are not read in a dry run${tokenNote}`,
  };
}

async function run(report: CiReport, ctx: ReporterContext): Promise<ReporterResult> {
  const g = ctx.ci.gitlab;
  if (!g) return fail('not running in GitLab CI: no GitLab context (CI_API_V4_URL, CI_PROJECT_ID)');
  const iid = g.mrIid;
  if (iid === undefined) {
    return fail('no merge request: gitlab-discussion needs a merge request pipeline (CI_MERGE_REQUEST_IID) or --mr');
  }
  if (ctx.dryRun) return dryRun(report, ctx, g, iid);
  const problem = writeTokenProblem(g, 'merge request notes or discussions');
  if (problem) return fail(problem);
  const token = g.token as string; // checked by writeTokenProblem
  const pid = projectIdForApi(g.projectId);
  let step = 'configuring the GitLab client';
  let posted = 0;
  let resolved = 0;
  try {
    const api: GitlabClient = createGitlabClient({ apiUrl: g.apiUrl, token, timeoutMs: ctx.timeoutMs });
    step = `reading merge request !${iid}`;
    const mr = await api.MergeRequests.show(pid, iid);
    const refs = mr.diff_refs as DiffRefs | null | undefined;
    if (!refs?.base_sha || !refs.start_sha || !refs.head_sha) {
      return fail(`merge request !${iid} has no diff_refs yet (GitLab is still preparing its diff); re-run the job`);
    }
    if (refs.head_sha !== report.diff.head && refs.head_sha !== g.headSha) {
      ctx.log(`${NAME}: merge request !${iid} head is ${refs.head_sha.slice(0, 12)}, this run checked ${report.diff.head.slice(0, 12)}: positions use the MR's diff_refs`);
    }

    step = `listing the discussions of !${iid}`;
    const discussions = await api.MergeRequestDiscussions.all(pid, iid, { perPage: 100, maxPages: DISCUSSION_PAGES });
    const existing = readExisting(discussions);

    const all = candidates(report);
    const fresh = all.filter((f) => !existing.byFingerprint.has(f.fingerprint));
    const toPost = fresh.slice(0, MAX_NEW_DISCUSSIONS);
    const overflow = fresh.slice(MAX_NEW_DISCUSSIONS);
    const rejected: Finding[] = [];
    for (const f of toPost) {
      const pos = positionFor(f, report, refs);
      if (!pos) {
        rejected.push(f);
        continue;
      }
      step = `creating a discussion at ${f.path}:${f.start.line}`;
      try {
        await api.MergeRequestDiscussions.create(pid, iid, findingCommentBody(f, report.rules.find((r) => r.id === f.ruleId)), {
          position: {
            positionType: 'text',
            baseSha: pos.base_sha,
            startSha: pos.start_sha,
            headSha: pos.head_sha,
            oldPath: pos.old_path,
            newPath: pos.new_path,
            newLine: String(pos.new_line),
            ...(pos.old_line !== undefined ? { oldLine: String(pos.old_line) } : {}),
          },
        });
        posted++;
      } catch (e) {
        // A refused position (400) is one finding's problem: it goes to the summary and the run goes on.
        if (errorStatus(e) !== 400) throw e;
        ctx.log(`${NAME}: ${describeGitlabError(e, step, token)}; listed in the summary note instead`);
        rejected.push(f);
      }
    }

    // Resolve Warden's discussions whose finding this run no longer reports (fixed or suppressed).
    const current = new Set(report.findings.filter((f) => !f.suppressed).map((f) => f.fingerprint));
    for (const [fp, d] of existing.byFingerprint) {
      if (current.has(fp) || !d.resolvable || d.resolved) continue;
      step = `resolving discussion ${d.id}`;
      await api.MergeRequestDiscussions.resolve(pid, iid, d.id, true);
      resolved++;
    }

    const body = summaryNoteBody(report.summaryMarkdown, overflow, rejected);
    let summaryState: string;
    if (!existing.summary) {
      step = `creating the summary note on !${iid}`;
      await api.MergeRequestNotes.create(pid, iid, body);
      summaryState = 'created';
    } else if (existing.summary.body !== body) {
      step = `updating the summary note on !${iid}`;
      try {
        await api.MergeRequestNotes.edit(pid, iid, existing.summary.noteId, { body });
        summaryState = 'updated';
      } catch (e) {
        // Only a note's author may edit it: a summary written under another token (each project
        // access token is its own bot user) is replaced by a new note, which later runs then edit.
        if (errorStatus(e) !== 403) throw e;
        ctx.log(`${NAME}: the summary note ${existing.summary.noteId} was written by another user and cannot be edited; posting a new one`);
        step = `creating the summary note on !${iid}`;
        await api.MergeRequestNotes.create(pid, iid, body);
        summaryState = 'replaced';
      }
    } else summaryState = 'unchanged';

    const parts = [`!${iid}: ${posted} new discussion(s)`];
    if (existing.byFingerprint.size > 0) parts.push(`${all.length - fresh.length} already posted`);
    if (resolved > 0) parts.push(`${resolved} resolved`);
    if (overflow.length > 0) parts.push(`${overflow.length} over the limit of ${MAX_NEW_DISCUSSIONS} listed in the summary`);
    if (rejected.length > 0) parts.push(`${rejected.length} not placeable inline listed in the summary`);
    parts.push(`summary note ${summaryState}`);
    return { reporter: NAME, ok: true, posted, detail: parts.join(', ') };
  } catch (e) {
    const done = posted + resolved > 0 ? `failed after ${posted} new and ${resolved} resolved discussion(s)` : 'failed';
    return { ...fail(describeGitlabError(e, step, token), done), posted };
  }
}

export const gitlabDiscussionReporter: Reporter = gitlabReporter(NAME, run);
