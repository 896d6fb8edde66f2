// The one-file engine: rules written as real YAML files, run on source text per language, with
// suppressions, fixes, the secrets and complexity packs, and input that must not break it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyseBatch, analyseText, MAX_NESTING, scanText } from '../../../src/core/analysis/engine.js';
import { complexityRules } from '../../../src/core/analysis/complexity.js';
import { loadPacks, loadRuleFiles, type LoadedRule } from '../../../src/core/analysis/rules.js';
import { secretsRules } from '../../../src/core/analysis/secrets.js';

let tmp: string;
let rules: LoadedRule[];

const RULES = `id: ts-eval
language: typescript
severity: high
message: eval of $X
rule:
  pattern: eval($X)
fix: JSON.parse($X)
metadata:
  cwe: [CWE-95]
  confidence: high
---
id: ts-log-args
language: typescript
severity: low
message: console.log call
rule:
  pattern: console.log($$$ARGS)
fix: logger.debug($$$ARGS)
---
id: py-shell
language: python
severity: critical
message: subprocess with shell=True
rule:
  pattern: subprocess.run($$$A, shell=True)
---
id: go-md5
language: go
severity: medium
message: md5 is weak
rule:
  pattern: md5.New()
---
id: tsx-only
language: tsx
severity: info
message: dangerouslySetInnerHTML
rule:
  kind: jsx_attribute
  regex: ^dangerouslySetInnerHTML
---
id: scoped
language: python
severity: low
message: print in app code
rule:
  pattern: print($$$)
files: ["app/**"]
ignores: ["**/test_*.py"]
---
id: swift-insecure-load
language: swift
severity: medium
message: insecure HTTP load of $U
rule:
  pattern: 'URL(string: $U)'
  has:
    kind: line_string_literal
    regex: ^"http://
    stopBy: end
---
id: scala-exec
language: scala
severity: high
message: process execution
rule:
  pattern: Runtime.getRuntime().exec($X)
`;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-engine-'));
  fs.writeFileSync(path.join(tmp, 'rules.yml'), RULES);
  const loaded = loadRuleFiles([path.join(tmp, 'rules.yml')]);
  expect(loaded.errors).toEqual([]);
  rules = loaded.rules;
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('scanText', () => {
  it('finds TypeScript matches with 1-based positions, metadata, fingerprint and substituted message and fix', () => {
    const text = 'const a = 1;\nconst r = eval(input  +  "x");\n';
    const [f] = scanText(rules, 'src/a.ts', text);
    expect(f).toMatchObject({
      ruleId: 'ts-eval',
      severity: 'high',
      message: 'eval of input  +  "x"',
      path: 'src/a.ts',
      start: { line: 2, column: 11 },
      end: { line: 2, column: 30 },
      snippet: 'eval(input  +  "x")',
      cwe: ['CWE-95'],
      confidence: 'high',
      fix: 'JSON.parse(input  +  "x")',
    });
    expect(f.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('substitutes a $$$ metavariable with the source it spans, separators included', () => {
    const [f] = scanText(rules, 'a.ts', 'console.log(a, b,  c)\n');
    expect(f.fix).toBe('logger.debug(a, b,  c)');
  });

  it('counts columns in UTF-16 code units', () => {
    const [f] = scanText(rules, 'a.ts', 'const é = "ü😀"; eval(x)\n');
    expect(f.start).toEqual({ line: 1, column: 18 });
  });

  it('keeps fingerprints when lines shift and tells repeated matches apart', () => {
    const a = scanText(rules, 'a.ts', 'eval(x)\neval(x)\n');
    const b = scanText(rules, 'a.ts', '\n\n// moved\neval(x)\neval(x)\n');
    expect(a.map((f) => f.fingerprint)).toEqual(b.map((f) => f.fingerprint));
    expect(new Set(a.map((f) => f.fingerprint)).size).toBe(2);
    expect(scanText(rules, 'b.ts', 'eval(x)\n')[0].fingerprint).not.toBe(a[0].fingerprint);
  });

  it('runs Python and Go rules', () => {
    expect(scanText(rules, 'tool.py', 'import subprocess\nsubprocess.run(cmd, shell=True)\n').map((f) => f.ruleId)).toEqual(['py-shell']);
    expect(scanText(rules, 'h.go', 'package h\nimport "crypto/md5"\nfunc f() { _ = md5.New() }\n').map((f) => [f.ruleId, f.start.line])).toEqual([['go-md5', 3]]);
  });

  it('runs Swift and Scala rules (parsers from @ast-grep/lang-swift and lang-scala)', () => {
    const swift = 'import Foundation\nlet a = URL(string: "https://ok")\nlet b = URL(string: "http://plain")\n';
    expect(scanText(rules, 'App.swift', swift).map((f) => [f.ruleId, f.start.line])).toEqual([['swift-insecure-load', 3]]);
    const scala = 'object Main {\n  def run(c: String) = Runtime.getRuntime().exec(c)\n}\n';
    expect(scanText(rules, 'Main.scala', scala).map((f) => [f.ruleId, f.start.line])).toEqual([['scala-exec', 2]]);
    expect(scanText(rules, 'build.sc', scala).map((f) => f.ruleId)).toEqual(['scala-exec']);
  });

  it('runs TypeScript rules on JavaScript and TSX, and TSX rules on JSX, but not the other way', () => {
    expect(scanText(rules, 'a.js', 'eval(x)').map((f) => f.ruleId)).toEqual(['ts-eval']);
    expect(scanText(rules, 'a.mjs', 'eval(x)').map((f) => f.ruleId)).toEqual(['ts-eval']);
    expect(scanText(rules, 'a.tsx', 'eval(x)').map((f) => f.ruleId)).toEqual(['ts-eval']);
    const jsx = 'const el = <div dangerouslySetInnerHTML={{ __html: h }} />;\n';
    expect(scanText(rules, 'a.jsx', jsx).map((f) => f.ruleId)).toEqual(['tsx-only']);
    expect(scanText(rules, 'a.py', 'eval(x)\n')).toEqual([]);
  });

  it('applies files/ignores globs to root-relative paths', () => {
    const code = 'print("hi")\n';
    expect(scanText(rules, 'app/main.py', code)).toHaveLength(1);
    expect(scanText(rules, 'lib/main.py', code)).toHaveLength(0);
    expect(scanText(rules, 'app/tests/test_main.py', code)).toHaveLength(0);
  });

  it('returns nothing for files of no known language and for empty files', () => {
    expect(scanText(rules, 'README', 'eval(x)')).toEqual([]);
    expect(scanText(rules, 'a.ts', '')).toEqual([]);
  });
});

describe('inline suppressions', () => {
  const ids = (text: string, p = 'a.ts') => scanText(rules, p, text).map((f) => [f.ruleId, f.suppressed?.kind ?? null]);

  it('honours warden-ignore and nosemgrep on the same line or alone on the line above', () => {
    expect(ids('eval(x) // warden-ignore: ts-eval\n')).toEqual([['ts-eval', 'inline']]);
    expect(ids('// nosemgrep\neval(x)\n')).toEqual([['ts-eval', 'inline']]);
    expect(ids('/* ast-grep-ignore */ eval(x)\n')).toEqual([['ts-eval', 'inline']]);
    expect(ids('import subprocess\nsubprocess.run(c, shell=True)  # nosemgrep: py-shell\n', 'x.py')).toEqual([['py-shell', 'inline']]);
  });

  it('suppresses only the rule ids named', () => {
    expect(ids('eval(x) // warden-ignore: ts-log-args\n')).toEqual([['ts-eval', null]]);
    expect(ids('eval(x) // nosemgrep: rules.ts-eval, other\n')).toEqual([['ts-eval', 'inline']]);
  });

  it('does not let a comment at the end of a code line suppress the next line', () => {
    expect(ids('f() // nosemgrep\neval(x)\n')).toEqual([['ts-eval', null]]);
  });

  it('records the comment as the justification', () => {
    const [f] = scanText(rules, 'a.ts', 'eval(x) // warden-ignore: ts-eval -- input is a constant\n');
    expect(f.suppressed).toEqual({ kind: 'inline', justification: 'warden-ignore: ts-eval -- input is a constant' });
  });
});

describe('secrets pack', () => {
  const secrets = secretsRules();
  const key = `sk-proj-${'A1b2C3d4E5f6G7h8'.repeat(3)}T3BlbkFJ${'q9W8e7R6t5Y4u3I2'.repeat(2)}`;

  it('finds a provider key in a .env file and masks it in the snippet', () => {
    const [f] = scanText(secrets, '.env', `# config\nOPENAI_API_KEY=${key}\n`);
    expect(f).toMatchObject({ ruleId: 'secrets.openai_key', severity: 'critical', start: { line: 2, column: 16 }, snippet: 'OPENAI_API_KEY=[REDACTED:OPENAI_KEY]' });
    expect(JSON.stringify(f)).not.toContain(key);
  });

  it('finds secrets in any text file, masking every secret on the line', () => {
    const aws = 'AKIAZ7VQ3M2XK4PLR7TY';
    const found = scanText(secrets, 'docs/setup.md', `Use \`${key}\` and ${aws} to log in.\n`);
    expect(found.map((f) => f.ruleId).sort()).toEqual(['secrets.aws_access_key', 'secrets.openai_key']);
    for (const f of found) {
      expect(f.snippet).not.toContain(key);
      expect(f.snippet).not.toContain(aws);
    }
  });

  it('honours a configured allowlist: paths the pack skips and values RE2 expressions accept', () => {
    const allowed = secretsRules({ paths: ['test/fixtures/**', 'keys.txt'], values: ['^sk-proj-A1b2'] });
    const aws = 'AKIAZ7VQ3M2XK4PLR7TY';
    expect(scanText(allowed, 'test/fixtures/creds.env', `AWS=${aws}\n`)).toEqual([]);
    expect(scanText(allowed, 'deep/keys.txt', `AWS=${aws}\n`)).toEqual([]);
    expect(scanText(allowed, 'src/creds.env', `AWS=${aws}\n`).map((f) => f.ruleId)).toEqual(['secrets.aws_access_key']);
    // The value expression drops the matching OpenAI key but not the AWS key beside it.
    expect(scanText(allowed, 'src/a.env', `K=${key}\nAWS=${aws}\n`).map((f) => f.ruleId)).toEqual(['secrets.aws_access_key']);
    expect(scanText(secrets, 'src/a.env', `K=${key}\n`).map((f) => f.ruleId)).toEqual(['secrets.openai_key']);
  });

  it('leaves out documentation placeholders and lockfiles', () => {
    expect(scanText(secrets, 'README.md', 'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n')).toEqual([]);
    expect(scanText(secrets, 'sub/package-lock.json', `{"token": "${key}"}\n`)).toEqual([]);
  });
});

describe('complexity pack', () => {
  const js = `function simple(a) { return a; }
function branchy(a, b) {
  if (a && b) return 1;
  for (const x of a) { if (x || b) continue; }
  const inner = () => (a ? 1 : 2);
  switch (a) { case 1: return 2; case 2: return 3; default: return 4; }
}
`;

  it('counts decision points per function, nested functions separately', () => {
    const found = scanText(complexityRules(3), 'c.ts', js);
    expect(found.map((f) => [f.ruleId, f.start.line, f.message])).toEqual([
      ['complexity.cyclomatic', 2, 'Function branchy has cyclomatic complexity 8 (threshold 3).'],
    ]);
    expect(scanText(complexityRules(1), 'c.ts', js).map((f) => f.message)).toContain('Function inner has cyclomatic complexity 2 (threshold 1).');
  });

  it('works for Python and Go and respects the threshold', () => {
    const py = 'def f(a, b):\n    if a and b:\n        return 1\n    elif a or b:\n        return [x for x in a if x]\n    try:\n        pass\n    except ValueError:\n        pass\n';
    expect(scanText(complexityRules(5), 'f.py', py).map((f) => f.message)).toEqual(['Function f has cyclomatic complexity 8 (threshold 5).']);
    expect(scanText(complexityRules(8), 'f.py', py)).toEqual([]);
    const go = 'package p\nfunc g(a, b bool) int {\n\tif a && b {\n\t\treturn 1\n\t}\n\tfor i := 0; i < 3; i++ {\n\t}\n\tswitch {\n\tcase a:\n\t\treturn 2\n\tdefault:\n\t}\n\treturn 0\n}\n';
    expect(scanText(complexityRules(3), 'g.go', go).map((f) => f.message)).toEqual(['Function g has cyclomatic complexity 5 (threshold 3).']);
  });
});

describe('bounds', () => {
  it('skips the syntax tree of a huge single-line file without failing, still running the secrets pack', () => {
    const line = `${'var a=1,b=2;'.repeat(90_000)}eval(z);`;
    const r = analyseText([...rules, ...secretsRules()], 'big.min.js', line);
    expect(r.skip).toMatch(/^minified or generated/);
    expect(r.findings).toEqual([]);
  });

  it('skips the syntax tree of deeply nested code', () => {
    const deep = `x = ${'['.repeat(MAX_NESTING + 50)}${']'.repeat(MAX_NESTING + 50)}\neval(y)\n`;
    const r = analyseText(rules, 'deep.ts', deep);
    expect(r.skip).toMatch(/^nesting deeper than/);
  });

  it('parses code nested just within the bound', () => {
    const ok = `x = ${'('.repeat(200)}1${')'.repeat(200)};\neval(y);\n`;
    expect(analyseText(rules, 'ok.ts', ok).findings.map((f) => f.ruleId)).toEqual(['ts-eval']);
  });
});

describe('analyseBatch', () => {
  it('gives the same findings as analyseText file by file, with every pack', () => {
    const all = [...rules, ...loadPacks(['llm', 'security', 'secrets', 'complexity'], { complexityThreshold: 2 }).rules];
    const sources: Record<string, string> = {
      'a.ts': 'eval(x)\nconsole.log(1, 2)\nfunction f(a) { if (a) { return a && 1 } }\n',
      'b.py': 'import subprocess, pickle\nsubprocess.run(c, shell=True)\npickle.loads(data)\ndef g(a):\n    return 1 if a else 2\n',
      'c.go': 'package c\nimport "crypto/md5"\nfunc f() { _ = md5.New() }\n',
      'd.js': 'const r = await openai.chat.completions.create({ model: "gpt-4o", messages });\nrequire("child_process").exec(r.choices[0].message.content);\n',
      'e.md': 'nothing here\n',
      'f.py': 'x = 1\n',
    };
    const dir = fs.mkdtempSync(path.join(tmp, 'batch-'));
    const files = Object.entries(sources).map(([rel, text]) => {
      fs.writeFileSync(path.join(dir, rel), text);
      return { rel, abs: path.join(dir, rel), text };
    });
    return analyseBatch(all, files).then((batch) => {
      const single = files.map((f) => analyseText(all, f.rel, f.text));
      expect(batch).toEqual(single);
      expect(single.flatMap((r) => r.findings).length).toBeGreaterThan(5);
    });
  });
});
