import { describe, expect, it } from 'vitest';
import { WardenError } from '../../../src/core/errors.js';
import { completeCiPolicyInput, type CiPolicyInputDoc } from '../../../src/core/policy/ci-input.js';
import { PolicyEngine, completePolicyInput, type LoadedPolicy } from '../../../src/core/policy/decision.js';
import { compileYamlPolicy } from '../../../src/core/policy/yaml/compile.js';

const clock = { monotonic: () => performance.now() };
const NOW = Date.UTC(2025, 0, 6, 14, 30); // a Monday

function load(text: string, file = '/repo/.warden/policies/gate.yaml'): LoadedPolicy {
  return compileYamlPolicy(text, { file, origin: 'repo', version: 'v1' });
}

function decide(text: string, doc: CiPolicyInputDoc, explain = false) {
  return new PolicyEngine([load(text)], { clock }).evaluate(completeCiPolicyInput(doc, { nowMs: NOW }), { explain });
}

function loadError(text: string): WardenError {
  try {
    load(text);
  } catch (e) {
    if (e instanceof WardenError) return e;
    throw e;
  }
  throw new Error('expected the policy to be rejected');
}

const high = (path: string, line: number, rule = 'llm.output-to-shell.python', extra: object = {}) => ({
  rule_id: rule,
  severity: 'high' as const,
  pack: 'llm',
  path,
  line,
  ...extra,
});

describe('YAML ci policies: compilation', () => {
  it('takes phase ci from the file; a policy without phase stays a request policy', () => {
    expect(load('phase: ci\nrules:\n  - when: { findings: {} }\n    deny: true\n').meta.phase).toBe('ci');
    expect(load('rules:\n  - deny: true\n').meta.phase).toBe('request');
    expect(load('phase: response\nrules:\n  - when: { model: x }\n    warn: true\n').meta.phase).toBe('response');
  });

  it('rejects a request-only condition in a ci policy at its file:line:col, naming the key', () => {
    const e = loadError('phase: ci\nrules:\n  - name: r\n    when:\n      all:\n        - findings: { min_severity: high }\n        - model: gpt-4o\n    deny: x\n');
    expect(e.code).toBe('policy_invalid');
    expect(e.location).toEqual({ file: '/repo/.warden/policies/gate.yaml', line: 7, col: 18 });
    expect(e.message).toMatch(/^rules\[0\]\.when\.all\[1\]\.model: `model` is a request condition/);
  });

  it('rejects a ci condition in a request policy, pointing at phase: ci', () => {
    const e = loadError('rules:\n  - when:\n      not: { config: { valid: true } }\n    deny: x\n');
    expect(e.location).toMatchObject({ line: 3, col: 22 });
    expect(e.message).toBe('rules[0].when.not.config: `config` is a ci condition: add `phase: ci` to the policy to use it in `warden ci`');
  });

  it('rejects mutations in a ci policy and placeholders of the other phase, located', () => {
    const e1 = loadError('phase: ci\nrules:\n  - when: { findings: {} }\n    redact: all\n');
    expect(e1.message).toMatch(/^rules\[0\]\.redact: a ci policy can only deny or warn/);
    expect(e1.location?.line).toBe(4);
    const e2 = loadError('phase: ci\nrules:\n  - deny: "model {{ model }}"\n');
    expect(e2.message).toMatch(/^rules\[0\]\.deny: \{\{ model \}\} reads the request document/);
    expect(e2.location).toMatchObject({ line: 3, col: 11 });
    const e3 = loadError('rules:\n  - deny: "{{ findings_count }} findings"\n');
    expect(e3.message).toMatch(/\{\{ findings_count \}\} is a ci placeholder: add `phase: ci`/);
  });

  it('validates the CI condition mappings themselves', () => {
    expect(loadError('phase: ci\nrules:\n  - when: { findings: { min_severity: severe } }\n    deny: x\n').message).toMatch(
      /findings\.min_severity: expected one of "info", "low", "medium", "high", "critical"/,
    );
    expect(loadError('phase: ci\nrules:\n  - when: { findings: { min_count: 0 } }\n    deny: x\n').message).toMatch(/min_count: expected value >= 1/);
    const typo = loadError('phase: ci\nrules:\n  - when: { findings: { rule: x } }\n    deny: x\n');
    expect(typo.message).toMatch(/findings\.rule: unknown key/);
    expect(typo.hint).toMatch(/did you mean "rules"/);
    expect(loadError('phase: ci\nrules:\n  - when: { config: {} }\n    deny: x\n').message).toMatch(/config: give present or valid/);
  });
});

