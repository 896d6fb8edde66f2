// Delegation to a semgrep binary, tested with a recorded-format `semgrep --json` fixture written
// from semgrep_output_v1 (cli_output: results[] with check_id/path/start/end/extra, errors[]).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fingerprint } from '../../../../src/core/analysis/fingerprint.js';
import {
  nodeProcessRunner,
  runSemgrep,
  semgrepAvailable,
  semgrepRulesSubset,
  translateSemgrepRules,
  type ProcessRunner,
  type SemgrepDiagnostic,
} from '../../../../src/core/analysis/semgrep/index.js';
import { isWardenError } from '../../../../src/core/errors.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const root = path.join(fixtures, 'repo');
const recorded = fs.readFileSync(path.join(fixtures, 'semgrep-output.json'), 'utf8');

function fakeRunner(stdout: string, code = 0): { runner: ProcessRunner; calls: { command: string; args: readonly string[]; cwd?: string }[] } {
  const calls: { command: string; args: readonly string[]; cwd?: string }[] = [];
  const runner: ProcessRunner = async (command, args, opts) => {
    calls.push({ command, args, cwd: opts.cwd });
    return { code, stdout, stderr: code === 0 ? '' : 'semgrep: fatal error\n' };
  };
  return { runner, calls };
}

describe('semgrepAvailable', () => {
  it('is true when `semgrep --version` exits 0', async () => {
    const { runner, calls } = fakeRunner('1.97.0\n');
    expect(await semgrepAvailable(runner)).toBe(true);
    expect(calls).toEqual([{ command: 'semgrep', args: ['--version'], cwd: undefined }]);
  });

  it('is false when the binary is missing or fails', async () => {
    const missing: ProcessRunner = () => Promise.reject(Object.assign(new Error('spawn semgrep ENOENT'), { code: 'ENOENT' }));
    expect(await semgrepAvailable(missing)).toBe(false);
    expect(await semgrepAvailable(fakeRunner('', 2).runner)).toBe(false);
  });
});

describe('runSemgrep', () => {
  it('runs semgrep --json on the rules and converts its results into findings', async () => {
    const { runner, calls } = fakeRunner(recorded);
    const diagnostics: SemgrepDiagnostic[] = [];
    const findings = await runSemgrep('rules.yml', ['app', 'web'], root, { runner, onDiagnostic: (d) => diagnostics.push(d) });

    expect(calls).toHaveLength(1);
    expect(calls[0].cwd).toBe(root);
    expect(calls[0].args).toEqual([
      '--config',
      path.join(root, 'rules.yml'),
      '--json',
      '--metrics',
      'off',
      '--disable-version-check',
      '--quiet',
      'app',
      'web',
    ]);

    // Sorted by path and position; check_id's config-path prefix removed.
    expect(findings.map((f) => [f.ruleId, f.path, f.start.line])).toEqual([
      ['python-eval', 'app/main.py', 4],
      ['python-eval', 'app/main.py', 5],
      ['python-eval', 'app/removed.py', 2],
      ['js-eval', 'web/index.js', 1],
    ]);
    const [first, second, removed, js] = findings;
    expect(first).toMatchObject({
      severity: 'high',
      message: 'eval of cmd',
      start: { line: 4, column: 10 },
      end: { line: 4, column: 13 },
      snippet: 'cmd',
      cwe: ['CWE-95'],
      owaspLlm: ['LLM05:2025 Improper Output Handling'],
      confidence: 'high',
    });
    // Same rule, path and text: told apart by the occurrence index, as the engine does.
    expect(first.fingerprint).toBe(fingerprint('python-eval', 'app/main.py', 'cmd', 0));
    expect(second.fingerprint).toBe(fingerprint('python-eval', 'app/main.py', 'cmd', 1));
    // Columns are UTF-16 code units (the line has é and an emoji before the match), not bytes.
    expect(js).toMatchObject({ severity: 'medium', start: { line: 1, column: 25 }, end: { line: 1, column: 34 }, snippet: 'eval(msg)' });
    // No file and no offsets (older pysemgrep): semgrep's line/col and `lines` are used.
    expect(removed).toMatchObject({
      severity: 'low',
      start: { line: 2, column: 5 },
      end: { line: 2, column: 12 },
      snippet: 'eval(x)',
      fix: 'ast.literal_eval(x)',
      fingerprint: fingerprint('python-eval', 'app/removed.py', 'eval(x)', 0),
    });
    expect(diagnostics).toEqual([
      { level: 'warn', type: 'PartialParsing', message: expect.stringContaining('Syntax error'), path: 'app/broken.py' },
    ]);
  });

  it('fails with semgrep_failed and semgrep\'s message on a fatal exit code', async () => {
    const output = JSON.stringify({
      results: [],
      errors: [{ code: 7, level: 'error', type: 'Rule parse error', message: 'Invalid rule schema: missing languages', rule_id: 'x' }],
    });
    const err = await runSemgrep('rules.yml', [], root, { runner: fakeRunner(output, 7).runner }).catch((e: unknown) => e);
    expect(isWardenError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'semgrep_failed', exitCode: 2 });
    expect((err as Error).message).toContain('Invalid rule schema');
  });

  it('fails with semgrep_failed when the output is not JSON or semgrep is missing', async () => {
    const notJson = await runSemgrep('rules.yml', [], root, { runner: fakeRunner('Traceback ...', 2).runner }).catch((e: unknown) => e);
    expect(notJson).toMatchObject({ code: 'semgrep_failed' });
    const missing: ProcessRunner = () => Promise.reject(Object.assign(new Error('spawn semgrep ENOENT'), { code: 'ENOENT' }));
    const err = await runSemgrep('rules.yml', [], root, { runner: missing }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'semgrep_failed', message: expect.stringContaining('not installed') });
  });
});

describe('semgrepRulesSubset', () => {
  it('keeps only the named rules, so translated rules are not run twice', () => {
    const text = fs.readFileSync(path.join(root, 'rules.yml'), 'utf8');
    const t = translateSemgrepRules(text, 'rules.yml');
    expect(t.untranslated.map((u) => u.id)).toEqual(['python-eval']);
    const subset = semgrepRulesSubset(text, t.untranslated.map((u) => u.id));
    expect(subset).toContain('id: python-eval');
    expect(subset).not.toContain('js-eval');
    expect(translateSemgrepRules(subset, 'subset.yml').untranslated.map((u) => u.id)).toEqual(['python-eval']);
  });
});

describe('fingerprint', () => {
  it('ignores whitespace changes in the matched text but not the rule, path or occurrence', () => {
    const base = fingerprint('r', 'a.py', 'eval( x,\n   y )', 0);
    expect(fingerprint('r', 'a.py', '  eval( x, y )  ', 0)).toBe(base);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set([fingerprint('r2', 'a.py', 'eval( x, y )', 0), fingerprint('r', 'b.py', 'eval( x, y )', 0), fingerprint('r', 'a.py', 'eval( x, y )', 1)]).has(base)).toBe(false);
  });
});

describe('nodeProcessRunner', () => {
  it('returns exit code and output, and rejects with ENOENT for a missing binary', async () => {
    const r = await nodeProcessRunner(process.execPath, ['-e', 'process.stdout.write("ok"); process.exit(3)'], { timeoutMs: 30_000 });
    expect(r).toMatchObject({ code: 3, stdout: 'ok' });
    const err = await nodeProcessRunner('warden-no-such-binary-xyz', [], {}).catch((e: unknown) => e);
    expect((err as NodeJS.ErrnoException).code).toBe('ENOENT');
  });
});
