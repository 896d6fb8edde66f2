// The static-analysis contract: what a rule declares about itself and what a finding carries. The
// scan engine produces findings; baselines, diff filtering, suppressions and every output format
// (table, JSON, SARIF, JUnit, GitLab Code Quality, Markdown) read only these types.

/** Ordered low → high; `--fail-on` compares by this order. */
export const SCAN_SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type ScanSeverity = (typeof SCAN_SEVERITIES)[number];

export function severityRank(s: ScanSeverity): number {
  return SCAN_SEVERITIES.indexOf(s);
}

export type Confidence = 'low' | 'medium' | 'high';

/** What a rule says about itself (ast-grep's id/message/severity/note plus Warden's metadata). */
export interface RuleMeta {
  id: string;
  message: string;
  severity: ScanSeverity;
  /** The language the rule matches (ast-grep names: javascript, typescript, tsx, python, go, ...). */
  language: string;
  /** Longer explanation: why it matters and how to fix it (ast-grep's `note`). */
  note?: string;
  /** CWE ids, e.g. ["CWE-94"]. */
  cwe?: string[];
  /** OWASP Top 10 for LLM Applications (2025) categories, e.g. ["LLM05:2025 Improper Output Handling"]. */
  owaspLlm?: string[];
  confidence?: Confidence;
  references?: string[];
  /** The built-in pack it belongs to (llm, security, secrets, complexity), or undefined for user rules. */
  pack?: string;
  /** The file the rule was loaded from. */
  source: string;
}

export interface Position {
  /** 1-based. */
  line: number;
  /** 1-based, in UTF-16 code units (as editors and SARIF's default columnKind count). */
  column: number;
}

export interface Suppression {
  kind: 'inline' | 'baseline';
  /** The comment text or baseline file that suppressed it. */
  justification?: string;
}

export interface Finding {
  ruleId: string;
  severity: ScanSeverity;
  message: string;
  /** Relative to the scan root, with forward slashes. */
  path: string;
  start: Position;
  end: Position;
  /** The matched source text, at most a few hundred characters (secrets are masked). */
  snippet: string;
  /**
   * Stable identity: SHA-256 hex of rule id + path + normalised matched text + occurrence index of
   * that text in the file. Survives edits that only shift lines; SARIF partialFingerprints carry it.
   */
  fingerprint: string;
  cwe?: string[];
  owaspLlm?: string[];
  confidence?: Confidence;
  /** The replacement the rule proposes (ast-grep `fix`), when it has one. */
  fix?: string;
  /** Present when the finding is suppressed (reported in SARIF, not counted for --fail-on). */
  suppressed?: Suppression;
}

/** A file the scan did not analyse, and why (binary, too large, unparsable, symlink out of root, ...). */
export interface SkippedFile {
  path: string;
  reason: string;
}

export interface ScanSummary {
  /** Files analysed (not skipped). */
  files: number;
  /** Findings by severity, suppressed ones excluded. */
  bySeverity: Record<ScanSeverity, number>;
  byRule: Record<string, number>;
  durationMs: number;
  /** Files whose results came from the cache. */
  cached: number;
}

export interface ScanReport {
  /** Absolute path of the scan root. */
  root: string;
  findings: Finding[];
  skipped: SkippedFile[];
  rules: RuleMeta[];
  summary: ScanSummary;
}
