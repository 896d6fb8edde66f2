// `npm run bench:scan`: `warden scan` over a large real code tree available offline, against the
// ast-grep CLI (`ast-grep scan` from @ast-grep/cli) over the same files with the same rules.
//
// The tree is copied into a temp dir from what is on the machine: JavaScript/TypeScript sources of
// the packages in node_modules and a Python standard library (pyenv's or /usr/lib/python3*).
// Directory names Warden skips by default (node_modules, dist, build, vendor, ...) are renamed in the
// copy, and files Warden would not parse (minified, nested beyond its bound, binary, non-UTF-8,
// over 1 MB) are left out, so both tools see exactly the same work.
//
// Runs (each through its CLI, as a user would run it; 2 worker threads each):
//   sg          ast-grep scan --threads 2 with the llm and security packs (severities mapped to
//               ast-grep's, TypeScript rules also given the .js files via languageGlobs)
//   cold        warden scan --pack llm --pack security, empty cache
//   warm        the same again, cache populated
//   all-cold / all-warm   every built-in pack (adds secrets and complexity, which sg has no match for)
// Reported: wall time, files/s, MB/s, peak RSS (/usr/bin/time), finding counts. Targets (issue #4):
// cold within 1.2x of sg; warm at least 10x faster than cold. Writes bench/results/scan.json.
//
//   npm run bench:scan                  build, then run
//   node bench/scan.js                  run dist/ as it is
//   BENCH_QUICK=1 node bench/scan.js    a smaller tree, one repetition
//   BENCH_SCAN_MAX_FILES=N              cap the tree's file count (default 6000)
//   BENCH_SCAN_TREE=DIR                 build the tree in DIR (or reuse it) and keep it
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseAllDocuments, stringify } from 'yaml';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const dist = path.join(repo, 'dist', 'core', 'analysis');
if (!fs.existsSync(path.join(dist, 'engine.js'))) {
  console.error('bench/scan: dist/ is missing; run `npm run build` (or `npm run bench:scan`)');
  process.exit(2);
}
const engine = await import(pathToFileURL(path.join(dist, 'engine.js')).href);
const files = await import(pathToFileURL(path.join(dist, 'files.js')).href);
const rulesMod = await import(pathToFileURL(path.join(dist, 'rules.js')).href);

const QUICK = process.env.BENCH_QUICK === '1';
const MAX_FILES = Number(process.env.BENCH_SCAN_MAX_FILES ?? (QUICK ? 1500 : 6000));
const REPS = QUICK ? 1 : 2;
const JOBS = 2;
const TARGETS = { cold_vs_sg_max: 1.2, warm_speedup_min: 10 };
const SKIP_NAMES = new Set(files.DEFAULT_SKIP_DIRS);
const r1 = (x) => Math.round(x * 10) / 10;

// ---------------------------------------------------------------------------------------------
// The tree

function walk(dir, out, accept) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name === 'site-packages' || e.name === '.git') continue;
      walk(p, out, accept);
    } else if (e.isFile() && accept(p)) out.push(p);
  }
}

function pythonStdlib() {
  const candidates = [];
  const pyenv = path.join(os.homedir(), '.pyenv', 'versions');
  if (fs.existsSync(pyenv)) {
    for (const v of fs.readdirSync(pyenv).sort().reverse()) {
      const lib = path.join(pyenv, v, 'lib');
      if (!fs.existsSync(lib)) continue;
      for (const d of fs.readdirSync(lib)) if (/^python3\.\d+$/.test(d)) candidates.push(path.join(lib, d));
    }
  }
  for (const d of fs.existsSync('/usr/lib') ? fs.readdirSync('/usr/lib') : []) if (/^python3\.\d+$/.test(d)) candidates.push(path.join('/usr/lib', d));
  // Newest minor version first.
  const minor = (p) => Number(/python3\.(\d+)$/.exec(p)?.[1] ?? 0);
  return candidates.sort((a, b) => minor(b) - minor(a))[0];
}

/** Whether Warden would parse this file (so sg gets no work Warden skips). */
function parseable(abs) {
  const st = fs.statSync(abs);
  if (st.size === 0 || st.size > 1024 * 1024) return false;
  const decoded = files.decodeText(fs.readFileSync(abs));
  if (!('text' in decoded)) return false;
  const text = decoded.text;
  const lines = text.split('\n').length;
  if (text.length >= engine.MINIFIED_MIN_BYTES && text.length / lines > engine.MINIFIED_LINE) return false;
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 40 || c === 91 || c === 123) max = Math.max(max, ++depth);
    else if ((c === 41 || c === 93 || c === 125) && depth > 0) depth--;
  }
  return max <= engine.MAX_NESTING;
}

