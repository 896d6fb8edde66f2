import { describe, expect, it } from 'vitest';
import { call, errorOf } from './builtins-helpers.js';

describe('semver', () => {
  it('validates SemVer 2.0.0 strings', () => {
    for (const v of ['1.0.0', '0.1.0-alpha.1', '1.0.0+build.5', '1.0.0-rc.1+exp.sha.5114f85']) expect(call('semver.is_valid', v), v).toBe(true);
    for (const v of ['1.0', 'v1.0.0', '01.0.0', '1.0.0-01', '1.0.0-', '']) expect(call('semver.is_valid', v), v).toBe(false);
    expect(call('semver.is_valid', 1)).toBe(false);
  });

  it('orders by precedence, ignoring build metadata', () => {
    const chain = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0'];
    for (let i = 0; i + 1 < chain.length; i++) {
      expect(call('semver.compare', chain[i], chain[i + 1])).toBe(-1);
      expect(call('semver.compare', chain[i + 1], chain[i])).toBe(1);
    }
    expect(call('semver.compare', '1.0.0+a', '1.0.0+b')).toBe(0);
    expect(call('semver.compare', '2.0.0', '10.0.0')).toBe(-1);
  });

  it('reports invalid versions and operand types', () => {
    expect(errorOf(() => call('semver.compare', '1.0', '1.0.0')).message).toBe('semver.compare: operand 1: string "1.0" is not a valid SemVer');
    expect(errorOf(() => call('semver.compare', '1.0.0', 2)).message).toBe('semver.compare: operand 2 must be string but got number');
  });
});
