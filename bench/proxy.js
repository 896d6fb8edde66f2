#!/usr/bin/env node
// `npm run bench:proxy`: Warden's proxy overhead, measured in one run against two references on the
// same machine: direct (client → fake upstream), bare (client → a logic-free Node passthrough →
// fake upstream) and warden (client → the real daemon with auth, routing, usage, cost, the batched
// writer and the audit chain → fake upstream); JSON and SSE, at 1 and 32 connections. Then it keeps
// loading Warden to 100k requests, reads its RSS, stops it, and checks every request was recorded.
// Prints a table, writes bench/results/proxy.json, and exits 0 whether or not the targets are met
// (1 only when something could not be measured). Every child process and the temp dir are removed
// on the way out, errors and signals included.
//
// Env: BENCH_SECONDS (5) per scenario and target · BENCH_ROUNDS (3): each scenario's time is split in
//      rounds that rotate the order of the targets, so background load on a shared machine hits all
//      three alike · BENCH_WARMUP_SECONDS (0.5) per load run · BENCH_RSS_REQUESTS (100000)
//      BENCH_FILL_MAX_SECONDS (600) · BENCH_SSE_CHUNKS (8) · BENCH_SSE_DELAY_MS (2)
//      BENCH_CPU_PROF=<dir>: run the daemon under `node --cpu-prof` and write its profile there
//        (summarise it with `node bench/profile-summary.js <dir>`).
//      BENCH_DAEMON_NODE_FLAGS="--trace-gc ...": extra node flags for the daemon (experiments).
//      BENCH_DAEMON_OUTPUT=<file>: keep the daemon's stdout and stderr in that file.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { emptyRaw, mergeRaw, r3, summarize } from './stats.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const RESULTS_FILE = path.join(HERE, 'results', 'proxy.json');

const num = (name, dflt) => {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name}="${v}" is not a non-negative number`);
  return n;
};
const SECONDS = num('BENCH_SECONDS', 5);
const WARMUP_SECONDS = num('BENCH_WARMUP_SECONDS', 0.5);
const ROUNDS = Math.max(1, Math.floor(num('BENCH_ROUNDS', 3)));
const RSS_REQUESTS = num('BENCH_RSS_REQUESTS', 100_000);
const FILL_MAX_SECONDS = num('BENCH_FILL_MAX_SECONDS', 600);
const SSE_CHUNKS = num('BENCH_SSE_CHUNKS', 8);
const SSE_DELAY_MS = num('BENCH_SSE_DELAY_MS', 2);
const CPU_PROF_DIR = process.env.BENCH_CPU_PROF ? path.resolve(process.env.BENCH_CPU_PROF) : undefined;
const DAEMON_NODE_FLAGS = (process.env.BENCH_DAEMON_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
const DAEMON_OUTPUT = process.env.BENCH_DAEMON_OUTPUT ? path.resolve(process.env.BENCH_DAEMON_OUTPUT) : undefined;

const UPSTREAM_KEY = 'sk-bench';
const MODEL = 'gpt-4o-mini';
const MESSAGES = [
  { role: 'system', content: 'You are a terse assistant.' },
  { role: 'user', content: 'Say hello to the benchmark in eight words.' },
];
const JSON_BODY = JSON.stringify({ model: MODEL, messages: MESSAGES, max_tokens: 32 });
const SSE_BODY = JSON.stringify({ model: MODEL, messages: MESSAGES, max_tokens: 32, stream: true, stream_options: { include_usage: true } });

const TARGETS = ['direct', 'bare', 'warden'];
const SCENARIOS = [
  { name: 'json', sse: false, connections: 1 },
  { name: 'json', sse: false, connections: 32 },
  { name: 'sse', sse: true, connections: 1 },
  { name: 'sse', sse: true, connections: 32 },
];
const scenarioKey = (s) => `${s.name}@${s.connections}`;

// ---------------------------------------------------------------------------------------------
// Child processes and cleanup

/** Every child still running, with how to stop it. */
const children = new Set();
let tempDir;
let cleanedUp = false;

function cleanupSync() {
  if (cleanedUp) return;
  cleanedUp = true;
  for (const c of children) {
    try {
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
  children.clear();
  if (tempDir) {
    try {
      fs.rmSync(tempDir, { recursive: true, force: true });
    } catch {
      /* best effort */
    }
  }
}
process.on('exit', cleanupSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    process.stderr.write(`\nbench: ${sig}, cleaning up\n`);
    cleanupSync();
    process.exit(130);
  });
}

/** Spawns a node child, tracked for cleanup; keeps the last 64 KiB of its stderr for diagnostics. */
function spawnNode(args, opts = {}) {
  const child = spawn(process.execPath, args, {
    cwd: opts.cwd ?? ROOT,
    env: opts.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  child.stderrTail = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d) => {
    child.stderrTail = (child.stderrTail + d).slice(-65536);
  });
  child.exited = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    });
  });
  // 'close' comes after 'exit' once the child's stdout and stderr are fully read.
  child.closed = new Promise((resolve) => child.on('close', resolve));
  child.on('error', () => undefined);
  child.stdin.on('error', () => undefined);
  return child;
}

/** Resolves with the first stdout line that is a JSON object, or rejects on exit/timeout. */
function firstJsonLine(child, what, timeoutMs = 15_000) {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => done(new Error(`${what} printed no port within ${timeoutMs} ms\n${child.stderrTail}`)), timeoutMs);
    const onData = (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (line.startsWith('{')) {
          try {
            done(null, JSON.parse(line));
            return;
          } catch {
            /* not ours */
          }
        }
      }
    };
    const onExit = () => done(new Error(`${what} exited before it was ready\n${child.stderrTail}`));
    function done(err, v) {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      child.stdout.resume(); // keep draining so a chatty child never blocks on a full pipe
      if (err) reject(err);
      else resolve(v);
    }
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', onData);
    child.on('exit', onExit);
  });
}

async function startHelper(script, args, what) {
  const child = spawnNode([path.join(HERE, script), ...args, '--exit-with-stdin']);
  const { port } = await firstJsonLine(child, what);
  return { child, port, url: `http://127.0.0.1:${port}` };
}

