import { describe, expect, it } from 'vitest';
import { call, errorOf } from './builtins-helpers.js';
import { compare, parseJson, type Value } from '../../../../src/core/policy/rego/value.js';

const same = (a: Value | undefined, b: string): boolean => a !== undefined && compare(a, parseJson(b)) === 0;

describe('units (modelled on OPA units cases)', () => {
  it('parses SI and binary suffixes exactly', () => {
    const cases: Array<[string, string]> = [
      ['500m', '0.5'], ['0.0005K', '0.5'], ['0.0000005M', '0.5'], ['"100TI"', '109951162777600'], ['0', '0'],
      ['.0', '0'], ['10K', '10000'], ['10KI', '10240'], ['1.1Ki', '1126.4'], ['100m', '0.1'], ['-3.5E2m', '-0.35'],
      ['10E', '10000000000000000000'], ['10Ei', '11529215046068469760'], ['1e-2', '0.01'], ['2.5e3K', '2500000'],
      ['7.8E-1', '0.78'], ['5e1Gi', '53687091200'], ['100Pi', '112589990684262400'], ['100mi', '104857600'],
    ];
    for (const [text, want] of cases) expect(same(call('units.parse', text), want), `${text} = ${want}`).toBe(true);
    expect(same(call('units.parse', '5E'), '5')).toBe(false);
    expect(same(call('units.parse', '1024'), '1024')).toBe(true);
  });

  it('scales milli by the double 0.001 as OPA does, so large amounts show its error', () => {
    expect(same(call('units.parse', '123456789012m'), '123456789.0120000026')).toBe(true);
    expect(same(call('units.parse', '1000m'), '1')).toBe(true);
    expect(same(call('units.parse', '1.5m'), '0.0015')).toBe(true);
  });

  it('knows only the suffixes OPA knows (no Q, R, Y, Z, h, da, zi, yi)', () => {
    for (const u of ['Q', 'R', 'Y', 'Z', 'h', 'da', 'n', 'zi', 'Yi']) {
      expect(errorOf(() => call('units.parse', `1${u}`)).message, u).toBe(`units.parse: unit ${u} not recognized`);
    }
    for (const u of ['zib', 'yi', 'qb', 'rb']) {
      expect(errorOf(() => call('units.parse_bytes', `1${u}`)).message, u).toBe(`units.parse_bytes: byte unit ${u} not recognized`);
    }
  });

  it('parses byte amounts case-insensitively and truncates', () => {
    const cases: Array<[string, string]> = [
      ['1.1KiB', '1126'], ['1.1KB', '1100'], ['100kib', '102400'], ['10KIB', '10240'], ['1e-2KB', '10'],
      ['"100TIB"', '109951162777600'], ['10eib', '11529215046068469760'], ['7.5e1TiB', '82463372083200'], ['12345', '12345'],
    ];
    for (const [text, want] of cases) expect(same(call('units.parse_bytes', text), want), `${text} = ${want}`).toBe(true);
  });

  it('reports OPA error messages', () => {
    expect(errorOf(() => call('units.parse', '')).message).toBe('units.parse: no amount provided');
    expect(errorOf(() => call('units.parse', 'foo')).message).toBe('units.parse: no amount provided');
    expect(errorOf(() => call('units.parse', '0.0.0')).message).toBe('units.parse: could not parse amount to a number');
    expect(errorOf(() => call('units.parse', '100 k')).message).toBe('units.parse: spaces not allowed in resource strings');
    expect(errorOf(() => call('units.parse', '10e10000000Ei')).message).toBe('units.parse: exponent too large');
    expect(errorOf(() => call('units.parse', '10X')).message).toBe('units.parse: unit X not recognized');
    expect(errorOf(() => call('units.parse_bytes', 'GB')).message).toBe('units.parse_bytes: no byte amount provided');
    expect(errorOf(() => call('units.parse_bytes', '.5.2')).message).toBe('units.parse_bytes: could not parse byte amount to a number');
    expect(errorOf(() => call('units.parse_bytes', ' 327MiB ')).message).toBe('units.parse_bytes: spaces not allowed in resource strings');
    expect(errorOf(() => call('units.parse_bytes', '10e10000000EiB')).message).toBe('units.parse_bytes: exponent too large');
    expect(errorOf(() => call('units.parse_bytes', '5xb')).message).toBe('units.parse_bytes: byte unit xb not recognized');
    expect(errorOf(() => call('units.parse_bytes', 5)).message).toBe('units.parse_bytes: operand 1 must be string but got number');
  });
});
