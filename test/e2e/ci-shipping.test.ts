// What ships for CI users: the composite GitHub Action (action.yml) and the GitLab CI template run
// their own scripts here, against a real repository, with the built CLI standing in for the install.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ciEnv, makeCiRepo, type CiFixture } from './ci-fixture.js';
import { BIN, homeEnv, makeHome, ROOT } from './harness.js';

interface Step { name?: string; uses?: string; run?: string; shell?: string; env?: Record<string, string>; with?: Record<string, string> }
interface ActionYaml { name: string; inputs: Record<string, { default?: string }>; runs: { using: string; steps: Step[] } }
interface GitlabJob { variables: Record<string, string | number>; script: string[]; artifacts: { reports: { codequality: string } } }

let fx: CiFixture;
let home: string;
let shim: string;

beforeAll(() => {
  fx = makeCiRepo();
  home = makeHome('warden-ci-ship-');
  // `warden` on PATH, as `npm install -g` would leave it.
  shim = path.join(home, 'bin');
  fs.mkdirSync(shim);
  fs.writeFileSync(path.join(shim, 'warden'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`, { mode: 0o755 });
}, 60_000);

afterAll(() => {
  fx?.repo.remove();
  fs.rmSync(home, { recursive: true, force: true });
});

/** Runs `script` with bash -e in the fixture repository; async, so the test worker stays responsive. */
function bash(script: string, env: Record<string, string | undefined>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-e', '-c', script], { cwd: fx.repo.dir, env: homeEnv(home, env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('action.yml', () => {
  const action = parse(fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as ActionYaml;
  const runStep = action.runs.steps.find((s) => s.run?.includes('bin/run.js'))!;

  it('is a composite action that sets up Node, installs from its own checkout and documents its permissions', () => {
    expect(action.runs.using).toBe('composite');
    expect(action.runs.steps[0].uses).toMatch(/^actions\/setup-node@v\d+$/);
    expect(action.runs.steps.some((s) => s.run?.trim() === 'npm ci --no-audit --no-fund')).toBe(true);
    const text = fs.readFileSync(path.join(ROOT, 'action.yml'), 'utf8');
    for (const p of ['checks: write', 'pull-requests: write', 'statuses: write', 'security-events: write']) expect(text).toContain(p);
    // Inputs reach the script through env only: nothing an input holds is spliced into shell code.
    expect(runStep.run).not.toMatch(/\$\{\{/);
  });

  it('its script turns the inputs into warden ci arguments and runs the gate', async () => {
    const inputEnv: Record<string, string> = {};
    for (const [k, v] of Object.entries(runStep.env ?? {})) {
      const m = /^\$\{\{ inputs\.([a-z-]+) \}\}$/.exec(v);
      if (m) inputEnv[k] = action.inputs[m[1]].default ?? '';
    }
    expect(Object.keys(inputEnv)).toEqual(expect.arrayContaining(['WARDEN_REPORTERS', 'WARDEN_FILTER_MODE', 'WARDEN_FAIL_ON', 'WARDEN_ARGS']));
    const r = await bash(runStep.run!, {
      ...ciEnv({}),
      ...inputEnv,
      GITHUB_ACTION_PATH: ROOT,
      WARDEN_REPORTERS: 'github-annotations, sarif',
      WARDEN_SARIF: 'out/warden.sarif',
      WARDEN_BASE: fx.base,
      WARDEN_ARGS: '--provider github --repo acme/widgets',
      GITHUB_TOKEN: '',
    });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^::error file=src/app.js,line=${fx.evalLine},`, 'm'));
    const sarif = JSON.parse(fs.readFileSync(path.join(fx.repo.dir, 'out', 'warden.sarif'), 'utf8')) as { runs: { results: unknown[] }[] };
    expect(sarif.runs[0].results.length).toBeGreaterThan(0);
  }, 120_000);
});

describe('the GitLab CI template', () => {
  const job = (parse(fs.readFileSync(path.join(ROOT, 'ci', 'gitlab', 'warden.gitlab-ci.yml'), 'utf8')) as { warden: GitlabJob }).warden;

  it('clones with full history and declares the code-quality report', () => {
    expect(job.variables.GIT_DEPTH).toBe(0);
    expect(job.artifacts.reports.codequality).toBe('gl-code-quality-report.json');
  });

  it('its warden line fails the pipeline and writes the report, without a token posting nothing', async () => {
    const line = job.script.find((s) => s.startsWith('warden ci'))!;
    const vars = Object.fromEntries(Object.entries(job.variables).map(([k, v]) => [k, String(v)]));
    const r = await bash(line, {
      ...ciEnv({ GITLAB_CI: 'true', CI_PROJECT_ID: '42', CI_API_V4_URL: 'http://127.0.0.1:9/api/v4', CI_COMMIT_SHA: fx.head, CI_MERGE_REQUEST_IID: '3', CI_MERGE_REQUEST_DIFF_BASE_SHA: fx.base, CI_JOB_TOKEN: 'job' }),
      ...vars,
      PATH: `${shim}:${process.env.PATH ?? ''}`,
    });
    expect(r.code, r.stderr).toBe(1);
    const report = JSON.parse(fs.readFileSync(path.join(fx.repo.dir, 'gl-code-quality-report.json'), 'utf8')) as { location: { path: string } }[];
    expect(report.map((i) => i.location.path)).toEqual(expect.arrayContaining(['src/app.js', 'src/config.js']));
    expect(r.stderr).not.toMatch(/gitlab-discussion/);
  }, 120_000);
});