async function stopChild(child, signal = 'SIGTERM', graceMs = 5_000) {
  if (child.exitCode !== null || child.signalCode !== null) return { code: child.exitCode, signal: child.signalCode, forced: false };
  child.kill(signal);
  const r = await Promise.race([child.exited, sleep(graceMs).then(() => null)]);
  if (r) return { ...r, forced: false };
  child.kill('SIGKILL');
  return { ...(await child.exited), forced: true };
}

// ---------------------------------------------------------------------------------------------
// Warden

async function http(method, url, { headers = {}, body } = {}) {
  const res = await request(url, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  const text = await res.body.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.statusCode, json, text };
}

const TEMP_PREFIX = 'warden-bench-';

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/** Temp dirs left by a run that was SIGKILLed (its owner pid is dead) are removed at the next start. */
function removeStaleTempDirs() {
  for (const name of fs.readdirSync(os.tmpdir())) {
    if (!name.startsWith(TEMP_PREFIX)) continue;
    const dir = path.join(os.tmpdir(), name);
    try {
      const owner = Number(fs.readFileSync(path.join(dir, 'owner.pid'), 'utf8'));
      if (Number.isInteger(owner) && owner > 0 && !isAlive(owner)) fs.rmSync(dir, { recursive: true, force: true });
    } catch {
      /* not ours, or being created right now: leave it */
    }
  }
}

