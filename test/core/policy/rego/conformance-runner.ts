// Runs OPA's YAML conformance cases (../shared/conformance/opa/{v1,v0}) the way OPA's own runner does
// (binding rows as a set, sort_bindings, want_error[_code], strict_error), and regorus' cases
// (../shared/conformance/regorus) the way its harness does: the query's value, `error`, `no_result`.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { isWardenError, type WardenError } from '../../../../src/core/errors.js';
import { compileModules } from '../../../../src/core/policy/rego/compile.js';
import { evalQuery } from '../../../../src/core/policy/rego/eval.js';
import { parseModule } from '../../../../src/core/policy/rego/parser.js';
import {
  SetValue,
  compare,
  equals,
  formatValue,
  fromJson,
  parseJson,
  toJsonText,
  ObjectValue,
  type Value,
} from '../../../../src/core/policy/rego/value.js';
import { CONFORMANCE_ROOT, yamlFiles } from './conformance-modules.js';

export type CaseStatus = 'pass' | 'fail' | 'error' | 'skip';

/** The Rego syntax the suite's modules are written in (OPA's v0 suite is parsed as v0). */
export type SuiteVersion = 'v0' | 'v1';

export interface ConformanceCase {
  id: string;
  category: string;
  file: string;
  note: string;
  query: string;
  modules: string[];
  data?: unknown;
  input?: unknown;
  inputTerm?: string;
  wantResult?: Array<Record<string, unknown>>;
  sortBindings: boolean;
  wantError?: string;
  wantErrorCode?: string;
  strictError: boolean;
  regoVersion: SuiteVersion;
}

export interface CaseResult {
  id: string;
  category: string;
  status: CaseStatus;
  /** Why it failed / errored / was skipped. */
  detail?: string;
}

export interface CategorySummary {
  pass: number;
  fail: number;
  error: number;
  skip: number;
}

export interface ConformanceReport {
  total: number;
  passed: number;
  failed: number;
  errored: number;
  skipped: number;
  categories: Record<string, CategorySummary>;
  /** Skip reasons (missing builtins) with their case counts. */
  skipReasons: Record<string, number>;
  results: CaseResult[];
}

interface YamlCase {
  note?: string;
  query?: string;
  modules?: string[];
  data?: unknown;
  input?: unknown;
  input_term?: string;
  want_result?: Array<Record<string, unknown>>;
  sort_bindings?: boolean;
  want_error?: string;
  want_error_code?: string;
  strict_error?: boolean;
}


/** Every case under `<CONFORMANCE_ROOT>/<version>`; ids are the notes, made unique with `#n`. */
export function loadCases(version: SuiteVersion = 'v1'): ConformanceCase[] {
  const root = join(CONFORMANCE_ROOT, version);
  const out: ConformanceCase[] = [];
  const seen = new Map<string, number>();
  for (const file of yamlFiles(root)) {
    const rel = relative(root, file);
    const category = rel.split('/')[0];
    // Integers stay exact (bigint) so numbers beyond 2^53 reach the engine unrounded.
    const doc = parseYaml(readFileSync(file, 'utf8'), { intAsBigInt: true }) as { cases?: YamlCase[] } | null;
    for (const c of doc?.cases ?? []) {
      const note = c.note ?? rel;
      const n = (seen.get(note) ?? 0) + 1;
      seen.set(note, n);
      out.push({
        id: n === 1 ? note : `${note}#${n}`,
        category,
        file: rel,
        note,
        query: c.query ?? '',
        modules: c.modules ?? [],
        data: c.data,
        input: c.input,
        inputTerm: c.input_term,
        wantResult: c.want_result,
        sortBindings: c.sort_bindings === true,
        wantError: c.want_error,
        wantErrorCode: c.want_error_code,
        strictError: c.strict_error === true,
        regoVersion: version,
      });
    }
  }
  return out;
}

/**
 * A value as OPA's runner sees it after ast.JSON: sets become sorted arrays, non-string keys their
 * compact JSON text (toJsonText writes both the way OPA does).
 */
function viaJson(v: Value): Value {
  return parseJson(toJsonText(v));
}

function sortTop(v: Value): Value {
  return Array.isArray(v) ? [...(v as Value[])].sort(compare) : v;
}

function rowSet(rows: Array<Record<string, Value>>, sortBindings: boolean): SetValue {
  const s = new SetValue();
  for (const r of rows) {
    const o = new ObjectValue();
    for (const [k, v] of Object.entries(r)) o.set(k, sortBindings ? sortTop(v) : v);
    s.add(o);
  }
  return s;
}

/** OPA's error text: `file:line: code: message`. */
function errorText(e: WardenError): string {
  const loc = e.location ? `${e.location.file}${e.location.line ? `:${e.location.line}` : ''}: ` : '';
  return `${loc}${e.code}: ${e.message}`;
}

const UNDEFINED_FN = /^undefined function (\S+)$/;

