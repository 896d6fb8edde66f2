import { describe, expect, it } from 'vitest';
import { call, callIn, errorOf, lax } from './builtins-helpers.js';

describe('semver', () => {
  it('validates versions as OPA does: v prefix and leading zeros accepted, three int64 parts required', () => {
    for (const v of ['1.0.0', '0.1.0-alpha.1', '1.0.0+build.5', '1.0.0-rc.1+exp.sha.5114f85', 'v1.0.0', '01.0.0', '1.0.0-01', '1.0.0-', '1.2.3-rc.1-1-1hash']) {
      expect(call('semver.is_valid', v), v).toBe(true);
    }
    for (const v of ['1.0', '', '1.2.3x', '0x1.3.4', '-1.2.3', '1.2.3.4', '0.88.0-11_e4e5dcabb', '0.88.0+11_e4e5dcabb', '1..3', 'vv1.0.0', '9223372036854775808.0.0']) {
      expect(call('semver.is_valid', v), v).toBe(false);
    }
  });

  it('answers false, not a type error, for a non-string version', () => {
    expect(call('semver.is_valid', 1)).toBe(false);
    expect(call('semver.is_valid', null)).toBe(false);
  });

  it('orders by precedence, ignoring build metadata', () => {
    const chain = ['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0'];
    for (let i = 0; i + 1 < chain.length; i++) {
      expect(call('semver.compare', chain[i], chain[i + 1])).toBe(-1);
      expect(call('semver.compare', chain[i + 1], chain[i])).toBe(1);
    }
    expect(call('semver.compare', '1.0.0+a', '1.0.0+b')).toBe(0);
    expect(call('semver.compare', '2.0.0', '10.0.0')).toBe(-1);
    expect(call('semver.compare', 'v1.9.10', '1.8.15')).toBe(1);
    expect(call('semver.compare', '1.2.3-rc.1-1-1hash', '1.2.3-rc.2')).toBe(1);
    expect(call('semver.compare', '1.2.3-5-foo', '1.2.3-5-Foo')).toBe(1);
  });

  it('reports invalid versions as builtin errors and checks both operand types first', () => {
    const bad = errorOf(() => call('semver.compare', '1.0', '1.0.0'));
    expect(bad.code).toBe('eval_builtin_error');
    expect(bad.message).toBe('semver.compare: operand 1: string "1.0" is not a valid SemVer');
    expect(errorOf(() => call('semver.compare', '1.0.0', 'x')).message).toBe('semver.compare: operand 2: string "x" is not a valid SemVer');
    // semver.compare("", 1): OPA reports operand 2's type before parsing operand 1.
    const typed = errorOf(() => call('semver.compare', '', 1));
    expect(typed.code).toBe('eval_type_error');
    expect(typed.message).toBe('semver.compare: operand 2 must be string but got number');
    expect(callIn(lax, 'semver.compare', '1.0', '1.0.0')).toBeUndefined();
  });
});
