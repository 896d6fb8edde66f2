import { describe, expect, it } from 'vitest';
import { call, errorOf } from './builtins-helpers.js';

describe('crypto hashes and HMACs (RFC 1321/3174/6234, RFC 2104/2202/4231 vectors)', () => {
  it('hashes the UTF-8 input to lowercase hex', () => {
    expect(call('crypto.md5', '')).toBe('d41d8cd98f00b204e9800998ecf8427e');
    expect(call('crypto.sha1', 'abc')).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
    expect(call('crypto.sha256', 'abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('computes HMACs with the key as the second operand', () => {
    const msg = 'what do ya want for nothing?';
    expect(call('crypto.hmac.md5', msg, 'Jefe')).toBe('750c783e6ab0b503eaa86e310a5db738');
    expect(call('crypto.hmac.sha1', msg, 'Jefe')).toBe('effcdf6ae5eb2fa2d27416d5f184df9c259a7c79');
    expect(call('crypto.hmac.sha256', msg, 'Jefe')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
    expect(call('crypto.hmac.sha512', msg, 'Jefe')).toBe(
      '164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737',
    );
  });

  it('compares MACs for equality', () => {
    expect(call('crypto.hmac.equal', 'abc', 'abc')).toBe(true);
    expect(call('crypto.hmac.equal', 'abc', 'abd')).toBe(false);
    expect(call('crypto.hmac.equal', 'abc', 'abcd')).toBe(false);
    expect(errorOf(() => call('crypto.sha256', 1)).message).toBe('crypto.sha256: operand 1 must be string but got number');
  });
});
