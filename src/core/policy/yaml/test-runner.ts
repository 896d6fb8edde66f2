// YAML policy tests: `*.test.yaml` files hold cases (a partial input document → the expected
// verdict, and optionally which policies fire and which mutations apply), run against the policies
// the file names (default: its own directory) through the same engine the proxy uses. Detectors a
// policy reads run on the case's `request.messages_text` unless the case lists their results.
// A case whose document is a CI one (`phase: ci`, or CI-only keys, or the file's `phase: ci`) is
// completed as the CI input and judged by the ci-phase policies, as `warden ci` would.
import nodeFs from 'node:fs';
import path from 'node:path';
import { LineCounter, isMap, isSeq, parseDocument } from 'yaml';
import { z } from 'zod';
import { parseYamlWithSchema } from '../../config/load.js';
import type { Clock } from '../../deps.js';
import { WardenError } from '../../errors.js';
import { ciPolicyInputDocSchema, completeCiPolicyInput, isCiInputDoc } from '../ci-input.js';
import {
  MUTATION_KINDS,
  PolicyEngine,
  policyInputDocSchema,
  prepareInput,
  type AnyPolicyInput,
  type Decision,
  type Verdict,
} from '../decision.js';
import { formatLoadError, loadPolicySet } from '../packs/loader.js';

export const YAML_TEST_INVALID = 'policy_test_invalid';

const expectSchema = z
  .object({
    verdict: z.enum(['allow', 'warn', 'deny']),
    violations: z.array(z.string()).optional().meta({ description: 'Exactly the policies with violations (any enforcement).' }),
    mutations: z.array(z.enum(MUTATION_KINDS as ['redact', 'cap_max_tokens', 'route'])).optional(),
    messages: z.array(z.string()).optional().meta({ description: 'Each must occur in some violation message.' }),
  })
  .strict();

const caseSchema = z
  .object({
    name: z.string().min(1),
    // Validated by the file's check below, against the request or the CI document's schema.
    input: z.unknown().optional(),
    expect: z.union([z.enum(['allow', 'warn', 'deny']), expectSchema]),
  })
  .strict();

/** Phases a test file may set for its cases: `ci` makes every case a CI document. */
const TEST_FILE_PHASES = ['request', 'response', 'ci'] as const;

export const yamlTestFileSchema = z
  .object({
    policies: z.array(z.string().min(1)).min(1).optional(),
    phase: z.enum(TEST_FILE_PHASES).optional(),
    cases: z.array(caseSchema).min(1),
  })
  .strict()
  .superRefine((file, ctx) => {
    // Each case's input against its own document's schema, the issues kept as zod reports them
    // so parseYamlWithSchema locates them at the offending key.
    file.cases.forEach((c, i) => {
      const ci = caseIsCi(c.input, file.phase);
      const r = (ci ? ciPolicyInputDocSchema : policyInputDocSchema).safeParse(caseDoc(c.input, file.phase, ci), { reportInput: true });
      if (r.success) return;
      for (const issue of r.error.issues) ctx.addIssue({ ...issue, path: ['cases', i, 'input', ...issue.path] });
    });
  });

/** A case is a CI document when it says so, the file says so, or it has CI-only keys. */
function caseIsCi(input: unknown, filePhase: (typeof TEST_FILE_PHASES)[number] | undefined): boolean {
  const own = input !== null && typeof input === 'object' ? (input as { phase?: unknown }).phase : undefined;
  if (own !== undefined) return own === 'ci';
  return filePhase === 'ci' || isCiInputDoc(input);
}

/** The case's document with the file's phase filled in (when the case has none). */
function caseDoc(input: unknown, filePhase: (typeof TEST_FILE_PHASES)[number] | undefined, ci: boolean): unknown {
  const doc = input ?? {};
  if (filePhase === undefined || doc === null || typeof doc !== 'object' || Array.isArray(doc) || 'phase' in doc) return doc;
  return { ...doc, phase: ci ? 'ci' : filePhase };
}

export type YamlTestStatus = 'pass' | 'fail' | 'error';

export interface YamlTestCaseResult {
  file: string;
  name: string;
  line: number;
  status: YamlTestStatus;
  expected: { verdict: Verdict; violations?: string[]; mutations?: string[]; messages?: string[] };
  actual?: { verdict: Verdict; violations: string[]; mutations: string[]; messages: string[] };
  /** Why it failed or errored. */
  message?: string;
}

export interface YamlTestRunResult {
  cases: YamlTestCaseResult[];
  summary: { total: number; passed: number; failed: number; errored: number };
  /** True when nothing failed or errored. */
  ok: boolean;
}

export interface YamlTestOptions {
  clock: Pick<Clock, 'now' | 'monotonic'>;
  /** Load these policy paths for every file instead of what each file names. */
  policies?: readonly string[];
}

/** The `*.test.yaml` files under `paths` (files named directly are taken as they are), sorted. */
export function findYamlTestFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of nodeFs.readdirSync(dir, { withFileTypes: true })) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && /\.test\.ya?ml$/i.test(e.name)) out.push(p);
    }
  };
  for (const p of paths) {
    if (nodeFs.statSync(p).isDirectory()) walk(p);
    else out.push(p);
  }
  return [...new Set(out)].sort();
}

