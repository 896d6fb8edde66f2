// `warden scan --format sarif`: SARIF 2.1.0 for GitHub code scanning and any other SARIF consumer.
// Owns the severity → level / security-severity mapping, rule descriptors with help text and tags,
// partialFingerprints (the engine's fingerprint under "warden/v1"), suppressions (inline → inSource,
// baseline → external) and GitHub's upload limits: at most 5,000 results per run are kept (the most
// severe, unsuppressed first) and a run-level notification says how many were left out.
// Hand-written rather than node-sarif-builder: the mapping is the whole job, a builder adds nothing.
import { pathToFileURL } from 'node:url';
import type * as Sarif from 'sarif';
import type { Finding, RuleMeta, ScanReport, ScanSeverity } from '../types.js';
import { compareByPriority, compareFindings } from './json.js';

export const SARIF_SCHEMA_URI = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';
/** GitHub code scanning keeps at most this many results per run (and 25,000 per upload). */
export const GITHUB_MAX_RESULTS_PER_RUN = 5000;
/** GitHub code scanning rejects a run with more rules than this. */
export const GITHUB_MAX_RULES_PER_RUN = 25_000;
/** GitHub code scanning reads at most this many tags per rule. */
export const GITHUB_MAX_TAGS_PER_RULE = 20;
/** partialFingerprints key; bump the version if the engine's fingerprint recipe ever changes. */
export const FINGERPRINT_KEY = 'warden/v1';
const SRCROOT = '%SRCROOT%';
/** Skipped files listed one by one as notifications; past this a single summary notification. */
const MAX_SKIPPED_NOTIFICATIONS = 100;
const SECURITY_PACKS = new Set(['llm', 'security', 'secrets']);

export interface SarifOptions {
  /** Warden's version, for tool.driver.version / semanticVersion. */
  toolVersion?: string;
  /** tool.driver.informationUri (must be an absolute URI); omitted when not given. */
  informationUri?: string;
  /** Results kept per run; defaults to GitHub's 5,000. */
  maxResults?: number;
}

/** SARIF `level` by severity: critical/high fail a check, medium warns, low/info are notes. */
export function sarifLevel(s: ScanSeverity): 'error' | 'warning' | 'note' {
  return s === 'critical' || s === 'high' ? 'error' : s === 'medium' ? 'warning' : 'note';
}

/**
 * GitHub's `security-severity` (a CVSS-like score as a string): > 9.0 critical, 7.0–8.9 high,
 * 4.0–6.9 medium, 0.1–3.9 low. Info-level rules get none, so GitHub falls back to the level.
 */
export function securitySeverity(s: ScanSeverity): string | undefined {
  return { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: undefined }[s];
}

function problemSeverity(s: ScanSeverity): 'error' | 'warning' | 'recommendation' {
  const level = sarifLevel(s);
  return level === 'note' ? 'recommendation' : level;
}

/** A scan-root-relative path as a URI reference (each segment percent-encoded). */
export function pathToUriReference(p: string): string {
  return p.split('/').map(encodeURIComponent).join('/');
}

function isAbsoluteUri(s: string): boolean {
  try {
    return Boolean(new URL(s).protocol);
  } catch {
    return false;
  }
}

interface MergedRule {
  id: string;
  message: string;
  severity: ScanSeverity;
  note?: string;
  cwe: Set<string>;
  owaspLlm: Set<string>;
  languages: Set<string>;
  references: string[];
  packs: Set<string>;
  confidence?: RuleMeta['confidence'];
}

/** One descriptor per rule id: packs may declare the same id once per language. */
function mergeRules(rules: readonly RuleMeta[], findings: readonly Finding[]): Map<string, MergedRule> {
  const out = new Map<string, MergedRule>();
  for (const r of rules) {
    let m = out.get(r.id);
    if (!m) {
      m = { id: r.id, message: r.message, severity: r.severity, note: r.note, cwe: new Set(), owaspLlm: new Set(), languages: new Set(), references: [], packs: new Set(), confidence: r.confidence };
      out.set(r.id, m);
    }
    m.note ??= r.note;
    m.confidence ??= r.confidence;
    for (const c of r.cwe ?? []) m.cwe.add(c);
    for (const o of r.owaspLlm ?? []) m.owaspLlm.add(o);
    if (r.language) m.languages.add(r.language);
    for (const ref of r.references ?? []) if (!m.references.includes(ref)) m.references.push(ref);
    if (r.pack) m.packs.add(r.pack);
  }
  // A finding whose rule the report does not list (e.g. a delegated semgrep rule) still needs a
  // descriptor for ruleIndex to point at.
  for (const f of findings) {
    if (out.has(f.ruleId)) continue;
    out.set(f.ruleId, { id: f.ruleId, message: f.message, severity: f.severity, cwe: new Set(f.cwe ?? []), owaspLlm: new Set(f.owaspLlm ?? []), languages: new Set(), references: [], packs: new Set(), confidence: f.confidence });
  }
  return out;
}

