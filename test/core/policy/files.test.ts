import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WardenError } from '../../../src/core/errors.js';
import { collectPolicyFiles, loadPolicyFiles, mergeData } from '../../../src/core/policy/files.js';
import { ObjectValue, toJsonText } from '../../../src/core/policy/rego/value.js';

let dir: string;

function write(rel: string, text: string): string {
  const p = path.join(dir, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, text);
  return p;
}

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-policy-files-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('collectPolicyFiles', () => {
  it('finds .rego and data files recursively, sorted, skipping hidden files and directories', () => {
    write('b.rego', 'package b');
    write('a/a.rego', 'package a');
    write('a/data.yaml', 'x: 1');
    write('.git/hooks.rego', 'package hidden');
    write('.hidden.rego', 'package hidden');
    write('README.md', '# not policy');
    const got = collectPolicyFiles([dir]);
    expect(got.rego).toEqual([path.join(dir, 'a/a.rego'), path.join(dir, 'b.rego')]);
    expect(got.data).toEqual([{ file: path.join(dir, 'a/data.yaml'), prefix: ['a'] }]);
  });

  it('uses a hidden path when it is named explicitly, and lists a file given twice once', () => {
    const f = write('.warden/policies/p.rego', 'package p');
    expect(collectPolicyFiles([path.join(dir, '.warden'), f]).rego).toEqual([f]);
  });

  it('leaves data files out when asked for modules only', () => {
    write('data.json', '{}');
    expect(collectPolicyFiles([dir], { data: false }).data).toEqual([]);
  });

  it('throws a usage error naming a path that does not exist', () => {
    const missing = path.join(dir, 'nope');
    try {
      collectPolicyFiles([missing]);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(WardenError);
      expect((e as WardenError).code).toBe('path_not_found');
      expect((e as WardenError).exitCode).toBe(2);
      expect((e as WardenError).message).toContain(missing);
    }
  });

  it('rejects a file named explicitly that is neither policy nor data', () => {
    const f = write('notes.txt', 'x');
    expect(() => collectPolicyFiles([f])).toThrow(/not a \.rego/);
  });
});

describe('loadPolicyFiles', () => {
  it('places data documents at their directory path and merges objects, keeping numbers exact', () => {
    write('policy.rego', 'package p');
    write('data.json', '{"top": {"a": 1}}');
    write('top/data.json', '{"b": 12345678901234567890}');
    write('users/admins/list.yaml', 'names: [alice, bob]');
    const loaded = loadPolicyFiles([dir]);
    expect(loaded.sources.map((s) => s.file)).toEqual([path.join(dir, 'policy.rego')]);
    expect(loaded.sources[0].text).toBe('package p');
    expect(toJsonText(loaded.data)).toBe('{"top":{"a":1,"b":12345678901234567890},"users":{"admins":{"names":["alice","bob"]}}}');
  });

  it('merges a data file named directly at the root of data', () => {
    const f = write('d/x.json', '{"k": true}');
    expect(toJsonText(loadPolicyFiles([f]).data)).toBe('{"k":true}');
  });

  it('reports a data file that does not parse, naming it', () => {
    const f = write('data.json', '{"a": ');
    expect(() => loadPolicyFiles([f])).toThrow(f);
  });

  it('reports two data files defining the same non-object value as a conflict', () => {
    write('a/data.json', '{"v": 1}');
    write('a/other.json', '{"v": 2}');
    try {
      loadPolicyFiles([dir]);
      expect.unreachable();
    } catch (e) {
      expect((e as WardenError).code).toBe('policy_data_conflict');
      expect((e as WardenError).message).toContain('data.a.v');
    }
  });
});

describe('mergeData', () => {
  it('refuses a non-object document at the root of data', () => {
    expect(() => mergeData(new ObjectValue(), [], [1, 2], 'x.json')).toThrow(/must be an object/);
  });

  it('does not change an object merged earlier when a later one extends it', () => {
    const root = new ObjectValue();
    const first = ObjectValue.fromRecord({ a: ObjectValue.fromRecord({ x: 1 }) });
    mergeData(root, [], first, 'one.json');
    mergeData(root, [], ObjectValue.fromRecord({ a: ObjectValue.fromRecord({ y: 2 }) }), 'two.json');
    expect(toJsonText(root)).toBe('{"a":{"x":1,"y":2}}');
    expect(toJsonText(first)).toBe('{"a":{"x":1}}');
  });
});
