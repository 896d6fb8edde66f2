// Runs the built CLI (`node bin/run.js policy list|show|history`) against policies in temp dirs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPolicySet } from '../../../src/core/policy/packs/loader.js';
import { openStore } from '../../../src/core/store/db.js';
import { recordVersions } from '../../../src/core/store/repos/policies.js';
import { ROOT, runCliSync } from '../../helpers/cli.js';


let tmp: string;
let home: string;
let repo: string;

function cli(args: string[], cwd = repo) {
  return runCliSync(args, { home, cwd });
}

function write(p: string, text: string): string {
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}

const GLOBAL_POLICY = `name: office-hours
title: Office hours only
type: usage
enforcement: warning
scope: { projects: [web, "api-*"] }
rules:
  - when: { not: { time: { hours: "08:00-20:00" } } }
    warn: "outside office hours"
`;

const REPO_POLICY = `# METADATA
# title: Repo model rule
# custom:
#   type: model_access
package warden.request

deny contains "no gpt-3.5" if startswith(input.request.model, "gpt-3.5")
`;

beforeAll(() => {
  if (!fs.existsSync(path.join(ROOT, 'dist/commands/policy/list.js'))) {
    throw new Error('dist/ is missing the policy commands: build first (npx tsc -p tsconfig.build.json)');
  }
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-cli-policy-list-'));
  home = path.join(tmp, 'home');
  repo = path.join(tmp, 'repo');
  write(path.join(home, 'policies/office-hours.yaml'), GLOBAL_POLICY);
  write(path.join(home, 'policies/secrets-in-prompts.yaml'), 'name: secrets-in-prompts\nenforcement: monitor\nrules:\n  - when: { secrets: true }\n    warn: true\n');
  fs.mkdirSync(path.join(repo, '.git'), { recursive: true });
  write(path.join(repo, '.warden/policies/no-gpt35.rego'), REPO_POLICY);
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('warden policy list', () => {
  it('lists built-in, global and repository policies with type, enforcement, scope, version and source', () => {
    const r = cli(['policy', 'list', '--json']);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout);
    const byName = Object.fromEntries(body.policies.map((p: { name: string }) => [p.name, p]));
    expect(byName['office-hours']).toMatchObject({
      type: 'usage',
      enforcement: 'warning',
      scope: { projects: ['web', 'api-*'] },
      origin: 'global',
      format: 'yaml',
      source: path.join(home, 'policies/office-hours.yaml'),
    });
    expect(byName['office-hours'].version).toMatch(/^[0-9a-f]{64}$/);
    expect(byName['office-hours'].version_short).toBe(byName['office-hours'].version.slice(0, 12));
    expect(byName['no-gpt35']).toMatchObject({ title: 'Repo model rule', type: 'model_access', enforcement: 'strict', origin: 'repo', format: 'rego', scope: 'global' });
    expect(byName['secrets-in-prompts']).toMatchObject({ origin: 'global', enforcement: 'monitor' });
    expect(byName['prompt-injection']).toMatchObject({ origin: 'builtin', detectors: { pii: false, secrets: false, injection: true } });
    expect(body.overridden).toEqual([expect.objectContaining({ name: 'secrets-in-prompts', by: path.join(home, 'policies/secrets-in-prompts.yaml') })]);
    expect(body.errors).toEqual([]);
  });

  it('prints a table and notes overrides on stderr; --no-builtin leaves the built-ins out', () => {
    const r = cli(['policy', 'list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/office-hours\s+│\s+usage\s+│\s+warning\s+│\s+projects=web,api-\*/);
    expect(r.stdout).toContain('model-allowlist');
    expect(r.stdout).toContain('strict (disabled)');
    expect(r.stderr).toContain('replaces secrets-in-prompts');
    const none = JSON.parse(cli(['policy', 'list', '--no-builtin', '--json']).stdout);
    expect(none.policies.map((p: { name: string }) => p.name).sort()).toEqual(['no-gpt35', 'office-hours', 'secrets-in-prompts']);
  });

  it('--ci lists the CI packs warden ci evaluates and none of the request packs', () => {
    const j = JSON.parse(cli(['policy', 'list', '--ci', '--json']).stdout) as { policies: { name: string; phase: string }[] };
    expect(j.policies.map((p) => p.name)).toEqual(expect.arrayContaining(['no-new-high-findings', 'no-secrets', 'llm-calls-through-proxy', 'config-present-and-valid']));
    expect(new Set(j.policies.map((p) => p.phase))).toEqual(new Set(['ci']));
  });

  it('reports a broken file with file:line:col and exits 2, still listing the rest', () => {
    const extra = path.join(tmp, 'extra');
    write(path.join(extra, 'bad.yaml'), 'rules:\n  - when: { model: x }\n    deny: true\n    colour: red\n');
    const r = cli(['policy', 'list', '--dir', extra]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${path.join(extra, 'bad.yaml')}:4:5: policy_invalid: rules[0].colour: unknown key`);
    expect(r.stdout).toContain('office-hours');
    const j = cli(['policy', 'list', '--dir', extra, '--json']);
    expect(j.code).toBe(2);
    expect(JSON.parse(j.stdout).errors).toEqual([
      expect.objectContaining({ code: 'policy_invalid', location: { file: path.join(extra, 'bad.yaml'), line: 4, col: 5 } }),
    ]);
  });
});

describe('warden policy show', () => {
  it('prints metadata and the source text', () => {
    const r = cli(['policy', 'show', 'no-gpt35']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^name\s+no-gpt35$/m);
    expect(r.stdout).toMatch(/^type\s+model_access$/m);
    expect(r.stdout).toMatch(/^detectors\s+none$/m);
    expect(r.stdout).toContain('deny contains "no gpt-3.5"');
    const j = JSON.parse(cli(['policy', 'show', 'secrets-in-prompts', '--json']).stdout);
    expect(j.text).toContain('enforcement: monitor');
    expect(j.replaces).toEqual([path.join(ROOT, 'policies/request/secrets-in-prompts.yaml')]);
  });

  it('names the loaded policies when NAME is unknown', () => {
    const r = cli(['policy', 'show', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('policy_not_found');
    expect(r.stderr).toContain('office-hours');
  });
});

describe('warden policy history', () => {
  it('lists recorded versions newest first and marks the current one', async () => {
    const file = path.join(home, 'policies/office-hours.yaml');
    const dirs = [{ dir: path.join(home, 'policies'), origin: 'global' as const }];
    const store = await openStore(path.join(home, 'warden.db'), { migrate: true });
    try {
      fs.writeFileSync(file, GLOBAL_POLICY.replace('08:00-20:00', '07:00-21:00'));
      recordVersions(store, loadPolicySet(dirs), { actor: 'daemon', now: Date.UTC(2025, 0, 1) });
      fs.writeFileSync(file, GLOBAL_POLICY);
      recordVersions(store, loadPolicySet(dirs), { actor: 'cli:alice', now: Date.UTC(2025, 0, 2) });
    } finally {
      await store.close();
    }
    const r = cli(['policy', 'history', 'office-hours', '--json']);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout);
    expect(body.versions.map((v: { change: string; actor: string; current: boolean; first_seen: string }) => [v.change, v.actor, v.current, v.first_seen])).toEqual([
      ['changed', 'cli:alice', true, '2025-01-02T00:00:00.000Z'],
      ['added', 'daemon', false, '2025-01-01T00:00:00.000Z'],
    ]);
    expect(body.current_version).toBe(body.versions[0].version);
    const text = cli(['policy', 'history', 'office-hours']);
    expect(text.stdout).toMatch(/\* │ changed/);
    expect(cli(['policy', 'history', 'never-seen']).stdout).toContain('No recorded versions of never-seen.');
  });
});
