// `--reporter gitlab-status`: the verdict as an external commit status named "warden" on the commit
// the pipeline ran for (POST /projects/:id/statuses/:sha), so it shows on the MR and the pipeline and
// can be required by branch rules. Failure → failed; success and neutral → success (GitLab has no
// neutral state, and a neutral run must not block a merge).
import type { CiReport, Reporter, ReporterContext, ReporterResult } from '../types.js';
import { createGitlabClient, gitlabReporter, describeGitlabError, projectIdForApi, writeTokenProblem } from './client.js';

const NAME = 'gitlab-status';
/** The status context name branch rules and the MR widget show. */
export const STATUS_NAME = 'warden';
/** GitLab stores a commit status description in a 255-character column. */
export const STATUS_DESCRIPTION_MAX = 255;

export type GitlabStatusState = 'success' | 'failed';

export interface StatusPayload {
  state: GitlabStatusState;
  name: string;
  description: string;
  target_url?: string;
}

/** What gitlab-status sends for `report`, in the API's field names. */
export function statusPayload(report: CiReport, jobUrl?: string): StatusPayload {
  const state: GitlabStatusState = report.verdict.conclusion === 'failure' ? 'failed' : 'success';
  const line = report.verdict.headline.replace(/\s+/g, ' ').trim() || (state === 'failed' ? 'Warden found blocking issues' : 'Warden passed');
  const description = line.length > STATUS_DESCRIPTION_MAX ? `${line.slice(0, STATUS_DESCRIPTION_MAX - 1)}…` : line;
  return { state, name: STATUS_NAME, description, ...(jobUrl ? { target_url: jobUrl } : {}) };
}

function fail(error: string): ReporterResult {
  return { reporter: NAME, ok: false, detail: `failed: ${error}`, error };
}

async function run(report: CiReport, ctx: ReporterContext): Promise<ReporterResult> {
  const g = ctx.ci.gitlab;
  if (!g) return fail('not running in GitLab CI: no GitLab context (CI_API_V4_URL, CI_PROJECT_ID)');
  if (!g.headSha) return fail('no commit to attach the status to (CI_COMMIT_SHA is empty)');
  const body = statusPayload(report, g.jobUrl);
  const where = `${g.headSha.slice(0, 12)}`;
  if (ctx.dryRun) {
    return { reporter: NAME, ok: true, posted: 0, detail: `dry run: would set commit status "${body.name}" = ${body.state} on ${where} (${body.description})` };
  }
  const problem = writeTokenProblem(g, 'commit statuses');
  if (problem) return fail(problem);
  const token = g.token as string; // checked by writeTokenProblem
  const step = `setting the commit status on ${where}`;
  try {
    const api = createGitlabClient({ apiUrl: g.apiUrl, token, timeoutMs: ctx.timeoutMs });
    await api.Commits.editStatus(projectIdForApi(g.projectId), g.headSha, body.state, {
      name: body.name,
      description: body.description,
      ...(body.target_url ? { targetUrl: body.target_url } : {}),
    });
    return { reporter: NAME, ok: true, posted: 1, detail: `commit status "${body.name}" = ${body.state} on ${where}` };
  } catch (e) {
    return fail(describeGitlabError(e, step, token));
  }
}

export const gitlabStatusReporter: Reporter = gitlabReporter(NAME, run);
