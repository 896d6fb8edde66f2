import { SaxesParser } from 'saxes';
import { describe, expect, it } from 'vitest';
import { renderJUnit } from '../../../../src/core/analysis/outputs/junit.js';
import { finding, report } from './fixtures.js';

interface El {
  name: string;
  attrs: Record<string, string>;
  children: El[];
  text: string;
}

/** Parses with saxes (a strict XML 1.0 parser: well-formedness and legal characters) into a tree. */
function parseXml(xml: string): El {
  const parser = new SaxesParser();
  const root: El = { name: '#document', attrs: {}, children: [], text: '' };
  const stack: El[] = [root];
  parser.on('error', (e) => {
    throw e;
  });
  parser.on('opentag', (t) => {
    const el: El = { name: t.name, attrs: t.attributes as Record<string, string>, children: [], text: '' };
    stack[stack.length - 1].children.push(el);
    stack.push(el);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  parser.on('text', (t) => {
    stack[stack.length - 1].text += t;
  });
  parser.write(xml).close();
  return root.children[0];
}

function all(el: El, name: string): El[] {
  return [...(el.name === name ? [el] : []), ...el.children.flatMap((c) => all(c, name))];
}

describe('renderJUnit', () => {
  const findings = [
    finding({ path: 'src/a.ts', line: 3, severity: 'critical' }),
    finding({ path: 'src/a.ts', line: 9, severity: 'low', ruleId: 'security.weak-hash' }),
    finding({ path: 'src/b.py', line: 1, severity: 'high' }),
    finding({ path: 'src/b.py', line: 7, severity: 'high', suppressed: { kind: 'baseline', justification: '.warden/baseline.json' } }),
  ];

  it('writes one testsuite per file and one testcase per finding, failing those at or above the threshold', () => {
    const doc = parseXml(renderJUnit(report(findings), { failOn: 'medium' }));
    expect(doc.name).toBe('testsuites');
    expect(doc.attrs).toMatchObject({ tests: '4', failures: '2', skipped: '1', errors: '0', time: '1.234' });
    const suites = all(doc, 'testsuite');
    expect(suites.map((s) => s.attrs.name)).toEqual(['src/a.ts', 'src/b.py']);
    expect(suites[0].attrs).toMatchObject({ tests: '2', failures: '1', skipped: '0' });
    const [crit, low] = all(suites[0], 'testcase');
    expect(crit.attrs).toMatchObject({ classname: 'llm.output-to-eval', file: 'src/a.ts', line: '3', name: 'llm.output-to-eval at src/a.ts:3:5' });
    const failure = all(crit, 'failure')[0];
    expect(failure.attrs).toMatchObject({ message: 'LLM output reaches eval()', type: 'critical' });
    expect(failure.text).toContain('eval(completion.text)');
    // Below the threshold: a passing case that still records the finding.
    expect(all(low, 'failure')).toHaveLength(0);
    expect(all(low, 'system-out')[0].text).toMatch(/^below the failure threshold/);
    // Suppressed: skipped, with the reason.
    const suppressed = all(suites[1], 'testcase')[1];
    expect(all(suppressed, 'skipped')[0].attrs.message).toBe('in baseline .warden/baseline.json');
  });

  it('defaults to failing every unsuppressed finding; failOn none fails nothing', () => {
    expect(parseXml(renderJUnit(report(findings))).attrs.failures).toBe('3');
    expect(parseXml(renderJUnit(report(findings), { failOn: 'none' })).attrs.failures).toBe('0');
  });

  it('escapes markup and writes control characters XML 1.0 forbids as visible escapes', () => {
    const nasty = 'a <b> & "c" \'d\' ]]> \u0001\u0008\u000b\u001f tab\there\nnext\r\nline \ud800 end';
    const xml = renderJUnit(report([finding({ path: 'src/<weird> & "name".ts', message: nasty, snippet: nasty })]));
    const doc = parseXml(xml); // throws on any well-formedness or character error
    const tc = all(doc, 'testcase')[0];
    expect(tc.attrs.file).toBe('src/<weird> & "name".ts');
    const expected = 'a <b> & "c" \'d\' ]]> \\u0001\\u0008\\u000b\\u001f tab\there\nnext\r\nline \\ud800 end';
    expect(all(tc, 'failure')[0].attrs.message).toBe(expected);
    expect(all(tc, 'failure')[0].text).toContain(expected);
    // The parser used here does reject what the renderer must avoid.
    expect(() => parseXml('<a>\u0001</a>')).toThrow();
    expect(() => parseXml('<a b="<"/>')).toThrow();
  });

  it('still reports one passing test case for a clean scan, and lists skipped files as skipped', () => {
    const clean = parseXml(renderJUnit(report([], { skipped: [{ path: 'big.min.js', reason: 'larger than 1MB' }] })));
    expect(clean.attrs).toMatchObject({ tests: '2', failures: '0', skipped: '1' });
    const cases = all(clean, 'testcase');
    expect(cases.map((c) => c.attrs.name)).toEqual(['big.min.js', 'no findings in 12 files']);
    expect(all(cases[0], 'skipped')[0].attrs.message).toBe('larger than 1MB');
  });
});
