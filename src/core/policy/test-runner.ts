// `policy test` logic, after `opa test`: every rule named `test_*` (not a function) in the loaded
// modules is one test, evaluated on its own. A test passes when its value is `true`; undefined or
// any other value fails; an evaluation error is ERROR. Rules named `todo_test_*` are SKIPPED.
// `with` mocking inside tests is the evaluator's; this module only discovers, runs and reports.
import { RE2JS } from 're2js';
import type { Clock } from '../deps.js';
import { ExitCode, WardenError } from '../errors.js';
import { refToPath } from './rego/ast.js';
import { compilePolicy, type SourceFile } from './rego/compile.js';
import { checkDataConflicts } from './query.js';
import { evalRule } from './rego/eval.js';
import type { Value } from './rego/value.js';
import { formatValue } from './rego/value.js';

export type TestStatus = 'pass' | 'fail' | 'error' | 'skip';

export interface TestCaseResult {
  /** Full name: `data.pkg.test_x`. */
  name: string;
  package: string;
  file: string;
  line: number;
  status: TestStatus;
  durationNs: number;
  /** Why a test failed (its value when defined but not true) or errored (code and message). */
  message?: string;
  error?: { code: string; message: string; location?: { file: string; line?: number; col?: number } };
  /** `print` output while the test ran. */
  output: string[];
}

export interface TestRunSummary {
  total: number;
  passed: number;
  failed: number;
  errored: number;
  skipped: number;
}

export interface TestRunResult {
  tests: TestCaseResult[];
  summary: TestRunSummary;
  /** True when nothing failed or errored (skips are not failures). */
  ok: boolean;
}

export interface TestRunOptions {
  sources: readonly SourceFile[];
  data?: Value;
  /** Only tests whose full name matches (RE2 syntax, unanchored, as `opa test --run`). */
  run?: string;
  clock: Pick<Clock, 'now' | 'monotonic'>;
  strictBuiltinErrors?: boolean;
  maxSteps?: number;
}

interface Discovered {
  path: string[];
  pkg: string;
  file: string;
  line: number;
  skip: boolean;
}

function compileFilter(run: string | undefined): ((name: string) => boolean) | undefined {
  if (run === undefined || run === '') return undefined;
  let re: RE2JS;
  try {
    re = RE2JS.compile(run);
  } catch (e) {
    throw new WardenError('policy_test_run_invalid', `--run ${JSON.stringify(run)}: ${(e as Error).message}`, {
      exitCode: ExitCode.usage,
    });
  }
  return (name) => re.matcher(name).find();
}

/** Finds the test rules, in file order, one entry per rule path (rules sharing a name are one test). */
export function discoverTests(modules: ReturnType<typeof compilePolicy>['modules']): Discovered[] {
  const out: Discovered[] = [];
  const seen = new Set<string>();
  for (const m of modules) {
    const pkgPath = refToPath(m.package.path);
    if (!pkgPath) continue;
    for (const r of m.rules) {
      if (r.head.args !== undefined) continue;
      const head = refToPath(r.head.ref);
      if (!head || head.length === 0) continue;
      const name = head[0];
      const skip = name.startsWith('todo_test_');
      if (!name.startsWith('test_') && !skip) continue;
      const path = [...pkgPath, ...head];
      const key = path.join('.');
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ path, pkg: pkgPath.join('.'), file: m.package.location.file, line: r.location.line, skip });
    }
  }
  return out;
}

