// `warden scan --format gitlab`: GitLab Code Quality report (the Code Climate issue subset GitLab
// reads: description, check_name, fingerprint, severity, location.path + lines.begin, categories).
// GitLab compares the fingerprints of a merge request's report with the target branch's to show new
// and resolved issues, so each must be unique and stable: the engine's fingerprint is both; a rare
// duplicate gets an MD5 of fingerprint + ordinal. Suppressed findings are left out: Code Quality has
// no notion of a suppressed issue and would show them as open.
import { createHash } from 'node:crypto';
import type { Finding, RuleMeta, ScanReport, ScanSeverity } from '../types.js';
import { compareFindings } from './json.js';

export type GitlabSeverity = 'info' | 'minor' | 'major' | 'critical' | 'blocker';

export interface GitlabIssue {
  type: 'issue';
  engine_name: 'warden';
  check_name: string;
  description: string;
  fingerprint: string;
  severity: GitlabSeverity;
  categories: string[];
  location: { path: string; lines: { begin: number; end: number } };
}

export interface GitlabOptions {
  /**
   * Prepended to each finding's path (with a "/"), for a scan root below the repository root:
   * GitLab resolves location.path from the repository root.
   */
  pathPrefix?: string;
}

export function gitlabSeverity(s: ScanSeverity): GitlabSeverity {
  return ({ info: 'info', low: 'minor', medium: 'major', high: 'critical', critical: 'blocker' } as const)[s];
}

/** Code Climate categories: Security for security-relevant rules, Complexity for that pack, else Bug Risk. */
function categories(f: Finding, rule: RuleMeta | undefined): string[] {
  const pack = rule?.pack;
  if (pack === 'complexity') return ['Complexity'];
  if (pack === 'llm' || pack === 'security' || pack === 'secrets' || f.cwe?.length || f.owaspLlm?.length || rule?.cwe?.length || rule?.owaspLlm?.length) {
    return ['Security'];
  }
  return ['Bug Risk'];
}

function joinPath(prefix: string | undefined, p: string): string {
  const pre = (prefix ?? '').replace(/\\/g, '/').replace(/^\.\/+/, '').replace(/^\/+|\/+$/g, '');
  return pre && pre !== '.' ? `${pre}/${p}` : p;
}

export function toGitlabCodeQuality(report: ScanReport, opts: GitlabOptions = {}): GitlabIssue[] {
  const rules = new Map<string, RuleMeta>();
  for (const r of report.rules) if (!rules.has(r.id)) rules.set(r.id, r);
  const seen = new Map<string, number>();
  const out: GitlabIssue[] = [];
  for (const f of [...report.findings].sort(compareFindings)) {
    if (f.suppressed) continue;
    const n = seen.get(f.fingerprint) ?? 0;
    seen.set(f.fingerprint, n + 1);
    const fingerprint = n === 0 ? f.fingerprint : createHash('md5').update(`${f.fingerprint}#${n}`).digest('hex');
    out.push({
      type: 'issue',
      engine_name: 'warden',
      check_name: f.ruleId,
      description: f.message,
      fingerprint,
      severity: gitlabSeverity(f.severity),
      categories: categories(f, rules.get(f.ruleId)),
      location: { path: joinPath(opts.pathPrefix, f.path), lines: { begin: Math.max(1, f.start.line), end: Math.max(1, f.start.line, f.end.line) } },
    });
  }
  return out;
}

export function renderGitlabCodeQuality(report: ScanReport, opts: GitlabOptions = {}): string {
  return `${JSON.stringify(toGitlabCodeQuality(report, opts), null, 2)}\n`;
}
