// Rule loading: ast-grep YAML rule files written into temp dirs, the built-in packs, and the
// file:line:col + key path of every kind of problem.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  builtinPackDir,
  listPacks,
  loadPacks,
  loadRuleFiles,
  ruleFilesIn,
  validateRuleDocument,
  type AstGrepLoadedRule,
} from '../../../src/core/analysis/rules.js';

let tmp: string;

function write(rel: string, text: string): string {
  const p = path.join(tmp, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-rules-'));
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const GOOD = `id: no-eval
language: TypeScript
severity: error
message: Do not eval $CODE
note: eval runs arbitrary code
rule:
  pattern: eval($CODE)
fix: JSON.parse($CODE)
files: ["src/**"]
ignores: ["**/*.test.ts"]
url: https://example.com/no-eval
metadata:
  cwe: CWE-95
  owasp_llm: ["LLM05:2025 Improper Output Handling"]
  confidence: high
  references: ["https://cwe.mitre.org/data/definitions/95.html"]
  author: someone
`;

describe('loadRuleFiles', () => {
  it('loads a rule with Warden metadata, mapping the severity and keeping files/ignores and fix', () => {
    const file = write('good.yml', GOOD);
    const { rules, errors } = loadRuleFiles([file]);
    expect(errors).toEqual([]);
    expect(rules).toHaveLength(1);
    const r = rules[0] as AstGrepLoadedRule;
    expect(r.meta).toEqual({
      id: 'no-eval',
      message: 'Do not eval $CODE',
      severity: 'high',
      language: 'typescript',
      note: 'eval runs arbitrary code',
      cwe: ['CWE-95'],
      owaspLlm: ['LLM05:2025 Improper Output Handling'],
      confidence: 'high',
      references: ['https://cwe.mitre.org/data/definitions/95.html', 'https://example.com/no-eval'],
      source: file,
    });
    expect(r.config).toEqual({ rule: { pattern: 'eval($CODE)' } });
    expect(r.fix).toBe('JSON.parse($CODE)');
    expect(r.files).toEqual(['src/**']);
    expect(r.ignores).toEqual(['**/*.test.ts']);
  });

  it('maps ast-grep severities (hint, info, warning, error), takes Warden ones as they are, and drops off rules', () => {
    const docs = ['hint', 'info', 'warning', 'error', 'low', 'critical', 'off']
      .map((s) => `id: r-${s}\nlanguage: python\nseverity: ${s}\nrule:\n  pattern: eval($X)\n`)
      .join('---\n');
    const { rules, errors } = loadRuleFiles([write('sev.yml', docs)]);
    expect(errors).toEqual([]);
    expect(Object.fromEntries(rules.map((r) => [r.meta.id, r.meta.severity]))).toEqual({
      'r-hint': 'info',
      'r-info': 'low',
      'r-warning': 'medium',
      'r-error': 'high',
      'r-low': 'low',
      'r-critical': 'critical',
    });
  });

  it('reads every document of a multi-document file and reports bad ones without dropping the good', () => {
    const file = write('multi.yml', `${GOOD}---\nid: second\nlanguage: go\nrule:\n  kind: call_expression\n  patern: foo()\n---\n# only a comment\n`);
    const { rules, errors } = loadRuleFiles([file]);
    expect(rules.map((r) => r.meta.id)).toEqual(['no-eval']);
    expect(errors).toHaveLength(1);
    expect(errors[0].exitCode).toBe(2);
    expect(errors[0].location).toEqual({ file, line: 23, col: 3 });
    expect(errors[0].message).toBe('rule.patern: unknown key');
    expect(errors[0].hint).toMatch(/did you mean "pattern"/);
  });

  it('names file, line, column and key path for an unknown key deep in a relational rule', () => {
    const file = write('deep.yml', 'id: deep\nlanguage: python\nrule:\n  kind: call\n  has:\n    stopby: end\n    kind: string\n');
    const [err] = loadRuleFiles([file]).errors;
    expect(err.format()).toBe(`warden: rule_invalid: ${file}:6:5: rule.has.stopby: unknown key\n  hint: did you mean "stopBy"?`);
    // ast-grep itself drops unknown keys inside relations; that mode exists for rule sets written against it.
    expect(loadRuleFiles([file], { unknownRelationKeys: 'ignore' }).errors).toEqual([]);
  });

  it('rejects an unknown top-level key', () => {
    const file = write('top.yml', 'id: t\nlanguage: python\nrule:\n  pattern: f()\nseverty: error\n');
    const [err] = loadRuleFiles([file]).errors;
    expect(err.location).toEqual({ file, line: 5, col: 1 });
    expect(err.message).toBe('severty: unknown key');
  });

  it('rejects a pattern that does not parse, pointing at the pattern', () => {
    const file = write('badpat.yml', 'id: bp\nlanguage: javascript\nrule:\n  any:\n    - pattern: foo()\n    - pattern: "eval("\n');
    const [err] = loadRuleFiles([file]).errors;
    expect(err.location).toEqual({ file, line: 6, col: 16 });
    expect(err.message).toBe('bp: pattern does not parse as javascript: "eval("');
  });

  it('accepts patterns ast-grep accepts: a lone metavariable, an ERROR node deep inside', () => {
    const file = write('okpat.yml', 'id: ok\nlanguage: go\nrule:\n  any:\n    - pattern: $P\n    - pattern: tls.Listen($NET, $IP $$$)\n');
    expect(loadRuleFiles([file]).errors).toEqual([]);
  });

  it('rejects a kind the grammar does not have, and a regex that does not compile', () => {
    const kindFile = write('badkind.yml', 'id: bk\nlanguage: python\nrule:\n  kind: call\n  has:\n    kind: no_such_kind\n');
    const [k] = loadRuleFiles([kindFile]).errors;
    expect(k.location).toEqual({ file: kindFile, line: 6, col: 11 });
    expect(k.message).toMatch(/^bk: kind: .*[Ii]nvalid [Kk]ind/);
    const reFile = write('badre.yml', 'id: br\nlanguage: python\nrule:\n  kind: string\n  regex: "("\n');
    const [r] = loadRuleFiles([reFile]).errors;
    expect(r.location).toEqual({ file: reFile, line: 5, col: 10 });
    expect(r.message).toMatch(/^br: regex: /);
  });

  it('rejects an unsupported language naming the ones there are', () => {
    const file = write('lang.yml', 'id: sw\nlanguage: cobol\nrule:\n  pattern: foo()\n');
    const [err] = loadRuleFiles([file]).errors;
    expect(err.location).toEqual({ file, line: 2, col: 11 });
    expect(err.message).toBe('sw: language: unsupported language "cobol"');
    expect(err.hint).toMatch(/python, go, java, ruby, rust, php, c, cpp, csharp, kotlin, bash, yaml/);
  });

  it('reports a YAML syntax error with its position', () => {
    const file = write('syntax.yml', 'id: x\nrule: [\n');
    const [err] = loadRuleFiles([file]).errors;
    expect(err.location?.file).toBe(file);
    expect(err.location?.line).toBeGreaterThan(0);
    expect(err.message).toMatch(/^YAML syntax error/);
  });

  it('reports a rule id defined twice', () => {
    const a = write('dup/a.yml', 'id: same\nlanguage: python\nrule:\n  pattern: a()\n');
    write('dup/b.yml', 'id: same\nlanguage: python\nrule:\n  pattern: b()\n');
    const { rules, errors } = loadRuleFiles([path.join(tmp, 'dup')]);
    expect(rules).toHaveLength(1);
    expect(errors[0].message).toBe(`rule id same is defined twice (first in ${a})`);
  });

  it('renames utility ids napi rejects (ast-grep-essentials style) without changing what matches', () => {
    const file = write(
      'utils.yml',
      'id: u\nlanguage: python\nutils:\n  "requests.get($URL, verify=False)":\n    pattern: requests.get($URL, verify=False)\nrule:\n  matches: "requests.get($URL, verify=False)"\nast-grep-essentials: true\n',
    );
    const { rules, errors } = loadRuleFiles([file]);
    expect(errors).toEqual([]);
    const r = rules[0] as AstGrepLoadedRule;
    const name = Object.keys(r.config.utils ?? {})[0];
    expect(name).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(r.config.rule).toEqual({ matches: name });
  });

  it('leaves rule tests and snapshots out of a directory', () => {
    write('pack/python/r.yml', 'id: p\nlanguage: python\nrule:\n  pattern: p()\n');
    write('pack/tests/p-test.yml', 'id: p\nvalid: []\ninvalid: []\n');
    write('pack/python/q-test.yml', 'id: p\nvalid: []\n');
    write('pack/__snapshots__/p-snapshot.yml', 'id: p\n');
    expect(ruleFilesIn(path.join(tmp, 'pack')).map((f) => path.relative(tmp, f))).toEqual(['pack/python/r.yml']);
  });

  it('reports a missing path', () => {
    expect(loadRuleFiles([path.join(tmp, 'nope.yml')]).errors[0].message).toMatch(/no rule file or directory/);
  });

  it('uses a cache of parsed rule files, keyed by content', () => {
    const file = write('cached.yml', GOOD);
    const store = new Map<string, unknown>();
    const cache = { getValue: (k: string) => store.get(k), putValue: (k: string, v: unknown) => void store.set(k, v) };
    const first = loadRuleFiles([file], { cache });
    expect(store.size).toBe(1);
    const second = loadRuleFiles([file], { cache });
    expect(second.rules).toEqual(first.rules);
    write('cached.yml', GOOD.replace('no-eval', 'no-eval-2'));
    expect(loadRuleFiles([file], { cache }).rules[0].meta.id).toBe('no-eval-2');
    expect(store.size).toBe(2);
  });
});

describe('validateRuleDocument (the semgrep front end hook)', () => {
  it('returns why napi rejects a document, or undefined', () => {
    const doc = { id: 'x', language: 'python', rule: { pattern: 'eval($X)' }, message: 'm', severity: 'high' as const, metadata: { semgrep: { id: 'x', file: 'f', approximations: [] } } };
    expect(validateRuleDocument(doc)).toBeUndefined();
    expect(validateRuleDocument({ ...doc, rule: { kind: 'nope_kind' } })).toMatch(/kind/);
  });
});

describe('built-in packs', () => {
  it('lists the rule directories and the engine packs', () => {
    expect(listPacks()).toEqual(expect.arrayContaining(['complexity', 'llm', 'secrets', 'security']));
    expect(fs.existsSync(builtinPackDir())).toBe(true);
  });

  it('load without errors, tagged with their pack, every rule compiling for its language', () => {
    const { rules, errors } = loadPacks(listPacks(), { compile: true });
    expect(errors.map((e) => e.format())).toEqual([]);
    const packs = new Set(rules.map((r) => r.meta.pack));
    expect(packs).toEqual(new Set(listPacks()));
    expect(rules.find((r) => r.meta.id === 'secrets.openai_key')?.meta.severity).toBe('critical');
    expect(rules.find((r) => r.meta.id === 'complexity.cyclomatic')).toMatchObject({ engine: 'complexity', options: { threshold: 15 } });
  });

  it('rejects an unknown pack name', () => {
    const { errors } = loadPacks(['llm', 'nope']);
    expect(errors.map((e) => e.code)).toEqual(['pack_unknown']);
  });
});
