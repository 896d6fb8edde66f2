import { createHash } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { decisionPath, decisionRecord, inputHash, type DecisionRecord } from '../../../src/core/policy/decision-log.js';
import { evaluatePolicyQuery } from '../../../src/core/policy/query.js';
import { compilePolicy } from '../../../src/core/policy/rego/compile.js';
import { evalQuery, evalRule } from '../../../src/core/policy/rego/eval.js';
import { ObjectValue, SetValue, fromJson } from '../../../src/core/policy/rego/value.js';

const clock = { now: () => Date.UTC(2025, 5, 1, 12, 0, 0, 250) };

describe('decisionRecord', () => {
  it('builds an OPA-shaped record with an input hash instead of the input', () => {
    const rec = decisionRecord({
      path: 'data.warden.request.deny',
      input: { model: 'gpt-4o', prompt: 'secret stuff' },
      result: ['too expensive'],
      durationNs: 41_250,
      clock,
      decisionId: 'd-1',
    });
    expect(rec).toEqual({
      decision_id: 'd-1',
      path: 'warden/request/deny',
      input_hash: `sha256:${createHash('sha256').update('{"model":"gpt-4o","prompt":"secret stuff"}').digest('hex')}`,
      result: ['too expensive'],
      timestamp: '2025-06-01T12:00:00.250Z',
      metrics: { timer_rego_query_eval_ns: 41_250 },
    });
    expect(JSON.stringify(rec)).not.toContain('secret stuff');
  });

  it('hashes equal inputs equally whatever their key order or representation', () => {
    const plain = { b: [1, 2], a: { y: true, x: null } };
    const reordered = { a: { x: null, y: true }, b: [1, 2] };
    const value = ObjectValue.fromRecord({ a: ObjectValue.fromRecord({ y: true, x: null }), b: [1, 2] });
    expect(inputHash(plain)).toBe(inputHash(reordered));
    expect(inputHash(value)).toBe(inputHash(plain));
    expect(inputHash({ a: 1 })).not.toBe(inputHash({ a: 2 }));
  });

  it('hashes one Rego input once however many decisions use it', () => {
    const input = ObjectValue.fromRecord({ a: 1 });
    const first = inputHash(input);
    // Entries are read once: a second hash of the same Value does not serialise it again.
    const spy = vi.spyOn(input, 'entries');
    expect(inputHash(input)).toBe(first);
    expect(spy).not.toHaveBeenCalled();
    expect(inputHash(ObjectValue.fromRecord({ a: 1 }))).toBe(first);
  });

  it('leaves out input_hash and result when there was no input and the decision is undefined', () => {
    const rec = decisionRecord({ path: 'x/allow', durationNs: 5, clock, decisionId: 'd-2' });
    expect(rec).not.toHaveProperty('input_hash');
    expect(rec).not.toHaveProperty('result');
    expect(rec.path).toBe('x/allow');
  });

  it('converts Rego values in the result to plain JSON (sets become sorted arrays)', () => {
    const rec = decisionRecord({ path: 'p', result: new SetValue(['b', 'a']), durationNs: 1, clock });
    expect(rec.result).toEqual(['a', 'b']);
  });

  it('gives each record a fresh UUID when no id is passed, and keeps labels and query', () => {
    const a = decisionRecord({ path: 'p', durationNs: 1, clock, labels: { id: 'daemon-1' }, query: 'data.p' });
    const b = decisionRecord({ path: 'p', durationNs: 1, clock });
    expect(a.decision_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.decision_id).not.toBe(b.decision_id);
    expect(a.labels).toEqual({ id: 'daemon-1' });
    expect(a.query).toBe('data.p');
  });
});

describe('decisionRecord errors', () => {
  it('keeps only the error code, never its message', () => {
    const rec = decisionRecord({ path: 'p', durationNs: 1, clock, error: { code: 'eval_conflict_error' } });
    expect(rec.error).toEqual({ code: 'eval_conflict_error' });
    expect(rec).not.toHaveProperty('result');
  });
});

/** A clock that advances 0.25 ms per monotonic reading. */
function steppingClock() {
  let t = 1000;
  return {
    now: () => Date.UTC(2025, 5, 1, 12, 0, 0, 0),
    monotonic: () => {
      t += 0.25;
      return t;
    },
  };
}