function cweTag(cwe: string): string {
  const n = /^CWE-(\d+)$/i.exec(cwe.trim());
  return n ? `external/cwe/cwe-${n[1]}` : cwe;
}

function owaspTag(cat: string): string {
  const m = /^(LLM\d{2})(?::(\d{4}))?/i.exec(cat.trim());
  return m ? `external/owasp-llm/${m[1].toLowerCase()}${m[2] ? `-${m[2]}` : ''}` : cat;
}

function isSecurity(r: MergedRule): boolean {
  return r.cwe.size > 0 || r.owaspLlm.size > 0 || [...r.packs].some((p) => SECURITY_PACKS.has(p));
}

function helpMarkdown(r: MergedRule): string {
  const parts = [r.note?.trim() || r.message];
  const meta: string[] = [];
  if (r.cwe.size) meta.push(`CWE: ${[...r.cwe].join(', ')}`);
  if (r.owaspLlm.size) meta.push(`OWASP Top 10 for LLM Applications: ${[...r.owaspLlm].join(', ')}`);
  if (meta.length) parts.push(meta.map((m) => `- ${m}`).join('\n'));
  if (r.references.length) parts.push(`References:\n\n${r.references.map((u) => (isAbsoluteUri(u) ? `- <${u}>` : `- ${u}`)).join('\n')}`);
  return parts.join('\n\n');
}

function helpText(r: MergedRule): string {
  const parts = [r.note?.trim() || r.message];
  if (r.references.length) parts.push(`References: ${r.references.join(' ')}`);
  return parts.join('\n\n');
}

function descriptor(r: MergedRule): Sarif.ReportingDescriptor {
  const security = isSecurity(r);
  const tags = [
    ...(security ? ['security'] : []),
    ...[...r.packs].filter((p) => p === 'complexity').map(() => 'maintainability'),
    ...[...r.cwe].flatMap((c) => [cweTag(c), c]),
    ...[...r.owaspLlm].flatMap((o) => [owaspTag(o), o]),
    ...[...r.packs].map((p) => `warden/${p}`),
    ...[...r.languages],
  ];
  const props: Record<string, unknown> = {
    tags: [...new Set(tags)].slice(0, GITHUB_MAX_TAGS_PER_RULE),
    'problem.severity': problemSeverity(r.severity),
  };
  const sec = securitySeverity(r.severity);
  if (security && sec !== undefined) props['security-severity'] = sec;
  if (r.confidence) props.precision = r.confidence;
  if (r.cwe.size) props.cwe = [...r.cwe];
  if (r.owaspLlm.size) props.owaspLlm = [...r.owaspLlm];
  const d: Sarif.ReportingDescriptor = {
    id: r.id,
    name: r.id,
    shortDescription: { text: r.message },
    fullDescription: { text: r.note?.trim() || r.message },
    help: { text: helpText(r), markdown: helpMarkdown(r) },
    defaultConfiguration: { level: sarifLevel(r.severity) },
    properties: props,
  };
  const uri = r.references.find(isAbsoluteUri);
  if (uri) d.helpUri = uri;
  return d;
}

/** SARIF regions: start inclusive; end is the position just past the match (as SARIF's endColumn). */
function region(f: Finding, withSnippet: boolean): Sarif.Region {
  const startLine = Math.max(1, f.start.line);
  const startColumn = Math.max(1, f.start.column);
  const endLine = Math.max(startLine, f.end.line);
  let endColumn = Math.max(1, f.end.column);
  if (endLine === startLine && endColumn < startColumn) endColumn = startColumn;
  const r: Sarif.Region = { startLine, startColumn, endLine, endColumn };
  if (withSnippet && f.snippet) r.snippet = { text: f.snippet };
  return r;
}

