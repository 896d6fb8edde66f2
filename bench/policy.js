// `npm run bench:policy`: what policy enforcement adds to a proxied request, on the compiled build
// (dist/), with the built-in packs (policies/request) loaded through the same loader and engine
// facade the daemon uses. Per prompt size (2 KB, 100 KB) it times:
//   policies   engine.evaluate() on a prebuilt input document (YAML closures + the Rego pack)
//   input      buildPolicyInput() from the detector report (what the proxy does per request)
//   total      requiredDetectors() → runDetectors() → buildPolicyInput() → evaluate(): the whole
//              per-request cost of issue #5's target (detectors + policy evaluation)
//   gate       RequestGate.judge() on a chat request body, exactly as the proxy calls it: prompt
//              walk, detectors, risk score, session counters, input, evaluation, mutations
// and a prompt carrying a secret (the deny path). Prints a table and writes
// bench/results/policy.json with PASS/FAIL against issue #5's targets.
//
//   npm run bench:policy              build, then run
//   node bench/policy.js              run dist/ as it is (run `npx tsc -p tsconfig.build.json` first)
//   BENCH_QUICK=1 node bench/policy.js   fewer iterations (smoke run)

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { percentile } from './stats.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, '..', 'dist', 'core');
const need = ['policy/decision.js', 'policy/packs/loader.js'];
for (const f of need) {
  if (!fs.existsSync(path.join(dist, f))) {
    console.error('bench/policy: dist/ is missing; run `npx tsc -p tsconfig.build.json` (or `npm run bench:policy`)');
    process.exit(2);
  }
}
const { PolicyEngine, buildPolicyInput } = await import(pathToFileURL(path.join(dist, 'policy/decision.js')).href);
const { loadPolicySet, builtinPolicyDir } = await import(pathToFileURL(path.join(dist, 'policy/packs/loader.js')).href);
const detectFile = path.join(dist, 'detect/index.js');
const detect = fs.existsSync(detectFile) ? await import(pathToFileURL(detectFile).href) : undefined;

const { RequestGate } = await import(pathToFileURL(path.join(dist, 'policy/request-gate.js')).href);
const { LoopGuard } = await import(pathToFileURL(path.join(dist, 'session/loop-guard.js')).href);
const QUICK = process.env.BENCH_QUICK === '1';
// Issue #5: detectors + policy evaluation p50 ≤ 100 µs and p99 ≤ 1 ms at 2 KB, ≤ 3 ms at 100 KB.
const TARGETS = { total_2kb_us_p50: 100, total_2kb_us_p99: 1000, total_100kb_ms_p50: 3 };
const MAX_SCAN_CHARS = 256 * 1024;

// ---------------------------------------------------------------------------------------------
// Helpers

const now = () => performance.now();
const r1 = (x) => Math.round(x * 10) / 10;
const r3 = (x) => Math.round(x * 1000) / 1000;
const pass = (ok) => (ok ? 'PASS' : 'FAIL');

/** Runs fn `warm` times untimed, then `iters` times timed one by one; µs. */
function sample(fn, iters, warm) {
  for (let i = 0; i < warm; i++) fn();
  const out = new Float64Array(iters);
  for (let i = 0; i < iters; i++) {
    const t0 = now();
    fn();
    out[i] = (now() - t0) * 1000;
  }
  out.sort();
  return { p50: percentile(out, 0.5), p99: percentile(out, 0.99), n: iters };
}