describe('onDecision (decision records from evaluation)', () => {
  const policy = compilePolicy([
    { file: 'p.rego', text: 'package warden.request\n\nimport rego.v1\n\ndeny contains "too big" if input.n > 10\nbad := x if x := 1 / input.d\n' },
  ]);

  it('emits one record per evalRule with path, input hash, result and the time on the caller clock', () => {
    const recs: DecisionRecord[] = [];
    const input = fromJson({ n: 11, secret: 'sk-live-123' });
    const v = evalRule(policy, 'data.warden.request.deny', { input, onDecision: (r) => recs.push(r), clock: steppingClock(), decisionLabels: { app: 'warden' } });
    expect(v).toBeInstanceOf(SetValue);
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatchObject({
      path: 'warden/request/deny',
      input_hash: inputHash({ n: 11, secret: 'sk-live-123' }),
      result: ['too big'],
      timestamp: '2025-06-01T12:00:00.000Z',
      metrics: { timer_rego_query_eval_ns: 250_000 },
      labels: { app: 'warden' },
    });
    expect(JSON.stringify(recs[0])).not.toContain('sk-live-123');
  });

  it('leaves result out for an undefined decision and input_hash out without input', () => {
    const recs: DecisionRecord[] = [];
    expect(evalRule(policy, 'warden.request.nope', { onDecision: (r) => recs.push(r), clock: steppingClock() })).toBeUndefined();
    expect(recs[0]).not.toHaveProperty('result');
    expect(recs[0]).not.toHaveProperty('input_hash');
  });

  it('records a failed evaluation by its error code and still throws', () => {
    const recs: DecisionRecord[] = [];
    const run = () =>
      evalRule(policy, 'warden.request.bad', {
        input: fromJson({ d: 0 }),
        strictBuiltinErrors: true,
        onDecision: (r) => recs.push(r),
        clock: steppingClock(),
      });
    expect(run).toThrow(/divide by zero/);
    expect(recs).toHaveLength(1);
    expect(recs[0].error).toEqual({ code: 'eval_builtin_error' });
    expect(recs[0]).not.toHaveProperty('result');
  });

  it('records an ad-hoc query by its text, with each row\'s bindings as the result', () => {
    const recs: DecisionRecord[] = [];
    const rows = evalQuery(policy, 'x := data.warden.request.deny[_]', { input: fromJson({ n: 20 }), onDecision: (r) => recs.push(r), clock: steppingClock() });
    expect(rows).toHaveLength(1);
    expect(recs[0]).toMatchObject({ path: '', query: 'x := data.warden.request.deny[_]', result: [{ x: 'too big' }] });
    evalQuery(policy, 'data.warden.request.nope', { onDecision: (r) => recs.push(r), clock: steppingClock() });
    expect(recs[1].result).toEqual([]);
  });

  it('passes through evaluatePolicyQuery', () => {
    const recs: DecisionRecord[] = [];
    evaluatePolicyQuery({ sources: [{ file: 'p.rego', text: 'package p\n\nv := 1\n' }], query: 'data.p.v', nowNs: 0n, onDecision: (r) => recs.push(r), clock: steppingClock() });
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatchObject({ query: 'data.p.v', result: [{}] });
  });

  it('needs the caller clock', () => {
    expect(() => evalRule(policy, 'warden.request.deny', { onDecision: () => undefined })).toThrow(expect.objectContaining({ code: 'eval_options_invalid' }));
  });

  it('costs nothing when absent: no record, no clock reading', () => {
    const clock = steppingClock();
    const spy = { ...clock, monotonic: () => { throw new Error('read the clock'); } };
    expect(() => evalRule(policy, 'warden.request.deny', { input: fromJson({ n: 1 }), clock: spy })).not.toThrow();
  });
});

describe('decisionPath', () => {
  it('turns a data ref into OPA slash form', () => {
    expect(decisionPath('data.warden.request.deny')).toBe('warden/request/deny');
    expect(decisionPath('warden.request')).toBe('warden/request');
    expect(decisionPath('/warden/request/')).toBe('warden/request');
  });
});
