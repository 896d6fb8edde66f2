// The `github-review` reporter: inline review comments on the pull request, deduplicated across runs.
// Each comment carries its finding's fingerprint marker; a run lists the PR's review comments, posts
// ONE review (event COMMENT, on the head commit) with comments only for findings not commented before
// (at most 30; the rest are listed in the review body), marks comments whose finding is gone as fixed,
// and keeps exactly one sticky summary comment (SUMMARY_MARKER) up to date. A token that may not write
// (fork pull requests' read-only GITHUB_TOKEN) makes it hand over to `github-annotations`.
import type { Finding, RuleMeta } from '../../analysis/types.js';
import { findingCommentBody } from '../render.js';
import { SUMMARY_MARKER, markerFingerprint, type CiReport, type DiffInfo, type Reporter, type ReporterContext, type ReporterResult } from '../types.js';
import { createGithubAnnotationsReporter } from './annotations.js';
import {
  COMMENT_BODY_LIMIT,
  bySeverityThenLocation,
  describeError,
  failure,
  httpStatus,
  isPermissionDenied,
  makeClient,
  placeableFindings,
  plural,
  resolveGithub,
  shortSha,
  truncateChars,
  truncationNote,
  type GithubReporterOptions,
} from './shared.js';

/** Inline comments per review; more are listed in the review body and commented on in later runs. */
export const MAX_REVIEW_COMMENTS = 30;
/** "Fixed" edits per run (each is a paced write); the rest are edited by later runs. */
export const MAX_FIXED_EDITS = 50;
/** Existing comments read per list (review comments, issue comments). */
export const MAX_LISTED_COMMENTS = 5000;
/** Findings listed by name in a review body. */
const MAX_LISTED_IN_BODY = 200;
/** Marks a comment already edited as fixed, so later runs leave it alone. */
export const FIXED_MARKER = '<!-- warden:fixed -->';

export interface ReviewCommentDraft {
  path: string;
  line: number;
  side: 'RIGHT';
  start_line?: number;
  start_side?: 'RIGHT';
  body: string;
}

/**
 * Where a finding can be commented: `line` = its end line and, for a multi-line finding whose every line
 * is shown on the head side of one hunk, `start_line` = its start line. A head-side hunk is a run of
 * consecutive added/context lines, so "same hunk" is "every line between is shown". Undefined when no
 * line of the finding can take a comment (GitHub would reject the whole review).
 */
export function reviewPosition(f: Finding, diff: DiffInfo): { line: number; start_line?: number } | undefined {
  const file = diff.files.get(f.path);
  if (!file) return undefined;
  const shown = (n: number) => file.added.has(n) || file.context.has(n);
  const start = f.start.line;
  const end = Math.max(start, f.end.line);
  if (!shown(end)) return shown(start) ? { line: start } : undefined;
  if (start === end) return { line: end };
  for (let n = start; n < end; n++) if (!shown(n)) return { line: end };
  return { line: end, start_line: start };
}

/** `body` within GitHub's comment limit, keeping the trailing `marker` (dedupe depends on it). */
function boundKeepingMarker(body: string, marker: string | undefined): string {
  if (body.length <= COMMENT_BODY_LIMIT) return body;
  const tail = marker ? `\n${marker}` : '';
  const head = marker && body.endsWith(marker) ? body.slice(0, body.length - marker.length) : body;
  return truncateChars(head, COMMENT_BODY_LIMIT - tail.length, truncationNote(COMMENT_BODY_LIMIT, body.length)) + tail;
}

function commentDraft(f: Finding, pos: { line: number; start_line?: number }, rule: RuleMeta | undefined): ReviewCommentDraft {
  const body = findingCommentBody(f, rule);
  const draft: ReviewCommentDraft = { path: f.path, line: pos.line, side: 'RIGHT', body: boundKeepingMarker(body, markerOf(body)) };
  if (pos.start_line !== undefined) {
    draft.start_line = pos.start_line;
    draft.start_side = 'RIGHT';
  }
  return draft;
}

function markerOf(body: string): string | undefined {
  const fp = markerFingerprint(body);
  return fp ? `<!-- warden:fp=${fp} -->` : undefined;
}

function listLine(f: Finding): string {
  const line = f.start.line === f.end.line ? `${f.start.line}` : `${f.start.line}-${f.end.line}`;
  return `- \`${f.path}:${line}\` \`${f.ruleId}\` (${f.severity})`;
}

function findingList(findings: readonly Finding[]): string[] {
  const lines = findings.slice(0, MAX_LISTED_IN_BODY).map(listLine);
  if (findings.length > MAX_LISTED_IN_BODY) lines.push(`- … and ${findings.length - MAX_LISTED_IN_BODY} more (see the summary comment)`);
  return lines;
}

/**
 * The review's body: what it adds, plus every new finding that did not get an inline comment: beyond
 * the per-review cap (`overflow`), on no commentable line (`unplaceable`), or on a line GitHub refused
 * (`rejected`: its diff differed from Warden's).
 */