describe('YAML ci policies: conditions', () => {
  it('findings: min_severity, packs, rules and paths must all hold, min_count of them', () => {
    const text = `phase: ci
rules:
  - name: py-llm-high
    when:
      findings: { min_severity: high, packs: [llm], rules: ["llm.*"], paths: ["src/**/*.py"], min_count: 2 }
    deny: "{{ findings_count }} at {{ findings_locations }}"
`;
    const two = { scan: { findings: [high('src/a.py', 1), high('src/sub/b.py', 2)] } };
    expect(decide(text, two).violations.map((v) => v.message)).toEqual(['2 at src/a.py:1, src/sub/b.py:2']);
    // One of them fails each filter in turn: then only one matches, below min_count.
    const variants: Partial<NonNullable<NonNullable<CiPolicyInputDoc['scan']>['findings']>[number]>[] = [
      { severity: 'medium' },
      { pack: 'security' },
      { pack: null },
      { rule_id: 'security.eval.python' },
      { path: 'test/b.py' },
      { path: 'src/b.js' },
      { suppressed: true },
    ];
    for (const v of variants) {
      const doc = { scan: { findings: [high('src/a.py', 1), { ...high('src/sub/b.py', 2), ...v }] } };
      expect(decide(text, doc).verdict, JSON.stringify(v)).toBe('allow');
    }
  });

  it('findings: severity order is info < low < medium < high < critical; critical passes min_severity high', () => {
    const text = 'phase: ci\nrules:\n  - when: { findings: { min_severity: medium } }\n    deny: x\n';
    for (const [sev, verdict] of [['info', 'allow'], ['low', 'allow'], ['medium', 'deny'], ['high', 'deny'], ['critical', 'deny']] as const) {
      expect(decide(text, { scan: { findings: [{ rule_id: 'r', severity: sev }] } }).verdict, sev).toBe(verdict);
    }
  });

  it('findings: include_suppressed counts suppressed findings; a slash-less path glob matches a base name anywhere', () => {
    const text = 'phase: ci\nrules:\n  - when: { findings: { include_suppressed: true, paths: "*.go" } }\n    warn: x\n';
    expect(decide(text, { scan: { findings: [{ ...high('cmd/deep/main.go', 3), suppressed: true }] } }).verdict).toBe('warn');
    expect(decide(text, { scan: { findings: [{ ...high('cmd/main.py', 3), suppressed: true }] } }).verdict).toBe('allow');
  });

  it('config: present and valid compare with the config block', () => {
    const text = 'phase: ci\nrules:\n  - when: { config: { present: true, valid: false } }\n    deny: "{{ config_errors }}"\n';
    const broken = { config: { config_file: { present: true, errors: ['.warden/config.yaml:1:1: bad'] } } };
    expect(decide(text, broken).violations[0].message).toBe('.warden/config.yaml:1:1: bad');
    expect(decide(text, { config: { config_file: { present: true } } }).verdict).toBe('allow');
    expect(decide(text, {}).verdict).toBe('allow');
  });

  it('changes: files globs with min_files, and added_lines comparisons', () => {
    const text = `phase: ci
rules:
  - name: two-migrations
    when: { changes: { files: ["db/migrations/**"], min_files: 2 } }
    warn: x
  - name: big
    when: { changes: { added_lines: { gt: 500 } } }
    warn: "big change"
  - name: many-files
    when: { changes: { min_files: 3 } }
    warn: y
`;
    const rules = (doc: CiPolicyInputDoc) => decide(text, doc).violations.map((v) => v.rule);
    expect(rules({ changes: { files: ['db/migrations/001.sql', 'db/migrations/002.sql'], added_lines: 10 } })).toEqual(['two-migrations']);
    expect(rules({ changes: { files: ['db/migrations/001.sql', 'src/x.ts'], added_lines: 501 } })).toEqual(['big']);
    expect(rules({ changes: { files: ['a', 'b', 'c'] } })).toEqual(['many-files']);
    // file_count counts files beyond a truncated list.
    expect(rules({ changes: { files: ['a'], file_count: 20000, truncated: true } })).toEqual(['many-files']);
  });

  it('all / any / not combine CI conditions, with time and principal shared with request policies', () => {
    const text = `phase: ci
rules:
  - name: combo
    when:
      all:
        - any:
            - findings: { packs: [secrets] }
            - config: { valid: false }
        - not: { changes: { files: ["docs/**"] } }
        - time: { weekdays: [mon] }
    deny: x
`;
    const secret = { scan: { findings: [{ rule_id: 'secrets.x', severity: 'high' as const, pack: 'secrets', path: 'a.env' }] } };
    expect(decide(text, secret).verdict).toBe('deny');
    expect(decide(text, { config: { valid: false } }).verdict).toBe('deny');
    expect(decide(text, { ...secret, changes: { files: ['docs/readme.md'] } }).verdict).toBe('allow');
    expect(decide(text, { ...secret, time: { weekday: 'tue' } }).verdict).toBe('allow');
    expect(decide(text, {}).verdict).toBe('allow');
  });

  it('explains each top-level condition of a ci rule', () => {
    const text = 'phase: ci\nrules:\n  - name: r\n    when: { findings: {}, config: { present: true } }\n    deny: x\n';
    const d = decide(text, { scan: { findings: [high('a.py', 1)] } }, true);
    expect(d.explanation?.[0].rules[0]).toEqual({ rule: 'r', matched: false, conditions: [{ key: 'findings', matched: true }, { key: 'config', matched: false }] });
  });
});

