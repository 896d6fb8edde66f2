// The GitLab REST client every GitLab reporter shares: a @gitbeaker/rest instance pointed at the web
// root under CI_API_V4_URL, the token rules (CI_JOB_TOKEN cannot write notes, discussions or commit
// statuses), project-id normalisation, and turning a failed call into one line with no secret in it.
import { Gitlab, GitbeakerRequestError, GitbeakerRetryError, GitbeakerTimeoutError } from '@gitbeaker/rest';
import type { CiReport, GitlabContext, Reporter, ReporterContext, ReporterResult } from '../types.js';

export type GitlabClient = InstanceType<typeof Gitlab<false>>;

export interface GitlabClientOptions {
  /** CI_API_V4_URL: https://gitlab.com/api/v4, or https://host/prefix/api/v4 on a self-managed instance. */
  apiUrl: string;
  /** Sent as PRIVATE-TOKEN (a project, group or personal access token). */
  token: string;
  /** Per-request timeout, ms (gitbeaker's queryTimeout: an AbortSignal on every call). */
  timeoutMs: number;
}

/**
 * The web root gitbeaker wants as `host`: it appends `/api/v4` itself, so the trailing `/api/v4` of
 * CI_API_V4_URL is removed and any path prefix (https://host/gitlab) kept. A URL without `/api/v4` is
 * taken to be the web root already. Throws on a value that is not an http(s) URL.
 */
export function gitlabWebRoot(apiUrl: string): string {
  const u = new URL(apiUrl.trim());
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new Error(`GitLab API URL must be http(s): ${u.protocol}`);
  // Credentials in the URL would be a secret in every error message that prints the URL.
  u.username = '';
  u.password = '';
  u.search = '';
  u.hash = '';
  const p = u.pathname.replace(/\/+$/, '').replace(/\/api\/v4$/, '');
  return `${u.origin}${p}`;
}

export function createGitlabClient(opts: GitlabClientOptions): GitlabClient {
  return new Gitlab({ host: gitlabWebRoot(opts.apiUrl), token: opts.token, queryTimeout: opts.timeoutMs });
}

/**
 * The project id as gitbeaker wants it: gitbeaker URL-encodes ids itself, so an already encoded path
 * (`group%2Fproject`, as CI_PROJECT_ID alternatives are often given) is decoded first to avoid
 * `group%252Fproject`.
 */
export function projectIdForApi(projectId: string): string {
  if (!projectId.includes('%')) return projectId;
  try {
    return decodeURIComponent(projectId);
  } catch {
    return projectId;
  }
}

/** Why a reporter that writes to GitLab cannot run, or undefined when it has a usable token. */
export function writeTokenProblem(g: GitlabContext, what: string): string | undefined {
  if (g.token && !g.onlyJobToken) return undefined;
  const why = g.onlyJobToken ? 'only CI_JOB_TOKEN is available, and CI_JOB_TOKEN cannot create' : 'no GitLab token is set, and CI_JOB_TOKEN cannot create';
  return (
    `${why} ${what}: create a project or group access token with the \`api\` scope (Developer role) ` +
    'and expose it as GITLAB_TOKEN (a masked CI/CD variable), or pass --token'
  );
}

/** HTTP status of a failed gitbeaker call, when the server answered. */
export function errorStatus(e: unknown): number | undefined {
  if (e instanceof GitbeakerRequestError) return e.cause?.response?.status;
  return undefined;
}

/**
 * One line saying what failed and what to do, for ReporterResult.error. Never includes the token:
 * gitbeaker's error carries the whole Request (headers included), so only the status and GitLab's
 * message are read, and the token is masked again in case the server echoed it.
 */
export function describeGitlabError(e: unknown, action: string, token?: string): string {
  let msg: string;
  const status = errorStatus(e);
  if (e instanceof GitbeakerRequestError) {
    const said = (e.cause?.description ?? e.message ?? '').toString().slice(0, 500);
    msg = `GitLab answered ${status ?? '?'} ${said ? `(${said}) ` : ''}while ${action}`;
    if (status === 401) msg += ': the token was rejected (invalid, expired or revoked); set a valid GITLAB_TOKEN';
    else if (status === 403) {
      msg += ': the token may read but not write here; it needs the `api` scope (not read_api) and at least the Developer role on the project';
    } else if (status === 404) msg += ': check the project id and merge request iid, and that the token can see the project';
  } else if (e instanceof GitbeakerTimeoutError) {
    msg = `GitLab did not answer in time while ${action} (timeout)`;
  } else if (e instanceof GitbeakerRetryError) {
    msg = `GitLab kept failing while ${action}: ${e.message}`;
  } else {
    const err = e instanceof Error ? e : new Error(String(e));
    // undici's "fetch failed" hides the reason in `cause` (ECONNREFUSED, ENOTFOUND, certificate errors).
    const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
    const detail = cause?.code ?? cause?.message;
    msg = `cannot reach GitLab while ${action}: ${err.message}${detail ? ` (${detail})` : ''}`;
  }
  return redact(msg, token);
}

export function redact(text: string, token?: string): string {
  if (!token || token.length < 4) return text;
  return text.split(token).join('[REDACTED]');
}

/**
 * A GitLab reporter from its `run`, keeping the never-throws contract: anything `run` throws (a bug,
 * a malformed context) becomes a failed result with the token masked.
 */
export function gitlabReporter(name: string, run: (report: CiReport, ctx: ReporterContext) => Promise<ReporterResult>): Reporter {
  return {
    name,
    provider: 'gitlab',
    async report(report, ctx) {
      try {
        return await run(report, ctx);
      } catch (e) {
        const error = redact(`unexpected error: ${e instanceof Error ? e.message : String(e)}`, ctx.ci.gitlab?.token);
        return { reporter: name, ok: false, detail: `failed: ${error}`, error };
      }
    },
  };
}