async function startWarden(upstreamPort) {
  removeStaleTempDirs();
  tempDir = fs.mkdtempSync(path.join(os.tmpdir(), TEMP_PREFIX));
  fs.writeFileSync(path.join(tempDir, 'owner.pid'), String(process.pid));
  const home = path.join(tempDir, 'home');
  fs.mkdirSync(home, { mode: 0o700 });
  const nodeArgs = [`--import=${new URL('./exit-with-parent.js', import.meta.url).href}`, ...DAEMON_NODE_FLAGS];
  if (CPU_PROF_DIR) {
    fs.mkdirSync(CPU_PROF_DIR, { recursive: true });
    nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${CPU_PROF_DIR}`);
  }
  const env = { ...process.env, WARDEN_HOME: home, WARDEN_SECRETS_BACKEND: 'file' };
  // The daemon runs from the temp dir so no repository's .warden/config.yaml leaks into the run.
  const child = spawnNode([...nodeArgs, path.join(ROOT, 'bin', 'daemon.js'), '--port', '0', '--quiet'], { cwd: tempDir, env });
  if (DAEMON_OUTPUT) {
    const out = fs.createWriteStream(DAEMON_OUTPUT);
    child.stdout.pipe(out);
    child.stderr.pipe(out);
  } else {
    child.stdout.resume();
  }

  const stateFile = path.join(home, 'daemon.json');
  const deadline = Date.now() + 30_000;
  let state;
  while (!state) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`warden daemon exited during startup (code ${child.exitCode})\n${child.stderrTail}`);
    if (Date.now() > deadline) throw new Error(`warden daemon wrote no ${stateFile} within 30 s\n${child.stderrTail}`);
    try {
      state = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
    } catch {
      await sleep(50);
    }
  }
  const base = `http://${state.host.includes(':') ? `[${state.host}]` : state.host}:${state.port}`;
  for (;;) {
    if (Date.now() > deadline) throw new Error(`warden daemon never answered /_warden/v1/health\n${child.stderrTail}`);
    try {
      if ((await http('GET', `${base}/_warden/v1/health`)).status === 200) break;
    } catch {
      /* not listening yet */
    }
    await sleep(50);
  }
  const adminToken = fs.readFileSync(path.join(home, 'admin.token'), 'utf8').trim();
  const admin = { authorization: `Bearer ${adminToken}` };
  const prov = await http('PUT', `${base}/_warden/v1/providers/openai`, {
    headers: admin,
    body: { type: 'openai', base_url: `http://127.0.0.1:${upstreamPort}/v1`, api_key: UPSTREAM_KEY },
  });
  if (prov.status !== 200) throw new Error(`PUT /_warden/v1/providers/openai answered ${prov.status}: ${prov.text}`);
  const key = await http('POST', `${base}/_warden/v1/keys`, { headers: admin, body: { project: 'bench' } });
  if (key.status !== 201 && key.status !== 200) throw new Error(`POST /_warden/v1/keys answered ${key.status}: ${key.text}`);
  if (typeof key.json?.key !== 'string') throw new Error(`POST /_warden/v1/keys returned no key: ${key.text}`);
  return { child, pid: state.pid, url: base, home, key: key.json.key };
}

function readProcStatus(pid) {
  const text = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    return m ? Number(m[1]) : null;
  };
  const mb = (v) => (v === null ? null : Math.round((v / 1024) * 10) / 10);
  return { rss_mb: mb(kb('VmRSS')), peak_rss_mb: mb(kb('VmHWM')) };
}

async function checkDatabase(home, expectedRequests) {
  const { default: Database } = await import('better-sqlite3');
  const dbFile = path.join(home, 'warden.db');
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const r = db
      .prepare(
        `SELECT count(*) AS rows_total,
                coalesce(sum(status = 'ok'), 0) AS ok,
                coalesce(sum(cost_usd IS NOT NULL), 0) AS with_cost,
                coalesce(sum(status = 'ok' AND cost_usd IS NOT NULL AND cost_usd > 0), 0) AS ok_with_cost,
                coalesce(sum(usage_source = 'reported'), 0) AS usage_reported,
                coalesce(sum(stream = 1), 0) AS streamed
           FROM requests`,
      )
      .get();
    const statuses = Object.fromEntries(db.prepare('SELECT status, count(*) AS n FROM requests GROUP BY status').all().map((x) => [x.status, x.n]));
    const auditRequests = db.prepare(`SELECT count(*) AS n FROM audit_events WHERE type = 'request'`).get().n;
    let chain = null;
    try {
      const { verifyAuditChain } = await import(path.join(ROOT, 'dist', 'core', 'audit', 'verify.js'));
      const v = verifyAuditChain(db);
      chain = { ok: v.ok, events: v.count, ...(v.broken ? { broken: v.broken } : {}) };
    } catch (e) {
      chain = { ok: null, error: `could not verify: ${e.message}` };
    }
    const ok =
      r.rows_total === expectedRequests &&
      r.ok === r.rows_total &&
      r.ok_with_cost === r.rows_total &&
      auditRequests === r.rows_total &&
      chain.ok !== false;
    return {
      expected_rows: expectedRequests,
      rows: r.rows_total,
      status_ok: r.ok,
      statuses,
      with_cost: r.with_cost,
      ok_with_positive_cost: r.ok_with_cost,
      usage_reported: r.usage_reported,
      streamed: r.streamed,
      audit_request_events: auditRequests,
      audit_chain: chain,
      all_recorded_ok_with_cost: ok,
    };
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------------------------------------
// CPU accounting: who used the machine's CPUs during a load run. On a shared machine the
// "background" share (everything not ours) says how much to trust the numbers; CPU time per request
// is far less sensitive to it than req/s.

let CLK_TCK = 100;
try {
  CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
} catch {
  /* Linux default */
}

/** CPU ms (user + system) of one process, or null if it cannot be read. */
function procCpuMs(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK; // fields 14 and 15 of stat(5)
  } catch {
    return null;
  }
}

