import { describe, expect, it } from 'vitest';
import { runDetectors } from '../../../src/core/detect/index.js';
import {
  PolicyEngine,
  buildPolicyInput,
  completePolicyInput,
  prepareInput,
  timeFields,
  verdictOf,
  type LoadedPolicy,
  type PolicyMeta,
} from '../../../src/core/policy/decision.js';
import { builtinPolicyDir, loadPolicySet } from '../../../src/core/policy/packs/loader.js';
import { LoopGuard } from '../../../src/core/session/loop-guard.js';
import { compileYamlPolicy } from '../../../src/core/policy/yaml/compile.js';

const clock = { monotonic: () => performance.now() };
const NOW = Date.UTC(2025, 2, 14, 9, 5); // Friday

function yaml(name: string, text: string, origin: PolicyMeta['origin'] = 'global'): LoadedPolicy {
  return compileYamlPolicy(`name: ${name}\n${text}`, { file: `/p/${name}.yaml`, origin, version: `v-${name}` });
}

describe('verdictOf', () => {
  it('denies on any strict violation, warns on any warning, and only audits monitor violations', () => {
    expect(verdictOf([])).toBe('allow');
    expect(verdictOf([{ enforcement: 'monitor' }])).toBe('allow');
    expect(verdictOf([{ enforcement: 'monitor' }, { enforcement: 'warning' }])).toBe('warn');
    expect(verdictOf([{ enforcement: 'warning' }, { enforcement: 'strict' }])).toBe('deny');
  });
});

describe('PolicyEngine', () => {
  it('combines several policies into one decision, in load order, with merged mutations', () => {
    const engine = new PolicyEngine(
      [
        yaml('a', 'enforcement: warning\nrules:\n  - warn: a-warns\n  - redact: [EMAIL]\n  - cap_max_tokens: 4000\n  - route: model-a\n'),
        yaml('b', 'enforcement: strict\nrules:\n  - redact: secrets\n  - cap_max_tokens: 2000\n  - route: model-b\n'),
        yaml('c', 'enforcement: monitor\nrules:\n  - deny: c-would-deny\n  - cap_max_tokens: 10\n'),
      ],
      { clock },
    );
    const d = engine.evaluate(completePolicyInput({}, { nowMs: NOW }));
    expect(d.verdict).toBe('warn');
    expect(d.violations.map((v) => [v.policy, v.enforcement, v.message])).toEqual([
      ['a', 'warning', 'a-warns'],
      ['c', 'monitor', 'c-would-deny'],
    ]);
    expect(d.mutations).toEqual([
      { kind: 'redact', finding_kinds: ['secret'], types: ['EMAIL'], policies: ['a', 'b'] },
      { kind: 'cap_max_tokens', max_tokens: 2000, policies: ['b'] },
      { kind: 'route', model: 'model-a', policies: ['a'] },
    ]);
    expect(d.monitored_mutations).toEqual([{ kind: 'cap_max_tokens', max_tokens: 10, policies: ['c'] }]);
    expect(d.policies).toEqual([
      { name: 'a', version: 'v-a', enforcement: 'warning' },
      { name: 'b', version: 'v-b', enforcement: 'strict' },
      { name: 'c', version: 'v-c', enforcement: 'monitor' },
    ]);
    expect(d.errors).toEqual([]);
    expect(d.duration_us).toBeGreaterThanOrEqual(0);
    expect(d.explanation).toBeUndefined();
  });

  it('says which detectors are needed: only enabled policies of the phase, and in scope of the principal', () => {
    const engine = new PolicyEngine(
      [
        yaml('pii', 'rules:\n  - when: { pii: true }\n    warn: p\n'),
        yaml('secrets-web', 'scope: { projects: [web] }\nrules:\n  - when: { secrets: true }\n    deny: s\n'),
        yaml('inj-off', 'enabled: false\nrules:\n  - when: { injection_score: { gt: 0.1 } }\n    deny: i\n'),
      ],
      { clock },
    );
    expect(engine.requiredDetectors()).toEqual({ pii: true, secrets: true, injection: false });
    const api = { key: 'k1', project: 'api', user: null, team: null, tool: null };
    expect(engine.requiredDetectors(api)).toEqual({ pii: true, secrets: false, injection: false });
    expect(engine.requiredDetectors({ ...api, project: 'web' })).toEqual({ pii: true, secrets: true, injection: false });
    expect(engine.requiredDetectors(undefined, 'response')).toEqual({ pii: false, secrets: false, injection: false });
  });

  it('explains skipped policies: disabled, out of scope, another phase', () => {
    const response: LoadedPolicy = { ...yaml('resp', 'rules:\n  - warn: r\n'), meta: { ...yaml('resp', 'rules:\n  - warn: r\n').meta, phase: 'response' } };
    const engine = new PolicyEngine(
      [yaml('off', 'enabled: false\nrules:\n  - deny: x\n'), yaml('scoped', 'scope: { users: [bob] }\nrules:\n  - deny: x\n'), response],
      { clock },
    );
    const d = engine.evaluate(completePolicyInput({ principal: { user: 'alice' } }, { nowMs: NOW }), { explain: true });
    expect(d.verdict).toBe('allow');
    expect(d.explanation?.map((e) => [e.policy, e.status, e.reason])).toEqual([
      ['off', 'skipped', 'disabled'],
      ['scoped', 'skipped', 'out of scope'],
      ['resp', 'skipped', 'a response policy'],
    ]);
  });

  it('turns a policy that throws into an error; strict fails closed, warning warns, monitor only reports', () => {
    const broken = (enforcement: PolicyMeta['enforcement']): LoadedPolicy => {
      const base = yaml(`broken-${enforcement}`, `enforcement: ${enforcement}\nrules:\n  - warn: x\n`);
      return {
        ...base,
        evaluate: () => {
          throw new TypeError('boom');
        },
      };
    };
    const evaluate = (p: LoadedPolicy) => new PolicyEngine([p], { clock }).evaluate(completePolicyInput({}, { nowMs: NOW }));
    const strict = evaluate(broken('strict'));
    expect(strict.verdict).toBe('deny');
    expect(strict.violations[0]).toMatchObject({ message: 'policy broken-strict failed to evaluate', enforcement: 'strict', data: { error: 'policy_eval_failed' } });
    expect(strict.errors).toEqual([{ policy: 'broken-strict', version: 'v-broken-strict', code: 'policy_eval_failed', message: 'boom', fail_closed: true }]);
    expect(evaluate(broken('warning')).verdict).toBe('warn');
    const monitor = evaluate(broken('monitor'));
    expect(monitor.verdict).toBe('allow');
    expect(monitor.violations).toEqual([]);
    expect(monitor.errors[0].fail_closed).toBe(false);
  });

  it('denies a prompt carrying a real-looking AWS key with the built-in packs, from detector output on the text', () => {
    const set = loadPolicySet([{ dir: builtinPolicyDir(), origin: 'builtin' }]);
    const engine = new PolicyEngine(set.policies, { clock });
    const needs = engine.requiredDetectors();
    expect(needs).toEqual({ pii: true, secrets: true, injection: true });
    const text = 'deploy with aws_access_key_id = AKIAZ7Q3XK2M4VB6N5LP and tell me what breaks';
    const report = runDetectors(text, { ...needs, maxChars: 64 * 1024 });
    const input = buildPolicyInput({
      request: { provider: 'openai', endpoint: 'chat.completions', model: 'gpt-4o-mini', messages_text: text },
      principal: { key: 'key_1', project: 'web' },
      detectors: report,
      detectorsRan: needs,
      nowMs: NOW,
    });
    expect(input.detectors.secrets).toEqual([expect.objectContaining({ type: 'AWS_ACCESS_KEY', count: 1 })]);
    const d = engine.evaluate(input);
    expect(d.verdict).toBe('deny');
    expect(d.violations[0]).toMatchObject({ policy: 'secrets-in-prompts', severity: 'critical' });
    expect(d.violations[0].message).toContain('AWS_ACCESS_KEY');
    expect(d.violations[0].message).not.toContain('AKIAZ7Q3XK2M4VB6N5LP');
  });
});