describe('YAML ci policies: message templates', () => {
  it('lists the findings the rule selected, bounded, with input paths and policy/rule names', () => {
    const findings = [
      ...Array.from({ length: 7 }, (_, i) => high(`src/f${i}.py`, i + 1, `llm.rule-${i % 3}`)),
      { rule_id: 'complexity.x', severity: 'low' as const, path: 'src/low.py', line: 1 },
    ];
    const text = `phase: ci
rules:
  - name: highs
    when: { findings: { min_severity: high } }
    deny: "{{ policy }}/{{ rule }}: {{ findings_count }} [{{ findings_rules }}] at {{ findings_locations }}; {{ scan.by_severity.low }} low; repo {{ ci.repository }}"
`;
    const d = decide(text, { scan: { findings }, ci: { provider: 'github', repository: 'acme/web' } });
    expect(d.violations[0].message).toBe(
      'gate/highs: 7 [llm.rule-0, llm.rule-1, llm.rule-2] at src/f0.py:1, src/f1.py:2, src/f2.py:3, src/f3.py:4, src/f4.py:5, and 2 more; 1 low; repo acme/web',
    );
  });

  it('without a findings condition lists every unsuppressed finding; none reads "none"', () => {
    const text = 'phase: ci\nrules:\n  - warn: "{{ findings_count }}: {{ findings_rules }} / {{ config_errors }} / {{ ci.pull_request }}"\n';
    expect(decide(text, { scan: { findings: [high('a.py', 1), { ...high('b.py', 2, 'other'), suppressed: true }] } }).violations[0].message).toBe(
      '1: llm.output-to-shell.python / none / none',
    );
  });

  it('bounds config_errors to the first five', () => {
    const errors = Array.from({ length: 8 }, (_, i) => `e${i}`);
    const text = 'phase: ci\nrules:\n  - when: { config: { valid: false } }\n    deny: "{{ config_errors }}"\n';
    expect(decide(text, { config: { config_file: { present: true, errors } } }).violations[0].message).toBe('e0; e1; e2; e3; e4; and 3 more');
  });
});

describe('phases do not mix', () => {
  it('the engine evaluates only ci policies for a CI input and only request policies for a request input', () => {
    const ci = load('name: ci-gate\nphase: ci\nrules:\n  - deny: ci\n');
    const req = load('name: req-gate\nrules:\n  - deny: req\n');
    const engine = new PolicyEngine([ci, req], { clock });
    expect(engine.evaluate(completeCiPolicyInput({}, { nowMs: NOW })).violations.map((v) => v.policy)).toEqual(['ci-gate']);
    expect(engine.evaluate(completePolicyInput({}, { nowMs: NOW })).violations.map((v) => v.policy)).toEqual(['req-gate']);
  });

  it('asking for ci policies with a request input (or the reverse) is a caller error, not a policy error', () => {
    const engine = new PolicyEngine([], { clock });
    expect(() => engine.evaluate(completePolicyInput({}, { nowMs: NOW }), { phase: 'ci' })).toThrow(/cannot evaluate ci policies with a request input/);
    expect(() => engine.evaluate(completeCiPolicyInput({}, { nowMs: NOW }), { phase: 'request' })).toThrow(/cannot evaluate request policies with a ci input/);
  });

  it('a request document cannot claim phase ci', () => {
    expect(() => completePolicyInput({ phase: 'ci' }, { nowMs: NOW })).toThrow(/phase/);
  });
});
