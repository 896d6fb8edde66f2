import { describe, expect, it } from 'vitest';
import { call, errorOf } from './builtins-helpers.js';

describe('glob (modelled on OPA globmatch cases and docs)', () => {
  it('matches within delimiters', () => {
    expect(call('glob.match', '*:github:com', [':'], 'api:github:com')).toBe(true);
    expect(call('glob.match', '*.github.com', ['.'], 'api.not-github.com')).toBe(false);
    expect(call('glob.match', '*.github.com', [], 'api.github.com')).toBe(true);
    expect(call('glob.match', '*.github.com', [], 'api.cdn.github.com')).toBe(false);
  });

  it('defaults an empty delimiter list to "." and null to no delimiters', () => {
    expect(call('glob.match', '*.com', [], 'a.b.com')).toBe(false);
    expect(call('glob.match', '*.com', null, 'a.b.com')).toBe(true);
  });

  it('supports **, ?, character classes and alternatives', () => {
    expect(call('glob.match', '**.github.com', ['.'], 'a.b.github.com')).toBe(true);
    expect(call('glob.match', '?at', [], 'cat')).toBe(true);
    expect(call('glob.match', '?at', [], 'at')).toBe(false);
    expect(call('glob.match', '[a-c]at', [], 'bat')).toBe(true);
    expect(call('glob.match', '[!a-c]at', [], 'bat')).toBe(false);
    expect(call('glob.match', '[!a-c]at', [], 'rat')).toBe(true);
    expect(call('glob.match', '{cat,bat,[fr]at}', [], 'rat')).toBe(true);
    expect(call('glob.match', '{cat,bat}', [], 'hat')).toBe(false);
    expect(call('glob.match', 'a\\*b', [], 'a*b')).toBe(true);
    expect(call('glob.match', 'a\\*b', [], 'axb')).toBe(false);
    expect(call('glob.match', 'a(b)+', [], 'a(b)+')).toBe(true);
  });

  it('reports operand errors with OPA wording', () => {
    expect(errorOf(() => call('glob.match', '*', 'x', 'a')).message).toBe('glob.match: operand 2 must be one of {array, null} but got string');
    expect(errorOf(() => call('glob.match', '*', [1], 'a')).message).toBe('glob.match: operand 2 must be array of strings but got array containing number');
    expect(errorOf(() => call('glob.match', '[a', [], 'a')).code).toBe('eval_builtin_error');
  });

  it('quotes glob metacharacters', () => {
    expect(call('glob.quote_meta', '*.github.com')).toBe('\\*.github.com');
    expect(call('glob.quote_meta', 'api.cdn.github.com')).toBe('api.cdn.github.com');
    expect(call('glob.quote_meta', '[a]{b}?\\')).toBe('\\[a\\]\\{b\\}\\?\\\\');
    expect(call('glob.match', call('glob.quote_meta', '*.x') as string, [], '*.x')).toBe(true);
  });
});