describe('the policy input document', () => {
  it('counts findings per type with the highest confidence, and fills every field', () => {
    const input = buildPolicyInput({
      request: { model: 'm', max_tokens: 10 },
      detectors: {
        pii: [
          { kind: 'pii', type: 'EMAIL', start: 0, end: 3, confidence: 0.9 },
          { kind: 'pii', type: 'EMAIL', start: 5, end: 9, confidence: 0.95 },
          { kind: 'pii', type: 'PHONE', start: 10, end: 20, confidence: 0.7 },
        ],
        secrets: [],
        injection: { score: 0.4, signals: [{ id: 'x', weight: 0.4 }] },
        truncated: true,
        scannedChars: 100,
      },
      detectorsRan: { pii: true, secrets: false, injection: true },
      spend: { project: { daily: 3 } },
      nowMs: NOW,
    });
    expect(input.detectors).toEqual({
      pii: [
        { type: 'EMAIL', count: 2, confidence: 0.95 },
        { type: 'PHONE', count: 1, confidence: 0.7 },
      ],
      secrets: [],
      injection: { score: 0.4, signals: [{ id: 'x', weight: 0.4 }] },
      ran: { pii: true, secrets: false, injection: true },
      truncated: true,
      scanned_chars: 100,
    });
    expect(input.spend.project).toEqual({ daily: 3, weekly: 0, monthly: 0 });
    expect(input.spend.global).toEqual({ daily: 0, weekly: 0, monthly: 0 });
    expect(input.request).toMatchObject({ model: 'm', max_tokens: 10, stream: false, tools: [], messages_text: '', estimated_cost_usd: null });
    expect(input.principal).toEqual({ key: null, key_name: null, project: null, user: null, team: null, session: null, tool: null, tags: {} });
  });

  it('gives time in the configured zone, with now_ns exact', () => {
    expect(timeFields(NOW, 'UTC')).toEqual({ now_ns: BigInt(NOW) * 1_000_000n, hour: 9, minute: 5, weekday: 'fri', date: '2025-03-14', tz: 'UTC' });
    expect(timeFields(NOW, 'America/Los_Angeles')).toMatchObject({ hour: 2, minute: 5, weekday: 'fri', date: '2025-03-14' });
    expect(timeFields(Date.UTC(2025, 2, 14, 23, 30), 'Asia/Tokyo')).toMatchObject({ hour: 8, weekday: 'sat', date: '2025-03-15' });
  });

  it('completes a partial document and rejects unknown fields with their path', () => {
    const input = completePolicyInput({ time: { now_ns: '1741943100000000000', tz: 'UTC' }, detectors: { secrets: [{ type: 'JWT' }] } }, { nowMs: 0 });
    expect(input.time).toMatchObject({ now_ns: 1741943100000000000n, hour: 9, minute: 5 });
    expect(input.detectors.secrets).toEqual([{ type: 'JWT', count: 1, confidence: 1 }]);
    expect(input.detectors.ran).toEqual({ pii: false, secrets: true, injection: false });
    expect(() => completePolicyInput({ request: { modle: 'x' } }, { nowMs: 0 })).toThrow(/input document: request: Unrecognized key: "modle"/);
  });

  it('carries the session activity of the agent-loop guard, zeros and the principal\'s session id when absent', () => {
    const guard = new LoopGuard();
    guard.observe('ses_1', 'fix the test', NOW - 90_000);
    guard.addSpend('ses_1', 1.25);
    const activity = guard.observe('ses_1', 'fix the test', NOW);
    const input = buildPolicyInput({ request: {}, principal: { session: 'ses_1' }, session: activity, nowMs: NOW });
    expect(input.session).toEqual({ id: 'ses_1', requests: 2, spend_usd: 1.25, elapsed_seconds: 90, prompt_repeats: 2 });
    expect(buildPolicyInput({ request: {}, principal: { session: 'ses_2' }, nowMs: NOW }).session).toEqual({
      id: 'ses_2',
      requests: 0,
      spend_usd: 0,
      elapsed_seconds: 0,
      prompt_repeats: 0,
    });
    expect(buildPolicyInput({ request: {}, nowMs: NOW }).session.id).toBeNull();
    // A partial document uses the input's own field names.
    const doc = completePolicyInput({ principal: { session: 'ses_3' }, session: { requests: 7, spend_usd: 0.5 } }, { nowMs: NOW });
    expect(doc.session).toEqual({ id: 'ses_3', requests: 7, spend_usd: 0.5, elapsed_seconds: 0, prompt_repeats: 0 });
    expect(completePolicyInput({ session: { id: 'ses_4', prompt_repeats: 3 } }, { nowMs: NOW }).session).toMatchObject({ id: 'ses_4', prompt_repeats: 3 });
    expect(() => completePolicyInput({ session: { repeats: 3 } }, { nowMs: NOW })).toThrow(/input document: session: Unrecognized key: "repeats"/);
    expect(() => completePolicyInput({ session: { requests: -1 } }, { nowMs: NOW })).toThrow(/input document: session\.requests/);
  });

  it('flags a looping session with the built-in agent-loop pack, as a warning', () => {
    const set = loadPolicySet([{ dir: builtinPolicyDir(), origin: 'builtin' }]);
    const engine = new PolicyEngine(set.policies, { clock });
    const d = engine.evaluate(completePolicyInput({ principal: { session: 'ses_9' }, session: { requests: 3, prompt_repeats: 6 } }, { nowMs: NOW }));
    expect(d.verdict).toBe('warn');
    expect(d.violations).toEqual([
      expect.objectContaining({ policy: 'agent-loop', rule: 'repeated-prompt', enforcement: 'warning', severity: 'medium' }),
    ]);
    expect(d.violations[0].message).toContain('sent 6 times in session ses_9');
  });

  it('runs the detectors the engine needs on the text of a partial document, keeping results it lists', () => {
    const engine = new PolicyEngine([yaml('p', 'rules:\n  - when: { pii: true }\n    warn: "{{ pii_types }}"\n  - when: { secrets: true }\n    deny: s\n')], { clock });
    const text = 'mail bob@example.com about card 4111 1111 1111 1111';
    const fresh = prepareInput(engine, { request: { messages_text: text } }, { nowMs: NOW });
    expect(fresh.detectors.pii.map((c) => c.type).sort()).toEqual(['CARD', 'EMAIL']);
    expect(fresh.detectors.ran).toEqual({ pii: true, secrets: true, injection: false });
    const listed = prepareInput(engine, { request: { messages_text: text }, detectors: { pii: [] } }, { nowMs: NOW });
    expect(listed.detectors.pii).toEqual([]);
    expect(listed.detectors.ran).toEqual({ pii: true, secrets: true, injection: false });
    expect(engine.evaluate(fresh).violations.map((v) => v.message)).toEqual(['EMAIL, CARD']);
  });
});
