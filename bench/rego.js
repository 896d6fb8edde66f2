// `npm run bench:rego`: speed of the pure-TypeScript Rego engine on the compiled build (dist/):
// parse + compile of a generated ~500-line policy, per-request evaluation of a typical request
// policy against an equivalent hand-written JS function, and comprehension scaling (1k–10k).
// Prints a table and writes bench/results/rego.json with PASS/FAIL per target.
//
//   npm run bench:rego            build, then run
//   node bench/rego.js            run dist/ as it is (run `npx tsc -p tsconfig.build.json` first)
//   BENCH_QUICK=1 node bench/rego.js   fewer iterations (smoke run)

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { percentile } from './stats.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, '..', 'dist', 'core', 'policy', 'rego');
if (!fs.existsSync(path.join(dist, 'eval.js'))) {
  console.error('bench/rego: dist/ is missing; run `npx tsc -p tsconfig.build.json` (or `npm run bench:rego`)');
  process.exit(2);
}
const { compilePolicy } = await import(pathToFileURL(path.join(dist, 'compile.js')).href);
const { evalRule } = await import(pathToFileURL(path.join(dist, 'eval.js')).href);
const { fromJson, toJson } = await import(pathToFileURL(path.join(dist, 'value.js')).href);

const QUICK = process.env.BENCH_QUICK === '1';
const TARGETS = { compile_ms_p50: 20, eval_us_p50: 30, ratio_vs_js: 5, linear_spread: 2 };

// ---------------------------------------------------------------------------------------------
// Helpers

const now = () => performance.now();

function stats(samples) {
  const s = Float64Array.from(samples).sort();
  let sum = 0;
  for (const x of s) sum += x;
  return { n: s.length, mean: sum / s.length, p50: percentile(s, 0.5), p90: percentile(s, 0.9), p99: percentile(s, 0.99), min: s[0] };
}

/** Runs fn `warm` times untimed, then `iters` times timed one by one; samples in µs. */
function sample(fn, iters, warm) {
  for (let i = 0; i < warm; i++) fn();
  const out = new Float64Array(iters);
  for (let i = 0; i < iters; i++) {
    const t0 = now();
    fn();
    out[i] = (now() - t0) * 1000;
  }
  return stats(out);
}

const r2 = (x) => Math.round(x * 100) / 100;
const pass = (ok) => (ok ? 'PASS' : 'FAIL');

// ---------------------------------------------------------------------------------------------
// (a) A generated ~500-line policy: a library module and a request module using it

function generatedPolicy() {
  const lib = [
    'package warden.lib.util',
    '',
    'import rego.v1',
    '',
    '# Helpers shared by the request rules.',
    'has_prefix(s, prefixes) if {',
    '\tsome p in prefixes',
    '\tstartswith(s, p)',
    '}',
    '',
    'total_chars(msgs) := sum([count(m.content) | some m in msgs])',
    '',
    'by_role(msgs, role) := [m | some m in msgs; m.role == role]',
    '',
    'label(kind, n) := sprintf("%s:%d", [kind, n])',
    '',
    'clamp(x, lo, hi) := lo if x < lo',
    'else := hi if x > hi',
    'else := x',
    '',
  ];
  const main = ['package warden.request', '', 'import rego.v1', 'import data.warden.lib.util', 'import input.principal', ''];
  main.push('default allow := false', '', 'allow if count(deny) == 0', '');
  for (let i = 0; i < 19; i++) {
    main.push(
      `# Rule group ${i}: model family ${i}, team quota and detector thresholds.`,
      `family_${i} := {"m${i}-small", "m${i}-large", "m${i}-vision"}`,
      '',
      `deny contains msg if {`,
      `\tinput.model in family_${i}`,
      `\tnot principal.team in {"team-${i}", "platform"}`,
      `\tmsg := sprintf("model %s is reserved for team-${i}", [input.model])`,
      `}`,
      '',
      `warn contains msg if {`,
      `\tsome d in input.detectors.pii`,
      `\td.score > 0.${(i % 9) + 1}`,
      `\td.kind == "kind-${i}"`,
      `\tmsg := util.label(d.kind, ${i})`,
      `}`,
      '',
      `quota_${i}[team] := n if {`,
      `\tsome team in {"team-${i}", "ops-${i}"}`,
      `\tn := ${1000 * (i + 1)}`,
      `}`,
      '',
      `heavy_${i} := [m.content | some m in input.messages; count(m.content) > ${100 + i}]`,
      '',
      `score_${i}(x) := util.clamp(x * ${i + 1}, 0, 100)`,
      '',
    );
  }
  main.push(
    'mutate contains {"kind": "cap_max_tokens", "value": 4096} if input.max_tokens > 4096',
    '',
    'summary := {k: v | some k, v in {"deny": count(deny), "warn": count(warn)}}',
    '',
  );
  return [
    { file: 'lib/util.rego', text: lib.join('\n') },
    { file: 'request.rego', text: main.join('\n') },
  ];
}