function result(f: Finding, ruleIndex: number | undefined): Sarif.Result {
  const uri = pathToUriReference(f.path);
  const res: Sarif.Result = {
    ruleId: f.ruleId,
    ...(ruleIndex === undefined ? {} : { ruleIndex }),
    level: sarifLevel(f.severity),
    message: { text: f.message },
    locations: [{ physicalLocation: { artifactLocation: { uri, uriBaseId: SRCROOT }, region: region(f, true) } }],
    partialFingerprints: { [FINGERPRINT_KEY]: f.fingerprint },
  };
  const props: Record<string, unknown> = { severity: f.severity };
  if (f.confidence) props.confidence = f.confidence;
  res.properties = props;
  if (f.suppressed) {
    const s: Sarif.Suppression = { kind: f.suppressed.kind === 'inline' ? 'inSource' : 'external', status: 'accepted' };
    if (f.suppressed.justification) s.justification = f.suppressed.justification;
    res.suppressions = [s];
  }
  if (f.fix !== undefined) {
    res.fixes = [
      {
        description: { text: `Replace the match with the rule's suggested fix.` },
        artifactChanges: [{ artifactLocation: { uri, uriBaseId: SRCROOT }, replacements: [{ deletedRegion: region(f, false), insertedContent: { text: f.fix } }] }],
      },
    ];
  }
  return res;
}

/** The SARIF log as an object (for callers that post-process or validate it). */
export function toSarif(report: ScanReport, opts: SarifOptions = {}): Sarif.Log {
  const maxResults = Math.max(0, opts.maxResults ?? GITHUB_MAX_RESULTS_PER_RUN);
  const kept = report.findings.length > maxResults ? [...report.findings].sort(compareByPriority).slice(0, maxResults) : [...report.findings];
  kept.sort(compareFindings);
  const omitted = report.findings.length - kept.length;

  const merged = mergeRules(report.rules, kept);
  let ruleList = [...merged.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (ruleList.length > GITHUB_MAX_RULES_PER_RUN) {
    const used = new Set(kept.map((f) => f.ruleId));
    ruleList = ruleList.filter((r) => used.has(r.id));
  }
  const index = new Map(ruleList.map((r, i) => [r.id, i]));

  const notifications: Sarif.Notification[] = [];
  if (omitted > 0) {
    notifications.push({
      level: 'warning',
      descriptor: { id: 'warden/results-truncated' },
      message: {
        text: `${omitted} of ${report.findings.length} results were left out: GitHub code scanning accepts at most ${maxResults} results per run (25,000 per upload). Kept the most severe, unsuppressed first; run \`warden scan --format json\` for all of them.`,
      },
    });
  }
  const skipped = [...report.skipped].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const s of skipped.slice(0, MAX_SKIPPED_NOTIFICATIONS)) {
    notifications.push({
      level: 'note',
      descriptor: { id: 'warden/file-skipped' },
      message: { text: `Not analysed: ${s.reason}` },
      locations: [{ physicalLocation: { artifactLocation: { uri: pathToUriReference(s.path), uriBaseId: SRCROOT } } }],
    });
  }
  if (skipped.length > MAX_SKIPPED_NOTIFICATIONS) {
    notifications.push({
      level: 'note',
      descriptor: { id: 'warden/file-skipped' },
      message: { text: `${skipped.length - MAX_SKIPPED_NOTIFICATIONS} more files were not analysed (${skipped.length} in all).` },
    });
  }

  const driver: Sarif.ToolComponent = { name: 'warden', rules: ruleList.map(descriptor) };
  if (opts.informationUri && isAbsoluteUri(opts.informationUri)) driver.informationUri = opts.informationUri;
  if (opts.toolVersion) {
    driver.version = opts.toolVersion;
    if (/^\d+\.\d+\.\d+/.test(opts.toolVersion)) driver.semanticVersion = opts.toolVersion;
  }
  const invocation: Sarif.Invocation = { executionSuccessful: true };
  if (notifications.length) invocation.toolExecutionNotifications = notifications;

  const run: Sarif.Run = {
    tool: { driver },
    invocations: [invocation],
    originalUriBaseIds: { [SRCROOT]: { uri: `${pathToFileURL(report.root).href.replace(/\/$/, '')}/` } },
    columnKind: 'utf16CodeUnits',
    results: kept.map((f) => result(f, index.get(f.ruleId))),
    properties: {
      filesScanned: report.summary.files,
      filesSkipped: report.skipped.length,
      ...(omitted > 0 ? { resultsOmitted: omitted } : {}),
    },
  };
  return { $schema: SARIF_SCHEMA_URI, version: '2.1.0', runs: [run] };
}

export function renderSarif(report: ScanReport, opts: SarifOptions = {}): string {
  return `${JSON.stringify(toSarif(report, opts), null, 2)}\n`;
}
