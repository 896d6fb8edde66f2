#!/usr/bin/env node
// Summarises a V8 .cpuprofile (from `node --cpu-prof`, e.g. `BENCH_CPU_PROF=dir npm run bench:proxy`):
// top functions by self and by inclusive samples, and self samples per file / package, as % of all
// samples and of busy (non-idle) samples.
//
// Usage: node bench/profile-summary.js <file.cpuprofile | dir (newest profile in it)> [--top 25]
//                                     [--match dist/]   (function tables: only names/files containing it)
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values: opts, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, match: { type: 'string' } } });
let file = positionals[0];
if (!file) {
  process.stderr.write('usage: node bench/profile-summary.js <file.cpuprofile | dir> [--top N]\n');
  process.exit(2);
}
if (fs.statSync(file).isDirectory()) {
  const profiles = fs
    .readdirSync(file)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(file, f))
    .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs);
  if (!profiles.length) throw new Error(`no .cpuprofile in ${file}`);
  file = profiles[0];
}
const TOP = Number(opts.top);
const prof = JSON.parse(fs.readFileSync(file, 'utf8'));

const byId = new Map();
const parent = new Map();
for (const n of prof.nodes) {
  byId.set(n.id, n);
  for (const c of n.children ?? []) parent.set(c, n.id);
}

const ROOT_DIR = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
function shortUrl(url) {
  if (!url) return '';
  let u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) return u.slice(nm + 1);
  if (u.startsWith(ROOT_DIR)) u = u.slice(ROOT_DIR.length + 1);
  return u;
}
function fileGroup(url) {
  const u = shortUrl(url);
  if (!u) return '(native / VM)';
  if (u.startsWith('node:')) return u;
  return u;
}
function packageGroup(url) {
  const u = shortUrl(url);
  if (!u) return '(native / VM)';
  if (u.startsWith('node:')) return 'node core';
  if (u.startsWith('node_modules/')) {
    const parts = u.split('/');
    return parts[1].startsWith('@') ? `${parts[1]}/${parts[2]}` : parts[1];
  }
  const m = /^(dist|src)\/([^/]+\/[^/]+|[^/]+)/.exec(u);
  return m ? `warden ${m[0]}` : u;
}
function fnKey(n) {
  const cf = n.callFrame;
  const name = cf.functionName || '(anonymous)';
  const u = shortUrl(cf.url);
  return u ? `${name}  ${u}:${cf.lineNumber + 1}` : name;
}

// Samples per node (hitCount may be missing in some profiles: count `samples`).
const hits = new Map();
for (const id of prof.samples ?? []) hits.set(id, (hits.get(id) ?? 0) + 1);
let total = 0;
let idle = 0;
const self = new Map();
const perFile = new Map();
const perPkg = new Map();
for (const [id, h] of hits) {
  const n = byId.get(id);
  total += h;
  const name = n.callFrame.functionName;
  if (name === '(idle)') {
    idle += h;
    continue;
  }
  const k = fnKey(n);
  self.set(k, (self.get(k) ?? 0) + h);
  const fg = name === '(garbage collector)' ? '(garbage collector)' : name === '(program)' ? '(program)' : fileGroup(n.callFrame.url);
  perFile.set(fg, (perFile.get(fg) ?? 0) + h);
  const pg = name === '(garbage collector)' ? '(garbage collector)' : name === '(program)' ? '(program)' : packageGroup(n.callFrame.url);
  perPkg.set(pg, (perPkg.get(pg) ?? 0) + h);
}
// Inclusive: every distinct function on a sampled stack gets the sample once.
const inclusive = new Map();
const stackCache = new Map();
function stackKeys(id) {
  let keys = stackCache.get(id);
  if (keys) return keys;
  const set = new Set();
  for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
    const n = byId.get(cur);
    if (n.callFrame.functionName === '(root)') break;
    set.add(fnKey(n));
  }
  keys = [...set];
  stackCache.set(id, keys);
  return keys;
}
for (const [id, h] of hits) {
  if (byId.get(id).callFrame.functionName === '(idle)') continue;
  for (const k of stackKeys(id)) inclusive.set(k, (inclusive.get(k) ?? 0) + h);
}

const busy = total - idle;
const durationS = (prof.endTime - prof.startTime) / 1e6;
const pct = (x, of) => `${((100 * x) / of).toFixed(1).padStart(5)}%`;
function print(title, map, n = TOP, match = undefined) {
  console.log(`\n${title}${match ? ` matching "${match}"` : ''}  (% of busy samples, % of all samples)`);
  const rows = [...map].filter(([k]) => !match || k.includes(match));
  for (const [k, v] of rows.sort((a, b) => b[1] - a[1]).slice(0, n)) console.log(`  ${pct(v, busy)} ${pct(v, total)}  ${k}`);
}
console.log(`${file}`);
console.log(`${total} samples over ${durationS.toFixed(1)} s; busy ${pct(busy, total).trim()} (idle ${pct(idle, total).trim()})`);
print('Self time by package / area', perPkg, 20);
print('Self time by file', perFile, 20);
print('Self time by function', self, TOP, opts.match);
print('Inclusive time by function', inclusive, TOP, opts.match);
