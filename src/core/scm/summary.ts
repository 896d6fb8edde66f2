// The verdict of a `warden ci` run, and its Markdown summary: verdict line, CI policy violations,
// findings that could not be placed on a changed line, then the scan's own Markdown (counts, top
// findings, details). One document serves the check-run summary, the step summary, the sticky PR
// comment and the MR note; it is bounded to GitHub's 1 MiB step-summary limit.
import type { FailOn } from '../analysis/run-scan.js';
import { MARKDOWN_MAX_BYTES, mdEscape, renderMarkdown } from '../analysis/outputs/markdown.js';
import { severityRank, type Finding, type ScanReport } from '../analysis/types.js';
import type { Decision, Violation } from '../policy/decision.js';
import { truncateUtf8 } from '../util/text-bounds.js';
import type { CiVerdict, DiffInfo, FilterMode } from './types.js';

function atOrAbove(severity: Finding['severity'], failOn: FailOn): boolean {
  return failOn !== 'none' && severityRank(severity) >= severityRank(failOn);
}

/** Whether a CI policy violation fails the run at `failOn`: strict, and severe enough. */
export function violationFails(v: Violation, failOn: FailOn): boolean {
  return v.enforcement === 'strict' && atOrAbove(v.severity, failOn);
}

/** failure: a finding or strict policy violation at or above failOn; neutral: something below it; else success. */
export function computeVerdict(findings: readonly Finding[], decision: Decision, failOn: FailOn): CiVerdict {
  const open = findings.filter((f) => !f.suppressed);
  const failingFindings = open.filter((f) => atOrAbove(f.severity, failOn)).length;
  const failingViolations = decision.violations.filter((v) => violationFails(v, failOn));
  const pass = failingFindings === 0 && failingViolations.length === 0;
  const parts: string[] = [];
  if (failingFindings) parts.push(`${failingFindings} finding${failingFindings === 1 ? '' : 's'} at or above ${failOn}`);
  if (failingViolations.length) {
    const names = [...new Set(failingViolations.map((v) => v.policy))].join(', ');
    parts.push(`${failingViolations.length} policy violation${failingViolations.length === 1 ? '' : 's'} (${names})`);
  }
  let headline: string;
  if (!pass) headline = `failed: ${parts.join(', ')}`;
  else if (open.length || decision.violations.length) {
    const below = [
      open.length ? `${open.length} finding${open.length === 1 ? '' : 's'}` : '',
      decision.violations.length ? `${decision.violations.length} policy note${decision.violations.length === 1 ? '' : 's'}` : '',
    ].filter(Boolean);
    headline = failOn === 'none' ? `passed (--fail-on none): ${below.join(', ')}` : `passed: ${below.join(', ')}, none failing at ${failOn}`;
  } else headline = 'passed: no findings, no policy violations';
  const conclusion = !pass ? 'failure' : open.length || decision.violations.length ? 'neutral' : 'success';
  return { conclusion, pass, failOn, failingFindings, headline };
}

export interface SummaryInput {
  verdict: CiVerdict;
  decision: Decision;
  diff: DiffInfo;
  filterMode: FilterMode;
  /** The scan report narrowed to the findings the filter mode keeps. */
  scan: ScanReport;
  outside: readonly Finding[];
  /** Prefix for links to files at the head commit, e.g. https://github.com/o/r/blob/<sha>/. */
  linkBase?: string;
  maxBytes?: number;
}

const MAX_LISTED = 50;

function short(sha: string): string {
  return sha.slice(0, 12);
}

/** The run's summary as Markdown, at most `maxBytes` (default 1 MiB) of UTF-8. */
export function renderCiSummary(s: SummaryInput): string {
  const maxBytes = Math.min(MARKDOWN_MAX_BYTES, s.maxBytes ?? MARKDOWN_MAX_BYTES);
  const icon = s.verdict.conclusion === 'failure' ? '❌' : s.verdict.conclusion === 'neutral' ? '⚠️' : '✅';
  const head: string[] = [
    `## ${icon} Warden CI: ${s.verdict.pass ? 'passed' : 'failed'}`,
    '',
    mdEscape(s.verdict.headline.replace(/^(passed|failed)(?: \(--fail-on none\))?: /, '')),
    '',
    `Base \`${short(s.diff.mergeBase)}\` → head \`${short(s.diff.head)}\` · ${s.diff.files.size} changed file${s.diff.files.size === 1 ? '' : 's'} · filter \`${s.filterMode}\` · fail on \`${s.verdict.failOn}\``,
    '',
  ];
  const { violations, errors } = s.decision;
  if (violations.length) {
    head.push('### CI policies', '', '| Policy | Severity | Enforcement | Message |', '| --- | --- | --- | --- |');
    for (const v of violations.slice(0, MAX_LISTED)) {
      head.push(`| \`${mdEscape(v.policy)}\` | ${v.severity} | ${v.enforcement}${violationFails(v, s.verdict.failOn) ? ' (fails)' : ''} | ${mdEscape(v.message.slice(0, 500))} |`);
    }
    if (violations.length > MAX_LISTED) head.push('', `…and ${violations.length - MAX_LISTED} more.`);
    head.push('');
  }
  if (errors.length) {
    head.push('### CI policies that failed to evaluate', '');
    for (const e of errors.slice(0, MAX_LISTED)) head.push(`- \`${mdEscape(e.policy)}\`: ${mdEscape(`${e.code}: ${e.message}`.slice(0, 500))}`);
    head.push('');
  }
  if (s.outside.length) {
    head.push(`### Not on a changed line (${s.outside.length})`, '', 'These cannot be shown inline; they count all the same.', '');
    for (const f of s.outside.slice(0, MAX_LISTED)) {
      head.push(`- ${f.severity} \`${mdEscape(f.ruleId)}\` ${mdEscape(`${f.path}:${f.start.line}`)} — ${mdEscape(f.message.slice(0, 300))}`);
    }
    if (s.outside.length > MAX_LISTED) head.push(`- …and ${s.outside.length - MAX_LISTED} more (see the findings below).`);
    head.push('');
  }
  const top = `${head.join('\n')}\n`;
  const used = Buffer.byteLength(top, 'utf8');
  // The scan part gets what is left; renderMarkdown closes its own details and notes a cut.
  const body = renderMarkdown(s.scan, {
    title: 'Findings',
    failOn: s.verdict.failOn,
    maxBytes: Math.max(4096, maxBytes - used),
    ...(s.linkBase ? { linkBase: s.linkBase } : {}),
  });
  return truncateUtf8(`${top}${body}`, maxBytes);
}