// ---------------------------------------------------------------------------------------------
// (b) A typical request policy (20 rules) and its hand-written JS twin

const REQUEST_POLICY = `package warden.request

import rego.v1

allowed_models := {"gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet-latest", "claude-3-5-haiku-latest"}

blocked_prefixes := ["o1-", "gpt-4-32k", "text-davinci"]

max_tokens_cap := 4096

model := input.model

principal := input.principal

model_allowed if allowed_models[model]

model_allowed if glob.match("claude-3-*-latest", ["-"], model)

deny contains msg if {
	not model_allowed
	msg := sprintf("model %s is not allowed for team %s", [model, principal.team])
}

deny contains msg if {
	some p in blocked_prefixes
	startswith(model, p)
	msg := sprintf("model prefix %s is blocked", [p])
}

deny contains msg if {
	input.max_tokens > 32000
	msg := sprintf("max_tokens %d exceeds the hard limit", [input.max_tokens])
}

deny contains "too many messages" if count(input.messages) > 64

deny contains msg if {
	some d in input.detectors.secrets
	d.confidence >= 0.9
	msg := sprintf("secret detected: %s", [d.kind])
}

deny contains msg if {
	input.detectors.injection.score > 0.8
	msg := sprintf("prompt injection risk %v", [input.detectors.injection.score])
}

deny contains msg if {
	"contractor" in principal.tags
	endswith(model, "-latest")
	msg := sprintf("contractors may not use %s", [model])
}

pii_hits := [h | some h in input.detectors.pii; h.kind != "email"]

warn contains msg if {
	count(pii_hits) > 0
	msg := sprintf("%d PII findings in the prompt", [count(pii_hits)])
}

system_messages := [m | some m in input.messages; m.role == "system"]

warn contains "no system prompt" if count(system_messages) == 0

user_chars := sum([count(m.content) | some m in input.messages; m.role == "user"])

warn contains msg if {
	user_chars > 1000
	msg := sprintf("large prompt: %d characters", [user_chars])
}

warn contains msg if {
	not startswith(principal.tool, "claude-code")
	not startswith(principal.tool, "codex")
	msg := sprintf("unrecognised tool %s", [principal.tool])
}

mutate contains {"kind": "cap_max_tokens", "value": max_tokens_cap} if input.max_tokens > max_tokens_cap
`;

const ALLOWED = new Set(['gpt-4o', 'gpt-4o-mini', 'claude-3-5-sonnet-latest', 'claude-3-5-haiku-latest']);
const BLOCKED_PREFIXES = ['o1-', 'gpt-4-32k', 'text-davinci'];
const CLAUDE_GLOB = /^claude-3-[^-]*-latest$/;

/** The same decisions as REQUEST_POLICY, written by hand over the parsed JSON. */
function handWritten(input) {
  const deny = new Set();
  const warn = new Set();
  const mutate = [];
  const model = input.model;
  const p = input.principal;
  if (!(ALLOWED.has(model) || (typeof model === 'string' && CLAUDE_GLOB.test(model)))) {
    deny.add(`model ${model} is not allowed for team ${p.team}`);
  }
  for (const pre of BLOCKED_PREFIXES) if (model.startsWith(pre)) deny.add(`model prefix ${pre} is blocked`);
  if (input.max_tokens > 32000) deny.add(`max_tokens ${input.max_tokens} exceeds the hard limit`);
  if (input.messages.length > 64) deny.add('too many messages');
  for (const d of input.detectors.secrets) if (d.confidence >= 0.9) deny.add(`secret detected: ${d.kind}`);
  if (input.detectors.injection.score > 0.8) deny.add(`prompt injection risk ${input.detectors.injection.score}`);
  if (p.tags.includes('contractor') && model.endsWith('-latest')) deny.add(`contractors may not use ${model}`);
  const pii = input.detectors.pii.filter((h) => h.kind !== 'email');
  if (pii.length > 0) warn.add(`${pii.length} PII findings in the prompt`);
  let system = 0;
  let userChars = 0;
  for (const m of input.messages) {
    if (m.role === 'system') system++;
    else if (m.role === 'user') userChars += [...m.content].length;
  }
  if (system === 0) warn.add('no system prompt');
  if (userChars > 1000) warn.add(`large prompt: ${userChars} characters`);
  if (!p.tool.startsWith('claude-code') && !p.tool.startsWith('codex')) warn.add(`unrecognised tool ${p.tool}`);
  if (input.max_tokens > 4096) mutate.push({ kind: 'cap_max_tokens', value: 4096 });
  return { deny: [...deny].sort(), warn: [...warn].sort(), mutate };
}

