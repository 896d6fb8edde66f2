import { describe, expect, it } from 'vitest';
import { riskScore, type DetectorReport, type Finding } from '../../../src/core/detect/index.js';

const f = (kind: Finding['kind'], type: string, confidence = 0.95): Finding => ({ kind, type, start: 0, end: 1, confidence });
const report = (over: Partial<DetectorReport> = {}): DetectorReport => ({ pii: [], secrets: [], injection: { score: 0, signals: [] }, truncated: false, scannedChars: 100, ...over });

describe('riskScore', () => {
  it('is 0 for clean content with no context, and stays within 0..100', () => {
    expect(riskScore({ report: report() })).toBe(0);
    expect(riskScore({ report: null })).toBe(0);
    const worst = report({
      secrets: [f('secret', 'PRIVATE_KEY', 1), f('secret', 'AWS_SECRET_KEY', 1), f('secret', 'JWT', 1)],
      pii: [f('pii', 'CARD', 1), f('pii', 'SSN', 1), f('pii', 'IBAN', 1)],
      injection: { score: 1, signals: [{ id: 'instruction_override', weight: 0.5 }] },
    });
    expect(riskScore({ report: worst, toolCount: 3, history: { requests: 5, denied: 5, flagged: 5 } })).toBe(100);
  });

  it('follows the documented terms', () => {
    // secrets: 60 × 0.95 = 57
    expect(riskScore({ report: report({ secrets: [f('secret', 'GITHUB_TOKEN')] }) })).toBe(57);
    // + 5 per further distinct type
    expect(riskScore({ report: report({ secrets: [f('secret', 'GITHUB_TOKEN'), f('secret', 'JWT')] }) })).toBe(62);
    // pii: CARD 20 × 0.95 + EMAIL 6 × 0.95 + 1 repeat = 25.7
    expect(riskScore({ report: report({ pii: [f('pii', 'CARD'), f('pii', 'EMAIL'), f('pii', 'EMAIL')] }) })).toBe(26);
    // injection: 50 × 0.5 = 25; × 1.3 with tools
    const inj = report({ injection: { score: 0.5, signals: [] } });
    expect(riskScore({ report: inj })).toBe(25);
    expect(riskScore({ report: inj, toolCount: 2 })).toBe(33);
    expect(riskScore({ report: inj, tool: 'claude-code/1.0.71' })).toBe(33);
    expect(riskScore({ report: inj, tool: 'curl/8.0' })).toBe(25);
    // history: 30 × (2 + ½·2) / max(40, 20) = 2.25
    expect(riskScore({ report: null, history: { requests: 40, denied: 2, flagged: 2 } })).toBe(2);
    expect(riskScore({ report: null, history: { requests: 1, denied: 9 } })).toBe(14);
  });

  it('discounts leaks to a local model, and the model-id rule can be overridden', () => {
    const leak = report({ secrets: [f('secret', 'OPENAI_KEY', 1)] });
    expect(riskScore({ report: leak, model: 'gpt-4o' })).toBe(60);
    expect(riskScore({ report: leak, model: 'ollama/llama3.1' })).toBe(18);
    expect(riskScore({ report: leak, model: 'ollama/llama3.1', localModel: false })).toBe(60);
    expect(riskScore({ report: leak, model: 'gpt-4o', localModel: true })).toBe(18);
  });

  it('is monotonic in each signal and deterministic', () => {
    const a = report({ pii: [f('pii', 'EMAIL')] });
    const b = report({ pii: [f('pii', 'EMAIL'), f('pii', 'SSN')] });
    expect(riskScore({ report: b })).toBeGreaterThan(riskScore({ report: a }));
    expect(riskScore({ report: a, history: { requests: 10, denied: 3 } })).toBeGreaterThan(riskScore({ report: a }));
    expect(riskScore({ report: b, toolCount: 1 })).toBe(riskScore({ report: b, toolCount: 1 }));
  });

  it('ignores nonsense numbers instead of producing NaN', () => {
    const r = riskScore({
      report: report({ pii: [f('pii', 'EMAIL', Number.NaN)], injection: { score: Number.POSITIVE_INFINITY, signals: [] } }),
      history: { requests: -1, denied: Number.NaN },
      toolCount: -3,
    });
    expect(Number.isInteger(r)).toBe(true);
    expect(r).toBeGreaterThanOrEqual(0);
    expect(r).toBeLessThanOrEqual(100);
  });
});
