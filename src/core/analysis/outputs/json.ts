// `warden scan --format json`: the stable, documented JSON shape of a scan (docs/scan-output.md).
// Fields are mapped one by one from the ScanReport contract, so an internal field added to the
// engine never leaks into the output by accident; findings, skipped files and rules are sorted so two
// runs over the same tree differ only in durationMs and cached. Summary counts are derived from the
// findings (see countFindings). Also owns the finding orders every other output format reuses.
import type { Finding, RuleMeta, ScanReport, ScanSeverity, SkippedFile } from '../types.js';
import { SCAN_SEVERITIES, severityRank } from '../types.js';

/** Bumped on any incompatible change to ScanJson; additive fields do not bump it. */
export const SCAN_JSON_VERSION = 1;

export interface ScanJsonFinding {
  ruleId: string;
  severity: ScanSeverity;
  message: string;
  path: string;
  start: { line: number; column: number };
  end: { line: number; column: number };
  snippet: string;
  fingerprint: string;
  cwe?: string[];
  owaspLlm?: string[];
  confidence?: 'low' | 'medium' | 'high';
  fix?: string;
  suppressed?: { kind: 'inline' | 'baseline'; justification?: string };
}

export interface ScanJsonRule {
  id: string;
  severity: ScanSeverity;
  message: string;
  language: string;
  note?: string;
  cwe?: string[];
  owaspLlm?: string[];
  confidence?: 'low' | 'medium' | 'high';
  references?: string[];
  pack?: string;
  source: string;
}

export interface ScanJson {
  version: number;
  tool: 'warden';
  root: string;
  summary: {
    files: number;
    /** Unsuppressed findings (what `--fail-on` judges). */
    findings: number;
    suppressed: number;
    skipped: number;
    bySeverity: Record<ScanSeverity, number>;
    byRule: Record<string, number>;
    durationMs: number;
    cached: number;
  };
  findings: ScanJsonFinding[];
  skipped: SkippedFile[];
  rules: ScanJsonRule[];
}

/**
 * Reading order shared by every output: path, then position, then rule id, then fingerprint (so
 * ties are broken deterministically).
 */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    cmp(a.path, b.path) ||
    a.start.line - b.start.line ||
    a.start.column - b.start.column ||
    a.end.line - b.end.line ||
    a.end.column - b.end.column ||
    cmp(a.ruleId, b.ruleId) ||
    cmp(a.fingerprint, b.fingerprint)
  );
}

/** Priority order: unsuppressed before suppressed, then most severe first, then reading order. */
export function compareByPriority(a: Finding, b: Finding): number {
  return (
    Number(a.suppressed !== undefined) - Number(b.suppressed !== undefined) ||
    severityRank(b.severity) - severityRank(a.severity) ||
    compareFindings(a, b)
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function finding(f: Finding): ScanJsonFinding {
  const out: ScanJsonFinding = {
    ruleId: f.ruleId,
    severity: f.severity,
    message: f.message,
    path: f.path,
    start: { line: f.start.line, column: f.start.column },
    end: { line: f.end.line, column: f.end.column },
    snippet: f.snippet,
    fingerprint: f.fingerprint,
  };
  if (f.cwe?.length) out.cwe = [...f.cwe];
  if (f.owaspLlm?.length) out.owaspLlm = [...f.owaspLlm];
  if (f.confidence) out.confidence = f.confidence;
  if (f.fix !== undefined) out.fix = f.fix;
  if (f.suppressed) {
    out.suppressed = { kind: f.suppressed.kind };
    if (f.suppressed.justification !== undefined) out.suppressed.justification = f.suppressed.justification;
  }
  return out;
}

function rule(r: RuleMeta): ScanJsonRule {
  const out: ScanJsonRule = { id: r.id, severity: r.severity, message: r.message, language: r.language, source: r.source };
  if (r.note !== undefined) out.note = r.note;
  if (r.cwe?.length) out.cwe = [...r.cwe];
  if (r.owaspLlm?.length) out.owaspLlm = [...r.owaspLlm];
  if (r.confidence) out.confidence = r.confidence;
  if (r.references?.length) out.references = [...r.references];
  if (r.pack !== undefined) out.pack = r.pack;
  return out;
}

function sortedRecord(rec: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(rec).sort(cmp)) out[k] = rec[k];
  return out;
}

export interface FindingCounts {
  /** Unsuppressed findings. */
  total: number;
  suppressed: number;
  bySeverity: Record<ScanSeverity, number>;
  byRule: Record<string, number>;
}

/**
 * Counts as ScanSummary defines them (suppressed excluded), derived from the findings themselves so
 * they stay right after baseline marking or diff filtering changed the list the engine summarised.
 */
export function countFindings(findings: readonly Finding[]): FindingCounts {
  const bySeverity = Object.fromEntries(SCAN_SEVERITIES.map((s) => [s, 0])) as Record<ScanSeverity, number>;
  const byRule: Record<string, number> = {};
  let suppressed = 0;
  for (const f of findings) {
    if (f.suppressed) {
      suppressed++;
      continue;
    }
    bySeverity[f.severity]++;
    byRule[f.ruleId] = (byRule[f.ruleId] ?? 0) + 1;
  }
  return { total: findings.length - suppressed, suppressed, bySeverity, byRule: sortedRecord(byRule) };
}

/** The object `warden scan --json` returns and `--format json` prints. */
export function toScanJson(report: ScanReport): ScanJson {
  const counts = countFindings(report.findings);
  return {
    version: SCAN_JSON_VERSION,
    tool: 'warden',
    root: report.root,
    summary: {
      files: report.summary.files,
      findings: counts.total,
      suppressed: counts.suppressed,
      skipped: report.skipped.length,
      bySeverity: counts.bySeverity,
      byRule: counts.byRule,
      durationMs: report.summary.durationMs,
      cached: report.summary.cached,
    },
    findings: [...report.findings].sort(compareFindings).map(finding),
    skipped: [...report.skipped].sort((a, b) => cmp(a.path, b.path) || cmp(a.reason, b.reason)).map((s) => ({ path: s.path, reason: s.reason })),
    rules: [...report.rules].sort((a, b) => cmp(a.id, b.id) || cmp(a.language, b.language) || cmp(a.source, b.source)).map(rule),
  };
}

/** Pretty-printed (two spaces) ScanJson with a trailing newline. */
export function renderJson(report: ScanReport): string {
  return `${JSON.stringify(toScanJson(report), null, 2)}\n`;
}
