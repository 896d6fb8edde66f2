// `warden scan --format junit`: JUnit XML for CI test-report UIs (GitLab, Jenkins, Azure DevOps,
// GitHub junit-report actions). Layout, chosen to read like ESLint's and Checkstyle's JUnit output
// that those UIs already present well:
//   - one <testsuite> per file with findings (name = the path), one <testcase> per finding with
//     classname = rule id (Jenkins groups by it), file and line attributes (annotating actions read them);
//   - findings at or above `failOn` carry a <failure>; below it the case passes with the finding in
//     <system-out>; suppressed findings are <skipped> with the reason;
//   - files the scan skipped form a last suite of <skipped> cases; a clean scan yields one passing case,
//     because several UIs treat a report with no test case at all as an error.
// Every string goes through xmlText/xmlAttr: XML 1.0 forbids most control characters even as
// character references, so those are written as visible \uXXXX escapes instead of being dropped.
import type { Finding, ScanReport, ScanSeverity } from '../types.js';
import { severityRank } from '../types.js';
import { compareFindings } from './json.js';

export interface JUnitOptions {
  /** Findings at or above this severity are failures; 'none' makes every finding a passing case. Default 'info'. */
  failOn?: ScanSeverity | 'none';
  /** Name of the top-level <testsuites>. Default "warden scan". */
  name?: string;
}

// Characters XML 1.0 does not allow anywhere (not even as &#…;), plus unpaired surrogates.
const INVALID_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function replaceInvalid(s: string): string {
  return s.replace(INVALID_XML, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Escapes character data for an element's content (a CR is kept as &#13;, which parsers would otherwise fold). */
export function xmlText(s: string): string {
  return replaceInvalid(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;');
}

/** Escapes an attribute value (double-quoted); tabs and newlines survive attribute normalisation. */
export function xmlAttr(s: string): string {
  return xmlText(s).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');
}

function attrs(a: Record<string, string | number | undefined>): string {
  return Object.entries(a)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${xmlAttr(String(v))}"`)
    .join('');
}

function location(f: Finding): string {
  return `${f.path}:${f.start.line}:${f.start.column}`;
}

function details(f: Finding): string {
  const lines = [`${f.message}`, ``, `rule: ${f.ruleId}`, `severity: ${f.severity}`, `location: ${location(f)}`];
  if (f.cwe?.length) lines.push(`cwe: ${f.cwe.join(', ')}`);
  if (f.owaspLlm?.length) lines.push(`owasp-llm: ${f.owaspLlm.join(', ')}`);
  if (f.confidence) lines.push(`confidence: ${f.confidence}`);
  lines.push(`fingerprint: ${f.fingerprint}`);
  if (f.snippet) lines.push('', f.snippet);
  if (f.fix !== undefined) lines.push('', 'suggested fix:', f.fix);
  return lines.join('\n');
}

type Outcome = 'failure' | 'passed' | 'skipped';

function outcome(f: Finding, failOn: ScanSeverity | 'none'): Outcome {
  if (f.suppressed) return 'skipped';
  if (failOn === 'none') return 'passed';
  return severityRank(f.severity) >= severityRank(failOn) ? 'failure' : 'passed';
}

function testcase(f: Finding, failOn: ScanSeverity | 'none'): { xml: string; outcome: Outcome } {
  const o = outcome(f, failOn);
  const head = `    <testcase${attrs({ name: `${f.ruleId} at ${location(f)}`, classname: f.ruleId, file: f.path, line: f.start.line, time: 0 })}>`;
  let body: string;
  if (o === 'failure') {
    body = `      <failure${attrs({ message: f.message, type: f.severity })}>${xmlText(details(f))}</failure>`;
  } else if (o === 'skipped') {
    const s = f.suppressed!;
    const why = s.kind === 'baseline' ? `in baseline${s.justification ? ` ${s.justification}` : ''}` : `suppressed inline${s.justification ? `: ${s.justification}` : ''}`;
    body = `      <skipped${attrs({ message: why })}/>\n      <system-out>${xmlText(details(f))}</system-out>`;
  } else {
    body = `      <system-out>${xmlText(`below the failure threshold\n\n${details(f)}`)}</system-out>`;
  }
  return { xml: `${head}\n${body}\n    </testcase>`, outcome: o };
}

export function renderJUnit(report: ScanReport, opts: JUnitOptions = {}): string {
  const failOn = opts.failOn ?? 'info';
  const byFile = new Map<string, Finding[]>();
  for (const f of [...report.findings].sort(compareFindings)) {
    const list = byFile.get(f.path);
    if (list) list.push(f);
    else byFile.set(f.path, [f]);
  }

  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let skipped = 0;
  for (const [file, findings] of byFile) {
    const cases = findings.map((f) => testcase(f, failOn));
    const fails = cases.filter((c) => c.outcome === 'failure').length;
    const skips = cases.filter((c) => c.outcome === 'skipped').length;
    tests += cases.length;
    failures += fails;
    skipped += skips;
    suites.push(
      `  <testsuite${attrs({ name: file, tests: cases.length, failures: fails, errors: 0, skipped: skips, time: 0, file })}>\n${cases.map((c) => c.xml).join('\n')}\n  </testsuite>`,
    );
  }

  if (report.skipped.length) {
    const cases = [...report.skipped]
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
      .map((s) => `    <testcase${attrs({ name: s.path, classname: 'warden.skipped', file: s.path, time: 0 })}>\n      <skipped${attrs({ message: s.reason })}/>\n    </testcase>`);
    tests += cases.length;
    skipped += cases.length;
    suites.push(`  <testsuite${attrs({ name: 'warden: files not analysed', tests: cases.length, failures: 0, errors: 0, skipped: cases.length, time: 0 })}>\n${cases.join('\n')}\n  </testsuite>`);
  }

  if (report.findings.length === 0) {
    tests += 1;
    suites.push(
      `  <testsuite${attrs({ name: 'warden scan', tests: 1, failures: 0, errors: 0, skipped: 0, time: 0 })}>\n    <testcase${attrs({ name: `no findings in ${report.summary.files} files`, classname: 'warden.scan', time: 0 })}/>\n  </testsuite>`,
    );
  }

  const time = (report.summary.durationMs / 1000).toFixed(3);
  const head = `<testsuites${attrs({ name: opts.name ?? 'warden scan', tests, failures, errors: 0, skipped, time })}>`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${head}\n${suites.join('\n')}${suites.length ? '\n' : ''}</testsuites>\n`;
}
