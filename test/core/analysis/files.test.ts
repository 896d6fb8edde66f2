// File discovery on real trees in temp dirs (real git repositories where git semantics matter).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decodeText, discoverFiles } from '../../../src/core/analysis/files.js';

let tmp: string;

function write(rel: string, content: string | Buffer = 'x\n'): string {
  const p = path.join(tmp, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
  return p;
}

const rels = (root = tmp, paths?: string[], maxFileSize = 1024 * 1024) => discoverFiles({ root, paths, maxFileSize });

beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-files-'));
});

afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('discoverFiles', () => {
  it('honours nested .gitignore files with git precedence, and .git/info/exclude', () => {
    execFileSync('git', ['init', '-q', tmp]);
    write('.gitignore', '*.log\nbuild-out/\n');
    write('app.js');
    write('debug.log');
    write('build-out/bundle.js');
    write('sub/.gitignore', '!keep.log\nlocal.txt\n');
    write('sub/keep.log');
    write('sub/drop.log');
    write('sub/local.txt');
    write('sub/code.py');
    write('secret.txt');
    fs.writeFileSync(path.join(tmp, '.git', 'info', 'exclude'), 'secret.txt\n');

    const d = rels();
    expect(d.files.map((f) => f.rel)).toEqual(['.gitignore', 'app.js', 'sub/.gitignore', 'sub/code.py', 'sub/keep.log']);
    const why = Object.fromEntries(d.skipped.map((s) => [s.path, s.reason]));
    expect(why['debug.log']).toBe('ignored by .gitignore');
    expect(why['build-out']).toBe('ignored by .gitignore');
    expect(why['sub/drop.log']).toBe('ignored by .gitignore');
    expect(why['sub/local.txt']).toBe('ignored by sub/.gitignore');
    expect(why['secret.txt']).toBe('ignored by .git/info/exclude');
  });

  it('applies .gitignore files above a root below the repository top', () => {
    execFileSync('git', ['init', '-q', tmp]);
    write('.gitignore', 'generated/\n*.tmp\n');
    write('pkg/a.ts');
    write('pkg/b.tmp');
    write('pkg/generated/c.ts');
    const d = rels(path.join(tmp, 'pkg'));
    expect(d.files.map((f) => f.rel)).toEqual(['a.ts']);
    expect(d.skipped.map((s) => s.path).sort()).toEqual(['b.tmp', 'generated']);
  });

  it('honours .wardenignore, which can re-include what .gitignore left out', () => {
    write('.gitignore', '*.env\n');
    write('.wardenignore', 'fixtures/\n!prod.env\n');
    write('prod.env', 'A=1\n');
    write('dev.env', 'A=1\n');
    write('fixtures/x.js');
    write('src/y.js');
    const d = rels();
    expect(d.files.map((f) => f.rel)).toEqual(['.gitignore', '.wardenignore', 'prod.env', 'src/y.js']);
    const why = Object.fromEntries(d.skipped.map((s) => [s.path, s.reason]));
    expect(why['fixtures']).toBe('ignored by .wardenignore');
    expect(why['dev.env']).toBe('ignored by .gitignore');
  });

  it('skips vendored and generated directories by default, but scans hidden files such as .env', () => {
    write('node_modules/lib/index.js');
    write('a/vendor/x.go');
    write('dist/out.js');
    write('.venv/lib.py');
    write('__pycache__/m.py');
    write('.env', 'OPENAI_API_KEY=x\n');
    write('src/main.go');
    const d = rels();
    expect(d.files.map((f) => f.rel)).toEqual(['.env', 'src/main.go']);
    expect(d.skipped).toContainEqual({ path: 'node_modules', reason: 'vendored or generated directory (node_modules)' });
    expect(d.skipped).toContainEqual({ path: 'a/vendor', reason: 'vendored or generated directory (vendor)' });
  });

  it('scans a file named explicitly even when it is ignored', () => {
    write('.gitignore', 'gen.js\n');
    write('gen.js');
    expect(rels(tmp, ['gen.js']).files.map((f) => f.rel)).toEqual(['gen.js']);
    expect(rels().files.map((f) => f.rel)).toEqual(['.gitignore']);
  });

  it('applies ignore rules and vendored-directory skips inside a directory named explicitly', () => {
    write('.gitignore', 'gen/\n');
    write('.wardenignore', 'src/local.js\n');
    write('src/gen/out.js');
    write('src/node_modules/dep/index.js');
    write('src/local.js');
    write('src/app.js');
    expect(rels(tmp, ['src']).files.map((f) => f.rel)).toEqual(['src/app.js']);
    // Naming an ignored directory itself does not un-ignore what is inside it.
    expect(rels(tmp, ['src/gen']).files.map((f) => f.rel)).toEqual([]);
  });

  it('skips files over the size limit with the sizes in the reason', () => {
    write('big.js', 'x'.repeat(3000));
    write('small.js', 'x');
    const d = rels(tmp, undefined, 2048);
    expect(d.files.map((f) => f.rel)).toEqual(['small.js']);
    expect(d.skipped).toEqual([{ path: 'big.js', reason: 'larger than the 2 KB limit (2.9 KB)' }]);
  });

  it('never follows a symlink, and says when one leaves the root', () => {
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-outside-'));
    try {
      fs.writeFileSync(path.join(outside, 'secret.py'), 'x = 1\n');
      write('real.py');
      fs.symlinkSync(path.join(outside, 'secret.py'), path.join(tmp, 'escape.py'));
      fs.symlinkSync(outside, path.join(tmp, 'escape-dir'));
      fs.symlinkSync(path.join(tmp, 'real.py'), path.join(tmp, 'alias.py'));
      fs.symlinkSync(path.join(tmp, 'missing.py'), path.join(tmp, 'dangling.py'));
      const d = rels();
      expect(d.files.map((f) => f.rel)).toEqual(['real.py']);
      const why = Object.fromEntries(d.skipped.map((s) => [s.path, s.reason]));
      expect(why['escape.py']).toBe('symlink leaving the scan root');
      expect(why['escape-dir']).toBe('symlink leaving the scan root');
      expect(why['alias.py']).toMatch(/^symlink \(its target inside the root/);
      expect(why['dangling.py']).toBe('broken symlink');
    } finally {
      fs.rmSync(outside, { recursive: true, force: true });
    }
  });

  it('skips special files instead of reading them (a FIFO would block)', () => {
    write('a.py');
    execFileSync('mkfifo', [path.join(tmp, 'pipe.py')]);
    const d = rels();
    expect(d.files.map((f) => f.rel)).toEqual(['a.py']);
    expect(d.skipped).toEqual([{ path: 'pipe.py', reason: 'not a regular file' }]);
  });

  it('rejects paths outside the root and missing paths', () => {
    expect(() => rels(tmp, ['../elsewhere'])).toThrow(/outside the scan root/);
    expect(() => rels(tmp, ['nope.js'])).toThrow(/does not exist/);
  });
});

describe('decodeText', () => {
  it('calls a file with a NUL byte in its first 8 KB binary', () => {
    expect(decodeText(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]))).toEqual({ skip: 'binary (NUL byte in the first 8 KB)' });
    // A NUL past the sniffed head is not a binary marker (but still text to decode).
    const late = Buffer.concat([Buffer.alloc(9000, 0x61), Buffer.from([0])]);
    expect(decodeText(late)).toHaveProperty('text');
  });

  it('skips content that is not valid UTF-8 and drops a byte-order mark', () => {
    expect(decodeText(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]))).toEqual({ skip: 'not valid UTF-8' });
    expect(decodeText(Buffer.from([0xef, 0xbb, 0xbf, 0x61]))).toEqual({ text: 'a' });
  });
});