function thin(list, max) {
  if (list.length <= max) return list;
  const step = list.length / max;
  return Array.from({ length: max }, (_, i) => list[Math.floor(i * step)]);
}

function buildTree(dir) {
  const js = [];
  walk(path.join(repo, 'node_modules'), js, (p) => /\.(js|mjs|cjs|ts|mts|cts)$/.test(p) && !/\.d\.[mc]?ts$/.test(p) && !/\.min\.js$/.test(p));
  const py = [];
  const stdlib = pythonStdlib();
  if (stdlib) walk(stdlib, py, (p) => p.endsWith('.py'));
  const pick = (list, max) => thin(list.filter(parseable), max);
  const pyFiles = pick(py, Math.floor(MAX_FILES / 3));
  const jsFiles = pick(js, MAX_FILES - pyFiles.length);
  let bytes = 0;
  const copy = (src, base, prefix) => {
    const rel = path
      .relative(base, src)
      .split(path.sep)
      .map((seg, i, all) => (i < all.length - 1 && (SKIP_NAMES.has(seg) || seg.startsWith('.')) ? `_${seg.replace(/^\./, '')}` : seg))
      .join('/');
    const dest = path.join(dir, prefix, rel);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(src, dest);
    bytes += fs.statSync(dest).size;
  };
  for (const f of jsFiles) copy(f, path.join(repo, 'node_modules'), 'js');
  for (const f of pyFiles) copy(f, stdlib, 'py');
  return { files: jsFiles.length + pyFiles.length, js: jsFiles.length, py: pyFiles.length, bytes, python: stdlib ? path.basename(stdlib) : null };
}

// ---------------------------------------------------------------------------------------------
// ast-grep's side: the same rule files with ast-grep's severity names

const SG_SEVERITY = { info: 'hint', low: 'info', medium: 'warning', high: 'error', critical: 'error' };

function sgRules(dir, packs) {
  fs.mkdirSync(path.join(dir, 'rules'), { recursive: true });
  let n = 0;
  for (const pack of packs) {
    for (const file of rulesMod.ruleFilesIn(path.join(rulesMod.builtinPackDir(), pack))) {
      const docs = parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => d.toJS());
      const out = docs
        .filter((d) => d && typeof d === 'object')
        .map((d) => stringify({ ...d, severity: SG_SEVERITY[d.severity] ?? d.severity }))
        .join('---\n');
      fs.writeFileSync(path.join(dir, 'rules', `${pack}-${n++}-${path.basename(file)}`), out);
    }
  }
  fs.writeFileSync(
    path.join(dir, 'sgconfig.yml'),
    stringify({ ruleDirs: ['rules'], languageGlobs: { typescript: ['*.js', '*.mjs', '*.cjs'] } }),
  );
  return n;
}

