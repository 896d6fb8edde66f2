import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffConfigDigests, digestConfigFiles } from '../../../src/core/config/digest.js';

describe('config digests', () => {
  it('name each file added, removed or edited, and nothing when unchanged', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-digest-'));
    const a = path.join(dir, 'a.yaml');
    const b = path.join(dir, 'b.yaml');
    fs.writeFileSync(a, 'server: { port: 1 }\n');
    const before = digestConfigFiles([a]);
    expect(diffConfigDigests(before, digestConfigFiles([a]))).toEqual([]);
    fs.writeFileSync(a, 'server: { port: 2 }\n');
    fs.writeFileSync(b, 'log_level: debug\n');
    const after = digestConfigFiles([a, b]);
    const changes = diffConfigDigests(before, after);
    expect(changes.map((c) => [c.file, c.previous === null, c.current === null])).toEqual([
      [a, false, false],
      [b, true, false],
    ]);
    expect(diffConfigDigests(after, digestConfigFiles([b])).map((c) => [c.file, c.current])).toEqual([[a, null]]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