function requestInput() {
  const para = 'Please review the attached function and suggest a safer way to handle the retry loop. ';
  return {
    model: 'claude-3-5-sonnet-latest',
    max_tokens: 8192,
    stream: true,
    temperature: 0.2,
    messages: [
      { role: 'system', content: 'You are a careful senior engineer. Answer briefly and cite the code you change.' },
      { role: 'user', content: para.repeat(6) },
      { role: 'assistant', content: 'The loop retries without backoff; add exponential backoff with jitter and a cap.' },
      { role: 'user', content: para.repeat(5) + 'My email is dev@example.com and the key is in the vault.' },
    ],
    principal: {
      key: 'wk_3f9a',
      project: 'payments',
      user: 'alice',
      team: 'platform',
      session: 's-20261122-0042',
      tool: 'claude-code/1.0.71',
      tags: ['employee', 'eu', 'oncall'],
    },
    detectors: {
      pii: [
        { kind: 'email', score: 0.99, start: 812, end: 827 },
        { kind: 'phone', score: 0.35, start: 610, end: 622 },
        { kind: 'person', score: 0.7, start: 40, end: 45 },
      ],
      secrets: [{ kind: 'generic-api-key', confidence: 0.4, start: 900, end: 932 }],
      injection: { score: 0.05, signals: [] },
      risk: 12,
    },
  };
}

function regoDecision(doc) {
  const j = toJson(doc);
  return { deny: [...(j.deny ?? [])].sort(), warn: [...(j.warn ?? [])].sort(), mutate: j.mutate ?? [] };
}

// ---------------------------------------------------------------------------------------------
// (c) Comprehension scaling

const COMPR_POLICY = `package bench.compr

import rego.v1

doubled := [y | some x in input.items; x % 3 != 0; y := x * 2]

distinct := {y | some x in input.items; y := x % 1000}

n := count(doubled) + count(distinct)
`;

// ---------------------------------------------------------------------------------------------
// Run

const results = { timestamp: new Date().toISOString(), machine: machineInfo(), quick: QUICK, targets: TARGETS, scenarios: {} };

function machineInfo() {
  return {
    cpus: os.cpus().length,
    cpu_model: os.cpus()[0]?.model ?? null,
    total_mem_mb: Math.round(os.totalmem() / 2 ** 20),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadavg: os.loadavg().map(r2),
  };
}

// (a)
{
  const files = generatedPolicy();
  const lines = files.reduce((n, f) => n + f.text.split('\n').length, 0);
  const s = sample(() => compilePolicy(files), QUICK ? 20 : 200, QUICK ? 5 : 30);
  const p50ms = s.p50 / 1000;
  results.scenarios.compile = {
    lines,
    rules: files[1].text.split('\n').filter((l) => /^(deny|warn|quota_|heavy_|score_|family_|mutate|summary|allow|default)/.test(l)).length,
    ms: { p50: r2(p50ms), p99: r2(s.p99 / 1000), mean: r2(s.mean / 1000), min: r2(s.min / 1000) },
    target_ms: TARGETS.compile_ms_p50,
    result: pass(p50ms <= TARGETS.compile_ms_p50),
  };
}

// (b)
{
  const policy = compilePolicy([{ file: 'request.rego', text: REQUEST_POLICY }]);
  const raw = requestInput();
  const inputBytes = Buffer.byteLength(JSON.stringify(raw));
  const converted = fromJson(raw);
  const want = handWritten(raw);
  const got = regoDecision(evalRule(policy, 'data.warden.request', { input: converted }));
  if (JSON.stringify(want) !== JSON.stringify(got)) {
    console.error('bench/rego: the Rego policy and the hand-written function disagree:\n', JSON.stringify({ want, got }, null, 2));
    process.exit(1);
  }
  const iters = QUICK ? 2000 : 50000;
  const warm = QUICK ? 500 : 5000;
  let sink = 0;
  const rego = sample(() => {
    sink += evalRule(policy, 'data.warden.request', { input: converted }) ? 1 : 0;
  }, iters, warm);
  const regoWithInput = sample(() => {
    sink += evalRule(policy, 'data.warden.request', { input: fromJson(raw) }) ? 1 : 0;
  }, iters, warm);
  const js = sample(() => {
    sink += handWritten(raw).deny.length;
  }, iters, warm);
  const ratio = rego.p50 / js.p50;
  results.scenarios.eval = {
    rules: 20,
    input_bytes: inputBytes,
    decision: want,
    iterations: iters,
    rego_us: { p50: r2(rego.p50), p90: r2(rego.p90), p99: r2(rego.p99), mean: r2(rego.mean) },
    rego_with_input_conversion_us: { p50: r2(regoWithInput.p50), p90: r2(regoWithInput.p90), p99: r2(regoWithInput.p99), mean: r2(regoWithInput.mean) },
    js_us: { p50: r2(js.p50), p90: r2(js.p90), p99: r2(js.p99), mean: r2(js.mean) },
    ratio_p50: r2(ratio),
    target_us_p50: TARGETS.eval_us_p50,
    target_ratio: TARGETS.ratio_vs_js,
    result: pass(rego.p50 <= TARGETS.eval_us_p50),
    ratio_result: pass(ratio <= TARGETS.ratio_vs_js),
    sink: sink > 0,
  };
}

