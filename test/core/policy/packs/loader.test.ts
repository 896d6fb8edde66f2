import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { completePolicyInput } from '../../../../src/core/policy/decision.js';
import { PolicySetHolder } from '../../../../src/core/policy/packs/holder.js';
import { builtinPolicyDir, formatLoadError, loadPolicySet, policyDirs, policyVersion } from '../../../../src/core/policy/packs/loader.js';
import { createHash } from 'node:crypto';

const clock = { monotonic: () => performance.now() };
let tmp: string;

function write(rel: string, text: string): string {
  const p = path.join(tmp, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-packs-'));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const YAML_DENY = 'name: block-x\nrules:\n  - when: { model: x }\n    deny: "no x"\n';
const REGO_WARN = 'package warden.request\n\nwarn contains "streaming" if input.request.stream\n';

describe('loadPolicySet', () => {
  it('loads YAML and Rego policies from a directory tree, skipping hidden entries and tests', () => {
    const a = write('g/block-x.yaml', YAML_DENY);
    write('g/sub/stream.rego', REGO_WARN);
    write('g/.hidden/broken.yaml', 'nope: [');
    write('g/stream_test.rego', 'package warden.request_test\n\ntest_x if true\n');
    write('g/cases.test.yaml', 'cases: []\n');
    write('g/README.md', '# notes\n');
    const set = loadPolicySet([{ dir: path.join(tmp, 'g'), origin: 'global' }]);
    expect(set.errors).toEqual([]);
    expect(set.policies.map((p) => [p.meta.name, p.meta.format, p.meta.origin])).toEqual([
      ['block-x', 'yaml', 'global'],
      ['stream', 'rego', 'global'],
    ]);
    expect(set.policies[0].meta.version).toBe(createHash('sha256').update(fs.readFileSync(a)).digest('hex'));
    expect(set.policies[0].meta.source).toBe(a);
  });

  it('returns one located error per bad file and still loads the good ones', () => {
    write('d/good.yaml', YAML_DENY);
    write('d/bad-schema.yaml', 'rules:\n  - when: { model: x }\n    deny: true\n    colour: red\n');
    write('d/bad-syntax.rego', 'package warden.request\n\ndeny contains msg if {\n');
    write('d/bad-compile.rego', 'package warden.request\n\ndeny contains msg if input.x == 1\n');
    const set = loadPolicySet([path.join(tmp, 'd')]);
    expect(set.policies.map((p) => p.meta.name)).toEqual(['block-x']);
    const byFile = new Map(set.errors.map((e) => [path.basename(e.location!.file), e]));
    expect([...byFile.keys()].sort()).toEqual(['bad-compile.rego', 'bad-schema.yaml', 'bad-syntax.rego']);
    expect(byFile.get('bad-schema.yaml')).toMatchObject({ code: 'policy_invalid', location: { line: 4, col: 5 } });
    expect(byFile.get('bad-syntax.rego')?.code).toBe('rego_parse_error');
    expect(byFile.get('bad-compile.rego')).toMatchObject({ code: 'rego_unsafe_var_error', location: { line: 3 } });
    expect(formatLoadError(byFile.get('bad-schema.yaml')!)).toMatch(/bad-schema\.yaml:4:5: policy_invalid: rules\[0\]\.colour: unknown key$/);
  });

  it('treats a missing directory as empty and rejects duplicate names within one origin', () => {
    write('d/one.yaml', YAML_DENY);
    write('d/two.yaml', YAML_DENY);
    const set = loadPolicySet([path.join(tmp, 'missing'), path.join(tmp, 'd')]);
    expect(set.policies).toHaveLength(1);
    expect(set.errors.map((e) => e.code)).toEqual(['policy_duplicate_name']);
    expect(set.errors[0].location?.file).toBe(path.join(tmp, 'd/two.yaml'));
  });

  it('lets a later origin replace a policy of the same name', () => {
    write('builtin/block-x.yaml', YAML_DENY);
    const mine = write('repo/block-x.yaml', 'name: block-x\nenforcement: monitor\nrules:\n  - when: { model: x }\n    deny: "no x"\n');
    const set = loadPolicySet([
      { dir: path.join(tmp, 'builtin'), origin: 'builtin' },
      { dir: path.join(tmp, 'repo'), origin: 'repo' },
    ]);
    expect(set.errors).toEqual([]);
    expect(set.policies.map((p) => [p.meta.name, p.meta.enforcement, p.meta.source])).toEqual([['block-x', 'monitor', mine]]);
    expect(set.overridden).toEqual([{ name: 'block-x', source: path.join(tmp, 'builtin/block-x.yaml'), by: mine }]);
  });

  it('lists the built-in, global, repository and extra directories in precedence order', () => {
    expect(policyDirs({ configDir: '/home/w', repoRoot: '/src/app', extra: ['/tmp/c'] })).toEqual([
      { dir: builtinPolicyDir(), origin: 'builtin' },
      { dir: '/home/w/policies', origin: 'global' },
      { dir: '/src/app/.warden/policies', origin: 'repo' },
      { dir: '/tmp/c', origin: 'path' },
    ]);
    expect(policyVersion('abc')).toBe(createHash('sha256').update('abc').digest('hex'));
  });

  it('loads the built-in packs without errors, with conservative defaults', () => {
    const set = loadPolicySet([{ dir: builtinPolicyDir(), origin: 'builtin' }]);
    expect(set.errors).toEqual([]);
    const meta = Object.fromEntries(set.policies.map((p) => [p.meta.name, p.meta]));
    expect(Object.keys(meta).sort()).toEqual(['agent-loop', 'max-tokens-cap', 'model-allowlist', 'pii-in-prompts', 'prompt-injection', 'secrets-in-prompts']);
    expect(meta['secrets-in-prompts'].enforcement).toBe('strict');
    expect(meta['pii-in-prompts'].enforcement).toBe('warning');
    expect(meta['prompt-injection']).toMatchObject({ format: 'rego', enforcement: 'warning', title: 'Prompt injection' });
    expect(meta['max-tokens-cap'].enforcement).toBe('monitor');
    expect(meta['model-allowlist'].enabled).toBe(false);
    expect(meta['agent-loop']).toMatchObject({ type: 'usage', enforcement: 'warning', enabled: true });
  });
});

describe('PolicySetHolder', () => {
  it('swaps in a clean reload and keeps the last good set when a reload has errors', () => {
    const dir = path.join(tmp, 'p');
    const file = write('p/block-x.yaml', YAML_DENY);
    const holder = new PolicySetHolder({ dirs: [{ dir, origin: 'global' }], clock });
    const input = completePolicyInput({ request: { model: 'x' } }, { nowMs: 0 });
    expect(holder.engine.evaluate(input).verdict).toBe('deny');
    const firstVersion = holder.set.policies[0].meta.version;

    fs.writeFileSync(file, 'name: block-x\nrules:\n  - when: { model: x }\n    deny: [broken\n');
    const bad = holder.reload();
    expect(bad.swapped).toBe(false);
    expect(bad.errors[0].location?.file).toBe(file);
    expect(holder.lastErrors).toHaveLength(1);
    expect(holder.set.policies[0].meta.version).toBe(firstVersion);
    expect(holder.engine.evaluate(input).verdict).toBe('deny');

    fs.writeFileSync(file, 'name: block-x\nenforcement: warning\nrules:\n  - when: { model: x }\n    deny: "no x"\n');
    write('p/stream.rego', REGO_WARN);
    const good = holder.reload();
    expect(good).toEqual({ swapped: true, errors: [], changed: ['block-x', 'stream'], removed: [] });
    expect(holder.lastErrors).toEqual([]);
    expect(holder.engine.evaluate(input).verdict).toBe('warn');

    fs.rmSync(path.join(tmp, 'p/stream.rego'));
    expect(holder.reload()).toMatchObject({ swapped: true, changed: [], removed: ['stream'] });
  });

  it('installs a first load that has errors (there is nothing older to keep) and reports them', () => {
    write('p/good.yaml', YAML_DENY);
    write('p/bad.yaml', 'rules: 3\n');
    const holder = new PolicySetHolder({ dirs: () => [{ dir: path.join(tmp, 'p'), origin: 'global' }], clock });
    expect(holder.set.policies.map((p) => p.meta.name)).toEqual(['block-x']);
    expect(holder.lastErrors.map((e) => e.code)).toEqual(['policy_invalid']);
  });
});