function fail(c: ConformanceCase, status: CaseStatus, detail: string): CaseResult {
  return { id: c.id, category: c.category, status, detail };
}

/** Runs one case. Never throws: engine bugs surface as status `error`. */
export function runCase(c: ConformanceCase, nowNs = 1_700_000_000_000_000_000n): CaseResult {
  try {
    const modules = c.modules.map((text, i) => parseModule(text, { file: `test-${i}.rego`, regoVersion: c.regoVersion }));
    const policy = compileModules(modules);
    const data = c.data === undefined ? undefined : fromJson(c.data);
    let input: Value | undefined = c.input === undefined ? undefined : fromJson(c.input);
    if (c.inputTerm !== undefined) {
      const rows = evalQuery(compileModules([]), `__input__ = ${c.inputTerm}`);
      input = rows[0]?.bindings.__input__;
    }
    const rows = evalQuery(policy, c.query, { input, data, strictBuiltinErrors: c.strictError, nowNs });
    if (c.wantError !== undefined || c.wantErrorCode !== undefined) {
      return fail(c, 'fail', `expected error ${c.wantErrorCode ?? ''} ${c.wantError ?? ''}, got ${rows.length} rows`);
    }
    if (c.wantResult === undefined) return fail(c, 'fail', 'case has no expectation');
    const got = rowSet(
      rows.map((r) => Object.fromEntries(Object.entries(r.bindings).map(([k, v]) => [k, viaJson(v)]))),
      c.sortBindings,
    );
    const want = rowSet(
      c.wantResult.map((r) => Object.fromEntries(Object.entries(r ?? {}).map(([k, v]) => [k, fromJson(v)]))),
      c.sortBindings,
    );
    if (!equals(got, want)) return fail(c, 'fail', `want ${formatValue(want)}\n got ${formatValue(got)}`);
    return { id: c.id, category: c.category, status: 'pass' };
  } catch (e) {
    if (!isWardenError(e)) return fail(c, 'error', `crash: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    const m = UNDEFINED_FN.exec(e.message);
    if (e.code === 'rego_type_error' && m && !m[1].startsWith('data.')) {
      return { id: c.id, category: c.category, status: 'skip', detail: `builtin ${m[1]} not implemented` };
    }
    const text = errorText(e);
    if (c.wantError === undefined && c.wantErrorCode === undefined) return fail(c, 'fail', `unexpected error: ${text}`);
    if (c.wantErrorCode !== undefined && e.code !== c.wantErrorCode) {
      return fail(c, 'fail', `want error code ${c.wantErrorCode}, got ${text}`);
    }
    if (c.wantError !== undefined && !text.includes(c.wantError)) {
      return fail(c, 'fail', `want error containing "${c.wantError}", got ${text}`);
    }
    return { id: c.id, category: c.category, status: 'pass' };
  }
}

export function runConformance(cases: readonly ConformanceCase[]): ConformanceReport {
  return summarize(cases.map((c) => runCase(c)));
}

/** Per-category counts, skip reasons and totals of a run. */
export function summarize(results: CaseResult[]): ConformanceReport {
  const categories: Record<string, CategorySummary> = {};
  const skipReasons: Record<string, number> = {};
  for (const r of results) {
    const s = (categories[r.category] ??= { pass: 0, fail: 0, error: 0, skip: 0 });
    s[r.status]++;
    if (r.status === 'skip' && r.detail) skipReasons[r.detail] = (skipReasons[r.detail] ?? 0) + 1;
  }
  const count = (s: CaseStatus): number => results.filter((r) => r.status === s).length;
  return {
    total: results.length,
    passed: count('pass'),
    failed: count('fail'),
    errored: count('error'),
    skipped: count('skip'),
    categories,
    skipReasons,
    results,
  };
}

/** The per-category table and the closing `<suite> conformance (of N): N passed, N failed, N skipped` line. */
export function formatReport(r: ConformanceReport, suite = 'opa v1'): string {
  const lines: string[] = [];
  const names = Object.keys(r.categories).sort();
  const w = Math.max(...names.map((n) => n.length), 8);
  lines.push(`${'category'.padEnd(w)}  pass  fail  error  skip`);
  for (const n of names) {
    const s = r.categories[n];
    lines.push(`${n.padEnd(w)}  ${String(s.pass).padStart(4)}  ${String(s.fail).padStart(4)}  ${String(s.error).padStart(5)}  ${String(s.skip).padStart(4)}`);
  }
  for (const [reason, n] of Object.entries(r.skipReasons).sort()) lines.push(`skipped ${n}: ${reason}`);
  // Worded so it is not mistaken for the whole test run's closing line (known failures are gated by the expected list).
  lines.push(`${suite} conformance (of ${r.total}): ${r.passed} passed, ${r.failed + r.errored} failed, ${r.skipped} skipped`);
  return lines.join('\n');
}

export function writeReport(r: ConformanceReport, path: string): void {
  writeFileSync(path, `${JSON.stringify(r, null, 2)}\n`);
}
