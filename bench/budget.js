// `npm run bench:budget`: cost of the per-request budget and rate-limit checks on the compiled build
// (dist/), with 100 budgets and 100 rate-limit rules configured. Measures, per operation:
//   reserve+settle   BudgetLedger.reserve for a principal that matches 5 budgets, then settle
//   reserve denied   a reserve refused by an exhausted hard budget (builds the message)
//   wouldExceed      the mid-stream check on an open reservation
//   limiter check+done   RateLimiter.check for a request matching 4 rules (rpm/tpm/concurrent) over
//                    1,000 distinct keys, then done
// Each sample times one operation with performance.now(); p50/p99 are nearest-rank over the samples.
// Target (issue 5): reservation and rate-limit checks ≤ 10 µs. Prints a table and writes
// bench/results/budget.json with PASS/FAIL per target (a measurement, not a test: exit 0 either way).
//
//   npm run bench:budget           build, then run
//   node bench/budget.js           run dist/ as it is
//   BENCH_QUICK=1 node bench/budget.js   fewer iterations

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { percentile } from './stats.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, '..', 'dist', 'core');
if (!fs.existsSync(path.join(dist, 'budget', 'ledger.js'))) {
  console.error('bench/budget: dist/ is missing; run `npx tsc -p tsconfig.build.json` (or `npm run bench:budget`)');
  process.exit(2);
}
const { BudgetLedger } = await import(pathToFileURL(path.join(dist, 'budget', 'ledger.js')).href);
const { RateLimiter } = await import(pathToFileURL(path.join(dist, 'ratelimit', 'limiter.js')).href);

const QUICK = process.env.BENCH_QUICK === '1';
const ITERS = QUICK ? 20_000 : 200_000;
const WARM = QUICK ? 5_000 : 50_000;
const TARGET_US = 10;

const clock = { now: () => Date.now(), monotonic: () => performance.now() };
const r3 = (x) => Math.round(x * 1000) / 1000;

function stats(samples) {
  const s = Float64Array.from(samples).sort();
  let sum = 0;
  for (const x of s) sum += x;
  return { n: s.length, mean: r3(sum / s.length), p50: r3(percentile(s, 0.5)), p90: r3(percentile(s, 0.9)), p99: r3(percentile(s, 0.99)), max: r3(s[s.length - 1]) };
}

/** Runs fn(i) `warm` times untimed, then `iters` times timed one by one; samples in µs. */
function sample(fn, iters = ITERS, warm = WARM) {
  for (let i = 0; i < warm; i++) fn(i);
  const out = new Float64Array(iters);
  for (let i = 0; i < iters; i++) {
    const t0 = performance.now();
    fn(i);
    out[i] = (performance.now() - t0) * 1000;
  }
  return stats(out);
}

// ---------------------------------------------------------------------------------------------
// 100 budgets: 1 global, 24 per project, 25 per user, 25 per team, 25 per key; daily, weekly and
// monthly, hard and soft, in a few zones. The benchmarked principal matches 5 of them.

const zones = ['UTC', 'Europe/Paris', 'America/New_York', 'Asia/Tokyo'];
const periods = ['daily', 'weekly', 'monthly'];
const alerts = [];
const ledger = new BudgetLedger({ clock, onAlert: (a) => alerts.push(a.thresholdPct) });
let n = 0;
function addBudget(scope, name, over = {}) {
  ledger.set({
    id: `bud_${n}`,
    scope,
    name,
    period: periods[n % 3],
    limitMicros: 1e12, // $1M: never exhausted during the run
    hard: n % 2 === 0,
    alertPcts: [50, 80, 100],
    tz: zones[n % zones.length],
    webhookUrl: null,
    createdAt: 0,
    updatedAt: 0,
    ...over,
  });
  n++;
}
addBudget('global', '*', { hard: true });
for (let i = 0; i < 24; i++) addBudget('project', `proj${i}`);
for (let i = 0; i < 25; i++) addBudget('user', `user${i}`);
for (let i = 0; i < 25; i++) addBudget('team', `team${i}`);
for (let i = 0; i < 25; i++) addBudget('key', `key_${i}`);
const principal = { keyId: 'key_3', project: 'proj3', user: 'user3', team: 'team3' };
const matched = ledger.snapshotFor(principal).length;

const results = {
  timestamp: new Date().toISOString(),
  machine: {
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model ?? null,
    total_mem_mb: Math.round(os.totalmem() / 2 ** 20),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
  },
  quick: QUICK,
  settings: { iterations: ITERS, warmup: WARM, budgets: ledger.size, budgets_matched: matched, rules: 0, rules_matched: 0, distinct_keys: 1000 },
  target_us: TARGET_US,
  scenarios: {},
  targets: [],
};

