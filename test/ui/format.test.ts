import { describe, expect, it } from 'vitest';
import { formatUsd } from '../../src/ui/format.js';

describe('formatUsd', () => {
  it('keeps the significant digits of small LLM costs', () => {
    expect(formatUsd(0)).toBe('$0.00');
    expect(formatUsd(12.345)).toBe('$12.35');
    expect(formatUsd(0.0123)).toBe('$0.0123');
    expect(formatUsd(0.00006)).toBe('$0.000060');
  });
});
