import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRedactionState, redact, runDetectors, type Finding } from '../../../src/core/detect/index.js';
import { fake } from './fakes.js';

const at = (text: string, value: string, type: string, kind: Finding['kind'] = 'pii', from = 0): Finding => {
  const start = text.indexOf(value, from);
  if (start < 0) throw new Error(`${value} not in text`);
  return { kind, type, start, end: start + value.length, confidence: 0.9 };
};

describe('redact', () => {
  it('replaces each finding with a numbered placeholder and reports kinds, never values', () => {
    const text = 'mail a@example.com or b@example.com, call +44 20 7946 0958';
    const f = [at(text, 'a@example.com', 'EMAIL'), at(text, 'b@example.com', 'EMAIL'), at(text, '+44 20 7946 0958', 'PHONE')];
    const r = redact(text, f);
    expect(r).toEqual({
      text: 'mail [REDACTED:EMAIL_1] or [REDACTED:EMAIL_2], call [REDACTED:PHONE_1]',
      kinds: ['EMAIL', 'PHONE'],
      count: 3,
    });
  });

  it('gives the same value the same placeholder within a text and across a request', () => {
    const t1 = 'a@example.com wrote to b@example.com and a@example.com again';
    const f1 = [at(t1, 'a@example.com', 'EMAIL'), at(t1, 'b@example.com', 'EMAIL'), at(t1, 'a@example.com', 'EMAIL', 'pii', 20)];
    const state = createRedactionState();
    expect(redact(t1, f1, state).text).toBe('[REDACTED:EMAIL_1] wrote to [REDACTED:EMAIL_2] and [REDACTED:EMAIL_1] again');
    const t2 = 'reply to b@example.com and c@example.com';
    const f2 = [at(t2, 'b@example.com', 'EMAIL'), at(t2, 'c@example.com', 'EMAIL')];
    expect(redact(t2, f2, state).text).toBe('reply to [REDACTED:EMAIL_2] and [REDACTED:EMAIL_3]');
    // A fresh request starts numbering again.
    expect(redact(t2, f2).text).toBe('reply to [REDACTED:EMAIL_1] and [REDACTED:EMAIL_2]');
  });

  it('merges overlapping findings into one placeholder named by the strongest (secret over PII)', () => {
    const text = 'x 4111 1111 1111 1111 y';
    const card = at(text, '4111 1111 1111 1111', 'CARD');
    const inner: Finding = { kind: 'pii', type: 'PHONE', start: card.start + 5, end: card.end + 2, confidence: 0.5 };
    const secret: Finding = { kind: 'secret', type: 'HIGH_ENTROPY', start: card.start + 10, end: card.start + 14, confidence: 0.4 };
    const r = redact(text, [inner, card, secret]);
    expect(r.text).toBe('x [REDACTED:HIGH_ENTROPY_1]');
    expect(r.kinds).toEqual(['CARD', 'HIGH_ENTROPY', 'PHONE']);
    expect(r.count).toBe(1);
    // Nested and identical spans collapse too; adjacent ones stay separate.
    expect(redact('abcdef', [
      { kind: 'pii', type: 'A', start: 0, end: 6, confidence: 0.9 },
      { kind: 'pii', type: 'B', start: 1, end: 3, confidence: 0.5 },
      { kind: 'pii', type: 'A', start: 0, end: 6, confidence: 0.9 },
    ]).text).toBe('[REDACTED:A_1]');
    expect(redact('abcdef', [
      { kind: 'pii', type: 'A', start: 0, end: 3, confidence: 0.9 },
      { kind: 'pii', type: 'B', start: 3, end: 6, confidence: 0.9 },
    ]).text).toBe('[REDACTED:A_1][REDACTED:B_1]');
  });

  it('tolerates malformed findings: out of range, empty, reversed, NaN, odd types', () => {
    const text = 'hello world';
    const r = redact(text, [
      { kind: 'pii', type: 'EMAIL', start: -5, end: 2, confidence: 1 },
      { kind: 'pii', type: 'EMAIL', start: 6, end: 600, confidence: 1 },
      { kind: 'pii', type: 'EMAIL', start: 4, end: 4, confidence: 1 },
      { kind: 'pii', type: 'EMAIL', start: 5, end: 3, confidence: 1 },
      { kind: 'pii', type: 'EMAIL', start: Number.NaN, end: 3, confidence: 1 },
      { kind: 'pii', type: 'we]ird type!', start: 3, end: 4, confidence: 1 },
    ]);
    expect(r.text).toBe('[REDACTED:EMAIL_1]l[REDACTED:WE_IRD_TYPE__1]o [REDACTED:EMAIL_2]');
    expect(redact(text, [])).toEqual({ text, kinds: [], count: 0 });
  });

  it('never splits a surrogate pair', () => {
    const text = 'a😀b';
    const r = redact(text, [{ kind: 'pii', type: 'X', start: 2, end: 3, confidence: 1 }]);
    expect(r.text).toBe('a[REDACTED:X_1]b');
    expect(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(r.text)).toBe(false);
  });

  it('redacts what runDetectors found so no value survives', () => {
    const key = fake.github();
    const text = `Contact a@example.com, card 4111 1111 1111 1111, token ${key}, again a@example.com`;
    const rep = runDetectors(text, { maxChars: 10_000 });
    const r = redact(text, [...rep.pii, ...rep.secrets]);
    expect(r.text).toBe('Contact [REDACTED:EMAIL_1], card [REDACTED:CARD_1], token [REDACTED:GITHUB_TOKEN_1], again [REDACTED:EMAIL_1]');
    expect(r.kinds).toEqual(['CARD', 'EMAIL', 'GITHUB_TOKEN']);
  });

  it('property: never throws, and no finding value survives (values carry a marker nothing else has)', () => {
    // Filler from an alphabet disjoint from the values' marker character, so every occurrence of a
    // value in the text is one of the findings.
    const filler = fc.string({ unit: fc.constantFrom('a', 'b', ' ', '.', '\n', 'é', '😀'), maxLength: 20 });
    const value = fc.string({ unit: fc.constantFrom('x', 'y', '1', '@', '-'), minLength: 1, maxLength: 12 }).map((s) => `§${s}`);
    const type = fc.constantFrom('EMAIL', 'PHONE', 'CARD', 'OPENAI_KEY');
    fc.assert(
      fc.property(fc.array(fc.tuple(filler, value, type), { minLength: 1, maxLength: 12 }), filler, fc.array(fc.nat(), { maxLength: 6 }), (parts, tail, overlaps) => {
        let text = '';
        const findings: Finding[] = [];
        for (const [f, v, t] of parts) {
          text += f;
          findings.push({ kind: t === 'OPENAI_KEY' ? 'secret' : 'pii', type: t, start: text.length, end: text.length + v.length, confidence: 0.9 });
          text += v;
        }
        text += tail;
        // Extra arbitrary overlapping findings.
        for (const o of overlaps) {
          const base = findings[o % findings.length]!;
          findings.push({ ...base, start: Math.max(0, base.start - (o % 3)), end: base.end + (o % 4) });
        }
        const r = redact(text, findings);
        for (const [, v] of parts) expect(r.text.includes(v)).toBe(false);
        expect(r.text.includes('§')).toBe(false);
        expect(r.count).toBeGreaterThan(0);
        // Same value, same placeholder: each distinct (type, value) pair appears under one number.
        expect(r.kinds.every((k) => ['EMAIL', 'PHONE', 'CARD', 'OPENAI_KEY'].includes(k))).toBe(true);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), fc.array(fc.record({ kind: fc.constantFrom('pii', 'secret'), type: fc.string({ maxLength: 8 }), start: fc.integer({ min: -10, max: 80 }), end: fc.integer({ min: -10, max: 80 }), confidence: fc.double() }), { maxLength: 10 }), (text, findings) => {
        const r = redact(text, findings as Finding[]);
        expect(typeof r.text).toBe('string');
        expect(r.count).toBeLessThanOrEqual(findings.length);
      }),
      { numRuns: 300 },
    );
  });
});
