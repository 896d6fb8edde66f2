import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Finding, RuleMeta } from '../../../src/core/analysis/types.js';
import {
  buildCiPolicyInput,
  builtinCiPolicyDir,
  checkRepoConfig,
  ciPolicyDirs,
  completeCiPolicyInput,
  evaluateCiPolicies,
  type CiConfigBlock,
  type CiPolicyInput,
} from '../../../src/core/policy/ci.js';
import { PolicyEngine } from '../../../src/core/policy/decision.js';
import { loadPolicySet } from '../../../src/core/policy/packs/loader.js';
import { evaluateRequestDocument } from '../../../src/core/policy/request-eval.js';
import { yamlPolicySchema } from '../../../src/core/policy/yaml/schema.js';
import { findYamlTestFiles, runYamlPolicyTests } from '../../../src/core/policy/yaml/test-runner.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const clock = { now: () => Date.UTC(2025, 0, 6, 12), monotonic: () => performance.now() };
let tmp: string;

function write(rel: string, text: string): string {
  const p = path.join(tmp, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-ci-policy-'));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function finding(ruleId: string, severity: Finding['severity'], file: string, line: number, extra: Partial<Finding> = {}): Finding {
  return {
    ruleId,
    severity,
    message: `${ruleId} matched`,
    path: file,
    start: { line, column: 5 },
    end: { line: line + 1, column: 2 },
    snippet: 'client = OpenAI(api_key="sk-…")',
    fingerprint: `fp-${ruleId}-${line}`,
    ...extra,
  };
}

const RULES: Pick<RuleMeta, 'id' | 'pack'>[] = [
  { id: 'llm.base-url-bypasses-proxy.python', pack: 'llm' },
  { id: 'llm.hardcoded-api-key.python', pack: 'llm' },
  { id: 'secrets.openai_key', pack: 'secrets' },
  { id: 'my.custom-rule' },
];

const CONFIGURED: CiConfigBlock = {
  present: true,
  valid: true,
  errors: [],
  config_file: { path: '.warden/config.yaml', present: true, valid: true, errors: [] },
  policies: { path: '.warden/policies', present: false, count: 0, errors: [] },
};

function input(findings: Finding[], config: CiConfigBlock = CONFIGURED): CiPolicyInput {
  return buildCiPolicyInput({
    ci: { provider: 'github', github: { owner: 'acme', repo: 'web', pullNumber: 42 } },
    base: 'b'.repeat(40),
    head: 'h'.repeat(40),
    filterMode: 'added',
    failOn: 'high',
    changedFiles: ['src/z.py', 'src/a.py', 'src/a.py'],
    addedLines: 30,
    findings,
    rules: RULES as RuleMeta[],
    filesScanned: 2,
    config,
    nowMs: clock.now(),
  });
}

describe('buildCiPolicyInput', () => {
  it('turns scan findings, rule packs, the diff and the CI context into the CI document', () => {
    const doc = input([
      finding('my.custom-rule', 'low', 'src/a.py', 3, { cwe: ['CWE-1'], confidence: 'high' }),
      finding('secrets.openai_key', 'critical', 'src/z.py', 8, { owaspLlm: ['LLM02:2025'], suppressed: { kind: 'baseline' } }),
      finding('llm.hardcoded-api-key.python', 'high', 'src/a.py', 1),
    ]);
    expect(doc.phase).toBe('ci');
    expect(doc.ci).toEqual({
      provider: 'github',
      repository: 'acme/web',
      pull_request: 42,
      base_sha: 'b'.repeat(40),
      head_sha: 'h'.repeat(40),
      filter_mode: 'added',
      fail_on: 'high',
    });
    expect(doc.changes).toEqual({ files: ['src/a.py', 'src/z.py'], file_count: 2, added_lines: 30, truncated: false });
    // Most severe first; the matched text never reaches policies.
    expect(doc.scan.findings.map((f) => [f.rule_id, f.pack, f.suppressed])).toEqual([
      ['secrets.openai_key', 'secrets', true],
      ['llm.hardcoded-api-key.python', 'llm', false],
      ['my.custom-rule', null, false],
    ]);
    expect(doc.scan.findings[2]).toEqual({
      rule_id: 'my.custom-rule',
      severity: 'low',
      pack: null,
      path: 'src/a.py',
      line: 3,
      end_line: 4,
      message: 'my.custom-rule matched',
      fingerprint: 'fp-my.custom-rule-3',
      cwe: ['CWE-1'],
      owasp_llm: [],
      confidence: 'high',
      suppressed: false,
    });
    expect(JSON.stringify(doc.scan)).not.toContain('sk-');
    expect(doc.scan).toMatchObject({ findings_total: 3, truncated: false, by_severity: { info: 0, low: 1, medium: 0, high: 1, critical: 0 }, files_scanned: 2, rules_loaded: 4 });
    expect(doc.principal).toEqual({ key: null, key_name: null, project: null, user: null, team: null, session: null, tool: null, tags: {} });
    expect(doc.time).toMatchObject({ now_ns: BigInt(clock.now()) * 1_000_000n, weekday: 'mon', hour: 12, tz: 'UTC' });
  });

  it('reads the GitLab project and merge request; local runs have neither', () => {
    const base = { filterMode: 'file', failOn: 'none', findings: [], config: CONFIGURED, nowMs: 0 };
    expect(buildCiPolicyInput({ ...base, ci: { provider: 'gitlab', gitlab: { projectId: 'group/proj', mrIid: 7 } } }).ci).toMatchObject({
      provider: 'gitlab',
      repository: 'group/proj',
      pull_request: 7,
    });
    expect(buildCiPolicyInput({ ...base, ci: { provider: 'local' } }).ci).toMatchObject({ provider: 'local', repository: null, pull_request: null, base_sha: null });
  });
});

describe('checkRepoConfig', () => {
  it('a repository without .warden has no config, which is not invalid', () => {
    expect(checkRepoConfig(tmp)).toEqual({
      present: false,
      valid: true,
      errors: [],
      config_file: { path: '.warden/config.yaml', present: false, valid: true, errors: [] },
      policies: { path: '.warden/policies', present: false, count: 0, errors: [] },
    });
  });

  it('a valid config file and policies are present and valid', () => {
    write('.warden/config.yaml', 'server:\n  port: 4242\n');
    write('.warden/policies/gate.yaml', 'phase: ci\nrules:\n  - when: { findings: {} }\n    deny: x\n');
    write('.warden/policies/req.rego', 'package warden.request\n\ndeny contains "x" if input.request.stream\n');
    const c = checkRepoConfig(tmp);
    expect(c).toMatchObject({ present: true, valid: true, errors: [], config_file: { present: true, valid: true }, policies: { present: true, count: 2, errors: [] } });
  });

  it('an invalid config.yaml is present and invalid, with a repository-relative located error', () => {
    write('.warden/config.yaml', 'server:\n  prot: 4242\n');
    const c = checkRepoConfig(tmp);
    expect(c.present).toBe(true);
    expect(c.valid).toBe(false);
    expect(c.config_file).toEqual({
      path: '.warden/config.yaml',
      present: true,
      valid: false,
      errors: ['.warden/config.yaml:2:3: server.prot: unknown key (did you mean "port"?)'],
    });
    expect(c.errors).toEqual(c.config_file.errors);
  });

  it('a config that is not YAML is reported at its line', () => {
    write('.warden/config.yaml', 'server:\n  port: [4242\n');
    expect(checkRepoConfig(tmp).config_file.errors[0]).toMatch(/^\.warden\/config\.yaml:\d+:\d+: YAML syntax error/);
  });

  it('a broken policy file makes the config invalid, located; the ones that load are counted', () => {
    write('.warden/policies/ok.yaml', 'rules:\n  - when: { model: x }\n    deny: y\n');
    write('.warden/policies/bad.yaml', 'rules:\n  - when: { model: x, modle: y }\n    deny: y\n');
    write('.warden/policies/bad.rego', 'package warden.ci\n\ndeny contains "x" if {\n');
    const c = checkRepoConfig(tmp);
    expect(c).toMatchObject({ present: true, valid: false, config_file: { present: false, valid: true } });
    expect(c.policies.count).toBe(1);
    expect(c.policies.errors).toHaveLength(2);
    expect(c.policies.errors).toContain('.warden/policies/bad.yaml:2:23: rules[0].when.modle: unknown key (did you mean "model"?)');
    expect(c.policies.errors.find((e) => e.startsWith('.warden/policies/bad.rego:'))).toBeDefined();
    expect(c.errors).toEqual(c.policies.errors);
  });
});

describe('evaluateCiPolicies', () => {
  it('loads the built-in CI packs from policies/ci', () => {
    expect(builtinCiPolicyDir()).toBe(path.join(ROOT, 'policies', 'ci'));
    const r = evaluateCiPolicies({ root: tmp, input: input([]), clock });
    expect(r.loadErrors).toEqual([]);
    expect(r.policies.map((p) => [p.name, p.phase, p.origin]).sort()).toEqual([
      ['config-present-and-valid', 'ci', 'builtin'],
      ['llm-calls-through-proxy', 'ci', 'builtin'],
      ['no-new-high-findings', 'ci', 'builtin'],
      ['no-secrets', 'ci', 'builtin'],
    ]);
    expect(r.decision).toMatchObject({ verdict: 'allow', violations: [], errors: [] });
    expect(r.decision.policies).toHaveLength(4);
  });

  it('the built-in packs fire on a realistic change: a proxy bypass, a hard-coded key and a leaked secret', () => {
    const r = evaluateCiPolicies({
      root: tmp,
      input: input([
        finding('llm.base-url-bypasses-proxy.python', 'medium', 'app/llm.py', 12),
        finding('llm.hardcoded-api-key.python', 'high', 'app/llm.py', 11),
        finding('secrets.openai_key', 'critical', 'app/settings.py', 4),
        finding('my.custom-rule', 'low', 'app/x.py', 1),
      ]),
      clock,
    });
    expect(r.decision.verdict).toBe('deny');
    const got = r.decision.violations.map((v) => [v.policy, v.rule, v.severity, v.enforcement]);
    expect(got).toEqual(
      expect.arrayContaining([
        ['llm-calls-through-proxy', 'deny', 'high', 'strict'],
        ['no-new-high-findings', 'high-findings', 'high', 'strict'],
        ['no-secrets', 'secret-in-code', 'critical', 'strict'],
        ['no-secrets', 'hardcoded-llm-api-key', 'critical', 'strict'],
      ]),
    );
    expect(got).toHaveLength(4);
    const bypass = r.decision.violations.find((v) => v.policy === 'llm-calls-through-proxy');
    expect(bypass?.message).toMatch(/^app\/llm\.py:12: an LLM client is pinned to a base URL that bypasses the Warden proxy \(llm\.base-url-bypasses-proxy\.python\)/);
    expect(bypass?.data).toEqual({ rule_id: 'llm.base-url-bypasses-proxy.python', path: 'app/llm.py', line: 12 });
    const high = r.decision.violations.find((v) => v.policy === 'no-new-high-findings');
    expect(high?.message).toContain('2 finding(s) of high or critical severity in this change: secrets.openai_key, llm.hardcoded-api-key.python at app/settings.py:4, app/llm.py:11.');
  });

  it('the built-in config pack denies an invalid config with its errors and warns when there is none', () => {
    write('.warden/config.yaml', 'server:\n  prot: 1\n');
    const invalid = evaluateCiPolicies({ root: tmp, input: input([], checkRepoConfig(tmp)), clock }).decision;
    expect(invalid.verdict).toBe('deny');
    expect(invalid.violations).toMatchObject([
      {
        policy: 'config-present-and-valid',
        rule: 'invalid-config',
        severity: 'high',
        message: 'The repository\'s Warden configuration has errors: .warden/config.yaml:2:3: server.prot: unknown key (did you mean "port"?)',
      },
    ]);
    fs.rmSync(path.join(tmp, '.warden'), { recursive: true });
    const none = evaluateCiPolicies({ root: tmp, input: input([], checkRepoConfig(tmp)), clock }).decision;
    expect(none.verdict).toBe('warn');
    expect(none.violations).toMatchObject([{ policy: 'config-present-and-valid', rule: 'no-config', severity: 'low', enforcement: 'warning' }]);
  });

  it('a repository policy with a built-in name replaces it; a request policy of that name does not', () => {
    write('.warden/policies/no-secrets.yaml', 'name: no-secrets\nphase: ci\nenforcement: monitor\nrules:\n  - when: { findings: { packs: [secrets] } }\n    deny: "secret (monitored)"\n');
    write('.warden/policies/no-new-high-findings.yaml', 'name: no-new-high-findings\nrules:\n  - when: { model: x }\n    deny: request policy\n');
    const r = evaluateCiPolicies({ root: tmp, input: input([finding('secrets.openai_key', 'high', 'a.env', 1)]), clock });
    expect(r.loadErrors).toEqual([]);
    expect(r.overridden).toEqual([{ name: 'no-secrets', source: path.join(builtinCiPolicyDir(), 'no-secrets.yaml'), by: path.join(tmp, '.warden/policies/no-secrets.yaml') }]);
    expect(r.policies.find((p) => p.name === 'no-secrets')?.origin).toBe('repo');
    expect(r.decision.violations.map((v) => [v.policy, v.enforcement])).toEqual([
      ['no-new-high-findings', 'strict'],
      ['no-secrets', 'monitor'],
    ]);
  });

  it('a repository turns a built-in pack off with enabled: false', () => {
    write('.warden/policies/off.yaml', 'name: no-new-high-findings\nphase: ci\nenabled: false\nrules:\n  - deny: x\n');
    const r = evaluateCiPolicies({ root: tmp, input: input([finding('my.custom-rule', 'critical', 'a.py', 1)]), clock });
    expect(r.decision.verdict).toBe('allow');
    expect(r.decision.policies.map((p) => p.name)).not.toContain('no-new-high-findings');
  });

  it('--policies paths add policies with the highest precedence; global policies load from the config dir', () => {
    const extra = write('extra/large.yaml', 'name: large-change\nphase: ci\nenforcement: warning\nrules:\n  - when: { changes: { added_lines: { gte: 30 } } }\n    deny: "{{ changes.added_lines }} lines"\n');
    write('config/policies/global.rego', '# METADATA\n# custom:\n#   name: global-pr\npackage warden.ci\n\nwarn contains sprintf("PR %d", [input.ci.pull_request]) if input.ci.pull_request\n');
    const r = evaluateCiPolicies({ root: tmp, configDir: path.join(tmp, 'config'), extraPolicyPaths: [path.dirname(extra)], builtin: false, input: input([]), clock });
    expect(r.loadErrors).toEqual([]);
    expect(r.policies.map((p) => [p.name, p.origin])).toEqual([
      ['global-pr', 'global'],
      ['large-change', 'path'],
    ]);
    expect(r.decision.verdict).toBe('warn');
    expect(r.decision.violations.map((v) => v.message)).toEqual(['PR 42', '30 lines']);
  });

  it('reports a --policies path that does not exist, and a broken CI policy, without throwing', () => {
    write('.warden/policies/broken.yaml', 'phase: ci\nrules:\n  - when: { model: x }\n    deny: y\n');
    const missing = path.join(tmp, 'nope');
    const r = evaluateCiPolicies({ root: tmp, extraPolicyPaths: [missing], input: input([]), clock });
    expect(r.loadErrors.map((e) => [e.code, e.location?.file, e.location?.line])).toEqual([
      ['path_not_found', missing, undefined],
      ['policy_invalid', path.join(tmp, '.warden/policies/broken.yaml'), 3],
    ]);
    expect(r.decision.verdict).toBe('allow');
  });

  it('lists the directories lowest precedence first', () => {
    expect(ciPolicyDirs({ root: '/r', configDir: '/c', extraPolicyPaths: ['/x'] })).toEqual([
      { dir: builtinCiPolicyDir(), origin: 'builtin' },
      { dir: '/c/policies', origin: 'global' },
      { dir: '/r/.warden/policies', origin: 'repo' },
      { dir: '/x', origin: 'path' },
    ]);
  });
});

describe('the built-in CI packs', () => {
  it('validate against the YAML policy schema', () => {
    const dir = builtinCiPolicyDir();
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.yaml') && !f.endsWith('.test.yaml'));
    expect(files.length).toBe(3);
    for (const f of files) {
      const r = yamlPolicySchema.safeParse(parseYaml(fs.readFileSync(path.join(dir, f), 'utf8')));
      expect(r.success, `${f}: ${r.success ? '' : JSON.stringify(r.error.issues)}`).toBe(true);
    }
  });

  it('pass the cases in policies/ci/builtin.test.yaml through the YAML test runner', () => {
    const r = runYamlPolicyTests(findYamlTestFiles([builtinCiPolicyDir()]), { clock });
    expect(r.cases.filter((c) => c.status !== 'pass')).toEqual([]);
    expect(r.summary.total).toBeGreaterThanOrEqual(12);
  });
});

describe('the YAML test runner with CI cases', () => {
  const GATE = 'name: gate\nphase: ci\nrules:\n  - when: { findings: { min_severity: high } }\n    deny: "{{ findings_count }} high"\n';

  it('builds a CI input for cases marked phase: ci, by the file or by CI-only keys, and fails wrong expectations', () => {
    write('p/gate.yaml', GATE);
    const file = write(
      'p/gate.test.yaml',
      `cases:
  - name: by phase
    input: { phase: ci, scan: { findings: [{ rule_id: r, severity: high }] } }
    expect: { verdict: deny, violations: [gate], messages: ["1 high"] }
  - name: by keys
    input: { scan: { findings: [{ rule_id: r, severity: low }] } }
    expect: allow
  - name: wrong
    input: { scan: { findings: [{ rule_id: r, severity: critical }] } }
    expect: allow
`,
    );
    const r = runYamlPolicyTests([file], { clock });
    expect(r.cases.map((c) => c.status)).toEqual(['pass', 'pass', 'fail']);
    expect(r.cases[2].message).toBe('verdict deny, expected allow');
  });

  it('locates an invalid CI case document at its key', () => {
    write('p/gate.yaml', GATE);
    const file = write('p/gate.test.yaml', 'phase: ci\ncases:\n  - name: typo\n    input:\n      scan: { findngs: [] }\n    expect: allow\n');
    const r = runYamlPolicyTests([file], { clock });
    expect(r.cases).toHaveLength(1);
    expect(r.cases[0]).toMatchObject({ status: 'error', line: 5 });
    expect(r.cases[0].message).toContain('cases[0].input.scan.findngs: unknown key');
  });

  it('keeps request cases as they were in a file without phase', () => {
    write('p/gate.yaml', GATE);
    write('p/req.yaml', 'name: req\nrules:\n  - when: { model: "gpt-4*" }\n    deny: no\n');
    const file = write('p/t.test.yaml', 'cases:\n  - name: req\n    input: { request: { model: gpt-4o } }\n    expect: { verdict: deny, violations: [req] }\n');
    expect(runYamlPolicyTests([file], { clock }).ok).toBe(true);
  });
});

describe('policy eval --request with a CI document', () => {
  it('judges a partial CI input with the ci policies loaded from a directory', () => {
    write('p/gate.yaml', 'name: gate\nphase: ci\nrules:\n  - when: { config: { valid: false } }\n    deny: "{{ config_errors }}"\n');
    const engine = new PolicyEngine(loadPolicySet([path.join(tmp, 'p')]).policies, { clock });
    const r = evaluateRequestDocument(engine, { phase: 'ci', config: { errors: ['x.yaml:1:1: broken'], valid: false } }, { nowMs: 0 });
    expect(r.input.phase).toBe('ci');
    expect(r.decision.violations.map((v) => v.message)).toEqual(['x.yaml:1:1: broken']);
    // A provider body is still read as a request.
    expect(evaluateRequestDocument(engine, { model: 'gpt-4o', messages: [] }, { nowMs: 0 }).input.phase).toBe('request');
  });
});
