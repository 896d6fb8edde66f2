// The repository `warden ci` end-to-end tests gate: a base commit with clean code, and a head commit
// that adds an LLM call whose output reaches eval(), a client that bypasses the governance proxy, and
// a hard-coded provider key. Built with real git in a temp dir.
import path from 'node:path';
import { GitRepo } from '../helpers/git-repo.js';
import { cli, type CliResult } from './harness.js';

// Assembled at run time so no scanner (ours included) sees a key in this file.
export const FAKE_OPENAI_KEY = ['sk-proj-', 'A1b2C3d4E5f6G7h8'.repeat(3), 'T3Blbk', 'FJ', 'q9W8e7R6t5Y4u3I2'.repeat(2)].join('');

export interface CiFixture {
  repo: GitRepo;
  base: string;
  head: string;
  /** Head lines of app.js: the eval line, the proxy-bypass client line. */
  evalLine: number;
  clientLine: number;
  /** Head line of config.js holding the key. */
  keyLine: number;
}

export function makeCiRepo(): CiFixture {
  const repo = GitRepo.init('warden-ci-e2e-');
  const app = [
    'import OpenAI from "openai";',
    '',
    'export async function summarise(client, text) {',
    '  const r = await client.chat.completions.create({ model: "gpt-4o", max_tokens: 200, messages: [{ role: "user", content: text }] });',
    '  return r.choices[0].message.content;',
    '}',
    '',
  ];
  repo.write('src/app.js', app.join('\n'));
  repo.write('README.md', '# demo\n');
  const base = repo.commit('base');
  repo.git('checkout', '-q', '-b', 'feature');
  const head = [
    ...app.slice(0, 6),
    '',
    'export async function runGenerated(task) {',
    '  const client = new OpenAI({ baseURL: "https://api.openai.com/v1" });',
    '  const completion = await client.chat.completions.create({ model: "gpt-4o", messages: [{ role: "user", content: task }], max_tokens: 300 });',
    '  eval(completion.choices[0].message.content);',
    '}',
    '',
  ];
  repo.write('src/app.js', head.join('\n'));
  repo.write('src/config.js', `export const settings = {\n  region: "eu",\n  openaiKey: "${FAKE_OPENAI_KEY}",\n};\n`);
  const headSha = repo.commit('add generated code runner');
  return { repo, base, head: headSha, evalLine: 11, clientLine: 9, keyLine: 3 };
}

/** The environment a CI job would see, with every CI variable of the machine running the tests removed first. */
export function ciEnv(extra: Record<string, string>): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const k of Object.keys(process.env)) {
    if (/^(GITHUB_|GITLAB_|CI_|RUNNER_)/.test(k) || k === 'CI') env[k] = undefined;
  }
  return { ...env, ...extra };
}

/** `warden ci` run as a subprocess in the fixture repository. */
export function runCi(home: string, cwd: string, args: string[], env: Record<string, string | undefined>): Promise<CliResult> {
  return cli(home, ['ci', ...args], { cwd: path.resolve(cwd), env, timeoutMs: 120_000 });
}