/** A deterministic prompt of about `bytes` characters: prose, code and a stack trace, no secrets. */
function prompt(bytes) {
  const parts = [
    'You are a careful senior engineer. Review the following change and explain any bugs you find.\n',
    'The service reads orders from the queue, validates them, and writes a summary row per customer.\n',
    'function summarise(orders) {\n  const byCustomer = new Map();\n  for (const o of orders) {\n    const s = byCustomer.get(o.customerId) ?? { count: 0, total: 0 };\n    s.count += 1;\n    s.total += o.amountCents;\n    byCustomer.set(o.customerId, s);\n  }\n  return [...byCustomer.entries()];\n}\n',
    'TypeError: Cannot read properties of undefined (reading \'amountCents\')\n    at summarise (src/orders/summary.ts:42:19)\n    at processBatch (src/orders/worker.ts:88:7)\n',
    'The failing batch had 1200 orders from 37 customers; retries made it worse after the 3rd attempt.\n',
    'Please keep the answer short, list the fixes as bullet points, and add a unit test for the empty batch.\n',
  ];
  let out = '';
  for (let i = 0; out.length < bytes; i++) out += parts[i % parts.length];
  return out.slice(0, bytes);
}

// ---------------------------------------------------------------------------------------------
// Setup: the built-in packs, as the daemon loads them

const set = loadPolicySet([{ dir: builtinPolicyDir(), origin: 'builtin' }]);
if (set.errors.length > 0) {
  console.error(`bench/policy: the built-in packs failed to load: ${set.errors.map((e) => e.message).join('; ')}`);
  process.exit(1);
}
const clock = { monotonic: () => performance.now() };
const engine = new PolicyEngine(set.policies, { clock });
const principal = { key: 'key_bench', project: 'bench', user: 'alice', team: 'core', tool: 'openai-node' };
const nowMs = Date.UTC(2025, 0, 6, 12);

function detectorsFor(text, needs) {
  if (!detect || !(needs.pii || needs.secrets || needs.injection)) return undefined;
  return detect.runDetectors(text, { ...needs, maxChars: MAX_SCAN_CHARS });
}

function inputFor(text, report, needs) {
  return buildPolicyInput({
    request: {
      provider: 'openai',
      endpoint: 'chat.completions',
      model: 'gpt-4o-mini',
      stream: false,
      max_tokens: 1024,
      tools: [],
      messages_text: text,
      message_count: 2,
      estimated_input_tokens: Math.round(text.length / 4),
      estimated_cost_usd: 0.0012,
    },
    principal: { ...principal, session: null, key_name: 'bench', tags: {} },
    client: { tool: 'openai-node', user_agent: 'OpenAI/JS 6.0.0' },
    detectors: report,
    detectorsRan: report ? needs : { pii: false, secrets: false, injection: false },
    nowMs,
  });
}

/** The whole per-request path the proxy runs. */
function perRequest(text) {
  const needs = engine.requiredDetectors(principal);
  const report = detectorsFor(text, needs);
  return engine.evaluate(inputFor(text, report, needs));
}

const gate = new RequestGate({
  engineFor: () => engine,
  loopGuard: new LoopGuard(),
  price: () => 0.0012,
  maxScanChars: MAX_SCAN_CHARS,
  defaultMaxOutputTokens: 4096,
  tz: 'UTC',
});
const gatePrincipal = { keyId: 'key_bench', keyName: 'bench', project: 'bench', user: 'alice', team: 'core', sessionId: 'ses_bench', repo: null, branch: null, expiresAt: null };

/** What the proxy runs per request: judge() on a freshly parsed body (judge may rewrite it). */
function judge(text) {
  const body = { model: 'gpt-4o-mini', max_tokens: 1024, messages: [{ role: 'system', content: 'You are a careful reviewer.' }, { role: 'user', content: text }] };
  return gate.judge({ endpoint: 'chat.completions', providerName: 'openai', providerType: 'openai', model: 'gpt-4o-mini', stream: false, body, principal: gatePrincipal, tool: 'openai-node', userAgent: 'OpenAI/JS 6.0.0', nowMs });
}

// ---------------------------------------------------------------------------------------------
// Runs

const cases = [
  { label: '2 KB', text: prompt(2 * 1024), iters: QUICK ? 2_000 : 20_000, warm: QUICK ? 500 : 5_000 },
  { label: '100 KB', text: prompt(100 * 1024), iters: QUICK ? 100 : 1_000, warm: QUICK ? 20 : 200 },
];
const secretText = `${prompt(2 * 1024 - 60)}\naws_access_key_id = AKIAZ7Q3XK2M4VB6N5LP\n`;

