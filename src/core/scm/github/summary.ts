// The `github-summary` reporter: appends the run's Markdown summary to the step summary file
// ($GITHUB_STEP_SUMMARY). Earlier content of the step (other tools' summaries) is kept: the file is
// read and written back with the summary appended, because ctx.writeFile replaces. GitHub rejects a
// step summary over 1 MiB, so the whole file is kept within 1 MiB, the summary cut on a UTF-8
// character boundary with a note.
import { readFileSync, statSync } from 'node:fs';
import type { CiReport, Reporter, ReporterContext, ReporterResult } from '../types.js';
import { plural, truncateUtf8 } from './shared.js';

/** GitHub's size limit of one step's summary. */
export const STEP_SUMMARY_BYTES = 1_048_576;

/** The file's text ('' when absent); undefined when it is already at the limit (not read: it can be large). */
function readExisting(file: string): string | undefined {
  try {
    if (statSync(file).size >= STEP_SUMMARY_BYTES) return undefined;
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

/** `existing` + `summary`, the total at most STEP_SUMMARY_BYTES; undefined when not even the note fits. */
export function appendBounded(existing: string, summary: string): { text: string; truncated: boolean } | undefined {
  const sep = existing.length > 0 && !existing.endsWith('\n') ? '\n' : '';
  const body = summary.endsWith('\n') ? summary : `${summary}\n`;
  const budget = STEP_SUMMARY_BYTES - Buffer.byteLength(existing, 'utf8') - Buffer.byteLength(sep, 'utf8');
  const bodyBytes = Buffer.byteLength(body, 'utf8');
  if (bodyBytes <= budget) return { text: existing + sep + body, truncated: false };
  const note = `\n\n… truncated: the Warden summary has ${bodyBytes.toLocaleString('en-US')} bytes and a step summary holds at most 1 MiB; the full report is in the job log.\n`;
  const room = budget - Buffer.byteLength(note, 'utf8');
  if (room <= 0) return undefined;
  return { text: existing + sep + truncateUtf8(body, room) + note, truncated: true };
}

export function createGithubSummaryReporter(): Reporter {
  const name = 'github-summary';
  return {
    name,
    provider: 'github',
    async report(report: CiReport, ctx: ReporterContext): Promise<ReporterResult> {
      const fromEnv = ctx.env('GITHUB_STEP_SUMMARY');
      const file = fromEnv && fromEnv.length > 0 ? fromEnv : ctx.ci.github?.stepSummaryFile;
      if (!file) {
        const error = 'no step summary file: GITHUB_STEP_SUMMARY is not set (it is set inside GitHub Actions steps)';
        return { reporter: name, ok: false, detail: `failed: ${error}`, error };
      }
      try {
        const existing = readExisting(file);
        const next = existing === undefined ? undefined : appendBounded(existing, report.summaryMarkdown);
        if (!next) {
          const error = `the step summary ${file} already holds GitHub's 1 MiB limit; nothing appended`;
          return { reporter: name, ok: false, detail: `failed: ${error}`, error };
        }
        const added = Buffer.byteLength(next.text, 'utf8') - Buffer.byteLength(existing ?? '', 'utf8');
        const cut = next.truncated ? ' (truncated to the 1 MiB limit)' : '';
        if (ctx.dryRun) return { reporter: name, ok: true, detail: `dry run: would append ${plural(added, 'byte')} to ${file}${cut}`, posted: 0 };
        ctx.writeFile(file, next.text);
        return { reporter: name, ok: true, detail: `appended ${plural(added, 'byte')} to ${file}${cut}`, posted: 1 };
      } catch (err) {
        const error = `writing the step summary failed: ${err instanceof Error ? err.message : String(err)}`;
        return { reporter: name, ok: false, detail: `failed: ${error}`, error };
      }
    },
  };
}

export const githubSummaryReporter: Reporter = createGithubSummaryReporter();