/** Busy CPU ms of the whole machine (all cores), or null off Linux. */
function machineBusyMs() {
  try {
    const [user, nice, system, , , irq, softirq, steal] = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
    return ((user + nice + system + irq + softirq + (steal ?? 0)) * 1000) / CLK_TCK;
  } catch {
    return null;
  }
}

function cpuSnapshot(pids) {
  return { at: performance.now(), busy: machineBusyMs(), procs: Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, procCpuMs(pid)])) };
}

function cpuDelta(a, b, loadgenMs) {
  const d = (x, y) => (x === null || y === null || x === undefined || y === undefined ? null : y - x);
  const procs = Object.fromEntries(Object.keys(a.procs).map((k) => [k, d(a.procs[k], b.procs[k])]));
  const busy = d(a.busy, b.busy);
  const ours = Object.values(procs).reduce((x, y) => x + (y ?? 0), 0) + (loadgenMs ?? 0);
  return { wall_ms: b.at - a.at, machine_busy_ms: busy, ...procs, loadgen_ms: loadgenMs ?? null, background_ms: busy === null ? null : Math.max(0, busy - ours) };
}

// ---------------------------------------------------------------------------------------------
// Load

async function runLoad(cfg, pids = {}) {
  const before = cpuSnapshot(pids);
  const child = spawnNode([path.join(HERE, 'load.js'), '--config', JSON.stringify(cfg), '--exit-with-stdin']);
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d) => {
    out += d;
  });
  const limitMs = ((cfg.warmupSeconds ?? 0) + (cfg.seconds ?? 5)) * 1000 + 60_000;
  const r = await Promise.race([child.exited, sleep(limitMs).then(() => null)]);
  if (!r) {
    await stopChild(child, 'SIGKILL');
    throw new Error(`load generator did not finish within ${limitMs} ms`);
  }
  await Promise.race([child.closed, sleep(5_000)]);
  const after = cpuSnapshot(pids);
  const line = out.trim().split('\n').pop();
  if (!line || !line.startsWith('{')) throw new Error(`load generator failed (exit ${r.code})\n${child.stderrTail}`);
  const stats = JSON.parse(line);
  stats.cpu = cpuDelta(before, after, stats.cpu_ms);
  return stats;
}

/**
 * One scenario for one target, over ROUNDS load runs (merged: latencies pooled, req/s = all
 * requests over all measured time) plus its CPU accounting.
 */
function mergeRounds(rounds, sse, proxyKey) {
  const raw = emptyRaw();
  let elapsed = 0;
  let warmup = 0;
  const cpu = { wall_ms: 0, machine_busy_ms: 0, upstream_ms: 0, proxy_ms: 0, loadgen_ms: 0, background_ms: 0 };
  for (const r of rounds) {
    mergeRaw(raw, r.raw);
    elapsed += r.seconds * 1000;
    warmup += r.warmup_requests;
    cpu.wall_ms += r.cpu.wall_ms;
    cpu.machine_busy_ms += r.cpu.machine_busy_ms ?? 0;
    cpu.upstream_ms += r.cpu.upstream ?? 0;
    cpu.proxy_ms += proxyKey ? (r.cpu[proxyKey] ?? 0) : 0;
    cpu.loadgen_ms += r.cpu.loadgen_ms ?? 0;
    cpu.background_ms += r.cpu.background_ms ?? 0;
  }
  const stats = summarize(raw, elapsed, { sse });
  const served = stats.requests + warmup;
  // The process doing the proxying (for direct: the upstream itself) and its CPU per request.
  const servingMs = proxyKey ? cpu.proxy_ms : cpu.upstream_ms;
  return {
    ...stats,
    warmup_requests: warmup,
    rounds: rounds.map((r) => ({ seconds: r.seconds, requests: r.requests, rps: r.rps, p50: r.latency_ms.p50, p99: r.latency_ms.p99 })),
    cpu: {
      ...Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, Math.round(v)])),
      serving_us_per_request: served > 0 ? r3((servingMs * 1000) / served) : null,
      background_cores: cpu.wall_ms > 0 ? r3(cpu.background_ms / cpu.wall_ms) : null,
    },
  };
}

function loadConfig(target, s, extra = {}) {
  return {
    url: `${target.url}/v1/chat/completions`,
    headers: { authorization: `Bearer ${target.key}` },
    body: s.sse ? SSE_BODY : JSON_BODY,
    sse: s.sse,
    connections: s.connections,
    seconds: SECONDS / ROUNDS,
    warmupSeconds: WARMUP_SECONDS,
    raw: true,
    ...extra,
  };
}

