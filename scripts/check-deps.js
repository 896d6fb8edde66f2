#!/usr/bin/env node
// Enforces DESIGN.md's dependency rule on the TypeScript sources, so it cannot rot:
//   commands → core, ui;  daemon → core;  ui → core;  core imports nothing above it
//   (no oclif, ink, react, or node:http servers), and core reaches for no globals
//   (process.env, console) — it takes a deps object instead.
// A small scanner rather than dependency-cruiser: the rule is five lines and needs no config.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const src = path.join(root, 'src');

function walk(dir) {
  const out = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p));
    else if (/\.tsx?$/.test(e.name)) out.push(p);
  }
  return out;
}

const layerOf = (file) => path.relative(src, file).split(path.sep)[0].replace(/\.(tsx?|js)$/, '');
const ALLOWED = {
  core: new Set(['core']),
  daemon: new Set(['core', 'daemon']),
  ui: new Set(['core', 'ui']),
  commands: new Set(['core', 'ui', 'commands', 'base-command']),
  'base-command': new Set(['core', 'ui']),
};
const CORE_FORBIDDEN_PACKAGES = [/^@oclif\//, /^ink(\/|$)/, /^react(\/|$)/, /^@inkjs\//, /^(node:)?https?$/, /^(node:)?http2$/];
const CORE_FORBIDDEN_GLOBALS = [
  [/\bprocess\.env\b/, 'process.env (take deps.env)'],
  [/\bconsole\.(log|error|warn|info|debug)\b/, 'console (take deps.logger)'],
];

const problems = [];
for (const file of walk(src)) {
  const layer = layerOf(file);
  const text = fs.readFileSync(file, 'utf8');
  const rel = path.relative(root, file);
  const importRe = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of text.matchAll(importRe)) {
    const spec = m[1] ?? m[2];
    const line = text.slice(0, m.index).split('\n').length;
    if (spec.startsWith('.')) {
      const target = path.resolve(path.dirname(file), spec);
      if (!target.startsWith(src)) continue;
      const tl = layerOf(target);
      if (ALLOWED[layer] && !ALLOWED[layer].has(tl)) problems.push(`${rel}:${line}: ${layer} must not import ${tl} (${spec})`);
    } else if (layer === 'core' && CORE_FORBIDDEN_PACKAGES.some((re) => re.test(spec))) {
      problems.push(`${rel}:${line}: core must not import ${spec}`);
    }
  }
  if (layer === 'core') {
    const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    for (const [re, what] of CORE_FORBIDDEN_GLOBALS) {
      const m = re.exec(code);
      if (m) problems.push(`${rel}: core must not use ${what}`);
    }
  }
}

if (problems.length) {
  process.stderr.write(`dependency rule broken (DESIGN.md, Layout):\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
  process.exit(1);
}
process.stdout.write('dependency rule: ok\n');
