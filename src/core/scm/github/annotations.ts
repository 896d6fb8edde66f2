// The `github-annotations` reporter: GitHub Actions workflow commands (`::error file=…::message`) on
// stdout, which the runner turns into annotations on the diff. Needs no token, so it is also what
// `github-review` falls back to on fork pull requests. It owns the runner's escaping rules and
// GitHub's display caps (10 error, 10 warning and 10 notice annotations per step, 50 per job): at most
// 10 per level, most severe first, and one notice saying how many more are only in the summary.
import type { Finding } from '../../analysis/types.js';
import { findingAnnotation } from '../render.js';
import type { CiReport, Reporter, ReporterContext, ReporterResult } from '../types.js';
import { ANNOTATION_MESSAGE_BYTES, annotationLevel, bySeverityThenLocation, placeableFindings, plural, truncateUtf8 } from './shared.js';

/** Annotations GitHub displays per level per step. */
export const ANNOTATIONS_PER_LEVEL = 10;

export type WorkflowLevel = 'error' | 'warning' | 'notice';

const LEVEL_OF = { failure: 'error', warning: 'warning', notice: 'notice' } as const;

/** Escapes a command's message (the runner's escapeData). */
export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escapes a command property value (the runner's escapeProperty): data rules plus `:` and `,`. */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function workflowLevel(f: Finding): WorkflowLevel {
  return LEVEL_OF[annotationLevel(f.severity)];
}

/** `::error file=…,line=…,endLine=…[,col=…,endColumn=…],title=…::message` for one finding. */
export function workflowCommand(f: Finding): string {
  const { title, message } = findingAnnotation(f);
  const line = Math.max(1, f.start.line);
  const endLine = Math.max(line, f.end.line);
  const props: string[] = [`file=${escapeProperty(f.path)}`, `line=${line}`, `endLine=${endLine}`];
  if (line === endLine) {
    const col = Math.max(1, f.start.column);
    props.push(`col=${col}`, `endColumn=${Math.max(col, f.end.column)}`);
  }
  props.push(`title=${escapeProperty(title)}`);
  return `::${workflowLevel(f)} ${props.join(',')}::${escapeData(truncateUtf8(message, ANNOTATION_MESSAGE_BYTES))}`;
}

export interface WorkflowCommandPlan {
  /** The lines to print, overflow notice included. */
  lines: string[];
  /** Findings annotated. */
  annotated: number;
  /** Findings left out by the caps. */
  notAnnotated: number;
}

/**
 * The workflow commands for a report's inline findings within the display caps. When some are left
 * out, one notice slot is kept for the line that says so, so GitHub shows that line too.
 */
export function planWorkflowCommands(report: CiReport): WorkflowCommandPlan {
  const findings = placeableFindings(report).sort(bySeverityThenLocation);
  const byLevel: Record<WorkflowLevel, Finding[]> = { error: [], warning: [], notice: [] };
  for (const f of findings) byLevel[workflowLevel(f)].push(f);

  const fits = (level: WorkflowLevel, cap: number) => byLevel[level].slice(0, cap);
  let chosen = [...fits('error', ANNOTATIONS_PER_LEVEL), ...fits('warning', ANNOTATIONS_PER_LEVEL), ...fits('notice', ANNOTATIONS_PER_LEVEL)];
  if (chosen.length < findings.length) {
    chosen = [...fits('error', ANNOTATIONS_PER_LEVEL), ...fits('warning', ANNOTATIONS_PER_LEVEL), ...fits('notice', ANNOTATIONS_PER_LEVEL - 1)];
  }
  const lines = chosen.map(workflowCommand);
  const notAnnotated = findings.length - chosen.length;
  if (notAnnotated > 0) {
    lines.push(
      `::notice title=${escapeProperty('Warden: more findings')}::${escapeData(
        `${plural(notAnnotated, 'more finding')} ${notAnnotated === 1 ? 'was' : 'were'} not annotated (GitHub shows at most ${ANNOTATIONS_PER_LEVEL} annotations per level per step); all findings are in the summary.`,
      )}`,
    );
  }
  return { lines, annotated: chosen.length, notAnnotated };
}

export function createGithubAnnotationsReporter(): Reporter {
  const name = 'github-annotations';
  return {
    name,
    provider: 'github',
    async report(report: CiReport, ctx: ReporterContext): Promise<ReporterResult> {
      try {
        const plan = planWorkflowCommands(report);
        const more = plan.notAnnotated > 0 ? ` (${plan.notAnnotated} more in the summary)` : '';
        if (ctx.dryRun) {
          return { reporter: name, ok: true, detail: `dry run: would write ${plural(plan.annotated, 'annotation')}${more}`, posted: 0 };
        }
        for (const line of plan.lines) ctx.out(line);
        return { reporter: name, ok: true, detail: `wrote ${plural(plan.annotated, 'annotation')}${more}`, posted: plan.annotated };
      } catch (err) {
        const error = `writing workflow commands failed: ${err instanceof Error ? err.message : String(err)}`;
        return { reporter: name, ok: false, detail: `failed: ${error}`, error };
      }
    },
  };
}

export const githubAnnotationsReporter: Reporter = createGithubAnnotationsReporter();
