// `warden scan`'s human output: findings grouped by file (most severe first within a file's reading
// order), each with its location, severity, rule, message and snippet, then a summary line. Colour
// only when asked (the command decides: a TTY without NO_COLOR). Suppressed findings are counted,
// not listed.
import type { Finding, ScanReport, ScanSeverity } from '../core/analysis/types.js';
import { SCAN_SEVERITIES } from '../core/analysis/types.js';

export interface ScanTableOptions {
  color: boolean;
  /** Findings at or above this severity fail the run (for the verdict line). */
  failOn?: ScanSeverity | 'none';
}

const CODES: Record<ScanSeverity, [number, number]> = {
  critical: [31, 1], // red, bold
  high: [31, 22],
  medium: [33, 22], // yellow
  low: [36, 22], // cyan
  info: [2, 22], // dim
};

function paint(on: boolean, codes: [number, number] | number, text: string): string {
  if (!on) return text;
  const [a, b] = Array.isArray(codes) ? codes : [codes, 22];
  return b === 22 ? `\u001b[${a}m${text}\u001b[0m` : `\u001b[${a};${b}m${text}\u001b[0m`;
}

/** Control characters in code must not drive the terminal (a finding's snippet is untrusted text). */
function printable(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function indentSnippet(snippet: string): string[] {
  const lines = printable(snippet).split('\n');
  const shown = lines.slice(0, 3).map((l) => `      ${l.replace(/\t/g, '  ').trimEnd()}`);
  if (lines.length > 3) shown.push(`      … ${lines.length - 3} more line(s)`);
  return shown;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function renderScanTable(report: ScanReport, opts: ScanTableOptions): string {
  const c = opts.color;
  const shown = report.findings.filter((f) => !f.suppressed);
  const suppressed = report.findings.length - shown.length;
  const byFile = new Map<string, Finding[]>();
  for (const f of shown) byFile.set(f.path, [...(byFile.get(f.path) ?? []), f]);
  const out: string[] = [];
  for (const [file, list] of [...byFile].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    out.push(paint(c, [1, 1], printable(file)));
    list.sort((a, b) => a.start.line - b.start.line || a.start.column - b.start.column);
    const locWidth = Math.max(...list.map((f) => `${f.start.line}:${f.start.column}`.length));
    for (const f of list) {
      const loc = `${f.start.line}:${f.start.column}`.padEnd(locWidth);
      out.push(`  ${paint(c, 2, loc)}  ${paint(c, CODES[f.severity], f.severity.padEnd(8))}  ${printable(f.message)}  ${paint(c, 2, f.ruleId)}`);
      out.push(...indentSnippet(f.snippet).map((l) => paint(c, 2, l)));
    }
    out.push('');
  }

  const counts = SCAN_SEVERITIES.slice()
    .reverse()
    .map((s) => [s, shown.filter((f) => f.severity === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => paint(c, CODES[s], `${n} ${s}`));
  const parts = [
    shown.length === 0 ? paint(c, 32, 'No findings') : `${plural(shown.length, 'finding')} (${counts.join(', ')}) in ${plural(byFile.size, 'file')}`,
    `${plural(report.summary.files, 'file')} scanned${report.summary.cached ? ` (${report.summary.cached} cached)` : ''}`,
  ];
  if (suppressed > 0) parts.push(`${suppressed} suppressed`);
  if (report.skipped.length > 0) parts.push(`${report.skipped.length} skipped (--json lists them)`);
  parts.push(`${(report.summary.durationMs / 1000).toFixed(1)}s`);
  out.push(parts.join(' · '));
  if (opts.failOn && opts.failOn !== 'none') {
    const rank = SCAN_SEVERITIES.indexOf(opts.failOn);
    const failing = shown.filter((f) => SCAN_SEVERITIES.indexOf(f.severity) >= rank).length;
    if (failing > 0) out.push(paint(c, 31, `${plural(failing, 'finding')} at or above ${opts.failOn}: failing`));
  }
  return `${out.join('\n')}\n`;
}
