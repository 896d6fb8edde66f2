import { describe, expect, it } from 'vitest';
import { PolicyEngine, completePolicyInput, type PolicyInputDoc } from '../../../../src/core/policy/decision.js';
import { compileYamlPolicy } from '../../../../src/core/policy/yaml/compile.js';
import { WardenError } from '../../../../src/core/errors.js';

const clock = { monotonic: () => performance.now() };
// 2025-01-06 is a Monday; 14:30 UTC.
const NOW = Date.UTC(2025, 0, 6, 14, 30);

function load(text: string, file = '/p/policy.yaml') {
  return compileYamlPolicy(text, { file, origin: 'global', version: 'abc123' });
}

function decide(text: string, doc: PolicyInputDoc, explain = false) {
  const engine = new PolicyEngine([load(text)], { clock });
  return engine.evaluate(completePolicyInput(doc, { nowMs: NOW }), { explain });
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

describe('YAML policy compilation', () => {
  it('defaults the name to the file name, type to security and enforcement to strict', () => {
    const p = load('rules:\n  - deny: true\n', '/x/no-opus.yml');
    expect(p.meta).toMatchObject({ name: 'no-opus', type: 'security', enforcement: 'strict', enabled: true, format: 'yaml', phase: 'request', version: 'abc123' });
    expect(p.meta.scope).toEqual({});
  });

  it('denies with a rendered message template when model globs match', () => {
    const text = `
name: no-opus
type: model_access
rules:
  - name: opus
    when:
      model: ["claude-opus-*", "gpt-4.5*"]
    deny: "{{ model }} is not allowed for {{ project }} (policy {{ policy }}, rule {{ rule }})"
`;
    const d = decide(text, { request: { model: 'Claude-Opus-4-1' }, principal: { project: 'web' } });
    expect(d.verdict).toBe('deny');
    expect(d.violations).toEqual([
      {
        policy: 'no-opus',
        version: 'abc123',
        severity: 'high',
        enforcement: 'strict',
        message: 'Claude-Opus-4-1 is not allowed for web (policy no-opus, rule opus)',
        rule: 'opus',
      },
    ]);
    expect(decide(text, { request: { model: 'claude-sonnet-4' } }).verdict).toBe('allow');
    expect(decide(text, {}).verdict).toBe('allow');
  });

  it('compares numbers, treats an unset value as failing comparisons, and matches present: false', () => {
    const text = `
rules:
  - name: big
    when: { max_tokens: { gt: 4096, lte: 100000 } }
    warn: "max_tokens {{ request.max_tokens }}"
  - name: unset
    when: { max_tokens: { present: false } }
    warn: unset
`;
    expect(decide(text, { request: { max_tokens: 8000 } }).violations.map((v) => v.message)).toEqual(['max_tokens 8000']);
    expect(decide(text, { request: { max_tokens: 4096 } }).violations).toEqual([]);
    expect(decide(text, { request: { max_tokens: 200000 } }).violations).toEqual([]);
    expect(decide(text, {}).violations.map((v) => v.message)).toEqual(['unset']);
  });

  it('combines all, any and not', () => {
    const text = `
rules:
  - when:
      all:
        - any: [{ model: "gpt-*" }, { provider: anthropic }]
        - not: { tool: claude-code }
    deny: true
`;
    expect(decide(text, { request: { model: 'gpt-4o' }, principal: { tool: 'codex' } }).verdict).toBe('deny');
    expect(decide(text, { request: { model: 'x', provider: 'anthropic' } }).verdict).toBe('deny');
    expect(decide(text, { request: { model: 'gpt-4o' }, principal: { tool: 'claude-code' } }).verdict).toBe('allow');
    expect(decide(text, { request: { model: 'llama' } }).verdict).toBe('allow');
    expect(decide(text, { request: { model: 'gpt-4o' } }).violations[0].message).toBe('denied by policy policy (rule rules[0])');
  });

  it('matches detector findings by type, total count and confidence', () => {
    const text = `
rules:
  - name: cards
    when: { pii: { types: [CARD, IBAN], min_count: 2, min_confidence: 0.8 } }
    deny: "found {{ pii_types }}"
  - name: any-secret
    when: { secrets: true }
    warn: "secrets: {{ secret_types }}"
`;
    const two = decide(text, { detectors: { pii: [{ type: 'CARD', count: 1, confidence: 0.9 }, { type: 'IBAN', count: 1, confidence: 0.95 }] } });
    expect(two.verdict).toBe('deny');
    expect(two.violations[0].message).toBe('found CARD, IBAN');
    const lowConfidence = decide(text, { detectors: { pii: [{ type: 'CARD', count: 5, confidence: 0.5 }] } });
    expect(lowConfidence.verdict).toBe('allow');
    const secret = decide(text, { detectors: { secrets: [{ type: 'JWT', count: 1, confidence: 0.7 }] } });
    expect(secret.verdict).toBe('warn');
    expect(secret.violations[0].message).toBe('secrets: JWT');
  });

  it('reports which detectors a policy reads, from conditions, templates and redaction', () => {
    expect(load('rules:\n  - when: { model: x }\n    deny: true\n').needs).toEqual({ pii: false, secrets: false, injection: false });
    expect(load('rules:\n  - when: { injection_score: { gt: 0.5 } }\n    warn: true\n').needs).toEqual({ pii: false, secrets: false, injection: true });
    expect(load('rules:\n  - when: { secrets: [AWS_ACCESS_KEY] }\n    deny: true\n').needs).toEqual({ pii: false, secrets: true, injection: false });
    expect(load('rules:\n  - warn: "{{ pii_types }}"\n').needs).toEqual({ pii: true, secrets: false, injection: false });
    expect(load('rules:\n  - redact: pii\n').needs).toEqual({ pii: true, secrets: false, injection: false });
    expect(load('rules:\n  - redact: [EMAIL]\n').needs).toEqual({ pii: true, secrets: true, injection: false });
    expect(load('rules:\n  - when: { risk_score: { gte: 80 } }\n    deny: true\n').needs).toEqual({ pii: true, secrets: true, injection: true });
    expect(load('rules:\n  - when: { not: { any: [{ pii: true }] } }\n    warn: true\n').needs.pii).toBe(true);
  });

  it('produces redact, cap_max_tokens and route mutations', () => {
    const text = `
enforcement: warning
rules:
  - name: mask
    redact: all
  - name: cap
    when: { max_tokens: { gt: 1000 } }
    cap_max_tokens: 1000
  - name: cheap
    when: { model: gpt-4o }
    route: gpt-4o-mini
`;
    const d = decide(text, { request: { model: 'gpt-4o', max_tokens: 5000 } });
    expect(d.verdict).toBe('allow');
    expect(d.mutations).toEqual([
      { kind: 'redact', finding_kinds: ['pii', 'secret'], types: [], policies: ['policy'] },
      { kind: 'cap_max_tokens', max_tokens: 1000, policies: ['policy'] },
      { kind: 'route', model: 'gpt-4o-mini', policies: ['policy'] },
    ]);
  });

  it('matches a time-of-day window in the input time zone, wrapping past midnight, and weekdays', () => {
    const office = 'rules:\n  - when: { time: { hours: "09:00-17:30", weekdays: [mon, tue, wed, thu, fri] } }\n    warn: in hours\n';
    const night = 'rules:\n  - when: { time: { hours: "22:00-06:00" } }\n    warn: at night\n';
    expect(decide(office, {}).verdict).toBe('warn'); // Monday 14:30 UTC
    expect(decide(office, { time: { hour: 17, minute: 30 } }).verdict).toBe('allow');
    expect(decide(office, { time: { weekday: 'sat' } }).verdict).toBe('allow');
    expect(decide(night, { time: { hour: 23, minute: 0 } }).verdict).toBe('warn');
    expect(decide(night, { time: { hour: 5, minute: 59 } }).verdict).toBe('warn');
    expect(decide(night, { time: { hour: 6, minute: 0 } }).verdict).toBe('allow');
    // 14:30 UTC is 23:30 in Tokyo.
    expect(decide(night, { time: { tz: 'Asia/Tokyo' } }).verdict).toBe('warn');
  });

  it('matches principal fields and tags, client tool, request tools, text and spend', () => {
    const text = `
rules:
  - name: p
    when: { principal: { projects: ["web-*"], tags: { env: prod } } }
    warn: p
  - name: t
    when: { request_tools: ["shell*"] }
    warn: t
  - name: x
    when: { text: { contains: ["DROP TABLE"], regex: "(?i)prod(uction)?" } }
    warn: x
  - name: s
    when: { spend: { scope: project, period: daily, gte: 50 } }
    warn: s
`;
    const names = (doc: PolicyInputDoc) => decide(text, doc).violations.map((v) => v.rule);
    expect(names({ principal: { project: 'web-app', tags: { env: 'prod' } } })).toEqual(['p']);
    expect(names({ principal: { project: 'web-app', tags: { env: 'dev' } } })).toEqual([]);
    expect(names({ request: { tools: ['read_file', 'shell_exec'] } })).toEqual(['t']);
    expect(names({ request: { messages_text: 'please drop table users in Production' } })).toEqual(['x']);
    expect(names({ request: { messages_text: 'please drop table users in staging' } })).toEqual([]);
    expect(names({ spend: { project: { daily: 50 } } })).toEqual(['s']);
    expect(names({ spend: { key: { daily: 500 } } })).toEqual([]);
  });

  it('matches session activity: every comparison given must hold, and templates read session fields', () => {
    const text = `
rules:
  - name: loop
    when: { session: { prompt_repeats: { gte: 5 }, requests: { gt: 10 } } }
    warn: "turn sent {{ session.prompt_repeats }} times in {{ session.id }} after {{ session.requests }} requests ({{ session }})"
  - name: spend
    when: { session: { spend_usd: { gt: 20 } } }
    warn: "spent \${{ session.spend_usd }} in {{ session.elapsed_seconds }}s"
  - name: long
    when: { session: { elapsed_seconds: { gte: 3600 } } }
    warn: long
`;
    const d = (doc: PolicyInputDoc) => decide(text, doc).violations.map((v) => [v.rule, v.message]);
    expect(d({ principal: { session: 'ses_9' }, session: { requests: 11, prompt_repeats: 5 } })).toEqual([
      ['loop', 'turn sent 5 times in ses_9 after 11 requests (ses_9)'],
    ]);
    // Both comparisons must hold.
    expect(d({ session: { requests: 10, prompt_repeats: 9 } })).toEqual([]);
    expect(d({ session: { requests: 50, prompt_repeats: 4 } })).toEqual([]);
    expect(d({ session: { id: 's', spend_usd: 20.125, elapsed_seconds: 90.5 } })).toEqual([['spend', 'spent $20.125 in 90.5s']]);
    expect(d({ session: { elapsed_seconds: 3600 } })).toEqual([['long', 'long']]);
    // Outside a session everything is 0.
    expect(d({})).toEqual([]);
  });

  it('applies the enforcement level: warning turns deny into warn, monitor only records', () => {
    const rules = 'rules:\n  - deny: blocked\n';
    expect(decide(`enforcement: warning\n${rules}`, {}).verdict).toBe('warn');
    const monitored = decide(`enforcement: monitor\n${rules}\n  - redact: pii\n`, {});
    expect(monitored.verdict).toBe('allow');
    expect(monitored.violations[0].enforcement).toBe('monitor');
    expect(monitored.mutations).toEqual([]);
    expect(monitored.monitored_mutations).toEqual([{ kind: 'redact', finding_kinds: ['pii'], types: [], policies: ['policy'] }]);
  });

  it('skips policies out of scope and runs them for principals in scope', () => {
    const text = 'scope: { projects: [web], tools: ["claude-*"] }\nrules:\n  - deny: no\n';
    expect(decide(text, { principal: { project: 'web', tool: 'claude-code' } }).verdict).toBe('deny');
    expect(decide(text, { principal: { project: 'web', tool: 'codex' } }).verdict).toBe('allow');
    expect(decide(text, { principal: { project: 'api', tool: 'claude-code' } }).policies).toEqual([]);
  });

  it('explains each rule and each top-level condition', () => {
    const text = 'rules:\n  - name: a\n    when: { model: gpt-4o, stream: true }\n    warn: streamed\n  - name: b\n    when: { model: "gpt-*" }\n    cap_max_tokens: 10\n';
    const d = decide(text, { request: { model: 'gpt-4o' } }, true);
    expect(d.explanation).toHaveLength(1);
    expect(d.explanation![0].status).toBe('passed');
    expect(d.explanation![0].rules).toEqual([
      { rule: 'a', matched: false, conditions: [{ key: 'model', matched: true }, { key: 'stream', matched: false }] },
      { rule: 'b', matched: true, conditions: [{ key: 'model', matched: true }], results: [{ kind: 'cap_max_tokens', max_tokens: 10 }] },
    ]);
  });
});

describe('YAML policy errors', () => {
  it('names the file, line, column and key path of a schema error, with a hint for a misspelt key', () => {
    const e = loadError('name: x\nrules:\n  - when:\n      modle: gpt-4o\n    deny: true\n');
    expect(e.code).toBe('policy_invalid');
    expect(e.location).toEqual({ file: '/p/policy.yaml', line: 4, col: 7 });
    expect(e.message).toBe('rules[0].when.modle: unknown key');
    expect(e.hint).toContain('did you mean "model"?');
  });

  it('rejects a bad enforcement with the allowed values', () => {
    const e = loadError('enforcement: block\nrules:\n  - deny: true\n');
    expect(e.location).toMatchObject({ line: 1, col: 14 });
    expect(e.message).toBe('enforcement: expected one of "strict", "warning", "monitor", got "block"');
  });

  it('rejects a rule without an action, and unknown template placeholders', () => {
    expect(loadError('rules:\n  - when: { model: x }\n').message).toContain('a rule needs an action');
    const t = loadError('rules:\n  - deny: "bad {{ modle }}"\n');
    expect(t.location).toMatchObject({ line: 2, col: 11 });
    expect(t.message).toContain('unknown placeholder {{ modle }}');
  });

  it('rejects an unknown or empty session test, with the session keys as hints', () => {
    const e = loadError('rules:\n  - when:\n      session: { prompt_repeat: 5 }\n    warn: x\n');
    expect(e.message).toBe('rules[0].when.session.prompt_repeat: unknown key');
    expect(e.location).toMatchObject({ line: 3, col: 18 });
    expect(e.hint).toContain('did you mean "prompt_repeats"?');
    const n = loadError('rules:\n  - when: { session: { requests: { gte: 5, over: 1 } } }\n    warn: x\n');
    expect(n.message).toBe('rules[0].when.session.requests.over: unknown key');
    expect(n.hint).toContain('known keys: gt, gte, lt, lte, eq, ne, present');
    expect(loadError('rules:\n  - when: { session: {} }\n    warn: x\n').message).toContain('give at least one of requests, spend_usd, elapsed_seconds, prompt_repeats');
    expect(loadError('rules:\n  - warn: "{{ session.nope.deeper }} ok {{ sessions.requests }}"\n').message).toContain('unknown placeholder {{ sessions.requests }}');
  });

  it('reports the branch of a union the author meant', () => {
    const e = loadError('rules:\n  - when: { max_tokens: { gt: lots } }\n    deny: true\n');
    expect(e.message).toBe('rules[0].when.max_tokens.gt: expected a number, got "lots"');
    expect(e.location).toMatchObject({ line: 2, col: 31 });
  });

  it('rejects an invalid RE2 regular expression and YAML syntax errors', () => {
    expect(loadError('rules:\n  - when: { text: { regex: "(unclosed" } }\n    warn: x\n').message).toContain('not an RE2 regular expression');
    const syntax = loadError('rules:\n  - deny: [unclosed\n');
    expect(syntax.message).toMatch(/^YAML syntax error/);
    expect(syntax.location?.line).toBeGreaterThan(1);
  });
});
