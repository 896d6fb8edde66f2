import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyBaseline, readBaseline, writeBaseline } from '../../../src/core/analysis/baseline.js';
import type { Finding } from '../../../src/core/analysis/types.js';
import { WardenError } from '../../../src/core/errors.js';
import { finding } from './outputs/fixtures.js';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-baseline-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const clock = { now: () => Date.UTC(2025, 0, 2, 3, 4, 5), monotonic: () => 0 };

const findings: Finding[] = [
  finding({ path: 'src/z.ts', line: 4 }),
  finding({ path: 'src/a.ts', line: 9, ruleId: 'security.weak-hash' }),
  finding({ path: 'src/a.ts', line: 2, suppressed: { kind: 'inline', justification: 'warden-ignore' } }),
];

function thrown(fn: () => unknown): WardenError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(WardenError);
    return e as WardenError;
  }
  throw new Error('expected a WardenError');
}

describe('writeBaseline / readBaseline', () => {
  it('round-trips: sorted entries with rule and path for reviewers, inline-suppressed findings left out', () => {
    const file = path.join(dir, '.warden', 'baseline.json'); // parent created on demand
    writeBaseline(file, findings, { clock, toolVersion: '0.1.0' });
    const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(raw).toEqual({
      version: 1,
      tool: 'warden',
      created: '2025-01-02T03:04:05.000Z',
      toolVersion: '0.1.0',
      fingerprints: [
        { fingerprint: findings[1].fingerprint, rule: 'security.weak-hash', path: 'src/a.ts' },
        { fingerprint: findings[0].fingerprint, rule: 'llm.output-to-eval', path: 'src/z.ts' },
      ],
    });
    const b = readBaseline(file);
    expect(b.fingerprints.map((e) => e.fingerprint)).toEqual([findings[1].fingerprint, findings[0].fingerprint]);
    expect(b.created).toBe('2025-01-02T03:04:05.000Z');
    expect(b.file).toBe(file);
  });

  it('writes mode 0644 whatever the umask, atomically (no temp file left, an existing file replaced)', () => {
    const file = path.join(dir, 'baseline.json');
    fs.writeFileSync(file, 'old', { mode: 0o600 });
    const old = process.umask(0o077);
    try {
      writeBaseline(file, findings, { clock });
    } finally {
      process.umask(old);
    }
    expect(fs.statSync(file).mode & 0o777).toBe(0o644);
    expect(fs.readdirSync(dir)).toEqual(['baseline.json']);
    expect(readBaseline(file).fingerprints).toHaveLength(2);
  });

  it('fails with exit 2 and a hint when the file is missing', () => {
    const e = thrown(() => readBaseline(path.join(dir, 'nope.json')));
    expect(e.code).toBe('baseline_not_found');
    expect(e.exitCode).toBe(2);
    expect(e.hint).toMatch(/--write-baseline/);
  });

  it('names the file, line and column of a JSON syntax error', () => {
    const file = path.join(dir, 'b.json');
    fs.writeFileSync(file, '{\n  "version": 1,\n  "fingerprints": [,]\n}\n');
    const e = thrown(() => readBaseline(file));
    expect(e.code).toBe('baseline_invalid');
    expect(e.exitCode).toBe(2);
    expect(e.location).toEqual({ file, line: 3, col: 20 });
    expect(e.message).toBe('not valid JSON: unexpected ","');
    // A position V8 does give is used as well.
    fs.writeFileSync(file, '{\n  "version": 1,\n}');
    expect(thrown(() => readBaseline(file)).location).toMatchObject({ file, line: 3 });
  });

  it('says what is wrong with a well-formed but invalid baseline, and where', () => {
    const file = path.join(dir, 'b.json');
    const entry = { fingerprint: 'ab'.repeat(32), rule: 'r', path: 'p' };
    const cases: Array<[unknown, RegExp, number]> = [
      [{ version: 2, tool: 'warden', created: 'x', fingerprints: [] }, /^version: expected one of 1, got 2/, 2],
      [{ version: 1, tool: 'warden', created: 'x', fingerprints: [entry, { rule: 'r', path: 'p' }] }, /^fingerprints\[1\]\.fingerprint: is required/, 11],
      [{ version: 1, tool: 'warden', created: 'x', fingerprints: [{ ...entry, fingreprint: 'x' }] }, /^fingerprints\[0\]\.fingreprint: unknown key/, 10],
      [[entry], /expected a mapping at the top level/, 1],
    ];
    for (const [doc, msg, line] of cases) {
      fs.writeFileSync(file, JSON.stringify(doc, null, 2));
      const e = thrown(() => readBaseline(file));
      expect(e.code).toBe('baseline_invalid');
      expect(e.exitCode).toBe(2);
      expect(e.message).toMatch(msg);
      expect(e.location?.file).toBe(file);
      expect(e.location?.line).toBe(line);
    }
    fs.writeFileSync(file, JSON.stringify({ version: 1, tool: 'warden', created: 'x', fingerprints: [{ ...entry, fingreprint: 'x' }] }));
    expect(thrown(() => readBaseline(file)).hint).toMatch(/did you mean "fingerprint"/);
    fs.writeFileSync(file, '');
    expect(thrown(() => readBaseline(file)).message).toMatch(/empty/);
  });
});

describe('applyBaseline', () => {
  it('marks known findings suppressed by the baseline instead of dropping them, and leaves new ones alone', () => {
    const file = path.join(dir, 'baseline.json');
    writeBaseline(file, findings.slice(0, 1), { clock });
    const current = [...findings, finding({ path: 'src/new.ts', line: 1 })];
    const out = applyBaseline(current, readBaseline(file));
    expect(out).toHaveLength(4);
    expect(out[0].suppressed).toEqual({ kind: 'baseline', justification: file });
    expect(out[1].suppressed).toBeUndefined();
    expect(out[2].suppressed).toEqual({ kind: 'inline', justification: 'warden-ignore' }); // inline wins
    expect(out[3].suppressed).toBeUndefined();
    expect(current[0].suppressed).toBeUndefined(); // inputs are not mutated
  });

  it('matches by fingerprint, so a finding that only moved lines stays suppressed', () => {
    const file = path.join(dir, 'baseline.json');
    const before = finding({ path: 'src/a.ts', line: 10 });
    writeBaseline(file, [before], { clock });
    const moved = { ...before, start: { line: 42, column: 5 }, end: { line: 42, column: 25 } };
    expect(applyBaseline([moved], readBaseline(file))[0].suppressed?.kind).toBe('baseline');
  });
});
