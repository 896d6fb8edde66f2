import { describe, expect, it } from 'vitest';
import { call, errorOf } from './builtins-helpers.js';
import { ObjectValue, SetValue } from '../../../../src/core/policy/rego/value.js';

const sorted = (v: unknown): unknown => (v instanceof SetValue ? v.values() : v);

describe('net CIDR builtins (modelled on OPA docs examples)', () => {
  it('checks containment of addresses and networks, v4 and v6', () => {
    expect(call('net.cidr_contains', '127.0.0.0/8', '127.0.0.1')).toBe(true);
    expect(call('net.cidr_contains', '127.0.0.0/24', '127.0.0.0/25')).toBe(true);
    expect(call('net.cidr_contains', '127.0.0.0/25', '127.0.0.0/24')).toBe(false);
    expect(call('net.cidr_contains', '2001:4860:4860::8888/32', '2001:4860:4860:1234::8888')).toBe(true);
    expect(call('net.cidr_contains', '10.0.0.0/8', '::1')).toBe(false);
  });

  it('reports invalid CIDRs and addresses', () => {
    expect(errorOf(() => call('net.cidr_contains', '10.0.0.0', '10.0.0.1')).message).toBe('net.cidr_contains: invalid CIDR address: 10.0.0.0');
    expect(errorOf(() => call('net.cidr_contains', '10.0.0.0/8', 'ten')).message).toBe(
      'net.cidr_contains: not a valid textual representation of an IP address or CIDR: ten',
    );
    expect(errorOf(() => call('net.cidr_contains', 10, 'x')).message).toBe('net.cidr_contains: operand 1 must be string but got number');
  });

  it('checks intersection and validity', () => {
    expect(call('net.cidr_intersects', '192.168.0.0/16', '192.168.1.0/24')).toBe(true);
    expect(call('net.cidr_intersects', '192.168.0.0/24', '192.168.1.0/24')).toBe(false);
    expect(call('net.cidr_intersects', 'fd1e:5bfe:8af3:9ddc::/64', 'fd1e:5bfe:8af3:9ddc:1111::/72')).toBe(true);
    expect(call('net.cidr_is_valid', '192.168.0.0/24')).toBe(true);
    expect(call('net.cidr_is_valid', '192.168.0.0/33')).toBe(false);
    expect(call('net.cidr_is_valid', '192.168.0.0')).toBe(false);
    expect(call('net.cidr_is_valid', '010.0.0.0/8')).toBe(false);
    expect(call('net.cidr_is_valid', 'fe80::/10')).toBe(true);
    expect(call('net.cidr_is_valid', 7)).toBe(false);
  });

  it('expands small networks and refuses huge ones', () => {
    expect(sorted(call('net.cidr_expand', '192.168.0.0/30'))).toEqual(['192.168.0.0', '192.168.0.1', '192.168.0.2', '192.168.0.3']);
    expect(sorted(call('net.cidr_expand', '2001:db8::/127'))).toEqual(['2001:db8::', '2001:db8::1']);
    expect(errorOf(() => call('net.cidr_expand', '10.0.0.0/8')).code).toBe('eval_builtin_error');
  });

  it('merges addresses and networks into the smallest covering set', () => {
    expect(sorted(call('net.cidr_merge', ['192.0.128.0/24', '192.0.129.0/24']))).toEqual(['192.0.128.0/23']);
    expect(sorted(call('net.cidr_merge', ['192.0.128.0/24', '192.0.130.0/24']))).toEqual(['192.0.128.0/24', '192.0.130.0/24']);
    expect(sorted(call('net.cidr_merge', new SetValue(['10.0.0.1', '10.0.0.0', '10.0.0.2/31'])))).toEqual(['10.0.0.0/30']);
    expect(sorted(call('net.cidr_merge', ['2001:db8::/64', '2001:db8:0:1::/64', '10.0.0.5/24']))).toEqual(['10.0.0.0/24', '2001:db8::/63']);
    expect(errorOf(() => call('net.cidr_merge', 'x')).message).toBe('net.cidr_merge: operand 1 must be one of {array, set} but got string');
  });

  it('matches collections of CIDRs against collections of addresses by key', () => {
    expect(sorted(call('net.cidr_contains_matches', '1.1.1.0/24', '1.1.1.128'))).toEqual([['1.1.1.0/24', '1.1.1.128']]);
    expect(sorted(call('net.cidr_contains_matches', [['1.1.1.0/24', 'foo'], '1.1.2.0/24'], '1.1.1.128'))).toEqual([[0, '1.1.1.128']]);
    const ips = ObjectValue.fromRecord({ a: '1.1.1.1', b: '2.2.2.2', c: '1.1.1.200' });
    expect(sorted(call('net.cidr_contains_matches', new SetValue(['1.1.1.0/24']), ips))).toEqual([
      ['1.1.1.0/24', 'a'],
      ['1.1.1.0/24', 'c'],
    ]);
  });
});
