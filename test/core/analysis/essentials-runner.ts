// Runs coderabbitai/ast-grep-essentials (../shared/conformance/ast-grep-essentials, Apache-2.0, read
// at test time, never copied in) through Warden's own rule loader and engine: every rule file is
// loaded with loadRuleFiles, every test case is scanned with scanText as a file of the rule's
// language, and a case passes when a `valid` snippet yields no finding of the rule and an `invalid`
// one yields at least one — at the snapshot's primary label when the suite records one.
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { loadRuleFiles, type LoadedRule } from '../../../src/core/analysis/rules.js';
import { scanText } from '../../../src/core/analysis/engine.js';
import { resolveLanguage } from '../../../src/core/analysis/languages.js';
import { SHARED_CONFORMANCE, yamlFiles } from '../policy/rego/conformance-modules.js';

export const ESSENTIALS_ROOT = join(SHARED_CONFORMANCE, 'ast-grep-essentials');

export interface EssentialsCase {
  /** `<rule id>/valid#<n>` or `<rule id>/invalid#<n>`. */
  id: string;
  rule: string;
  language: string;
  status: 'pass' | 'fail' | 'skip';
  detail?: string;
}

export interface EssentialsReport {
  rules: number;
  loadErrors: string[];
  cases: EssentialsCase[];
}

interface TestFile {
  id: string;
  valid?: string[];
  invalid?: string[];
}

interface SnapshotLabel {
  source: string;
  style: string;
  start: number;
  end: number;
}

/** Primary label per invalid snippet, from tests/__snapshots__/<id>-snapshot.yml. */
function snapshots(id: string): Map<string, SnapshotLabel> {
  const file = join(ESSENTIALS_ROOT, 'tests', '__snapshots__', `${id}-snapshot.yml`);
  const out = new Map<string, SnapshotLabel>();
  if (!existsSync(file)) return out;
  const doc = parseYaml(readFileSync(file, 'utf8')) as { snapshots?: Record<string, { labels?: SnapshotLabel[] }> } | null;
  for (const [code, snap] of Object.entries(doc?.snapshots ?? {})) {
    const primary = snap?.labels?.find((l) => l.style === 'primary');
    if (primary) out.set(code, primary);
  }
  return out;
}

/** 1-based line and UTF-16 column of a UTF-8 byte offset (the snapshots count bytes). */
function positionOf(text: string, byteOffset: number): { line: number; column: number } {
  const bytes = Buffer.from(text, 'utf8');
  const prefix = bytes.subarray(0, byteOffset).toString('utf8');
  const lines = prefix.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1] as string).length + 1 };
}

export function runEssentials(): EssentialsReport {
  const loaded = loadRuleFiles([join(ESSENTIALS_ROOT, 'rules')], { unknownRelationKeys: 'ignore' });
  const byId = new Map<string, LoadedRule>(loaded.rules.map((r) => [r.meta.id, r]));
  const cases: EssentialsCase[] = [];
  for (const file of yamlFiles(join(ESSENTIALS_ROOT, 'tests'))) {
    if (file.includes('__snapshots__')) continue;
    const t = parseYaml(readFileSync(file, 'utf8')) as TestFile | null;
    if (!t?.id) continue;
    const rule = byId.get(t.id);
    const lang = rule ? resolveLanguage(rule.meta.language) : undefined;
    const ext = lang?.extensions[0];
    const snaps = snapshots(t.id);
    const add = (kind: 'valid' | 'invalid', i: number, status: EssentialsCase['status'], detail?: string) =>
      cases.push({ id: `${t.id}/${kind}#${i + 1}`, rule: t.id, language: rule?.meta.language ?? basename(file), status, ...(detail ? { detail } : {}) });
    for (const [kind, list] of [['valid', t.valid ?? []], ['invalid', t.invalid ?? []]] as const) {
      list.forEach((code, i) => {
        if (!rule) return add(kind, i, 'fail', 'the rule did not load');
        if (!ext) return add(kind, i, 'skip', `no parser for language ${rule.meta.language}`);
        const findings = scanText([rule], `case.${ext}`, code).filter((f) => f.ruleId === t.id && !f.suppressed);
        if (kind === 'valid') {
          return findings.length === 0 ? add(kind, i, 'pass') : add(kind, i, 'fail', `expected no finding, got ${findings.length} (line ${findings[0]?.start.line})`);
        }
        if (findings.length === 0) return add(kind, i, 'fail', 'expected a finding, got none');
        const label = snaps.get(code);
        if (!label) return add(kind, i, 'pass');
        const start = positionOf(code, label.start);
        const end = positionOf(code, label.end);
        const at = findings.some(
          (f) => f.start.line === start.line && f.start.column === start.column && f.end.line === end.line && f.end.column === end.column,
        );
        return at
          ? add(kind, i, 'pass')
          : add(kind, i, 'fail', `finding at ${findings.map((f) => `${f.start.line}:${f.start.column}-${f.end.line}:${f.end.column}`).join(', ')}, snapshot at ${start.line}:${start.column}-${end.line}:${end.column}`);
      });
    }
  }
  return { rules: loaded.rules.length, loadErrors: loaded.errors.map((e) => `${e.location?.file ?? ''}:${e.location?.line ?? ''}: ${e.message}`), cases };
}
