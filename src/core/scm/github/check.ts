// The `github-check` reporter: one check run named "Warden" on the pull request's head commit, with the
// verdict as its conclusion, the run summary as output.summary, the findings outside the diff as
// output.text, and one annotation per inline finding. GitHub takes at most 50 annotations per request
// and appends the annotations of each update to the run, so the first 50 go with the create and the
// rest follow in updates of 50; the last request completes the run.
import { mdEscape } from '../../analysis/outputs/markdown.js';
import type { Finding } from '../../analysis/types.js';
import { findingAnnotation } from '../render.js';
import type { CiReport, Reporter, ReporterContext, ReporterResult } from '../types.js';
import {
  ANNOTATION_MESSAGE_BYTES,
  ANNOTATION_TITLE_LIMIT,
  CHECK_OUTPUT_LIMIT,
  annotationLevel,
  bySeverityThenLocation,
  failure,
  makeClient,
  placeableFindings,
  plural,
  resolveGithub,
  shortSha,
  truncateChars,
  truncateUtf8,
  truncationNote,
  where,
  type GithubReporterOptions,
} from './shared.js';

export const CHECK_RUN_NAME = 'Warden';
/** GitHub's per-request cap on output.annotations. */
export const ANNOTATIONS_PER_REQUEST = 50;
/** Annotations per check run Warden sends at most (20 requests); the rest are counted in output.text. */
export const MAX_CHECK_ANNOTATIONS = 1000;

export interface CheckAnnotation {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: 'notice' | 'warning' | 'failure';
  title: string;
  message: string;
  raw_details?: string;
}

/** A finding as a check-run annotation; columns only on single-line findings, as GitHub requires. */
export function checkAnnotation(f: Finding): CheckAnnotation {
  const { title, message } = findingAnnotation(f);
  const startLine = Math.max(1, f.start.line);
  const endLine = Math.max(startLine, f.end.line);
  const a: CheckAnnotation = {
    path: f.path,
    start_line: startLine,
    end_line: endLine,
    annotation_level: annotationLevel(f.severity),
    title: truncateChars(title, ANNOTATION_TITLE_LIMIT, '…'),
    message: truncateUtf8(message, ANNOTATION_MESSAGE_BYTES),
  };
  if (startLine === endLine) {
    a.start_column = Math.max(1, f.start.column);
    a.end_column = Math.max(a.start_column, f.end.column);
  }
  if (f.snippet) a.raw_details = truncateUtf8(f.snippet, ANNOTATION_MESSAGE_BYTES);
  return a;
}

/** output.text: every finding outside the diff as a list (they cannot be annotated on the diff). */
export function outsideText(outside: readonly Finding[], notAnnotated: number): string | undefined {
  const lines: string[] = [];
  if (outside.length > 0) {
    lines.push(`### Findings outside the diff (${outside.length})`, '');
    lines.push('These are not on lines this pull request shows, so they are listed here instead of annotated.', '');
    for (const f of outside) {
      const sup = f.suppressed ? ` _(suppressed: ${f.suppressed.kind})_` : '';
      lines.push(`- **${f.severity}** \`${f.ruleId}\` \`${where(f)}\` — ${mdEscape(f.message)}${sup}`);
    }
  }
  if (notAnnotated > 0) {
    if (lines.length > 0) lines.push('');
    lines.push(`${plural(notAnnotated, 'more inline finding')} not annotated (Warden sends at most ${MAX_CHECK_ANNOTATIONS} annotations per check run); see the summary.`);
  }
  return lines.length > 0 ? lines.join('\n') : undefined;
}

function boundOutput(text: string): string {
  return truncateChars(text, CHECK_OUTPUT_LIMIT, truncationNote(CHECK_OUTPUT_LIMIT, text.length));
}

export function createGithubCheckReporter(options: GithubReporterOptions = {}): Reporter {
  const name = 'github-check';
  return {
    name,
    provider: 'github',
    async report(report: CiReport, ctx: ReporterContext): Promise<ReporterResult> {
      const resolved = resolveGithub(name, ctx, true);
      if (!resolved.ok) return resolved.result;
      const { gh, token } = resolved;

      const placeable = placeableFindings(report).sort(bySeverityThenLocation);
      const annotations = placeable.slice(0, MAX_CHECK_ANNOTATIONS).map(checkAnnotation);
      const chunks: CheckAnnotation[][] = [];
      for (let i = 0; i < annotations.length; i += ANNOTATIONS_PER_REQUEST) chunks.push(annotations.slice(i, i + ANNOTATIONS_PER_REQUEST));
      if (chunks.length === 0) chunks.push([]);

      const conclusion = report.verdict.conclusion;
      const title = truncateChars(report.verdict.headline || `Warden: ${conclusion}`, ANNOTATION_TITLE_LIMIT, '…');
      const summary = boundOutput(report.summaryMarkdown || `Warden: ${conclusion}`);
      const rawText = outsideText(report.outside, placeable.length - annotations.length);
      const text = rawText === undefined ? undefined : boundOutput(rawText);
      const sha = gh.headSha;
      const what = `check run "${CHECK_RUN_NAME}" on ${shortSha(sha)} (${conclusion}) with ${plural(annotations.length, 'annotation')} in ${plural(chunks.length, 'request')}`;

      if (ctx.dryRun) return { reporter: name, ok: true, detail: `dry run: would create ${what}`, posted: 0 };

      const octokit = makeClient(gh, token ?? '', ctx, report, options.client);
      const output = (chunk: CheckAnnotation[]) => ({
        title,
        summary,
        ...(text !== undefined ? { text } : {}),
        ...(chunk.length > 0 ? { annotations: chunk } : {}),
      });
      const detailsUrl = gh.runId ? `${gh.serverUrl.replace(/\/+$/, '')}/${gh.owner}/${gh.repo}/actions/runs/${gh.runId}` : undefined;

      let checkRunId: number | undefined;
      let sent = 0;
      try {
        const single = chunks.length === 1;
        const created = await octokit.rest.checks.create({
          owner: gh.owner,
          repo: gh.repo,
          name: CHECK_RUN_NAME,
          head_sha: sha,
          ...(detailsUrl ? { details_url: detailsUrl } : {}),
          // A run that needs more requests stays in progress until the last chunk is in.
          ...(single ? { status: 'completed' as const, conclusion } : { status: 'in_progress' as const }),
          output: output(chunks[0]),
        });
        checkRunId = created.data.id;
        sent += chunks[0].length;
        for (let i = 1; i < chunks.length; i++) {
          const last = i === chunks.length - 1;
          await octokit.rest.checks.update({
            owner: gh.owner,
            repo: gh.repo,
            check_run_id: checkRunId,
            ...(last ? { status: 'completed' as const, conclusion } : {}),
            output: output(chunks[i]),
          });
          sent += chunks[i].length;
        }
        return { reporter: name, ok: true, detail: `created ${what}`, posted: sent };
      } catch (err) {
        if (checkRunId !== undefined && chunks.length > 1) {
          // Do not leave the run spinning "in progress" on the PR: complete it with the verdict.
          await octokit.rest.checks
            .update({ owner: gh.owner, repo: gh.repo, check_run_id: checkRunId, status: 'completed', conclusion })
            .catch(() => undefined);
        }
        const result = failure(name, checkRunId === undefined ? 'creating the check run failed' : `updating the check run failed after ${sent} annotations`, err, token);
        return { ...result, posted: sent };
      }
    },
  };
}

export const githubCheckReporter: Reporter = createGithubCheckReporter();
