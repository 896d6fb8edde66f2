// What the GitHub reporters share: resolving the GitHub context and token from a ReporterContext,
// building the API client, GitHub's size limits and how text is cut to fit them, severity mapping
// and ordering, and turning any thrown error into a one-line message that carries no secret.
import type { Finding, ScanSeverity } from '../../analysis/types.js';
import { severityRank } from '../../analysis/types.js';
import type { CiReport, GithubContext, ReporterContext, ReporterResult } from '../types.js';
import { createGithubClient, type GithubClient, type GithubClientOptions } from './client.js';
import { cutChars, truncateUtf8 } from '../../util/text-bounds.js';

export { truncateUtf8 };

/** Check-run output.summary and output.text: at most 65,535 characters each. */
export const CHECK_OUTPUT_LIMIT = 65_535;
/** Issue, pull-request and review comment bodies: at most 65,536 characters. */
export const COMMENT_BODY_LIMIT = 65_536;
/** Check-run annotation message and raw_details: at most 64 KB. */
export const ANNOTATION_MESSAGE_BYTES = 64 * 1024;
/** Check-run annotation title: at most 255 characters. */
export const ANNOTATION_TITLE_LIMIT = 255;

/** Knobs the reporters pass to createGithubClient (tests shrink timing; production passes nothing). */
export type GithubClientTuning = Pick<GithubClientOptions, 'retries' | 'rateLimitRetries' | 'maxRateLimitWaitSeconds' | 'timing'>;

export interface GithubReporterOptions {
  client?: GithubClientTuning;
}

export function makeClient(gh: GithubContext, token: string, ctx: ReporterContext, report: CiReport, tuning?: GithubClientTuning): GithubClient {
  return createGithubClient({
    apiUrl: gh.apiUrl,
    token,
    timeoutMs: ctx.timeoutMs,
    log: ctx.log,
    userAgent: `warden/${report.tool.version}`,
    ...tuning,
  });
}

export type Resolved = { ok: true; gh: GithubContext; token: string | undefined } | { ok: false; result: ReporterResult };

/** The GitHub context, or a failed result saying what is missing. `needToken` also requires a token. */
export function resolveGithub(reporter: string, ctx: ReporterContext, needToken: boolean): Resolved {
  const gh = ctx.ci.github;
  if (!gh) {
    return fail(reporter, 'no GitHub context: not running in GitHub Actions and no GitHub repository given');
  }
  const token = gh.token && gh.token.length > 0 ? gh.token : undefined;
  if (needToken && !token && !ctx.dryRun) {
    return fail(reporter, 'no GitHub token: set GITHUB_TOKEN (with the needed permissions) or pass --token');
  }
  return { ok: true, gh, token };
}

function fail(reporter: string, error: string): { ok: false; result: ReporterResult } {
  return { ok: false, result: { reporter, ok: false, detail: `failed: ${error}`, error } };
}

/** A failed ReporterResult for a thrown error, with the token scrubbed from the message. */
export function failure(reporter: string, what: string, err: unknown, token: string | undefined): ReporterResult {
  const error = `${what}: ${describeError(err, token)}`;
  return { reporter, ok: false, detail: `failed: ${error}`, error };
}

/** `GitHub API 422: message` (status when known), timeouts named as such, the token never included. */
export function describeError(err: unknown, token?: string): string {
  let msg: string;
  const status = httpStatus(err);
  const cause = err instanceof Error ? (err.cause as { name?: unknown } | undefined) : undefined;
  if (err instanceof Error && (err.name === 'TimeoutError' || cause?.name === 'TimeoutError')) {
    msg = 'request timed out';
  } else if (err instanceof Error) {
    msg = status !== undefined && status > 0 ? `GitHub API ${status}: ${err.message}` : err.message;
  } else {
    msg = String(err);
  }
  msg = msg.replace(/\s+/g, ' ').trim();
  if (msg.length > 500) msg = `${msg.slice(0, 500)}…`;
  return redact(msg, token);
}

function redact(text: string, token: string | undefined): string {
  let out = text;
  if (token && token.length > 0) out = out.split(token).join('[REDACTED]');
  // Tokens GitHub issues have recognisable prefixes; scrub any that slipped into a message.
  return out.replace(/\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b/g, '[REDACTED]');
}

export function httpStatus(err: unknown): number | undefined {
  if (typeof err === 'object' && err !== null && 'status' in err) {
    const s = (err as { status: unknown }).status;
    if (typeof s === 'number') return s;
  }
  return undefined;
}

/**
 * GitHub refused a write because the token may not do it (fork PRs' read-only GITHUB_TOKEN:
 * "Resource not accessible by integration"), as opposed to a rate limit, which is also a 403.
 */
export function isPermissionDenied(err: unknown): boolean {
  if (httpStatus(err) !== 403) return false;
  const message = err instanceof Error ? err.message : '';
  return !/rate limit/i.test(message);
}

// ---------------------------------------------------------------------------------------------
// Fitting text into GitHub's limits

/**
 * `text` if it has at most `limit` characters (UTF-16 code units, as GitHub counts them), else a
 * prefix plus `note`, the whole at most `limit`. Never splits a surrogate pair.
 */
export function truncateChars(text: string, limit: number, note: string): string {
  if (text.length <= limit) return text;
  return cutChars(cutChars(text, Math.max(0, limit - note.length)) + note, limit);
}


/** The note appended when GitHub's limit cut a text. */
export function truncationNote(limit: number, total: number): string {
  return `\n\n… truncated: this text had ${total.toLocaleString('en-US')} characters and GitHub allows ${limit.toLocaleString('en-US')}; the full report is in the job log and step summary.`;
}

// ---------------------------------------------------------------------------------------------
// Findings

/** Findings reporters place on diff lines: the report's inline ones, minus suppressed ones (those are summary-only). */
export function placeableFindings(report: CiReport): Finding[] {
  return report.inline.filter((f) => !f.suppressed);
}

/** Most severe first, then by location, so caps keep what matters. */
export function bySeverityThenLocation(a: Finding, b: Finding): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) ||
    a.start.line - b.start.line ||
    a.start.column - b.start.column
  );
}

/** Check-run annotation level and workflow-command level for a severity. */
export function annotationLevel(s: ScanSeverity): 'failure' | 'warning' | 'notice' {
  if (s === 'critical' || s === 'high') return 'failure';
  if (s === 'medium') return 'warning';
  return 'notice';
}

export function shortSha(sha: string): string {
  return sha.slice(0, 7);
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `path:line` of a finding. */
export function where(f: Finding): string {
  return f.start.line === f.end.line ? `${f.path}:${f.start.line}` : `${f.path}:${f.start.line}-${f.end.line}`;
}
