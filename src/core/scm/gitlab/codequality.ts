// `--reporter gitlab-codequality`: the run's findings as a GitLab Code Quality report file
// (<outputDir>/gl-code-quality-report.json) for `artifacts: reports: codequality:`. GitLab itself
// compares it with the target branch's and shows new and resolved issues in the MR widget, so no API
// call and no token are needed. The format is owned by analysis/outputs/gitlab.ts; this only adapts
// a CiReport to the ScanReport it reads.
import path from 'node:path';
import { countFindings } from '../../analysis/outputs/json.js';
import { renderGitlabCodeQuality, toGitlabCodeQuality } from '../../analysis/outputs/gitlab.js';
import type { ScanReport } from '../../analysis/types.js';
import type { CiReport, Reporter, ReporterContext, ReporterResult } from '../types.js';

const NAME = 'gitlab-codequality';
/** The file name GitLab's docs use; the job's artifacts:reports:codequality must point at it. */
export const CODE_QUALITY_FILE = 'gl-code-quality-report.json';

/** The ScanReport view of a CI run: findings are already repository-relative, so no path prefix. */
function asScanReport(report: CiReport): ScanReport {
  const { bySeverity, byRule } = countFindings(report.findings);
  return {
    root: report.root,
    findings: report.findings,
    rules: report.rules,
    skipped: [],
    summary: { files: 0, bySeverity, byRule, durationMs: 0, cached: 0 },
  };
}

/** The Code Quality JSON gitlab-codequality writes for `report`. */
export function codeQualityJson(report: CiReport): string {
  return renderGitlabCodeQuality(asScanReport(report));
}

function run(report: CiReport, ctx: ReporterContext): ReporterResult {
  const file = path.join(ctx.outputDir, CODE_QUALITY_FILE);
  const issues = toGitlabCodeQuality(asScanReport(report)).length;
  if (ctx.dryRun) return { reporter: NAME, ok: true, posted: 0, detail: `dry run: would write ${issues} issue(s) to ${file}` };
  ctx.writeFile(file, codeQualityJson(report));
  return { reporter: NAME, ok: true, posted: issues, detail: `wrote ${issues} issue(s) to ${file}` };
}

export const gitlabCodeQualityReporter: Reporter = {
  name: NAME,
  provider: 'gitlab',
  async report(report, ctx) {
    try {
      return run(report, ctx);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      const error = `cannot write the Code Quality report: ${msg}`;
      return { reporter: NAME, ok: false, detail: `failed: ${error}`, error };
    }
  },
};
