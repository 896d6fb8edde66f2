import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decisionPath, decisionRecord, inputHash } from '../../../src/core/policy/decision-log.js';
import { ObjectValue, SetValue } from '../../../src/core/policy/rego/value.js';

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

describe('decisionPath', () => {
  it('turns a data ref into OPA slash form', () => {
    expect(decisionPath('data.warden.request.deny')).toBe('warden/request/deny');
    expect(decisionPath('warden.request')).toBe('warden/request');
    expect(decisionPath('/warden/request/')).toBe('warden/request');
  });
});