/** One request through the target, so a misconfiguration fails loudly before minutes of load. */
async function smoke(name, target) {
  for (const body of [JSON_BODY, SSE_BODY]) {
    const r = await http('POST', `${target.url}/v1/chat/completions`, { headers: { authorization: `Bearer ${target.key}` }, body: JSON.parse(body) });
    if (r.status !== 200) throw new Error(`${name}: smoke request answered ${r.status}: ${r.text.slice(0, 500)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Targets and report


function computeTargets(results, rss, db) {
  const get = (t, key) => results[t]?.[key];
  const targets = [];
  const add = (id, description, value, limit, unit, pass, extra = {}) =>
    targets.push({ id, description, value: r3(value), limit, unit, result: pass === null ? 'FAIL' : pass ? 'PASS' : 'FAIL', ...(pass === null ? { note: 'not measured' } : {}), ...extra });
  const has = (...xs) => xs.every((x) => x !== undefined && x !== null);

  for (const name of ['json', 'sse']) {
    const w = get('warden', `${name}@32`);
    const b = get('bare', `${name}@32`);
    const ratio = has(w, b) && b.rps > 0 ? (w.rps / b.rps) * 100 : null;
    // CPU per request is the noise-resistant view of the same thing: bare's cost over Warden's.
    const cpuRatio = has(w, b) && w.cpu.serving_us_per_request > 0 ? (b.cpu.serving_us_per_request / w.cpu.serving_us_per_request) * 100 : null;
    add(`throughput_${name}_32`, `Warden req/s at 32 connections vs bare passthrough (${name.toUpperCase()})`, ratio, '>= 70', '%', ratio === null ? null : ratio >= 70 && w.errors === 0 && w.non2xx === 0, {
      warden_rps: w?.rps ?? null,
      bare_rps: b?.rps ?? null,
      cpu_per_request_ratio: r3(cpuRatio),
    });
  }

  const w1 = get('warden', 'json@1');
  const d1 = get('direct', 'json@1');
  const b1 = get('bare', 'json@1');
  const p50 = has(w1, d1) ? w1.latency_ms.p50 - d1.latency_ms.p50 : null;
  const p99 = has(w1, d1) ? w1.latency_ms.p99 - d1.latency_ms.p99 : null;
  add('added_p50_json_1', 'Added latency p50 at 1 connection (Warden - direct, JSON)', p50, '<= 0.5', 'ms', p50 === null ? null : p50 <= 0.5, {
    warden_minus_bare: has(w1, b1) ? r3(w1.latency_ms.p50 - b1.latency_ms.p50) : null,
  });
  add('added_p99_json_1', 'Added latency p99 at 1 connection (Warden - direct, JSON)', p99, '<= 2', 'ms', p99 === null ? null : p99 <= 2, {
    warden_minus_bare: has(w1, b1) ? r3(w1.latency_ms.p99 - b1.latency_ms.p99) : null,
  });

  const ws = get('warden', 'sse@1');
  const bs = get('bare', 'sse@1');
  const fb = has(ws, bs) ? ws.first_byte_ms.p50 - bs.first_byte_ms.p50 : null;
  const ws32 = get('warden', 'sse@32');
  const bs32 = get('bare', 'sse@32');
  add('sse_first_byte_p50_1', 'SSE first byte p50 at 1 connection (Warden - bare)', fb, '<= 1', 'ms', fb === null ? null : fb <= 1, {
    at_32_connections: has(ws32, bs32) ? r3(ws32.first_byte_ms.p50 - bs32.first_byte_ms.p50) : null,
  });

  let held = null;
  let sameEvents = null;
  if (has(ws, bs) && ws.event_mean_ms && bs.event_mean_ms) {
    const offsets = ws.event_mean_ms.map((m, i) => (bs.event_mean_ms[i] === undefined ? Infinity : m - bs.event_mean_ms[i]));
    held = { max: Math.max(...offsets), per_event: offsets.map(r3) };
    // Every response must carry the same number of events through both proxies (none dropped or merged).
    const shapes = (r) => Object.keys(r.events_per_response).sort().join(',');
    sameEvents = shapes(ws) === shapes(bs);
  }
  add('sse_no_chunk_held_back_1', 'SSE: max over events of mean arrival offset (Warden - bare), 1 connection', held?.max ?? null, '<= 1', 'ms', held === null ? null : held.max <= 1 && sameEvents, {
    per_event_ms: held?.per_event ?? null,
    same_event_count: sameEvents,
  });

  add('rss_after_100k', `Daemon RSS after >= ${RSS_REQUESTS} requests`, rss?.rss_mb ?? null, '<= 150', 'MB', rss ? rss.rss_mb <= 150 && rss.requests_served >= RSS_REQUESTS : null, {
    requests_served: rss?.requests_served ?? null,
    peak_rss_mb: rss?.peak_rss_mb ?? null,
  });

  add('db_rows_complete', 'Every request Warden served has a row with status ok, a cost and an audit event', db ? db.rows : null, db ? `= ${db.expected_rows}` : null, 'rows', db ? db.all_recorded_ok_with_cost : null);
  return targets;
}

const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
const f = (x, d = 3) => (x === null || x === undefined ? '-' : typeof x === 'number' ? (Number.isInteger(x) && d === 3 ? String(x) : x.toFixed(d)) : String(x));

function renderTable(results, targets, extra) {
  const lines = [];
  const head = ['scenario', 'target', 'req/s', 'p50', 'p90', 'p99', 'max', 'fb p50', 'fb p99', 'errors', 'non2xx', 'n', 'µs CPU/req', 'bg cores'];
  const widths = [9, 7, 10, 8, 8, 8, 9, 8, 8, 7, 7, 8, 11, 9];
  const row = (cells) => cells.map((c, i) => (i < 2 ? pad(c, widths[i]) : lpad(c, widths[i]))).join(' ');
  lines.push('Latency in ms, client-side, first request byte to last response byte; fb = first body byte;');
  lines.push('µs CPU/req = CPU time of the serving process (upstream for direct, else the proxy) per request;');
  lines.push('bg cores = CPU used by processes outside this benchmark during the run (noise).');
  lines.push(row(head));
  lines.push('-'.repeat(widths.reduce((a, b) => a + b + 1, -1)));
  for (const s of SCENARIOS) {
    for (const t of TARGETS) {
      const r = results[t]?.[scenarioKey(s)];
      if (!r) {
        lines.push(row([scenarioKey(s), t, 'not run', '', '', '', '', '', '', '', '', '', '', '']));
        continue;
      }
      lines.push(
        row([
          scenarioKey(s),
          t,
          f(r.rps, 1),
          f(r.latency_ms.p50),
          f(r.latency_ms.p90),
          f(r.latency_ms.p99),
          f(r.latency_ms.max),
          s.sse ? f(r.first_byte_ms.p50) : '',
          s.sse ? f(r.first_byte_ms.p99) : '',
          r.errors,
          r.non2xx,
          r.requests,
          f(r.cpu?.serving_us_per_request, 0),
          f(r.cpu?.background_cores, 2),
        ]),
      );
    }
    lines.push('');
  }
  lines.push('Targets');
  for (const t of targets) {
    const detail = [];
    if (t.warden_rps !== undefined) detail.push(`warden ${f(t.warden_rps, 1)} vs bare ${f(t.bare_rps, 1)} req/s; CPU/req ratio ${f(t.cpu_per_request_ratio, 1)}%`);
    if (t.warden_minus_bare !== undefined) detail.push(`Warden - bare: ${f(t.warden_minus_bare)} ms`);
    if (t.at_32_connections !== undefined) detail.push(`at 32 conns: ${f(t.at_32_connections)} ms`);
    if (t.per_event_ms) detail.push(`per event: ${t.per_event_ms.map((x) => f(x, 2)).join(' ')}`);
    if (t.same_event_count === false) detail.push('EVENT COUNTS DIFFER');
    if (t.requests_served !== undefined && t.requests_served !== null) detail.push(`after ${t.requests_served} requests, peak ${f(t.peak_rss_mb, 1)} MB`);
    if (t.note) detail.push(t.note);
    lines.push(`  ${t.result === 'PASS' ? 'PASS' : 'FAIL'}  ${pad(t.description, 82)} ${lpad(f(t.value), 9)} ${pad(t.unit, 4)} (${t.limit ?? '-'})${detail.length ? `  ${detail.join('; ')}` : ''}`);
  }
  const bg = SCENARIOS.flatMap((s) => TARGETS.map((t) => results[t]?.[scenarioKey(s)]?.cpu?.background_cores)).filter((x) => typeof x === 'number');
  if (bg.length) {
    const mean = bg.reduce((a, b) => a + b, 0) / bg.length;
    lines.push('');
    lines.push(`Background CPU from other processes: mean ${mean.toFixed(2)} cores, max ${Math.max(...bg).toFixed(2)} cores of ${os.cpus().length}.` +
      (mean > 0.2 ? ' The machine was shared: treat latency and req/s as noisy; µs CPU/req holds up better.' : ''));
  }
  if (extra.warden?.rss) {
    const w = extra.warden;
    lines.push('');
    lines.push(`Daemon RSS: ${f(w.rss_mb_at_start, 1)} MB at start, ${f(w.rss_mb_after_scenarios, 1)} MB after the scenarios, ${f(w.rss.rss_mb, 1)} MB after ${w.rss.requests_served} requests (peak ${f(w.rss.peak_rss_mb, 1)} MB).`);
  }
  if (extra.db) {
    const d = extra.db;
    lines.push('');
    lines.push(
      `Database: ${d.rows} request rows for ${d.expected_rows} requests served; ${d.status_ok} ok, ${d.ok_with_positive_cost} ok with a cost, ` +
        `${d.usage_reported} with reported usage, ${d.audit_request_events} request audit events, audit chain ${d.audit_chain?.ok === true ? 'verified' : d.audit_chain?.ok === false ? 'BROKEN' : 'not verified'}` +
        ` (${d.audit_chain?.events ?? '?'} events).`,
    );
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  const run = {
    timestamp: startedAt.toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpu_model: os.cpus()[0]?.model ?? null,
      total_mem_mb: Math.round(os.totalmem() / 1048576),
      platform: `${os.platform()} ${os.release()} ${os.arch()}`,
      node: process.version,
      loadavg_before: loadBefore.map((x) => r3(x)),
    },
    settings: {
      seconds: SECONDS,
      rounds: ROUNDS,
      warmup_seconds: WARMUP_SECONDS,
      rss_requests: RSS_REQUESTS,
      sse_content_chunks: SSE_CHUNKS,
      sse_delay_ms: SSE_DELAY_MS,
      model: MODEL,
      // Only whether a profile was taken: the directory is a path on the machine that ran it.
      cpu_profile: CPU_PROF_DIR !== undefined,
      daemon_node_flags: DAEMON_NODE_FLAGS,
    },
    results: { direct: {}, bare: {}, warden: {} },
    warden: null,
    errors: [],
  };
  process.stderr.write(`bench: ${run.machine.cpus} cpus, node ${process.version}, ${SECONDS}s per scenario and target in ${ROUNDS} round(s) (+${WARMUP_SECONDS}s warm-up each)\n`);

  const upstream = await startHelper('upstream.js', ['--key', UPSTREAM_KEY, '--chunks', String(SSE_CHUNKS), '--delay-ms', String(SSE_DELAY_MS)], 'fake upstream');
  const bare = await startHelper('bare-proxy.js', ['--target', upstream.url], 'bare proxy');
  const targets = {
    direct: { url: upstream.url, key: UPSTREAM_KEY },
    bare: { url: bare.url, key: UPSTREAM_KEY },
  };

  let warden;
  try {
    warden = await startWarden(upstream.port);
    targets.warden = { url: warden.url, key: warden.key };
    await sleep(1_000); // let start-up work (lazy loads, warm-ups) settle before the baseline RSS
    run.warden = { pid: warden.pid, url: warden.url, rss_mb_at_start: readProcStatus(warden.pid).rss_mb };
  } catch (e) {
    run.errors.push(`warden: ${e.message}`);
    process.stderr.write(`bench: WARDEN DID NOT START, measuring direct and bare only:\n${e.message}\n`);
  }

  for (const [name, t] of Object.entries(targets)) {
    try {
      await smoke(name, t);
    } catch (e) {
      run.errors.push(e.message);
      process.stderr.write(`bench: ${e.message}\n`);
      delete targets[name];
    }
  }

  // Requests Warden has answered (any status), which is also how many request rows it must record.
  let wardenServed = targets.warden ? 2 : 0; // the two smoke requests
  const pids = { upstream: upstream.child.pid, bare: bare.child.pid, ...(warden ? { warden: warden.pid } : {}) };
  const active = TARGETS.filter((t) => targets[t]);
  // Never two loads at once. Scenario-major order, and within a scenario ROUNDS rounds that rotate
  // the order of the targets, so a burst of background load cannot favour one of them.
  for (const s of SCENARIOS) {
    const rounds = Object.fromEntries(active.map((t) => [t, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < active.length; i++) {
        const name = active[(i + round) % active.length];
        const r = await runLoad(loadConfig(targets[name], s), pids);
        rounds[name].push(r);
        if (name === 'warden') wardenServed += r.warmup_requests + r.requests;
      }
    }
    for (const name of active) {
      const m = mergeRounds(rounds[name], s.sse, name === 'direct' ? null : name);
      run.results[name][scenarioKey(s)] = m;
      process.stderr.write(
        `bench: ${pad(scenarioKey(s), 8)} ${pad(name, 7)} ${lpad(f(m.rps, 1), 9)} req/s  p50 ${f(m.latency_ms.p50)} ms  p99 ${f(m.latency_ms.p99)} ms  ` +
          `${f(m.cpu.serving_us_per_request, 0)} µs CPU/req  background ${f(m.cpu.background_cores, 2)} cores` +
          `${m.errors || m.non2xx ? `  ${m.errors} errors, ${m.non2xx} non-2xx` : ''}\n`,
      );
    }
  }

  let rss = null;
  let db = null;
  if (warden && targets.warden) {
    run.warden.rss_mb_after_scenarios = readProcStatus(warden.pid).rss_mb;
    const need = RSS_REQUESTS - wardenServed;
    if (need > 0) {
      process.stderr.write(`bench: loading Warden with ${need} more JSON requests at 32 connections (to ${RSS_REQUESTS} total) ... `);
      const fill = await runLoad(loadConfig(targets.warden, { sse: false, connections: 32 }, { seconds: FILL_MAX_SECONDS, warmupSeconds: 0, maxRequests: need, raw: false }), pids);
      wardenServed += fill.requests;
      run.warden.fill = {
        requests: fill.requests,
        rps: fill.rps,
        errors: fill.errors,
        non2xx: fill.non2xx,
        seconds: fill.seconds,
        cpu_us_per_request: fill.requests ? r3(((fill.cpu.warden ?? 0) * 1000) / fill.requests) : null,
        background_cores: fill.cpu.wall_ms ? r3((fill.cpu.background_ms ?? 0) / fill.cpu.wall_ms) : null,
      };
      process.stderr.write(`${fill.requests} in ${f(fill.seconds, 1)} s (${f(fill.rps, 1)} req/s)\n`);
    }
    rss = { ...readProcStatus(warden.pid), requests_served: wardenServed };
    run.warden.rss = rss;

    process.stderr.write('bench: stopping Warden (SIGTERM, drain and flush) ... ');
    const stopped = await stopChild(warden.child, 'SIGTERM', 45_000);
    run.warden.stop = stopped;
    process.stderr.write(`${stopped.forced ? 'did not stop in 45 s, KILLED' : `exited ${stopped.code ?? stopped.signal}`}\n`);
    if (stopped.forced) run.errors.push('warden did not stop within 45 s of SIGTERM');
    try {
      db = await checkDatabase(warden.home, wardenServed);
      run.warden.db = db;
    } catch (e) {
      run.errors.push(`database check: ${e.message}`);
    }
  }
  if (warden && warden.child.exitCode === null) await stopChild(warden.child, 'SIGTERM', 45_000);
  await stopChild(bare.child);
  await stopChild(upstream.child);

  run.targets = computeTargets(run.results, rss, db);
  run.machine.loadavg_after = os.loadavg().map((x) => r3(x));
  run.duration_s = r3((Date.now() - startedAt.getTime()) / 1000);

  fs.mkdirSync(path.dirname(RESULTS_FILE), { recursive: true });
  fs.writeFileSync(RESULTS_FILE, `${JSON.stringify(run, null, 2)}\n`);

  process.stdout.write(`\nWarden proxy benchmark: ${run.timestamp}, ${run.machine.cpus} x ${run.machine.cpu_model}, node ${process.version}, ${SECONDS}s per scenario\n\n`);
  process.stdout.write(`${renderTable(run.results, run.targets, { db, warden: run.warden })}\n`);
  const failed = run.targets.filter((t) => t.result !== 'PASS');
  process.stdout.write(`\n${failed.length === 0 ? 'All targets PASS' : `${failed.length} of ${run.targets.length} targets FAIL: ${failed.map((t) => t.id).join(', ')}`}\n`);
  if (run.errors.length) process.stdout.write(`\nErrors:\n${run.errors.map((e) => `  ${e.split('\n')[0]}`).join('\n')}\n`);
  process.stdout.write(`Results written to ${path.relative(process.cwd(), RESULTS_FILE)}\n`);
  // A missed target is a measurement, not a failure; only "could not measure" is.
  return run.errors.length ? 1 : 0;
}

main().then(
  (code) => {
    cleanupSync();
    process.exit(code);
  },
  (err) => {
    process.stderr.write(`\nbench: ${err.stack ?? err}\n`);
    cleanupSync();
    process.exit(1);
  },
);
