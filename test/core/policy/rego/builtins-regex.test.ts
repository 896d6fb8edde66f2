import { describe, expect, it } from 'vitest';
import { call, errorOf, lax, callIn } from './builtins-helpers.js';

describe('regex (modelled on OPA regexmatch/regexfind/regexreplace/regexsplit cases)', () => {
  it('matches with Go syntax, unanchored unless anchored', () => {
    expect(call('regex.match', '^[a-z]+\\[[0-9]+\\]$', 'foo[1]')).toBe(true);
    expect(call('regex.match', '^$', '')).toBe(true);
    expect(call('regex.match', '', 'x')).toBe(true);
    expect(call('regex.match', '^$', 'something')).toBe(false);
    expect(call('regex.match', '(?i)ABC', 'xabcx')).toBe(true);
    expect(call('re_match', '(?P<n>a+)b', 'caab')).toBe(true);
  });

  it('makes a bad pattern an error in strict mode and undefined otherwise', () => {
    const e = errorOf(() => call('regex.match', '$^[[[', 'something'));
    expect(e.code).toBe('eval_builtin_error');
    expect(e.message).toMatch(/^regex\.match: error parsing regexp: missing closing \]/);
    expect(callIn(lax, 'regex.match', '$^[[[', 'something')).toBeUndefined();
    expect(callIn(lax, 'regex.replace', 'foo', '[', '$1')).toBeUndefined();
  });

  it('rejects non-RE2 constructs such as lookbehind and backreferences', () => {
    expect(call('regex.is_valid', '(?<=a)b')).toBe(false);
    expect(call('regex.is_valid', '(a)\\1')).toBe(false);
    expect(call('regex.is_valid', 'a.*b')).toBe(true);
    expect(call('regex.is_valid', 42)).toBe(false);
  });

  it('reports operand type errors with OPA wording', () => {
    const e = errorOf(() => call('regex.match', 1, 'x'));
    expect(e.code).toBe('eval_type_error');
    expect(e.message).toBe('regex.match: operand 1 must be string but got number');
    expect(errorOf(() => call('regex.find_n', 'a', 'a', 1.5)).message).toBe(
      'regex.find_n: operand 3 must be integer number but got floating-point number',
    );
  });

  it('finds n matches, all when n is -1', () => {
    expect(call('regex.find_n', 'a.', 'paranormal', -1)).toEqual(['ar', 'an', 'al']);
    expect(call('regex.find_n', 'a.', 'paranormal', 2)).toEqual(['ar', 'an']);
    expect(call('regex.find_n', 'a.', 'paranormal', 0)).toEqual([]);
    expect(call('regex.find_n', 'x*', 'abc', -1)).toEqual(['', '', '', '']);
  });

  it('returns submatches with empty strings for groups that did not participate', () => {
    expect(call('regex.find_all_string_submatch_n', 'a(x*)b', '-ab-axxb-', -1)).toEqual([
      ['ab', ''],
      ['axxb', 'xx'],
    ]);
    expect(call('regex.find_all_string_submatch_n', 'a(x)?(y)?', 'a axy', 1)).toEqual([['a', '', '']]);
  });

  it('replaces with Go template expansion', () => {
    expect(call('regex.replace', '-wy-wxxy-', 'w(x*)y', '0')).toBe('-0-0-');
    expect(call('regex.replace', 'foo', '(foo)', '$1$1')).toBe('foofoo');
    expect(call('regex.replace', 'foo', '(foo)', '${1}x')).toBe('foox');
    expect(call('regex.replace', 'foo', '(foo)', '$1x')).toBe('');
    expect(call('regex.replace', 'ab', '(?P<first>a)', '[${first}]$$')).toBe('[a]$b');
    expect(call('regex.replace', 'abc', 'x*', '-')).toBe('-a-b-c-');
    expect(call('regex.replace', 'héllo', 'l+', 'L')).toBe('héLo');
  });

  it('splits like Go Regexp.Split', () => {
    expect(call('regex.split', '^[a-z]+\\[[0-9]+\\]$', '')).toEqual(['']);
    expect(call('regex.split', '^[a-z]+', 'foobar baz')).toEqual(['', ' baz']);
    expect(call('regex.split', '[a-z]+$', 'foobar baz')).toEqual(['foobar ', '']);
    expect(call('regex.split', '^[a-z]+$', 'foobar baz')).toEqual(['foobar baz']);
    expect(call('regex.split', '^[a-z ]+$', 'foobar baz')).toEqual(['', '']);
    expect(call('regex.split', 'a', 'banana')).toEqual(['b', 'n', 'n', '']);
    expect(call('regex.split', 'z+', 'pizza')).toEqual(['pi', 'a']);
  });

  it('matches templates with delimited regex holes', () => {
    expect(call('regex.template_match', 'urn:foo:{.*}', 'urn:foo:bar:baz', '{', '}')).toBe(true);
    expect(call('regex.template_match', 'urn:foo.bar.com:{.*}', 'urn:foo.com:bar:baz', '{', '}')).toBe(false);
    expect(call('regex.template_match', 'urn:foo:<[0-9]{2}>', 'urn:foo:42', '<', '>')).toBe(true);
    expect(errorOf(() => call('regex.template_match', 'urn:{foo', 'x', '{', '}')).message).toBe(
      'regex.template_match: unbalanced braces in "urn:{foo"',
    );
    expect(errorOf(() => call('regex.template_match', 'a', 'a', '{{', '}')).message).toMatch(/start delimiter has to be exactly one character/);
  });

  it('decides whether two regex-globs intersect', () => {
    expect(call('regex.globs_match', 'a.a.[0-9]+z', '.b.b2359825792*')).toBe(false);
    expect(call('regex.globs_match', '[a-z]+', 'abc*')).toBe(true);
    expect(call('regex.globs_match', 'a.*', 'b.*')).toBe(false);
    expect(call('regex.globs_match', 'x+y', 'xxx.')).toBe(true);
    expect(call('regex.globs_match', '', 'a*')).toBe(true);
    expect(errorOf(() => call('regex.globs_match', '*a', 'a')).code).toBe('eval_builtin_error');
    expect(errorOf(() => call('regex.globs_match', '[ab', 'a')).message).toMatch(/found \[ without matching \]/);
  });
});
