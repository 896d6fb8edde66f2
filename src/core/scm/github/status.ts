// The `github-status` reporter: one commit status, context "warden", on the pull request's head commit
// (success or failure; a neutral verdict does not block, so it is success), with the verdict's headline
// as the description (GitHub allows 140 characters) and a link to the Actions run when known.
import type { CiReport, Reporter, ReporterContext, ReporterResult } from '../types.js';
import { failure, makeClient, resolveGithub, shortSha, truncateChars, type GithubReporterOptions } from './shared.js';

export const STATUS_CONTEXT = 'warden';
/** GitHub rejects longer commit-status descriptions. */
export const STATUS_DESCRIPTION_LIMIT = 140;

export function createGithubStatusReporter(options: GithubReporterOptions = {}): Reporter {
  const name = 'github-status';
  return {
    name,
    provider: 'github',
    async report(report: CiReport, ctx: ReporterContext): Promise<ReporterResult> {
      const resolved = resolveGithub(name, ctx, true);
      if (!resolved.ok) return resolved.result;
      const { gh, token } = resolved;
      const state = report.verdict.conclusion === 'failure' ? ('failure' as const) : ('success' as const);
      const headline = report.verdict.headline.replace(/\s+/g, ' ').trim() || `Warden: ${report.verdict.conclusion}`;
      const description = truncateChars(headline, STATUS_DESCRIPTION_LIMIT, '…');
      const targetUrl = gh.runId ? `${gh.serverUrl.replace(/\/+$/, '')}/${gh.owner}/${gh.repo}/actions/runs/${gh.runId}` : undefined;
      const what = `status "${STATUS_CONTEXT}" ${state} on ${shortSha(gh.headSha)}`;
      if (ctx.dryRun) return { reporter: name, ok: true, detail: `dry run: would set ${what}`, posted: 0 };
      try {
        const octokit = makeClient(gh, token ?? '', ctx, report, options.client);
        await octokit.rest.repos.createCommitStatus({
          owner: gh.owner,
          repo: gh.repo,
          sha: gh.headSha,
          state,
          context: STATUS_CONTEXT,
          description,
          ...(targetUrl ? { target_url: targetUrl } : {}),
        });
        return { reporter: name, ok: true, detail: `set ${what}`, posted: 1 };
      } catch (err) {
        return failure(name, 'setting the commit status failed', err, token);
      }
    },
  };
}

export const githubStatusReporter: Reporter = createGithubStatusReporter();