// (c)
{
  const policy = compilePolicy([{ file: 'compr.rego', text: COMPR_POLICY }]);
  const sizes = [1000, 2000, 5000, 10000];
  const rows = [];
  for (const size of sizes) {
    const input = fromJson({ items: Array.from({ length: size }, (_, i) => i) });
    const expect = size - Math.floor((size - 1) / 3) - 1 + Math.min(size, 1000);
    const got = toJson(evalRule(policy, 'data.bench.compr.n', { input }));
    if (got !== expect) {
      console.error(`bench/rego: comprehension of ${size} gave ${got}, want ${expect}`);
      process.exit(1);
    }
    const iters = QUICK ? 5 : Math.max(20, Math.round(200000 / size));
    const s = sample(() => evalRule(policy, 'data.bench.compr.n', { input }), iters, Math.max(3, iters >> 2));
    rows.push({ size, iterations: iters, ms_p50: r2(s.p50 / 1000), ns_per_element: Math.round((s.p50 * 1000) / size) });
  }
  const per = rows.map((r) => r.ns_per_element);
  const spread = Math.max(...per) / Math.min(...per);
  results.scenarios.comprehension = {
    policy: 'doubled := [y | some x in input.items; x % 3 != 0; y := x * 2]; distinct := {y | some x in input.items; y := x % 1000}',
    sizes: rows,
    per_element_spread: r2(spread),
    target_spread: TARGETS.linear_spread,
    result: pass(spread <= TARGETS.linear_spread),
  };
}

// ---------------------------------------------------------------------------------------------
// Report

const { compile, eval: ev, comprehension: cp } = results.scenarios;
const table = [
  ['measure', 'value', 'target', 'result'],
  [`parse+compile ${compile.lines}-line policy (p50)`, `${compile.ms.p50} ms (p99 ${compile.ms.p99})`, `≤ ${TARGETS.compile_ms_p50} ms`, compile.result],
  [`eval request policy, ${ev.input_bytes} B input (p50)`, `${ev.rego_us.p50} µs (p99 ${ev.rego_us.p99})`, `≤ ${TARGETS.eval_us_p50} µs`, ev.result],
  ['  + fromJson(input) per request (p50)', `${ev.rego_with_input_conversion_us.p50} µs (p99 ${ev.rego_with_input_conversion_us.p99})`, '(info)', ''],
  ['  hand-written JS (p50)', `${ev.js_us.p50} µs (p99 ${ev.js_us.p99})`, '(info)', ''],
  ['  ratio rego / JS (p50)', `${ev.ratio_p50}×`, `≤ ${TARGETS.ratio_vs_js}×`, ev.ratio_result],
  ...cp.sizes.map((r) => [`comprehension ${r.size} elements (p50)`, `${r.ms_p50} ms = ${r.ns_per_element} ns/elem`, '', '']),
  ['  per-element spread (max/min)', `${cp.per_element_spread}×`, `≤ ${TARGETS.linear_spread}× (linear)`, cp.result],
];
const widths = table[0].map((_, c) => Math.max(...table.map((row) => String(row[c]).length)));
for (const [i, row] of table.entries()) {
  console.log(row.map((x, c) => String(x).padEnd(widths[c])).join('  ').trimEnd());
  if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
}
console.log(`\nnode ${results.machine.node}, ${results.machine.cpus}× ${results.machine.cpu_model}, load ${results.machine.loadavg.join(' ')}`);

const outDir = path.join(here, 'results');
fs.mkdirSync(outDir, { recursive: true });
fs.writeFileSync(path.join(outDir, 'rego.json'), `${JSON.stringify(results, null, 2)}\n`);
console.log(`wrote ${path.relative(process.cwd(), path.join(outDir, 'rego.json'))}`);
