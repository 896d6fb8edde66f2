import fs from 'node:fs';
import { createRequire } from 'node:module';
import AjvImport from 'ajv-draft-04';
import addFormatsImport from 'ajv-formats';
import type * as Sarif from 'sarif';
import { beforeAll, describe, expect, it } from 'vitest';
import { FINGERPRINT_KEY, renderSarif, sarifLevel } from '../../../../src/core/analysis/outputs/sarif.js';
import type { Finding } from '../../../../src/core/analysis/types.js';
import { finding, report, rule } from './fixtures.js';

// The SARIF 2.1.0 JSON schema (draft-04, the TC's "rtm.5" release file) as shipped in Microsoft's
// sarif-js-sdk package. No npm package ships the OASIS errata01 file itself; rtm.5 differs from it in
// title/id and a regex fix for `language`, which Warden never emits (docs/scan-output.md).
const SCHEMA_FILE = createRequire(import.meta.url).resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
// Both are CommonJS whose module object is the export; NodeNext types their default import as the
// module namespace, so take the runtime value with the type of its `default`.
const Ajv = AjvImport as unknown as (typeof AjvImport)['default'];
const addFormats = addFormatsImport as unknown as (typeof addFormatsImport)['default'];

let validate: (doc: unknown) => string[];

beforeAll(() => {
  const schema = JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')) as Record<string, unknown>;
  // unicodeRegExp off: rtm.5's `language` pattern has a stray "]" that only the non-unicode RegExp
  // grammar accepts (errata01 fixed the pattern).
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats(ajv);
  const v = ajv.compile(schema);
  validate = (doc) => (v(doc) ? [] : (v.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`));
});

function parse(text: string): Sarif.Log {
  return JSON.parse(text) as Sarif.Log;
}

const mixed: Finding[] = [
  finding({ line: 10 }),
  finding({ line: 20, severity: 'critical', ruleId: 'secrets.openai-key', message: 'OpenAI API key in source', snippet: 'sk-…', cwe: ['CWE-798'] }),
  finding({ line: 30, severity: 'medium', suppressed: { kind: 'inline', justification: 'warden-ignore: llm.output-to-eval' } }),
  finding({ line: 40, severity: 'low', suppressed: { kind: 'baseline', justification: '.warden/baseline.json' } }),
  finding({ line: 50, severity: 'info', path: 'docs/my notes/ünïcode #1.py', fix: 'json.loads(completion.text)' }),
];

describe('renderSarif', () => {
  it('produces a log valid against the SARIF 2.1.0 schema, with tool, rules, results and run metadata', () => {
    const text = renderSarif(
      report(mixed, {
        rules: [rule(), rule({ language: 'python', source: 'policies/rules/python/llm.yml', cwe: ['CWE-95'] })],
        skipped: [{ path: 'assets/logo.png', reason: 'binary file' }],
      }),
      { toolVersion: '0.1.0', informationUri: 'https://example.org/warden' },
    );
    const log = parse(text);
    expect(validate(log)).toEqual([]);
    expect(log.version).toBe('2.1.0');
    const run = log.runs[0];
    expect(run.tool.driver).toMatchObject({ name: 'warden', version: '0.1.0', semanticVersion: '0.1.0', informationUri: 'https://example.org/warden' });
    expect(run.originalUriBaseIds?.['%SRCROOT%']?.uri).toBe('file:///work/repo/');
    expect(run.invocations?.[0].toolExecutionNotifications?.[0]).toMatchObject({ level: 'note', message: { text: 'Not analysed: binary file' } });
  });

  it('describes each rule once, with help from its note, tags for CWE and OWASP LLM, and a GitHub security-severity', () => {
    const log = parse(renderSarif(report(mixed, { rules: [rule(), rule({ language: 'python', cwe: ['CWE-95'] })] })));
    const rules = log.runs[0].tool.driver.rules!;
    expect(rules.map((r) => r.id)).toEqual(['llm.output-to-eval', 'secrets.openai-key']);
    const r = rules[0];
    expect(r.shortDescription?.text).toBe('LLM output reaches eval()');
    expect(r.help?.markdown).toContain('**Never** pass it to `eval`');
    expect(r.help?.markdown).toContain('<https://genai.owasp.org/llmrisk/llm052025-improper-output-handling/>');
    expect(r.helpUri).toBe('https://genai.owasp.org/llmrisk/llm052025-improper-output-handling/');
    expect(r.defaultConfiguration?.level).toBe('error');
    const tags = r.properties?.tags as string[];
    expect(tags).toEqual(expect.arrayContaining(['security', 'external/cwe/cwe-94', 'external/cwe/cwe-95', 'CWE-94', 'LLM05:2025 Improper Output Handling', 'external/owasp-llm/llm05-2025', 'typescript', 'python']));
    expect(r.properties?.['security-severity']).toBe('8.0');
    // A finding whose rule the report does not list still gets a descriptor to point at.
    expect(rules[1]).toMatchObject({ id: 'secrets.openai-key', defaultConfiguration: { level: 'error' } });
    expect(rules[1].properties?.['security-severity']).toBe('9.5');
  });

  it('maps results: ruleIndex, level by severity, relative URI under %SRCROOT%, region, fingerprint', () => {
    const log = parse(renderSarif(report(mixed)));
    const run = log.runs[0];
    const rules = run.tool.driver.rules!;
    for (const res of run.results!) expect(rules[res.ruleIndex!].id).toBe(res.ruleId);
    const byLine = new Map(run.results!.map((r) => [r.locations![0].physicalLocation!.region!.startLine, r]));
    expect([10, 20, 30, 40, 50].map((l) => byLine.get(l)!.level)).toEqual(['error', 'error', 'warning', 'note', 'note']);
    const first = byLine.get(10)!;
    expect(first.locations![0].physicalLocation).toEqual({
      artifactLocation: { uri: 'src/app.ts', uriBaseId: '%SRCROOT%' },
      region: { startLine: 10, startColumn: 5, endLine: 10, endColumn: 25, snippet: { text: 'eval(completion.text)' } },
    });
    expect(first.partialFingerprints).toEqual({ [FINGERPRINT_KEY]: mixed[0].fingerprint });
    expect(byLine.get(50)!.locations![0].physicalLocation!.artifactLocation!.uri).toBe('docs/my%20notes/%C3%BCn%C3%AFcode%20%231.py');
    expect(sarifLevel('medium')).toBe('warning');
  });

  it('carries suppressions: inline comments as inSource, baseline entries as external', () => {
    const log = parse(renderSarif(report(mixed)));
    const byLine = new Map(log.runs[0].results!.map((r) => [r.locations![0].physicalLocation!.region!.startLine, r]));
    expect(byLine.get(10)!.suppressions).toBeUndefined();
    expect(byLine.get(30)!.suppressions).toEqual([{ kind: 'inSource', status: 'accepted', justification: 'warden-ignore: llm.output-to-eval' }]);
    expect(byLine.get(40)!.suppressions).toEqual([{ kind: 'external', status: 'accepted', justification: '.warden/baseline.json' }]);
  });

  it('proposes the rule fix as a replacement of the matched region', () => {
    const log = parse(renderSarif(report(mixed)));
    const res = log.runs[0].results!.find((r) => r.fixes)!;
    expect(res.fixes![0].artifactChanges[0]).toEqual({
      artifactLocation: { uri: 'docs/my%20notes/%C3%BCn%C3%AFcode%20%231.py', uriBaseId: '%SRCROOT%' },
      replacements: [{ deletedRegion: { startLine: 50, startColumn: 5, endLine: 50, endColumn: 25 }, insertedContent: { text: 'json.loads(completion.text)' } }],
    });
  });

  it('keeps at most 5,000 results per run, the most severe unsuppressed first, and says so in a run notification', () => {
    const many: Finding[] = [];
    for (let i = 0; i < 5000; i++) many.push(finding({ line: i + 1, severity: i % 2 ? 'high' : 'medium' }));
    many.push(finding({ path: 'z.ts', line: 1, severity: 'critical', ruleId: 'late.critical' }));
    many.push(finding({ path: 'a.ts', line: 1, severity: 'info' }));
    many.push(finding({ path: 'a.ts', line: 2, severity: 'critical', suppressed: { kind: 'baseline' } }));
    const log = parse(renderSarif(report(many)));
    expect(validate(log)).toEqual([]);
    const run = log.runs[0];
    expect(run.results).toHaveLength(5000);
    expect(run.results!.some((r) => r.ruleId === 'late.critical')).toBe(true);
    expect(run.results!.some((r) => r.locations![0].physicalLocation!.artifactLocation!.uri === 'a.ts')).toBe(false);
    const note = run.invocations![0].toolExecutionNotifications!.find((n) => n.descriptor?.id === 'warden/results-truncated')!;
    expect(note.level).toBe('warning');
    expect(note.message.text).toMatch(/^3 of 5003 results were left out/);
    expect(run.properties?.resultsOmitted).toBe(3);
  });

  it('emits a valid, empty run for a clean scan and has no truncation notice', () => {
    const log = parse(renderSarif(report([], { rules: [] })));
    expect(validate(log)).toEqual([]);
    expect(log.runs[0].results).toEqual([]);
    expect(log.runs[0].invocations![0].toolExecutionNotifications).toBeUndefined();
  });

  it('the schema check itself rejects a malformed log (it is not vacuous)', () => {
    const log = parse(renderSarif(report(mixed)));
    (log.runs[0].results![0] as { level: string }).level = 'fatal';
    delete (log.runs[0].tool.driver as { name?: string }).name;
    const errors = validate(log);
    expect(errors.join('\n')).toMatch(/level/);
    expect(errors.join('\n')).toMatch(/name/);
  });
});