function sgBinary() {
  const req = createRequire(path.join(repo, 'package.json'));
  try {
    const { resolveBinaryPath } = req('@ast-grep/cli/postinstall.js');
    return resolveBinaryPath();
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Timed runs

const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** Runs a command, returns wall ms, peak RSS (MB, when /usr/bin/time exists) and stdout. */
function timed(cmd, args, opts = {}) {
  const full = TIME ? [TIME, ['-f', '__RSS_KB=%M', cmd, ...args]] : [cmd, args];
  const t0 = performance.now();
  const r = spawnSync(full[0], full[1], { encoding: 'utf8', maxBuffer: 1 << 30, ...opts });
  const ms = performance.now() - t0;
  const m = /__RSS_KB=(\d+)/.exec(r.stderr ?? '');
  if (r.status !== 0 && r.status !== 1) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${(r.stderr ?? '').slice(-2000)}`);
  }
  return { ms, rssMb: m ? Math.round(Number(m[1]) / 1024) : null, stdout: r.stdout };
}

function best(runs) {
  return runs.reduce((a, b) => (b.ms < a.ms ? b : a));
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-bench-scan-'));
const kept = process.env.BENCH_SCAN_TREE;
const tree = kept ? path.resolve(kept) : path.join(work, 'tree');
const home = path.join(work, 'home');
try {
  let info;
  const infoFile = path.join(tree, '.bench-tree.json');
  if (kept && fs.existsSync(infoFile)) {
    info = JSON.parse(fs.readFileSync(infoFile, 'utf8'));
  } else {
    console.log('bench/scan: building the tree...');
    info = buildTree(tree);
    if (kept) fs.writeFileSync(infoFile, JSON.stringify(info));
  }
  const mb = info.bytes / (1024 * 1024);
  console.log(`  ${info.files} files (${info.js} JS/TS, ${info.py} Python), ${r1(mb)} MB; python: ${info.python ?? 'none found'}`);
  // A git repository, so both tools walk it the same way (neither finds anything to ignore).
  spawnSync('git', ['init', '-q', tree]);
  fs.writeFileSync(path.join(tree, '.git', 'info', 'exclude'), '.bench-tree.json\n');

  const packs = ['llm', 'security'];
  const sgDir = path.join(work, 'sg');
  const ruleCount = sgRules(sgDir, packs);
  const sg = sgBinary();
  const bin = path.join(repo, 'bin', 'run.js');
  const env = { ...process.env, WARDEN_HOME: home, NO_COLOR: '1' };
  const warden = (extra) => timed(process.execPath, [bin, 'scan', tree, '--jobs', String(JOBS), '--fail-on', 'none', '--json', ...extra], { env });
  const countOf = (r) => JSON.parse(r.stdout).findings.length;

  // Other work on the machine skews every run; the load averages say how much.
  const results = { tree: info, jobs: JOBS, cpus: os.availableParallelism(), rules: ruleCount, loadBefore: os.loadavg().map(r1), runs: {} };

  if (sg) {
    const runs = [];
    for (let i = 0; i < REPS; i++) runs.push(timed(sg, ['scan', '-c', path.join(sgDir, 'sgconfig.yml'), '--threads', String(JOBS), '--json=compact', tree], { cwd: sgDir }));
    const b = best(runs);
    results.runs.sg = { ms: Math.round(b.ms), rssMb: b.rssMb, findings: JSON.parse(b.stdout).length };
  } else {
    console.warn('  @ast-grep/cli is not installed: no sg comparison');
  }

  const packFlags = packs.flatMap((p) => ['--pack', p]);
  const cold = [];
  const warm = [];
  for (let i = 0; i < REPS; i++) {
    fs.rmSync(home, { recursive: true, force: true });
    cold.push(warden(packFlags));
    warm.push(warden(packFlags));
  }
  const c = best(cold);
  const w = best(warm);
  results.runs.cold = { ms: Math.round(c.ms), rssMb: c.rssMb, findings: countOf(c) };
  results.runs.warm = { ms: Math.round(w.ms), rssMb: w.rssMb, findings: countOf(w) };

  fs.rmSync(home, { recursive: true, force: true });
  const ac = warden([]);
  const aw = warden([]);
  results.runs.allCold = { ms: Math.round(ac.ms), rssMb: ac.rssMb, findings: countOf(ac) };
  results.runs.allWarm = { ms: Math.round(aw.ms), rssMb: aw.rssMb, findings: countOf(aw) };

  for (const r of Object.values(results.runs)) {
    r.filesPerSec = Math.round((info.files * 1000) / r.ms);
    r.mbPerSec = r1((mb * 1000) / r.ms);
  }
  const coldVsSg = results.runs.sg ? results.runs.cold.ms / results.runs.sg.ms : null;
  const warmSpeedup = results.runs.cold.ms / results.runs.warm.ms;
  results.ratios = { coldVsSg: coldVsSg === null ? null : Math.round(coldVsSg * 100) / 100, warmSpeedup: r1(warmSpeedup), allWarmSpeedup: r1(results.runs.allCold.ms / results.runs.allWarm.ms) };
  results.targets = {
    coldVsSg: { max: TARGETS.cold_vs_sg_max, pass: coldVsSg === null ? null : coldVsSg <= TARGETS.cold_vs_sg_max },
    warmSpeedup: { min: TARGETS.warm_speedup_min, pass: warmSpeedup >= TARGETS.warm_speedup_min },
  };
  results.loadAfter = os.loadavg().map(r1);
  results.node = process.version;
  results.date = new Date().toISOString();

  console.log('');
  console.log('run        wall ms  files/s    MB/s  peak RSS MB  findings');
  for (const [name, r] of Object.entries(results.runs)) {
    console.log(
      `${name.padEnd(9)} ${String(r.ms).padStart(8)} ${String(r.filesPerSec).padStart(8)} ${String(r.mbPerSec).padStart(7)} ${String(r.rssMb ?? '-').padStart(12)} ${String(r.findings).padStart(9)}`,
    );
  }
  console.log('');
  if (coldVsSg !== null) console.log(`cold / sg   ${results.ratios.coldVsSg}x   (target <= ${TARGETS.cold_vs_sg_max}x): ${results.targets.coldVsSg.pass ? 'PASS' : 'FAIL'}`);
  console.log(`cold / warm ${results.ratios.warmSpeedup}x   (target >= ${TARGETS.warm_speedup_min}x): ${results.targets.warmSpeedup.pass ? 'PASS' : 'FAIL'}`);
  fs.mkdirSync(path.join(here, 'results'), { recursive: true });
  fs.writeFileSync(path.join(here, 'results', 'scan.json'), `${JSON.stringify(results, null, 2)}\n`);
  console.log('wrote bench/results/scan.json');
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