/**
 * Runs the cases of each file. A file that does not validate, or whose policies fail to load,
 * turns each of its cases (or the file, when it has none readable) into an `error` result.
 */
export function runYamlPolicyTests(files: readonly string[], opts: YamlTestOptions): YamlTestRunResult {
  const cases: YamlTestCaseResult[] = [];
  for (const file of files) cases.push(...runFile(file, opts));
  const count = (s: YamlTestStatus): number => cases.filter((c) => c.status === s).length;
  const summary = { total: cases.length, passed: count('pass'), failed: count('fail'), errored: count('error') };
  return { cases, summary, ok: summary.failed === 0 && summary.errored === 0 };
}

function runFile(file: string, opts: YamlTestOptions): YamlTestCaseResult[] {
  let text: string;
  let doc: z.infer<typeof yamlTestFileSchema>;
  try {
    text = nodeFs.readFileSync(file, 'utf8');
    doc = parseYamlWithSchema(text, file, yamlTestFileSchema, { code: YAML_TEST_INVALID, known: () => undefined });
  } catch (e) {
    const msg = e instanceof WardenError ? e.format().replace(/^warden: /, '') : (e as Error).message;
    return [{ file, name: '(file)', line: (e as WardenError).location?.line ?? 1, status: 'error', expected: { verdict: 'allow' }, message: msg }];
  }
  const lines = caseLines(text);
  const dir = path.dirname(file);
  const policyPaths = opts.policies ?? (doc.policies ?? ['.']).map((p) => path.resolve(dir, p));
  const set = loadPolicySet(policyPaths);
  const loadError = set.errors.length > 0 ? set.errors.map(formatLoadError).join('; ') : undefined;
  const engine = new PolicyEngine(set.policies, { clock: opts.clock });
  return doc.cases.map((c, i) => {
    const expected = typeof c.expect === 'string' ? { verdict: c.expect } : c.expect;
    const base = { file, name: c.name, line: lines[i] ?? 1, expected };
    if (loadError) return { ...base, status: 'error' as const, message: `policies failed to load: ${loadError}` };
    let decision: Decision;
    try {
      const ci = caseIsCi(c.input, doc.phase);
      const docIn = caseDoc(c.input, doc.phase, ci);
      const input: AnyPolicyInput = ci
        ? completeCiPolicyInput(docIn, { nowMs: opts.clock.now() })
        : prepareInput(engine, docIn, { nowMs: opts.clock.now() });
      decision = engine.evaluate(input);
    } catch (e) {
      return { ...base, status: 'error' as const, message: e instanceof Error ? e.message : String(e) };
    }
    const actual = {
      verdict: decision.verdict,
      violations: [...new Set(decision.violations.map((v) => v.policy))].sort(),
      mutations: decision.mutations.map((m) => m.kind).sort(),
      messages: decision.violations.map((v) => v.message),
    };
    const problems: string[] = [];
    if (actual.verdict !== expected.verdict) problems.push(`verdict ${actual.verdict}, expected ${expected.verdict}`);
    if (expected.violations && !sameSet(expected.violations, actual.violations)) {
      problems.push(`violations [${actual.violations.join(', ')}], expected [${[...expected.violations].sort().join(', ')}]`);
    }
    if (expected.mutations && !sameSet(expected.mutations, actual.mutations)) {
      problems.push(`mutations [${actual.mutations.join(', ')}], expected [${[...expected.mutations].sort().join(', ')}]`);
    }
    for (const m of expected.messages ?? []) {
      if (!actual.messages.some((x) => x.includes(m))) problems.push(`no violation message contains ${JSON.stringify(m)}`);
    }
    for (const err of decision.errors) problems.push(`policy ${err.policy} failed: ${err.code}: ${err.message}`);
    return problems.length === 0
      ? { ...base, status: 'pass' as const, actual }
      : { ...base, status: 'fail' as const, actual, message: problems.join('; ') };
  });
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((v) => y.has(v));
}

/** The 1-based line of each entry of `cases`. */
function caseLines(text: string): number[] {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  const root = doc.contents;
  if (!isMap(root)) return [];
  const cases = root.get('cases', true);
  if (!isSeq(cases)) return [];
  return cases.items.map((it) => {
    const r = (it as { range?: [number, number, number] } | null)?.range;
    return r ? lc.linePos(r[0]).line : 1;
  });
}

/** A report like `policy test` prints: failures and errors with their reason, then the counts. */
export function renderYamlTestReport(result: YamlTestRunResult, verbose: boolean): string {
  const lines: string[] = [];
  for (const c of result.cases) {
    if (!verbose && c.status === 'pass') continue;
    lines.push(`${c.file}:${c.line}: ${c.name}: ${c.status.toUpperCase()}${c.message ? `\n  ${c.message}` : ''}`);
  }
  const s = result.summary;
  if (s.total === 0) lines.push('no YAML test cases found');
  lines.push(`${s.passed} passed, ${s.failed + s.errored} failed`);
  return lines.join('\n');
}