/** Compiles the sources (a compile error is thrown, as `opa test` stops on one) and runs the tests. */
export function runPolicyTests(opts: TestRunOptions): TestRunResult {
  const policy = compilePolicy(opts.sources);
  checkDataConflicts(policy, opts.data);
  const filter = compileFilter(opts.run);
  const nowNs = BigInt(Math.trunc(opts.clock.now())) * 1_000_000n;
  const tests: TestCaseResult[] = [];
  for (const t of discoverTests(policy.modules)) {
    const name = t.path.join('.');
    if (filter && !filter(name)) continue;
    const base = { name, package: t.pkg, file: t.file, line: t.line };
    if (t.skip) {
      tests.push({ ...base, status: 'skip', durationNs: 0, output: [] });
      continue;
    }
    const output: string[] = [];
    const started = opts.clock.monotonic();
    let status: TestStatus;
    let message: string | undefined;
    let error: TestCaseResult['error'];
    try {
      const v = evalRule(policy, t.path, {
        data: opts.data,
        nowNs,
        strictBuiltinErrors: opts.strictBuiltinErrors,
        maxSteps: opts.maxSteps,
        print: (msg) => output.push(msg),
      });
      if (v === true) status = 'pass';
      else {
        status = 'fail';
        message = v === undefined ? 'undefined' : `value ${formatValue(v)}, not true`;
      }
    } catch (e) {
      status = 'error';
      if (e instanceof WardenError) {
        error = { code: e.code, message: e.message, ...(e.location ? { location: e.location } : {}) };
      } else {
        error = { code: 'internal', message: e instanceof Error ? e.message : String(e) };
      }
    }
    const durationNs = Math.max(0, Math.round((opts.clock.monotonic() - started) * 1e6));
    tests.push({ ...base, status, durationNs, ...(message ? { message } : {}), ...(error ? { error } : {}), output });
  }
  const count = (s: TestStatus): number => tests.filter((x) => x.status === s).length;
  const summary: TestRunSummary = {
    total: tests.length,
    passed: count('pass'),
    failed: count('fail'),
    errored: count('error'),
    skipped: count('skip'),
  };
  return { tests, summary, ok: summary.failed === 0 && summary.errored === 0 };
}

/** Go's time.Duration text, as `opa test` prints it: 812ns, 41.2µs, 1.3ms, 2.05s. */
export function formatDuration(ns: number): string {
  if (ns < 1_000) return `${ns}ns`;
  if (ns < 1_000_000) return `${trim(ns / 1_000)}µs`;
  if (ns < 1_000_000_000) return `${trim(ns / 1_000_000)}ms`;
  return `${trim(ns / 1_000_000_000)}s`;
}

function trim(n: number): string {
  return String(Number(n.toFixed(3)));
}

const LABEL: Record<TestStatus, string> = { pass: 'PASS', fail: 'FAIL', error: 'ERROR', skip: 'SKIPPED' };

/**
 * The `opa test` report: results grouped by file (every test with `verbose`, otherwise only
 * failures, errors and skips), a rule, `PASS: n/m` (and FAIL/ERROR/SKIPPED counts when non-zero),
 * and a closing `N passed, N failed` line (errors count as failed).
 */
export function renderTestReport(result: TestRunResult, verbose: boolean): string {
  const lines: string[] = [];
  let file: string | undefined;
  for (const t of result.tests) {
    if (!verbose && t.status === 'pass') continue;
    if (t.file !== file) {
      if (file !== undefined) lines.push('');
      file = t.file;
      lines.push(`${t.file}:`);
    }
    lines.push(`${t.name}: ${LABEL[t.status]}${t.status === 'skip' ? '' : ` (${formatDuration(t.durationNs)})`}`);
    if (t.error) {
      const loc = t.error.location;
      const where = loc ? `${loc.file}${loc.line ? `:${loc.line}` : ''}${loc.col ? `:${loc.col}` : ''}: ` : '';
      lines.push(`  ${where}${t.error.code}: ${t.error.message}`);
    }
    if (t.output.length > 0 && (verbose || t.status !== 'pass')) {
      for (const o of t.output) lines.push(`  ${o}`);
    }
  }
  const s = result.summary;
  if (lines.length > 0) lines.push('-'.repeat(80));
  if (s.total === 0) lines.push('no tests found');
  else {
    lines.push(`PASS: ${s.passed}/${s.total}`);
    if (s.failed) lines.push(`FAIL: ${s.failed}/${s.total}`);
    if (s.errored) lines.push(`ERROR: ${s.errored}/${s.total}`);
    if (s.skipped) lines.push(`SKIPPED: ${s.skipped}/${s.total}`);
  }
  lines.push(`${s.passed} passed, ${s.failed + s.errored} failed`);
  return lines.join('\n');
}
