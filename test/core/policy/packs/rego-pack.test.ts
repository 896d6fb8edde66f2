import { describe, expect, it } from 'vitest';
import { WardenError } from '../../../../src/core/errors.js';
import { PolicyEngine, completePolicyInput, type LoadedPolicy, type PolicyInputDoc } from '../../../../src/core/policy/decision.js';
import { readRegoMetadata } from '../../../../src/core/policy/packs/metadata.js';
import { compileRegoPack, parseRegoFile } from '../../../../src/core/policy/packs/rego-pack.js';

const clock = { monotonic: () => performance.now() };

function pack(text: string, file = '/p/my-pack.rego', libs: { file: string; text: string }[] = []): LoadedPolicy {
  return compileRegoPack(
    parseRegoFile(file, text),
    libs.map((l) => parseRegoFile(l.file, l.text)),
    { origin: 'repo', version: 'f00d' },
  );
}

function decide(p: LoadedPolicy, doc: PolicyInputDoc, opts: { explain?: boolean; maxSteps?: number } = {}) {
  return new PolicyEngine([p], { clock, maxSteps: opts.maxSteps }).evaluate(completePolicyInput(doc, { nowMs: 1_700_000_000_000 }), {
    explain: opts.explain,
  });
}

describe('Rego METADATA annotations', () => {
  it('reads title, description and custom fields from the block above the package', () => {
    const text = `# METADATA
# title: No big models
# description: Keeps spend down.
# custom:
#   name: no-big
#   type: cost
#   enforcement: warning
#   scope:
#     projects: [web, "api-*"]
#   owner: platform-team
package warden.request
`;
    expect(readRegoMetadata(text, 'x.rego', 11)).toEqual({
      title: 'No big models',
      description: 'Keeps spend down.',
      name: 'no-big',
      type: 'cost',
      enforcement: 'warning',
      scope: { projects: ['web', 'api-*'] },
    });
  });

  it('ignores a block that annotates a rule and reads none when there is no block', () => {
    const text = 'package warden.request\n\n# METADATA\n# title: a rule\ndeny contains "x" if false\n';
    expect(readRegoMetadata(text, 'x.rego', 1)).toEqual({});
  });

  it('locates an invalid field on its line in the .rego file', () => {
    const text = '# METADATA\n# title: x\n# custom:\n#   enforcement: block\npackage warden.request\n';
    let err: unknown;
    try {
      readRegoMetadata(text, '/p/x.rego', 5);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(WardenError);
    expect((err as WardenError).code).toBe('policy_metadata_invalid');
    expect((err as WardenError).location).toMatchObject({ file: '/p/x.rego', line: 4 });
    expect((err as WardenError).message).toContain('custom.enforcement: expected one of');
  });
});

describe('Rego policy packs', () => {
  it('defaults name to the file name, type to security and enforcement to strict', () => {
    const p = pack('package warden.request\n\ndeny contains "no" if input.request.model == "x"\n', '/p/model-x.rego');
    expect(p.meta).toMatchObject({ name: 'model-x', type: 'security', enforcement: 'strict', enabled: true, phase: 'request', format: 'rego', origin: 'repo' });
  });

  it('turns deny strings and objects into violations, warn into warnings, and mutate into mutations', () => {
    const p = pack(`package warden.request

deny contains msg if {
	input.request.max_tokens > 1000
	msg := sprintf("max_tokens %d is too many", [input.request.max_tokens])
}

deny contains {"msg": "project blocked", "severity": "critical", "ticket": "SEC-1"} if input.principal.project == "blocked"

warn contains "streaming is audited" if input.request.stream

mutate contains {"kind": "cap_max_tokens", "max_tokens": 1000} if input.request.max_tokens > 1000

mutate contains {"kind": "redact", "types": ["EMAIL"]} if true
`);
    const d = decide(p, { request: { max_tokens: 5000, stream: true }, principal: { project: 'blocked' } });
    expect(d.verdict).toBe('deny');
    expect(d.violations).toEqual(
      expect.arrayContaining([
        { policy: 'my-pack', version: 'f00d', severity: 'high', enforcement: 'strict', message: 'max_tokens 5000 is too many', rule: 'deny' },
        { policy: 'my-pack', version: 'f00d', severity: 'critical', enforcement: 'strict', message: 'project blocked', rule: 'deny', data: { ticket: 'SEC-1' } },
        { policy: 'my-pack', version: 'f00d', severity: 'medium', enforcement: 'warning', message: 'streaming is audited', rule: 'warn' },
      ]),
    );
    expect(d.violations).toHaveLength(3);
    expect(d.mutations).toEqual([
      { kind: 'redact', finding_kinds: [], types: ['EMAIL'], policies: ['my-pack'] },
      { kind: 'cap_max_tokens', max_tokens: 1000, policies: ['my-pack'] },
    ]);
    expect(decide(p, { request: { max_tokens: 10 } }).violations).toEqual([]);
  });

  it('reads metadata enforcement: a warning pack only warns', () => {
    const p = pack('# METADATA\n# custom:\n#   enforcement: warning\npackage warden.request\n\ndeny contains "x" if true\n');
    expect(decide(p, {}).verdict).toBe('warn');
  });

  it('reads the session activity of the agent-loop guard from input.session', () => {
    const p = pack(`package warden.request

deny contains msg if {
	input.session.prompt_repeats >= 5
	msg := sprintf("session %s repeated a turn %d times", [input.session.id, input.session.prompt_repeats])
}

deny contains "session over $20" if input.session.spend_usd > 20
`);
    expect(decide(p, { principal: { session: 'ses_1' }, session: { prompt_repeats: 5 } }).violations.map((v) => v.message)).toEqual([
      'session ses_1 repeated a turn 5 times',
    ]);
    expect(decide(p, { session: { id: 'ses_2', spend_usd: 20.01 } }).violations.map((v) => v.message)).toEqual(['session over $20']);
    expect(decide(p, {}).verdict).toBe('allow');
    expect(p.needs).toEqual({ pii: false, secrets: false, injection: false });
  });

  it('compiles with library modules it imports', () => {
    const lib = { file: '/p/lib/models.rego', text: 'package lib.models\n\nexpensive contains "gpt-4.5"\n' };
    const p = pack(
      'package warden.request\n\nimport data.lib.models\n\ndeny contains "expensive" if input.request.model in models.expensive\n',
      '/p/expensive.rego',
      [lib],
    );
    expect(decide(p, { request: { model: 'gpt-4.5' } }).verdict).toBe('deny');
  });

  it('reports a runtime error as a policy error and fails closed for a strict pack', () => {
    const p = pack('package warden.request\n\nx := 1\nx := 2 if true\n\ndeny contains "never" if x == 3\n');
    const d = decide(p, {});
    expect(d.errors).toHaveLength(1);
    expect(d.errors[0]).toMatchObject({ policy: 'my-pack', fail_closed: true });
    expect(d.verdict).toBe('deny');
    expect(d.violations[0].message).toBe('policy my-pack failed to evaluate');
  });

  it('bounds evaluation steps: a runaway pack errors instead of hanging', () => {
    const p = pack('package warden.request\n\ndeny contains "big" if count([x | some x in numbers.range(1, 1000000)]) > 5\n');
    const d = decide(p, {}, { maxSteps: 1000 });
    expect(d.errors[0]?.code).toBe('eval_limit_error');
    expect(d.verdict).toBe('deny');
  });

  it('does not fail closed for a monitor pack, and rejects malformed results', () => {
    const p = pack('# METADATA\n# custom:\n#   enforcement: monitor\npackage warden.request\n\ndeny contains 42 if true\n');
    const d = decide(p, {});
    expect(d.verdict).toBe('allow');
    expect(d.errors).toEqual([expect.objectContaining({ code: 'policy_result_invalid', fail_closed: false })]);
    const m = pack('package warden.request\n\nmutate contains {"kind": "explode"} if true\n');
    expect(decide(m, {}).errors[0].message).toContain('"kind" must be one of');
  });

  it('knows which detectors a module reads from its refs', () => {
    const needs = (body: string) => pack(`package warden.request\n\n${body}\n`).needs;
    expect(needs('deny contains "m" if input.request.model == "x"')).toEqual({ pii: false, secrets: false, injection: false });
    expect(needs('deny contains "p" if count(input.detectors.pii) > 0')).toEqual({ pii: true, secrets: false, injection: false });
    expect(needs('warn contains "i" if input.detectors.injection.score > 0.5')).toEqual({ pii: false, secrets: false, injection: true });
    expect(needs('deny contains "s" if { some f in input.detectors.secrets; f.type == "JWT" }')).toEqual({ pii: false, secrets: true, injection: false });
    expect(needs('deny contains "r" if input.risk_score > 80')).toEqual({ pii: true, secrets: true, injection: true });
    expect(needs('deny contains "d" if { some k; input.detectors[k] }')).toEqual({ pii: true, secrets: true, injection: true });
    expect(needs('deny contains "w" if { x := input; x.detectors.pii }')).toEqual({ pii: true, secrets: true, injection: true });
    expect(needs('mutate contains {"kind": "route", "model": "m"} if true')).toEqual({ pii: true, secrets: true, injection: false });
  });

  it('explains the result of each rule set', () => {
    const p = pack('package warden.request\n\ndeny contains "a" if input.request.stream\n\nwarn contains "b" if false\n');
    const d = decide(p, { request: { stream: true } }, { explain: true });
    expect(d.explanation?.[0]).toMatchObject({
      policy: 'my-pack',
      status: 'violated',
      rules: [
        { rule: 'deny', matched: true, results: ['a'] },
        { rule: 'warn', matched: false, results: [] },
      ],
    });
  });

  it('classifies modules: packs have a phase and deny/warn/mutate, others are libraries', () => {
    expect(parseRegoFile('a.rego', 'package warden.response\n\nwarn contains "x" if true\n').phase).toBe('response');
    expect(parseRegoFile('b.rego', 'package warden.request\n\nhelper := 1\n').phase).toBeUndefined();
    expect(parseRegoFile('c.rego', 'package lib\n\ndeny contains "x" if true\n').phase).toBeUndefined();
  });
});