export function reviewBody(commented: number, overflow: readonly Finding[], unplaceable: readonly Finding[], rejected: readonly Finding[] = []): string {
  const parts: string[] = [];
  const total = commented + overflow.length + unplaceable.length + rejected.length;
  parts.push(`**Warden** found ${plural(total, 'new finding')} in this pull request${commented > 0 ? `; ${commented} commented inline below` : ''}.`);
  if (overflow.length > 0) {
    parts.push('', `${plural(overflow.length, 'more finding')} not commented inline (at most ${MAX_REVIEW_COMMENTS} comments per review; later runs comment on those still present):`, '', ...findingList(overflow));
  }
  if (rejected.length > 0) {
    parts.push('', `${plural(rejected.length, 'finding')} GitHub would not take inline comments on (its diff of this pull request differs from Warden's):`, '', ...findingList(rejected));
  }
  if (unplaceable.length > 0) {
    parts.push('', `${plural(unplaceable.length, 'finding')} on lines GitHub cannot take a comment on:`, '', ...findingList(unplaceable));
  }
  const body = parts.join('\n');
  return truncateChars(body, COMMENT_BODY_LIMIT, truncationNote(COMMENT_BODY_LIMIT, body.length));
}

export function summaryCommentBody(summaryMarkdown: string): string {
  const body = `${SUMMARY_MARKER}\n${summaryMarkdown}`;
  return truncateChars(body, COMMENT_BODY_LIMIT, truncationNote(COMMENT_BODY_LIMIT, body.length));
}

interface ExistingComment {
  id: number;
  body: string;
}

async function listBounded(iterator: AsyncIterable<{ data: { id: number; body?: string | null }[] }>): Promise<ExistingComment[]> {
  const out: ExistingComment[] = [];
  for await (const page of iterator) {
    for (const c of page.data) out.push({ id: c.id, body: c.body ?? '' });
    if (out.length >= MAX_LISTED_COMMENTS) break;
  }
  return out;
}

