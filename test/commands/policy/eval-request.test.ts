// `warden policy eval --request` and YAML cases in `warden policy test`, through the built CLI.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCliSync } from '../../helpers/cli.js';


let tmp: string;
let home: string;

function cli(args: string[], stdin?: string) {
  return runCliSync(args, { home, cwd: tmp, input: stdin });
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-eval-request-'));
  home = path.join(tmp, 'home');
  fs.mkdirSync(path.join(home, 'policies'), { recursive: true });
  fs.writeFileSync(
    path.join(home, 'policies', 'no-gpt-4.yaml'),
    'name: no-gpt-4\ntype: model_access\nenforcement: strict\nrules:\n  - name: old-model\n    when: { model: "gpt-4" }\n    deny: "{{ model }} is retired here"\n',
  );
});

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('warden policy eval --request', () => {
  it('judges a CI input document with the CI packs warden ci loads, not the request packs', () => {
    const finding = { rule_id: 'secrets.openai_key', severity: 'critical', pack: 'secrets', path: 'a.js', line: 3, end_line: 3, message: 'key', fingerprint: 'f', cwe: [], owasp_llm: [], confidence: 'high', suppressed: false };
    const doc = JSON.stringify({ phase: 'ci', scan: { findings: [finding] } });
    const r = cli(['policy', 'eval', '--request', '-', '--json'], doc);
    expect(r.code, r.stderr).toBe(1);
    const { decision } = JSON.parse(r.stdout) as { decision: { verdict: string; violations: { policy: string }[]; policies: { name: string }[] } };
    expect(decision.verdict).toBe('deny');
    expect(decision.violations.map((v) => v.policy)).toEqual(expect.arrayContaining(['no-secrets', 'no-new-high-findings']));
    expect(decision.policies.map((p) => p.name)).not.toContain('secrets-in-prompts');
    // The same CI pack directory works as Rego data too: its YAML policies are not merged as data documents.
    const bypass = JSON.stringify({ phase: 'ci', scan: { findings: [{ ...finding, rule_id: 'llm.base-url-bypasses-proxy.js', severity: 'medium', pack: 'llm' }] } });
    const q = cli(['policy', 'eval', '-d', path.join(ROOT, 'policies', 'ci'), '-i', '-', '--format', 'values', 'count(data.warden.ci.deny)'], bypass);
    expect(q.code, q.stderr).toBe(0);
    expect(q.stdout.trim()).toBe('1');
  });

  it('judges a provider body with the loaded packs and exits 1 on deny, naming the policy', () => {
    const body = JSON.stringify({ model: 'gpt-4', messages: [{ role: 'user', content: 'hello' }] });
    const r = cli(['policy', 'eval', '--request', '-', '--json'], body);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { decision: { verdict: string; violations: { policy: string; message: string }[] } };
    expect(out.decision.verdict).toBe('deny');
    expect(out.decision.violations.map((v) => v.policy)).toContain('no-gpt-4');
    expect(out.decision.violations.find((v) => v.policy === 'no-gpt-4')?.message).toBe('gpt-4 is retired here');
  });

  it('runs the detectors on the prompt text, as the proxy does, and explains each rule', () => {
    const file = path.join(tmp, 'req.json');
    fs.writeFileSync(file, JSON.stringify({ request: { model: 'gpt-4o-mini', messages_text: 'charge 4111 1111 1111 1111 today' } }));
    const r = cli(['policy', 'eval', '--request', file, '--explain']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^verdict: warn/);
    expect(r.stdout).toMatch(/warning\s+pii-in-prompts/);
    expect(r.stdout).toContain('holds: pii');
    expect(r.stdout).not.toContain('4111');
  });

  it('leaves the built-in packs out with --no-builtin', () => {
    const file = path.join(tmp, 'req2.json');
    fs.writeFileSync(file, JSON.stringify({ request: { model: 'gpt-4o', messages_text: 'charge 4111 1111 1111 1111 today' } }));
    const r = cli(['policy', 'eval', '--request', file, '--no-builtin', '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { decision: { verdict: string } }).decision.verdict).toBe('allow');
  });

  it('rejects a document that is not JSON with exit 2, naming the file', () => {
    const file = path.join(tmp, 'bad.json');
    fs.writeFileSync(file, '{ nope');
    const r = cli(['policy', 'eval', '--request', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('bad.json is not JSON');
  });
});

describe('warden policy test with YAML cases', () => {
  it('passes the built-in packs own cases and fails (exit 2) a wrong expectation with the file and line', () => {
    expect(cli(['policy', 'test', path.join(ROOT, 'policies', 'request')]).code).toBe(0);
    const dir = path.join(tmp, 'cases');
    fs.mkdirSync(dir, { recursive: true });
    fs.copyFileSync(path.join(home, 'policies', 'no-gpt-4.yaml'), path.join(dir, 'no-gpt-4.yaml'));
    fs.writeFileSync(
      path.join(dir, 'no-gpt-4.test.yaml'),
      'cases:\n  - name: gpt-4 is denied\n    input: { request: { model: gpt-4 } }\n    expect: deny\n  - name: wrongly expected allow\n    input: { request: { model: gpt-4 } }\n    expect: allow\n',
    );
    const r = cli(['policy', 'test', dir]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('no-gpt-4.test.yaml:5: wrongly expected allow: FAIL');
    expect(r.stdout).toContain('1 passed, 1 failed');
  });
});
