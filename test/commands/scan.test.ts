// Runs the built CLI (`node bin/run.js scan ...`) on real repositories made in temp dirs.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCliSync } from '../helpers/cli.js';


let tmp: string;
let home: string;
let repo: string;

function cli(args: string[], cwd = repo) {
  return runCliSync(args, { home, cwd, timeoutMs: 120_000 });
}

function write(rel: string, text: string, base = repo): string {
  const p = path.join(base, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}

const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=t@example.com', '-c', 'user.name=t', ...args], { cwd: repo, stdio: 'pipe' });

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist/commands/scan.js'))) throw new Error('dist/ is missing the scan command: build first (npm run build)');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-cli-scan-'));
  home = path.join(tmp, 'home');
  repo = path.join(tmp, 'repo');
  fs.mkdirSync(repo);
  git('init', '-q');
  write('.gitignore', 'ignored/\n');
  write('src/app.ts', 'export function run(code: string) {\n  return eval(code);\n}\n');
  write('src/util.py', 'def add(a, b):\n    return a + b\n');
  write('ignored/bad.ts', 'eval(x)\n');
  git('add', '-A');
  git('commit', '-qm', 'init');
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('warden scan', () => {
  it('exits 1 on a finding at or above --fail-on, 0 below it or with none', () => {
    const r = cli(['scan']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('src/app.ts');
    expect(r.stdout).toMatch(/2:10 +high +.*security\.eval\.js/);
    expect(r.stdout).not.toContain('ignored/bad.ts');
    expect(r.stdout).toMatch(/at or above high: failing/);
    expect(r.stderr).toBe('');
    expect(cli(['scan', '--fail-on', 'critical']).code).toBe(0);
    expect(cli(['scan', '--fail-on', 'none']).code).toBe(0);
    expect(cli(['scan', 'src/util.py']).code).toBe(0);
  });

  it('prints the documented JSON with --json, and --format json the same document', () => {
    const r = cli(['scan', '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc).toMatchObject({ version: 1, tool: 'warden' });
    expect(fs.realpathSync(doc.root)).toBe(fs.realpathSync(repo));
    expect(doc.summary).toMatchObject({ files: 3, findings: 1, suppressed: 0 });
    expect(doc.findings[0]).toMatchObject({ ruleId: 'security.eval.js', path: 'src/app.ts', start: { line: 2, column: 10 } });
    expect(doc.skipped).toContainEqual({ path: 'ignored', reason: 'ignored by .gitignore' });
    expect(doc.rules.length).toBeGreaterThan(20);
    const f = cli(['scan', '--format', 'json', '--no-cache']);
    const doc2 = JSON.parse(f.stdout);
    expect(doc2.findings).toEqual(doc.findings);
  });

  it('answers an unchanged rescan from the cache', () => {
    cli(['scan', '--json']);
    const doc = JSON.parse(cli(['scan', '--json']).stdout);
    expect(doc.summary.cached).toBe(doc.summary.files);
    expect(JSON.parse(cli(['scan', '--json', '--no-cache']).stdout).summary.cached).toBe(0);
  });

  it('scans the current directory by default, reporting paths from the repository root', () => {
    write('other/x.ts', 'eval(process.argv[2]);\n');
    const doc = JSON.parse(cli(['scan', '--json'], path.join(repo, 'src')).stdout);
    expect(doc.findings.map((f: { path: string }) => f.path)).toEqual(['src/app.ts']);
    expect(JSON.parse(cli(['scan', '--json']).stdout).findings.map((f: { path: string }) => f.path)).toEqual(['other/x.ts', 'src/app.ts']);
    fs.rmSync(path.join(repo, 'other'), { recursive: true });
  });

  it('honours inline suppressions', () => {
    const dir = path.join(tmp, 'suppressed');
    write('a.ts', '// warden-ignore: security.eval.js\neval(process.argv[2]);\n', dir);
    const r = cli(['scan', '--json', dir], tmp);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.summary).toMatchObject({ findings: 0, suppressed: 1 });
    expect(doc.findings[0].suppressed.kind).toBe('inline');
  });

  it('exits 2 naming file, line and key for a bad rule file, and for a bad flag', () => {
    const rules = write('rules/bad.yml', 'id: bad\nlanguage: python\nrule:\n  kind: call\n  hass:\n    kind: string\n', tmp);
    const r = cli(['scan', '--rules', rules]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`warden: rule_invalid: ${rules}:5:3: rule.hass: unknown key`);
    const j = cli(['scan', '--rules', rules, '--json']);
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout).error).toMatchObject({ code: 'rule_invalid', location: { file: rules, line: 5, col: 3 } });
    expect(cli(['scan', '--fail-on', 'severe']).code).toBe(2);
    expect(cli(['scan', '--pack', 'nope']).code).toBe(2);
    expect(cli(['scan', 'no/such/path']).code).toBe(2);
  });

  it('runs user rules alongside or instead of the packs', () => {
    const rules = write('rules/mine.yml', 'id: no-add\nlanguage: python\nseverity: medium\nmessage: add found\nrule:\n  pattern: $A + $B\n', tmp);
    const doc = JSON.parse(cli(['scan', '--rules', rules, '--pack', 'none', '--json']).stdout);
    expect(doc.findings.map((f: { ruleId: string }) => f.ruleId)).toEqual(['no-add']);
    expect(doc.rules.map((r: { id: string }) => r.id)).toEqual(['no-add']);
  });

  it('writes a baseline and then reports only new findings', () => {
    const baseline = path.join(tmp, 'baseline.json');
    const w = cli(['scan', '--write-baseline', baseline]);
    expect(w.code).toBe(0);
    expect(w.stderr).toMatch(/wrote 1 fingerprint/);
    expect(cli(['scan', '--baseline', baseline]).code).toBe(0);
    write('src/more.ts', 'export const f = (s: string) => eval(s);\n');
    const r = cli(['scan', '--baseline', baseline, '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout);
    expect(doc.summary.findings).toBe(1);
    expect(doc.findings.find((f: { path: string }) => f.path === 'src/more.ts').suppressed).toBeUndefined();
    fs.rmSync(path.join(repo, 'src/more.ts'));
  });

  it('reports only lines changed since a ref with --diff', () => {
    write('src/late.ts', 'export const g = (s: string) => eval(s);\n');
    const doc = JSON.parse(cli(['scan', '--diff', 'HEAD', '--json']).stdout);
    expect(doc.findings.map((f: { path: string }) => f.path)).toEqual(['src/late.ts']);
    expect(cli(['scan', '--diff', 'no-such-ref']).code).toBe(2);
    fs.rmSync(path.join(repo, 'src/late.ts'));
  });

  it('renders the machine formats', () => {
    const sarif = JSON.parse(cli(['scan', '--format', 'sarif']).stdout);
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].results[0].ruleId).toBe('security.eval.js');
    expect(cli(['scan', '--format', 'junit']).stdout).toMatch(/^<\?xml/);
    expect(JSON.parse(cli(['scan', '--format', 'gitlab']).stdout)[0]).toMatchObject({ check_name: 'security.eval.js' });
    expect(cli(['scan', '--format', 'markdown']).stdout).toMatch(/security\.eval\.js/);
    const out = path.join(tmp, 'out.sarif');
    const r = cli(['scan', '--format', 'sarif', '--output', out]);
    expect(r.stdout).toBe('');
    expect(JSON.parse(fs.readFileSync(out, 'utf8')).version).toBe('2.1.0');
  });

  it('records each run in the store with its audit event', () => {
    const db = new SQLite(path.join(home, 'warden.db'), { readonly: true });
    try {
      const runs = db.prepare('SELECT * FROM scan_runs ORDER BY started_at').all() as { root: string; exit_code: number; by_rule: string }[];
      expect(runs.length).toBeGreaterThan(5);
      expect(runs.some((r) => r.exit_code === 1 && JSON.parse(r.by_rule)['security.eval.js'] === 1)).toBe(true);
      const events = db.prepare("SELECT count(*) AS n FROM audit_events WHERE type = 'scan.completed'").get() as { n: number };
      expect(events.n).toBe(runs.length);
    } finally {
      db.close();
    }
  });
});
