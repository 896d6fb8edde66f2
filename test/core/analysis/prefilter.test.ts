import { describe, expect, it } from 'vitest';
import {
  configRequirement,
  nodeRequirement,
  patternRequirement,
  regexRequirement,
  ruleRequirement,
  satisfied,
  TextIndex,
  type Requirement,
} from '../../../src/core/analysis/prefilter.js';

const holds = (req: Requirement, text: string) => satisfied(req, (w) => text.includes(w));

describe('regexRequirement', () => {
  it('requires the literal runs every match contains', () => {
    expect(regexRequirement('^(MaxTokens|MaxCompletionTokens)$')).toEqual({ any: [{ word: 'MaxTokens' }, { word: 'MaxCompletionTokens' }] });
    expect(regexRequirement('chat\\.completions\\.create')).toEqual({ word: 'chat.completions.create' });
  });

  it('treats optional atoms as absent and repeated ones as ending the run', () => {
    // `ab+c` need not contain "abc"; `x?` may be missing.
    expect(holds(regexRequirement('abb+cde'), 'abbbbcde')).toBe(true);
    expect(holds(regexRequirement('foox?bar'), 'foobar')).toBe(true);
    expect(holds(regexRequirement('gpt-4(-32k)?-0613'), 'gpt-4-0613')).toBe(true);
    expect(holds(regexRequirement('gpt-4(-32k)?-0613'), 'claude')).toBe(false);
  });

  it('says nothing for case-insensitive or verbose regexes, classes and short runs', () => {
    expect(regexRequirement('(?i)password')).toBeNull();
    expect(regexRequirement('(?x) pass word')).toBeNull();
    expect(regexRequirement('[a-z]+\\d')).toBeNull();
    expect(regexRequirement('^ab$')).toBeNull();
    expect(regexRequirement('foo|.*')).toBeNull();
  });

  it('handles escapes, hex and unicode classes without inventing literals', () => {
    expect(holds(regexRequirement('\\x41BCD'), 'zBCDz')).toBe(true);
    expect(holds(regexRequirement('\\p{L}+token'), 'xtoken')).toBe(true);
    expect(holds(regexRequirement('\\$queryRawUnsafe'), '$queryRawUnsafe(')).toBe(true);
    expect(holds(regexRequirement('(?:api|secret)_key'), 'my secret_key')).toBe(true);
    expect(holds(regexRequirement('(?P<name>select)\\s+from'), 'SELECT FROM')).toBe(false);
  });

  it('gives up on a regex it cannot read rather than guessing', () => {
    expect(regexRequirement('(unclosed')).toBeNull();
  });
});

describe('patternRequirement', () => {
  it('requires the identifiers a pattern spells out, not its metavariables', () => {
    const req = patternRequirement('subprocess.run($CMD, shell=True, $$$REST)');
    expect(holds(req, 'import subprocess\nsubprocess.run(x, shell=True)')).toBe(true);
    expect(holds(req, 'subprocess.call(x)')).toBe(false);
    expect(patternRequirement('$A')).toBeNull();
  });
});

describe('ruleRequirement', () => {
  it('follows all/any/relations and utils, and ignores not', () => {
    const utils = { call: { pattern: 'openai.chat.completions.create($$$)' } };
    const req = ruleRequirement({ kind: 'call_expression', any: [{ matches: 'call' }, { regex: 'generateText' }], not: { regex: 'nope' } }, utils);
    expect(holds(req, 'openai.chat.completions.create({})')).toBe(true);
    expect(holds(req, 'await generateText({})')).toBe(true);
    expect(holds(req, 'nope()')).toBe(false);
  });

  it('is null when any branch needs nothing', () => {
    expect(ruleRequirement({ any: [{ pattern: 'eval($X)' }, { kind: 'string' }] }, undefined)).toBeNull();
  });

  it('survives recursive utils', () => {
    const utils = { a: { any: [{ matches: 'b' }, { pattern: 'foo()' }] }, b: { has: { matches: 'a' } } };
    expect(() => ruleRequirement({ matches: 'a' }, utils)).not.toThrow();
  });

  it('adds a constraint on a variable the rule always binds', () => {
    const req = configRequirement({ rule: { pattern: '$S', kind: 'string' }, constraints: { S: { regex: 'gpt-3\\.5-turbo-0301' } } });
    expect(holds(req, 'model = "gpt-3.5-turbo-0301"')).toBe(true);
    expect(holds(req, 'model = "gpt-4o"')).toBe(false);
    // A constrained variable bound only inside `any` may be unbound: no requirement from it.
    expect(configRequirement({ rule: { any: [{ pattern: 'f($S)' }, { kind: 'string' }] }, constraints: { S: { regex: 'secret' } } })).toBeNull();
  });

  it('nodeRequirement leaves out what the rule needs around the node', () => {
    const req = nodeRequirement({ pattern: 'eval($X)', inside: { pattern: 'def $F($$$): $$$' } }, undefined);
    expect(holds(req, 'eval(x)')).toBe(true);
  });
});

describe('TextIndex', () => {
  it('answers like includes, for present, absent and short words', () => {
    const text = 'import openai\nclient = openai.OpenAI(api_key=key)\n';
    const idx = new TextIndex(text);
    for (const w of ['openai', 'OpenAI(', 'api_key', 'ke', 'x', 'anthropic', 'OpenAi', 'client = o', 'zzz']) {
      expect(idx.has(w), w).toBe(text.includes(w));
    }
  });
});