export function createGithubReviewReporter(options: GithubReporterOptions = {}): Reporter {
  const name = 'github-review';
  const annotations = createGithubAnnotationsReporter();
  return {
    name,
    provider: 'github',
    async report(report: CiReport, ctx: ReporterContext): Promise<ReporterResult> {
      const fallBack = async (why: string): Promise<ReporterResult> => {
        ctx.log(`${name}: ${why}; falling back to github-annotations (workflow commands need no write access)`);
        const r = await annotations.report(report, ctx);
        return {
          reporter: name,
          ok: r.ok,
          detail: `${why}; fell back to github-annotations: ${r.detail}`,
          ...(r.posted !== undefined ? { posted: r.posted } : {}),
          fellBackTo: annotations.name,
          ...(r.error !== undefined ? { error: r.error } : {}),
        };
      };

      const context = resolveGithub(name, ctx, false);
      if (!context.ok) return context.result;
      const gh = context.gh;
      const pull = gh.pullNumber;
      if (pull === undefined) {
        const error = 'no pull request: inline review comments need a pull_request event (or --pr <number>)';
        return { reporter: name, ok: false, detail: `failed: ${error}`, error };
      }
      if (gh.fromFork) return fallBack('the pull request comes from a fork, whose GITHUB_TOKEN is read-only');
      const resolved = resolveGithub(name, ctx, true);
      if (!resolved.ok) return resolved.result;
      const token = resolved.token;

      const rules = new Map(report.rules.map((r) => [r.id, r]));
      const sha = gh.headSha;

      if (ctx.dryRun) {
        const plan = planComments(placeableFindings(report), new Set(), report.diff, rules);
        const listed = plan.drafts.length > 0 ? plan.overflow.length + plan.unplaceable.length : 0;
        return {
          reporter: name,
          ok: true,
          detail:
            `dry run: would post one review on ${shortSha(sha)} with up to ${plural(plan.drafts.length, 'inline comment')}` +
            `${listed > 0 ? ` (${listed} more listed in its body)` : ''}, fewer where earlier runs commented already;` +
            ' would mark comments of fixed findings and create or update the summary comment (a dry run reads nothing from GitHub)',
          posted: 0,
        };
      }

      const octokit = makeClient(gh, token ?? '', ctx, report, options.client);
      const repo = { owner: gh.owner, repo: gh.repo };
      // A 403 before anything was written means the token cannot write here (the fallback); after a
      // successful write it is something else (e.g. editing a comment someone else wrote): a failure.
      let wrote = false;
      const write = async <T>(call: () => Promise<T>): Promise<T> => {
        const r = await call();
        wrote = true;
        return r;
      };

      let step = 'listing review comments';
      try {
        const reviewComments = await listBounded(octokit.paginate.iterator(octokit.rest.pulls.listReviewComments, { ...repo, pull_number: pull, per_page: 100 }));
        step = 'listing issue comments';
        const issueComments = await listBounded(octokit.paginate.iterator(octokit.rest.issues.listComments, { ...repo, issue_number: pull, per_page: 100 }));

        // Fingerprints already commented (and not marked fixed), and comments whose finding is gone.
        const present = new Set(report.findings.map((f) => f.fingerprint));
        const posted = new Set<string>();
        const fixed: ExistingComment[] = [];
        for (const c of reviewComments) {
          const fp = markerFingerprint(c.body);
          if (!fp || c.body.includes(FIXED_MARKER)) continue;
          posted.add(fp);
          if (!present.has(fp)) fixed.push(c);
        }

        const plan = planComments(placeableFindings(report), posted, report.diff, rules);
        const done: string[] = [];
        let commented = 0;
        // Only inline comments make a review worth posting: findings that cannot be placed never get a
        // marker, so a review for them alone would repeat on every run (they are in the summary comment).
        if (plan.drafts.length > 0) {
          step = 'posting the review';
          const base = { ...repo, pull_number: pull, commit_id: sha, event: 'COMMENT' as const };
          try {
            await write(() => octokit.rest.pulls.createReview({ ...base, body: reviewBody(plan.drafts.length, plan.overflow, plan.unplaceable), comments: plan.drafts }));
            commented = plan.drafts.length;
          } catch (err) {
            // GitHub's diff can differ from ours (e.g. the base moved); one rejected line fails the whole
            // review, so post it again with every finding listed in the body rather than lose them.
            if (httpStatus(err) !== 422) throw err;
            ctx.log(`${name}: GitHub rejected the inline comments (${describeError(err, token)}); posting them as a list in the review body`);
            await write(() => octokit.rest.pulls.createReview({ ...base, body: reviewBody(0, plan.overflow, plan.unplaceable, plan.commentedFindings), comments: [] }));
          }
          done.push(
            `posted a review on ${shortSha(sha)} with ${plural(commented, 'inline comment')}` +
              (plan.drafts.length + plan.overflow.length + plan.unplaceable.length - commented > 0
                ? ` (${plan.drafts.length + plan.overflow.length + plan.unplaceable.length - commented} more listed in its body)`
                : ''),
          );
        } else {
          done.push('no new findings to comment on');
          if (plan.unplaceable.length > 0) ctx.log(`${name}: ${plural(plan.unplaceable.length, 'new finding')} on lines GitHub cannot take a comment on; they are in the summary comment`);
        }

        step = 'marking fixed comments';
        const toEdit = fixed.slice(0, MAX_FIXED_EDITS);
        for (const c of toEdit) {
          const body = `✅ **Fixed in ${shortSha(sha)}** ${FIXED_MARKER}\n\n${c.body}`;
          await write(() => octokit.rest.pulls.updateReviewComment({ ...repo, comment_id: c.id, body: boundKeepingMarker(body, markerOf(c.body)) }));
        }
        if (toEdit.length > 0) done.push(`marked ${plural(toEdit.length, 'comment')} fixed`);
        if (fixed.length > toEdit.length) ctx.log(`${name}: ${fixed.length - toEdit.length} more fixed comments left for the next run (at most ${MAX_FIXED_EDITS} edits per run)`);

        step = 'updating the summary comment';
        const summary = summaryCommentBody(report.summaryMarkdown);
        const sticky = issueComments.find((c) => c.body.includes(SUMMARY_MARKER));
        if (!sticky) {
          await write(() => octokit.rest.issues.createComment({ ...repo, issue_number: pull, body: summary }));
          done.push('created the summary comment');
        } else if (sticky.body !== summary) {
          await write(() => octokit.rest.issues.updateComment({ ...repo, comment_id: sticky.id, body: summary }));
          done.push('updated the summary comment');
        } else {
          done.push('summary comment unchanged');
        }
        return { reporter: name, ok: true, detail: done.join('; '), posted: commented };
      } catch (err) {
        if (!wrote && isPermissionDenied(err)) {
          return fallBack(`GitHub refused ${step} (${describeError(err, token)}): the token cannot write to this pull request`);
        }
        return failure(name, `${step} failed`, err, token);
      }
    },
  };
}

interface CommentPlan {
  drafts: ReviewCommentDraft[];
  /** The findings behind `drafts`, same order. */
  commentedFindings: Finding[];
  /** New findings beyond the per-review cap. */
  overflow: Finding[];
  /** New findings on no commentable line. */
  unplaceable: Finding[];
}

/** New findings (fingerprint not commented before), most severe first, split by the per-review cap. */
function planComments(findings: Finding[], posted: ReadonlySet<string>, diff: DiffInfo, rules: ReadonlyMap<string, RuleMeta>): CommentPlan {
  const seen = new Set(posted);
  const plan: CommentPlan = { drafts: [], commentedFindings: [], overflow: [], unplaceable: [] };
  for (const f of [...findings].sort(bySeverityThenLocation)) {
    if (seen.has(f.fingerprint)) continue;
    seen.add(f.fingerprint);
    const pos = reviewPosition(f, diff);
    if (!pos) plan.unplaceable.push(f);
    else if (plan.drafts.length >= MAX_REVIEW_COMMENTS) plan.overflow.push(f);
    else {
      plan.drafts.push(commentDraft(f, pos, rules.get(f.ruleId)));
      plan.commentedFindings.push(f);
    }
  }
  return plan;
}

export const githubReviewReporter: Reporter = createGithubReviewReporter();
