import { describe, expect, it } from 'vitest';
import { regorusWording, runRegorusCase, type RegorusCase } from './conformance-regorus.js';

function regorusCase(over: Partial<RegorusCase>): RegorusCase {
  return {
    id: 'synthetic/case',
    category: 'synthetic',
    file: 'synthetic.yaml',
    note: 'case',
    query: 'data.test.x',
    modules: [],
    inputs: [],
    noResult: false,
    skip: false,
    strict: true,
    ignoredKeys: [],
    ...over,
  };
}

describe('regorus error wording', () => {
  it('maps regorus phrasings to the OPA error codes they stand for', () => {
    expect(regorusWording('`count` requires array/object/set/string argument.')?.codes).toEqual(['eval_type_error']);
    expect(regorusWording('`array.concat` expects 2 arguments')?.codes).toEqual(['rego_type_error']);
    expect(regorusWording('some message nobody maps')).toBeUndefined();
  });

  it('passes a case when OPA raises the mapped code, and fails it when the code differs', () => {
    const typeError = regorusCase({ modules: ['package test\nx := count(null)'], error: '`count` requires array/object/set/string argument.' });
    expect(runRegorusCase(typeError).status).toBe('pass');
    // Same phrasing expected, but the module fails to parse: a different error is not a match.
    const parseError = regorusCase({ modules: ['package test\nx := count(null'], error: '`count` requires array/object/set/string argument.' });
    expect(runRegorusCase(parseError).status).toBe('fail');
  });
});
