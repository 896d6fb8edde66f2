#!/usr/bin/env node
// The load generator. It runs in its own process so it never shares an event loop with the servers
// it measures: N concurrent request loops over one undici Pool (N connections, pipelining 1), each
// request timed with performance.now(); for SSE also the first body byte and the arrival of every
// event (`\n\n`-terminated). Every loop is bounded in time and in count, and a hard deadline ends
// the process whatever happens, so a stuck target cannot hang the benchmark.
//
// Usage: node bench/load.js --config '<json>' [--exit-with-stdin]
//   config: { url, method?="POST", headers?={}, body?=string, connections?=1, seconds?=5,
//             warmupSeconds?=0, maxRequests?=Infinity (measured phase), sse?=false,
//             requestTimeoutMs?=30000, raw?=false }
// Prints one JSON object (the stats; with raw: true also the raw samples, for merging rounds) on
// stdout and exits 0; exits 3 if the deadline fired (the partial stats are still printed, with
// "timed_out": true). `cpu_ms` is this process's own CPU time, start to finish.
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { emptyRaw, summarize } from './stats.js';

const { values: args } = parseArgs({
  options: {
    config: { type: 'string' },
    'exit-with-stdin': { type: 'boolean', default: false },
  },
});
if (!args.config) {
  process.stderr.write('load: --config <json> is required\n');
  process.exit(2);
}
const cfg = JSON.parse(args.config);
const url = new URL(cfg.url);
const method = cfg.method ?? 'POST';
const connections = Math.max(1, Math.floor(cfg.connections ?? 1));
const seconds = Math.max(0.1, Number(cfg.seconds ?? 5));
const warmupSeconds = Math.max(0, Number(cfg.warmupSeconds ?? 0));
const maxRequests = cfg.maxRequests === undefined || cfg.maxRequests === null ? Infinity : Math.max(0, Math.floor(cfg.maxRequests));
const sse = cfg.sse === true;
const requestTimeoutMs = Math.max(100, Number(cfg.requestTimeoutMs ?? 30_000));
const body = cfg.body ?? null;
const headers = { ...(cfg.headers ?? {}) };
if (body !== null && headers['content-type'] === undefined) headers['content-type'] = 'application/json';

if (args['exit-with-stdin']) {
  process.stdin.on('end', () => process.exit(1));
  process.stdin.on('error', () => process.exit(1));
  process.stdin.resume();
}

const pool = new Pool(url.origin, {
  connections,
  pipelining: 1,
  keepAliveTimeout: 60_000,
  headersTimeout: requestTimeoutMs,
  bodyTimeout: requestTimeoutMs,
});
const path = url.pathname + url.search;
const NL = 0x0a;

function recordError(rec, err) {
  rec.errors++;
  if (rec.errorSamples.length < 5) rec.errorSamples.push(`${err.code ?? err.name}: ${err.message}`);
}

/** One request, start to last byte. Never throws: failures are counted on the recorder. */
async function one(rec) {
  const t0 = performance.now();
  let res;
  try {
    res = await pool.request({ method, path, headers, body });
  } catch (err) {
    recordError(rec, err);
    await sleep(1); // do not spin on a refused connection
    return;
  }
  let firstByte = -1;
  let events = 0;
  let prevEndedWithNl = false;
  const offsets = sse ? [] : undefined;
  try {
    await new Promise((resolve, reject) => {
      res.body.on('data', (chunk) => {
        const t = performance.now() - t0;
        if (firstByte < 0) firstByte = t;
        rec.bytes += chunk.length;
        if (!sse) return;
        // Count event terminators ("\n\n"), including one split across two chunks.
        let from = 0;
        if (prevEndedWithNl && chunk[0] === NL) {
          offsets.push(t);
          events++;
          from = 1;
        }
        for (;;) {
          const at = chunk.indexOf('\n\n', from);
          if (at < 0) break;
          offsets.push(t);
          events++;
          from = at + 2;
        }
        prevEndedWithNl = chunk.length > from && chunk[chunk.length - 1] === NL;
      });
      res.body.on('end', resolve);
      res.body.on('error', reject);
    });
  } catch (err) {
    recordError(rec, err);
    return;
  }
  const latency = performance.now() - t0;
  rec.statusCounts[res.statusCode] = (rec.statusCounts[res.statusCode] ?? 0) + 1;
  if (res.statusCode < 200 || res.statusCode >= 300) {
    rec.non2xx++;
    return;
  }
  rec.latencies.push(latency);
  rec.firstBytes.push(firstByte < 0 ? latency : firstByte);
  if (sse) {
    rec.eventsPerResponse[events] = (rec.eventsPerResponse[events] ?? 0) + 1;
    for (let i = 0; i < offsets.length; i++) {
      rec.eventSums[i] = (rec.eventSums[i] ?? 0) + offsets[i];
      rec.eventCounts[i] = (rec.eventCounts[i] ?? 0) + 1;
    }
  }
}

/** N loops until the phase ends or the shared budget runs out. Resolves with the elapsed ms. */
async function phase(rec, durationMs, budget) {
  const start = performance.now();
  const end = start + durationMs;
  const loop = async () => {
    while (budget.left > 0 && performance.now() < end) {
      budget.left--;
      await one(rec);
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
  return performance.now() - start;
}

function cpuMs() {
  const u = process.cpuUsage();
  return Math.round((u.user + u.system) / 1000);
}

function stats(rec, elapsedMs, warmupRequests, timedOut) {
  const out = {
    target: cfg.url,
    connections,
    sse,
    warmup_requests: warmupRequests,
    ...summarize(rec, elapsedMs, { sse }),
    timed_out: timedOut,
    cpu_ms: cpuMs(),
  };
  if (cfg.raw) out.raw = rec;
  return out;
}

/** Writes the result and exits once it is flushed: stdout to a parent is asynchronous, and raw samples run to megabytes. */
function emit(result, code) {
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(code));
}

let measured; // the measured phase's samples, for partial stats if the deadline fires
let measureStart = 0;
let warmupCount = 0;
const deadline = setTimeout(
  () => {
    const rec = measured ?? emptyRaw();
    emit(stats(rec, measureStart ? performance.now() - measureStart : 1, warmupCount, true), 3);
  },
  (warmupSeconds + seconds) * 1000 + requestTimeoutMs + 10_000,
);

async function main() {
  if (warmupSeconds > 0) {
    const warm = emptyRaw();
    await phase(warm, warmupSeconds * 1000, { left: Infinity });
    warmupCount = warm.latencies.length + warm.non2xx;
  }
  measured = emptyRaw();
  measureStart = performance.now();
  const elapsed = await phase(measured, seconds * 1000, { left: maxRequests });
  clearTimeout(deadline);
  await pool.close();
  emit(stats(measured, elapsed, warmupCount, false), 0);
}

main().catch((err) => {
  process.stderr.write(`load: ${err.stack ?? err}\n`);
  process.exit(1);
});
