// scan() end to end on real trees in temp dirs: worker threads (the built worker in dist/), the
// result cache, skipped files, and the same findings whatever the number of workers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openResultCache, type ResultCache } from '../../../src/core/analysis/cache.js';
import { loadPacks, listPacks, type LoadedRule } from '../../../src/core/analysis/rules.js';
import { ruleSetHash, scan, workerEntry, type ScanProgress } from '../../../src/core/analysis/scan.js';

let tmp: string;
let root: string;
let rules: LoadedRule[];

function write(rel: string, content: string | Buffer): void {
  const p = path.join(root, rel);
  fs.mkdirSync(path.dirname(p), { recursive: true });
  fs.writeFileSync(p, content);
}

const KEY = `sk-proj-${'A1b2C3d4E5f6G7h8'.repeat(3)}T3BlbkFJ${'q9W8e7R6t5Y4u3I2'.repeat(2)}`;

beforeAll(() => {
  if (!fs.existsSync(workerEntry())) throw new Error('dist/ is missing the scan worker: build first (npx tsc -p tsconfig.build.json)');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-scan-'));
  root = path.join(tmp, 'repo');
  rules = loadPacks(listPacks(), { complexityThreshold: 3 }).rules;
  // Enough files for several batches across workers.
  for (let i = 0; i < 150; i++) {
    write(`src/mod${i}.ts`, `export function f${i}(a: number) {\n  if (a > ${i} && a < 1000) { return eval(String(a)); }\n  return a ? 1 : 2;\n}\n`);
  }
  for (let i = 0; i < 40; i++) write(`py/m${i}.py`, `def g${i}(a, b, c):\n    if a and b or c:\n        return [x for x in a if x]\n    return 0\n`);
  write('.env', `OPENAI_API_KEY=${KEY}\n`);
  write('docs/notes.md', 'nothing secret here\n');
  write('image.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00]));
  write('latin1.py', Buffer.from('x = "caf\xe9"\n', 'latin1'));
  write('node_modules/dep/index.js', 'eval(x)\n');
  write('big.js', `// ${'x'.repeat(3000)}\n`);
});

afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

const summaryOf = (r: Awaited<ReturnType<typeof scan>>) => r.findings.map((f) => `${f.path}:${f.start.line}:${f.start.column}:${f.ruleId}:${f.fingerprint}`);

describe('scan', () => {
  it('scans in worker threads and reports findings, skipped files and summary counts', async () => {
    const progress: ScanProgress[] = [];
    const r = await scan({ root, rules, jobs: 2, maxFileSize: 2048, onProgress: (p) => progress.push(p) });
    expect(r.root).toBe(root);
    const rulesHit = new Set(r.findings.map((f) => f.ruleId));
    expect(rulesHit).toContain('secrets.openai_key');
    expect(rulesHit).toContain('complexity.cyclomatic');
    expect([...rulesHit].some((id) => id.startsWith('security.'))).toBe(true);
    const why = Object.fromEntries(r.skipped.map((s) => [s.path, s.reason]));
    expect(why['image.png']).toBe('binary (NUL byte in the first 8 KB)');
    expect(why['latin1.py']).toBe('not valid UTF-8');
    expect(why['node_modules']).toMatch(/vendored/);
    expect(why['big.js']).toMatch(/larger than the 2 KB limit/);
    expect(r.summary.files).toBe(150 + 40 + 2);
    expect(r.summary.bySeverity.critical).toBeGreaterThan(0);
    expect(Object.values(r.summary.byRule).reduce((a, b) => a + b, 0)).toBe(r.findings.filter((f) => !f.suppressed).length);
    expect(r.rules.map((m) => m.id)).toEqual([...r.rules.map((m) => m.id)].sort());
    expect(progress.at(-1)).toMatchObject({ done: 194, total: 194 });
    // Findings come sorted by path and position.
    expect(summaryOf(r)).toEqual([...summaryOf(r)].sort((a, b) => {
      const [pa, la, ca] = a.split(':');
      const [pb, lb, cb] = b.split(':');
      return pa < pb ? -1 : pa > pb ? 1 : Number(la) - Number(lb) || Number(ca) - Number(cb);
    }));
  });

  it('finds the same with one worker as with three', async () => {
    const one = await scan({ root, rules, jobs: 1, maxFileSize: 2048 });
    const three = await scan({ root, rules, jobs: 3, maxFileSize: 2048 });
    expect(summaryOf(three)).toEqual(summaryOf(one));
    expect(three.skipped).toEqual(one.skipped);
    expect(summaryOf(one).length).toBeGreaterThan(150);
  });

  it('answers an unchanged rescan from the cache and re-analyses only what changed', async () => {
    const cacheFile = path.join(tmp, 'cache', 'results.db');
    const cold = await scan({ root, rules, jobs: 2, maxFileSize: 2048, cache: true, cacheFile });
    expect(cold.summary.cached).toBe(0);
    const warm = await scan({ root, rules, jobs: 2, maxFileSize: 2048, cache: true, cacheFile });
    // Every analysed or content-skipped file came from the cache.
    expect(warm.summary.cached).toBe(194);
    expect(summaryOf(warm)).toEqual(summaryOf(cold));
    expect(warm.skipped).toEqual(cold.skipped);

    write('src/mod0.ts', 'export const changed = eval(process.argv[2]);\n');
    const edited = await scan({ root, rules, jobs: 2, maxFileSize: 2048, cache: true, cacheFile });
    expect(edited.summary.cached).toBe(193);
    expect(edited.findings.filter((f) => f.path === 'src/mod0.ts').map((f) => f.start.line)).toEqual([1]);

    // A different rule set is a different cache key.
    const fewer = rules.filter((r) => r.meta.pack !== 'complexity');
    expect(ruleSetHash(fewer)).not.toBe(ruleSetHash(rules));
    const other = await scan({ root, rules: fewer, jobs: 2, maxFileSize: 2048, cache: true, cacheFile });
    expect(other.summary.cached).toBe(0);
    expect(other.findings.some((f) => f.ruleId === 'complexity.cyclomatic')).toBe(false);
  });

  it('answers files whose stat signature is unchanged without reading them, and notices a same-size edit', async () => {
    const dir = path.join(tmp, 'stat');
    fs.mkdirSync(dir, { recursive: true });
    const old = new Date(Date.now() - 3600_000);
    for (const n of ['a', 'b', 'c']) {
      const p = path.join(dir, `${n}.ts`);
      fs.writeFileSync(p, `export const ${n} = eval(process.argv[2]);\n`);
      fs.utimesSync(p, old, old);
    }
    const cacheFile = path.join(tmp, 'cache', 'stat.db');
    const counted = () => {
      const real = openResultCache(cacheFile, { now: () => Date.now() });
      const calls = { get: 0, touchTree: 0 };
      const wrapped: ResultCache = {
        ...real,
        get: (k) => (calls.get++, real.get(k)),
        touchTree: (s, p, k) => (calls.touchTree++, real.touchTree(s, p, k)),
        get hits() {
          return real.hits;
        },
      };
      return { cache: wrapped, calls };
    };
    const first = counted();
    await scan({ root: dir, rules, jobs: 1, maxFileSize: 4096, cache: true, resultCache: first.cache });
    first.cache.close();
    expect(first.calls).toEqual({ get: 3, touchTree: 0 });

    const second = counted();
    const warm = await scan({ root: dir, rules, jobs: 1, maxFileSize: 4096, cache: true, resultCache: second.cache });
    second.cache.close();
    expect(second.calls).toEqual({ get: 0, touchTree: 3 });
    expect(warm.summary.cached).toBe(3);

    // Same size, same mtime, different content: the change time still gives it away.
    const b = path.join(dir, 'b.ts');
    fs.writeFileSync(b, 'export const b = String(process.argv[2]);\n'.slice(0, fs.statSync(b).size - 1).padEnd(fs.statSync(b).size - 1) + '\n');
    fs.utimesSync(b, old, old);
    const third = counted();
    const edited = await scan({ root: dir, rules, jobs: 1, maxFileSize: 4096, cache: true, resultCache: third.cache });
    third.cache.close();
    expect(third.calls).toEqual({ get: 1, touchTree: 2 });
    expect(edited.findings.map((f) => f.path).sort()).toEqual(['a.ts', 'c.ts']);
  });

  it('scans only the paths asked for', async () => {
    const r = await scan({ root, paths: ['py', '.env'], rules, jobs: 1, maxFileSize: 2048 });
    expect(new Set(r.findings.map((f) => f.path.split('/')[0]))).toEqual(new Set(['py', '.env']));
    expect(r.summary.files).toBe(41);
  });

  it('survives a deeply nested file and a huge one-line file in a worker', async () => {
    const dir = path.join(tmp, 'weird');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'deep.js'), `x = ${'[\n'.repeat(20_000)}${']\n'.repeat(20_000)};\n`);
    fs.writeFileSync(path.join(dir, 'line.js'), `${'a+'.repeat(400_000)}a;\n`);
    fs.writeFileSync(path.join(dir, 'ok.ts'), 'eval(process.argv[2])\n');
    const r = await scan({ root: dir, rules, jobs: 1, maxFileSize: 1024 * 1024 });
    const why = Object.fromEntries(r.skipped.map((s) => [s.path, s.reason]));
    expect(why['deep.js']).toMatch(/nesting deeper/);
    expect(why['line.js']).toMatch(/minified/);
    expect(r.findings.map((f) => f.path)).toContain('ok.ts');
  });

  it('skips a file that takes longer than the time limit, replacing its worker', async () => {
    const dir = path.join(tmp, 'slow');
    fs.mkdirSync(dir, { recursive: true });
    // Quadratic for `inside … stopBy: end` rules, but under the nesting bound: about a second here.
    fs.writeFileSync(path.join(dir, 'slow.js'), `x = ${'a+'.repeat(5_000)}a;\n`.replace(/(.{200})/g, '$1\n'));
    fs.writeFileSync(path.join(dir, 'fine.ts'), 'eval(process.argv[2])\n');
    const slowRule: LoadedRule = {
      meta: { id: 'slow', message: 'm', severity: 'low', language: 'javascript', source: 'test' },
      config: { rule: { kind: 'identifier', inside: { kind: 'binary_expression', stopBy: 'end' } } },
    };
    let abandoned = 0;
    const r = await scan({ root: dir, rules: [...rules, slowRule], jobs: 1, maxFileSize: 1024 * 1024, fileTimeoutMs: 300, onWorkerAbandoned: () => abandoned++ });
    const skippedSlow = r.skipped.find((s) => s.path === 'slow.js');
    // Either it finished within the limit on a fast machine, or it was skipped with the reason.
    if (skippedSlow) {
      expect(skippedSlow.reason).toBe('analysis did not finish within 300 ms');
      // The two-file batch first, then the file alone.
      expect(abandoned).toBe(2);
    } else expect(r.findings.some((f) => f.path === 'slow.js')).toBe(true);
    expect(r.findings.map((f) => f.path)).toContain('fine.ts');
  });
});
