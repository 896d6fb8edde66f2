// The `sarif` reporter: a SARIF 2.1.0 file of the run's findings for GitHub code scanning
// (github/codeql-action/upload-sarif) or any SARIF viewer. At most 5,000 results, GitHub's limit
// per run (the SARIF renderer keeps the most severe and says how many it left out).
import path from 'node:path';
import { renderSarif } from '../analysis/outputs/sarif.js';
import { scanReportOf } from '../analysis/scan.js';
import type { Reporter } from './types.js';

/** Where the file goes when --sarif is not given, relative to the repository root. */
export const DEFAULT_SARIF_FILE = 'warden.sarif';

export function sarifReporter(file?: string): Reporter {
  return {
    name: 'sarif',
    provider: 'any',
    async report(report, ctx) {
      const target = path.resolve(ctx.outputDir, file ?? DEFAULT_SARIF_FILE);
      const results = Math.min(report.findings.length, 5000);
      if (ctx.dryRun) return { reporter: 'sarif', ok: true, detail: `would write ${results} result(s) to ${target}`, posted: 0 };
      try {
        const text = renderSarif(scanReportOf(report.root, report.findings, report.rules), { toolVersion: report.tool.version });
        ctx.writeFile(target, text);
        return { reporter: 'sarif', ok: true, detail: `wrote ${results} result(s) to ${target}`, posted: results };
      } catch (e) {
        return { reporter: 'sarif', ok: false, detail: 'failed', error: `cannot write ${target}: ${(e as Error).message}` };
      }
    },
  };
}