const needs = engine.requiredDetectors(principal);
const results = {};
for (const c of cases) {
  const report = detectorsFor(c.text, needs);
  const input = inputFor(c.text, report, needs);
  const first = engine.evaluate(input);
  if (first.verdict !== 'allow' || first.errors.length > 0) {
    console.error(`bench/policy: the ${c.label} prompt was not allowed cleanly: ${JSON.stringify(first.violations)}`);
    process.exit(1);
  }
  results[c.label] = {
    policies: sample(() => engine.evaluate(input), c.iters, c.warm),
    input: sample(() => inputFor(c.text, report, needs), c.iters, c.warm),
    detectors: detect ? sample(() => detectorsFor(c.text, needs), c.iters, c.warm) : null,
    total: sample(() => perRequest(c.text), c.iters, c.warm),
    gate: sample(() => judge(c.text), c.iters, c.warm),
  };
}
const denied = perRequest(secretText);
const denyPath = sample(() => perRequest(secretText), QUICK ? 2_000 : 20_000, QUICK ? 500 : 5_000);

// ---------------------------------------------------------------------------------------------
// Report

const k2 = results['2 KB'].gate;
const k100 = results['100 KB'].gate;
const targets = {
  total_2kb_us_p50: { target: TARGETS.total_2kb_us_p50, value: r1(k2.p50), pass: k2.p50 <= TARGETS.total_2kb_us_p50 },
  total_2kb_us_p99: { target: TARGETS.total_2kb_us_p99, value: r1(k2.p99), pass: k2.p99 <= TARGETS.total_2kb_us_p99 },
  total_100kb_ms_p50: { target: TARGETS.total_100kb_ms_p50, value: r3(k100.p50 / 1000), pass: k100.p50 / 1000 <= TARGETS.total_100kb_ms_p50 },
};

const rows = [];
for (const [size, r] of Object.entries(results)) {
  for (const part of ['policies', 'input', 'detectors', 'total', 'gate']) {
    const s = r[part];
    if (s) rows.push([size, part, r1(s.p50), r1(s.p99), s.n]);
  }
}
rows.push(['2 KB + secret', 'total (deny)', r1(denyPath.p50), r1(denyPath.p99), denyPath.n]);
const head = ['prompt', 'stage', 'p50 µs', 'p99 µs', 'n'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
const line = (cells) => cells.map((c, i) => (i < 2 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
console.log(`bench/policy — built-in packs: ${set.policies.map((p) => `${p.meta.name}${p.meta.enabled ? '' : ' (disabled)'}`).join(', ')}`);
console.log(`detectors: ${detect ? 'src/core/detect (runDetectors), only those a loaded policy reads' : 'not built; policies measured alone'}`);
console.log(line(head));
for (const r of rows) console.log(line(r));
console.log('');
for (const [k, t] of Object.entries(targets)) console.log(`${k}: ${t.value} (target ≤ ${t.target}) ${pass(t.pass)}`);
console.log(`deny path verdict: ${denied.verdict} (${denied.violations.map((v) => v.policy).join(', ')})`);

const out = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: os.cpus().length,
  cpu: os.cpus()[0]?.model ?? null,
  quick: QUICK,
  policies: set.policies.map((p) => ({ name: p.meta.name, format: p.meta.format, enforcement: p.meta.enforcement, enabled: p.meta.enabled })),
  detectors: detect ? { ran: needs, max_chars: MAX_SCAN_CHARS } : null,
  results_us: results,
  deny_path_us: { ...denyPath, verdict: denied.verdict },
  targets,
};
fs.mkdirSync(path.join(here, 'results'), { recursive: true });
fs.writeFileSync(path.join(here, 'results', 'policy.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log('wrote bench/results/policy.json');
