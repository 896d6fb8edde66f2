import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { completeCiPolicyInput, type CiPolicyInputDoc } from '../../../src/core/policy/ci-input.js';
import { PolicyEngine, type LoadedPolicy } from '../../../src/core/policy/decision.js';
import { loadPolicySet } from '../../../src/core/policy/packs/loader.js';
import { compileRegoPack, parseRegoFile } from '../../../src/core/policy/packs/rego-pack.js';

const clock = { monotonic: () => performance.now() };
const NOW = Date.UTC(2025, 0, 6, 12);

function pack(text: string, file = '/p/ci-pack.rego'): LoadedPolicy {
  return compileRegoPack(parseRegoFile(file, text), [], { origin: 'repo', version: 'v1' });
}

function decide(p: LoadedPolicy, doc: CiPolicyInputDoc, maxSteps?: number) {
  return new PolicyEngine([p], { clock, maxSteps }).evaluate(completeCiPolicyInput(doc, { nowMs: NOW }));
}

const COUNT_PACK = `# METADATA
# custom:
#   name: too-many-mediums
#   enforcement: strict
package warden.ci

mediums := [f | some f in input.scan.findings; f.severity == "medium"; not f.suppressed]

deny contains {"msg": sprintf("%d medium findings in %s", [count(mediums), input.ci.repository]), "severity": "medium", "paths": {f.path | some f in mediums}} if {
	count(mediums) >= 2
}

warn contains "no Warden config" if not input.config.present
`;

describe('Rego packs under package warden.ci', () => {
  it('are ci-phase packs that read input.scan.findings, input.ci and input.config', () => {
    const p = pack(COUNT_PACK);
    expect(p.meta).toMatchObject({ name: 'too-many-mediums', phase: 'ci', format: 'rego' });
    expect(p.needs).toEqual({ pii: false, secrets: false, injection: false });
    const findings = [
      { rule_id: 'a', severity: 'medium' as const, path: 'x.py', line: 1 },
      { rule_id: 'b', severity: 'medium' as const, path: 'y.py', line: 2 },
      { rule_id: 'c', severity: 'medium' as const, path: 'z.py', line: 3, suppressed: true },
    ];
    const d = decide(p, { ci: { provider: 'gitlab', repository: 'group/proj' }, scan: { findings }, config: { present: true } });
    expect(d.verdict).toBe('deny');
    expect(d.violations).toEqual([
      {
        policy: 'too-many-mediums',
        version: 'v1',
        severity: 'medium',
        enforcement: 'strict',
        message: '2 medium findings in group/proj',
        rule: 'deny',
        data: { paths: ['x.py', 'y.py'] },
      },
    ]);
    expect(decide(p, { scan: { findings: findings.slice(1) }, config: { present: true } }).verdict).toBe('allow');
    expect(decide(p, {}).violations.map((v) => [v.enforcement, v.message])).toEqual([['warning', 'no Warden config']]);
  });

  it('see time.now_ns exactly and a principal of nulls', () => {
    const p = pack('package warden.ci\n\ndeny contains "x" if {\n\tinput.time.now_ns == time.now_ns()\n\tinput.principal.project == null\n\tinput.phase == "ci"\n}\n');
    expect(decide(p, {}).verdict).toBe('deny');
  });

  it('cannot define mutate: a located load error', () => {
    expect(() => pack('package warden.ci\n\ndeny contains "x" if false\n\nmutate contains {"kind": "route", "model": "m"} if true\n')).toThrow(
      expect.objectContaining({ code: 'policy_invalid', location: { file: '/p/ci-pack.rego', line: 5, col: 1 } }),
    );
  });

  it('a pack that breaks at runtime fails closed in the decision, not as an exception', () => {
    const p = pack('package warden.ci\n\ndeny contains msg if {\n\tsome f in input.scan.findings\n\tmsg := f.line\n}\n');
    const d = decide(p, { scan: { findings: [{ rule_id: 'r', severity: 'low' }] } });
    expect(d.verdict).toBe('deny');
    expect(d.errors).toMatchObject([{ policy: 'ci-pack', code: 'policy_result_invalid', fail_closed: true }]);
  });

  it('a big findings list stays within the CI step bound (MAX_CI_FINDINGS are listed)', () => {
    const findings = Array.from({ length: 6000 }, (_, i) => ({ rule_id: `r${i % 7}`, severity: 'low' as const, path: `f${i}.py`, line: 1 }));
    const input = completeCiPolicyInput({ scan: { findings } }, { nowMs: NOW });
    expect(input.scan.findings).toHaveLength(5000);
    expect(input.scan).toMatchObject({ findings_total: 6000, truncated: true, by_severity: { low: 6000 } });
    const p = pack('package warden.ci\n\ndeny contains f.path if {\n\tsome f in input.scan.findings\n\tstartswith(f.rule_id, "r9")\n}\n');
    const d = new PolicyEngine([p], { clock, maxSteps: 1_000_000 }).evaluate(input);
    expect(d.errors).toEqual([]);
    expect(d.verdict).toBe('allow');
  });
});

describe('a Rego library beside CI packs', () => {
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-ci-rego-'));
  });
  afterEach(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('is compiled with the packs, which import it', () => {
    fs.writeFileSync(
      path.join(tmp, 'lib.rego'),
      'package lib.findings\n\nserious(f) if f.severity in {"high", "critical"}\n\nlocation(f) := sprintf("%s:%d", [f.path, f.line])\n',
    );
    fs.writeFileSync(
      path.join(tmp, 'serious.rego'),
      'package warden.ci\n\nimport data.lib.findings\n\ndeny contains findings.location(f) if {\n\tsome f in input.scan.findings\n\tfindings.serious(f)\n}\n',
    );
    const set = loadPolicySet([tmp], { phases: ['ci'] });
    expect(set.errors).toEqual([]);
    expect(set.policies.map((p) => p.meta.name)).toEqual(['serious']);
    const d = new PolicyEngine(set.policies, { clock }).evaluate(
      completeCiPolicyInput({ scan: { findings: [{ rule_id: 'x', severity: 'critical', path: 'a/b.ts', line: 9 }] } }, { nowMs: NOW }),
    );
    expect(d.violations.map((v) => v.message)).toEqual(['a/b.ts:9']);
  });
});