results.scenarios.reserve_settle = sample(() => {
  const r = ledger.reserve(principal, 0.0123);
  ledger.settle(r.reservation, 0.0101);
});

{
  const open = ledger.reserve(principal, 0.05).reservation;
  results.scenarios.would_exceed = sample(() => ledger.wouldExceed(open, 0.06));
  ledger.release(open);
}

{
  const tight = new BudgetLedger({ clock });
  tight.set({ id: 'x', scope: 'project', name: 'p', period: 'daily', limitMicros: 1, hard: true, alertPcts: [], tz: 'Europe/Paris', webhookUrl: null, createdAt: 0, updatedAt: 0 });
  tight.settle(tight.reserve({ project: 'p' }, 0).reservation, 1);
  results.scenarios.reserve_denied = sample(() => tight.reserve({ project: 'p' }, 0.01), Math.min(ITERS, 50_000), Math.min(WARM, 10_000));
}

// ---------------------------------------------------------------------------------------------
// 100 rate-limit rules: 96 for named projects/users/tools/keys, 4 per-value rules (one per scope).
// A request matches 4 rules: 3 per-value ones (key, user, tool) and its project's own.

const rules = [
  { scope: 'key', rpm: 1_000_000, tpm: 1e12 },
  { scope: 'user', rpm: 1_000_000 },
  { scope: 'tool', concurrent: 1000 },
  { scope: 'project', match: 'proj3', tpm: 1e12, concurrent: 1000 },
];
for (let i = 0; rules.length < 100; i++) {
  const scope = ['project', 'user', 'tool', 'key'][i % 4];
  rules.push({ scope, match: `${scope}-other-${i}`, rpm: 60 + i });
}
const limiter = new RateLimiter(rules, { clock });
results.settings.rules = rules.length;
const keys = Array.from({ length: 1000 }, (_, i) => ({ keyId: `key_${i}`, project: 'proj3', user: `user${i % 50}`, tool: i % 2 ? 'codex' : 'claude-code' }));
results.settings.rules_matched = 4;

results.scenarios.limiter_check_done = sample((i) => {
  const r = limiter.check(keys[i % 1000], 1200);
  limiter.done(r.ticket, 900);
});
results.settings.live_buckets_after = limiter.size;

{
  const strict = new RateLimiter([{ scope: 'key', rpm: 1 }], { clock });
  strict.check({ keyId: 'k' }, 0);
  results.scenarios.limiter_denied = sample(() => strict.check({ keyId: 'k' }, 0), Math.min(ITERS, 50_000), Math.min(WARM, 10_000));
}

// ---------------------------------------------------------------------------------------------

const target = (id, description, scenario) => {
  const s = results.scenarios[scenario];
  const pass = s.p50 <= TARGET_US && s.p99 <= TARGET_US;
  results.targets.push({ id, description, p50_us: s.p50, p99_us: s.p99, limit_us: TARGET_US, result: pass ? 'PASS' : 'FAIL' });
};
target('reserve_settle_10us', `reserve + settle, ${ledger.size} budgets, ${matched} matching: p50 and p99 ≤ ${TARGET_US} µs`, 'reserve_settle');
target('limiter_check_10us', `rate-limit check + done, ${rules.length} rules, 4 matching, 1000 keys: p50 and p99 ≤ ${TARGET_US} µs`, 'limiter_check_done');

const pad = (s, w) => String(s).padEnd(w);
const padl = (s, w) => String(s).padStart(w);
console.log(`${pad('scenario', 22)}${padl('n', 9)}${padl('p50 µs', 10)}${padl('p90 µs', 10)}${padl('p99 µs', 10)}${padl('mean µs', 10)}${padl('max µs', 11)}`);
for (const [name, s] of Object.entries(results.scenarios)) {
  console.log(`${pad(name, 22)}${padl(s.n, 9)}${padl(s.p50, 10)}${padl(s.p90, 10)}${padl(s.p99, 10)}${padl(s.mean, 10)}${padl(s.max, 11)}`);
}
console.log('');
for (const t of results.targets) console.log(`${t.result}  ${t.id}: p50 ${t.p50_us} µs, p99 ${t.p99_us} µs (limit ${t.limit_us} µs) — ${t.description}`);
console.log(`\nnode ${results.machine.node}, ${results.machine.cpus}× ${results.machine.cpu_model}, load ${results.machine.loadavg.join(' ')}`);

const outDir = path.join(here, 'results');
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'budget.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log(`wrote ${path.relative(process.cwd(), path.join(outDir, 'budget.json'))}`);
