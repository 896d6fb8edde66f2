// What `warden scan` does between parsing flags and printing: gathers the rule set (built-in packs,
// the repository's .warden/rules, --rules files and directories, semgrep files translated), scans,
// hands untranslated semgrep rules to a semgrep binary when there is one, narrows to a diff, applies
// or writes a baseline, and judges the exit code against --fail-on.
import nodeFs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { systemClock, type Clock } from '../deps.js';
import { ExitCode, WardenError } from '../errors.js';
import { applyBaseline, readBaseline, writeBaseline, type Baseline } from './baseline.js';
import { openResultCache } from './cache.js';
import { changedLines, filterToDiff, type ChangedLines } from './diff.js';
import { listPacks, loadPacks, loadRuleFiles, type LoadedRule, type LoadedRules, type RuleFileCache, type UntranslatedSemgrepRule } from './rules.js';
import { compareFindingsByLocation, scan, summarizeFindings, type ScanProgress } from './scan.js';
import type { SecretsAllowlist } from './secrets.js';
import { runSemgrep, semgrepAvailable, semgrepRulesSubset, type ProcessRunner } from './semgrep/index.js';
import { severityRank, type Finding, type RuleMeta, type ScanReport, type ScanSeverity } from './types.js';

export type FailOn = ScanSeverity | 'none';

export interface RunScanOptions {
  /** Absolute scan root. */
  root: string;
  /** Paths under the root to scan; empty: the whole root. */
  paths: readonly string[];
  /** --rules: ast-grep or semgrep rule files and directories. */
  rulePaths: readonly string[];
  /** --pack: built-in packs to load; undefined loads all of them, ['none'] none. */
  packs?: readonly string[];
  complexityThreshold?: number;
  /** The secrets pack's allowlist (config scan.secrets). */
  secretsAllow?: SecretsAllowlist;
  jobs: number;
  cache: boolean;
  cacheFile?: string;
  maxFileSize: number;
  diffRef?: string;
  baselineFile?: string;
  writeBaselineFile?: string;
  failOn: FailOn;
  toolVersion?: string;
  clock?: Clock;
  onProgress?: (p: ScanProgress) => void;
  /** Diagnostics for stderr (rule problems beyond the first, untranslated rules, semgrep notes). */
  onNote?: (msg: string) => void;
  /** How to run semgrep for untranslated rules (tests pass a fake); default: the binary on PATH. */
  semgrepRunner?: ProcessRunner;
  /** See ScanOptions.onWorkerAbandoned. */
  onWorkerAbandoned?: () => void;
}

export interface RunScanResult {
  report: ScanReport;
  exitCode: ExitCode;
  /** Semgrep rules the front end could not translate. */
  untranslated: UntranslatedSemgrepRule[];
  /** Of those, how many a semgrep binary ran. */
  delegated: number;
  /** The baseline applied (given or the repository's .warden/baseline.json). */
  baselineApplied?: string;
  baselineWritten?: { file: string; fingerprints: number };
}

/** The repository's own rules, when it has any: `<root>/.warden/rules`. */
export function repoRulesDir(root: string): string | undefined {
  const dir = path.join(root, '.warden', 'rules');
  return nodeFs.existsSync(dir) ? dir : undefined;
}

/** Later sources replace earlier ones with the same rule id (a repository can override a built-in rule). */
function mergeRuleSets(sets: readonly LoadedRules[]): LoadedRules {
  const byId = new Map<string, LoadedRule>();
  const out: LoadedRules = { rules: [], errors: [], untranslated: [] };
  for (const s of sets) {
    for (const r of s.rules) byId.set(r.meta.id, r);
    out.errors.push(...s.errors);
    out.untranslated.push(...s.untranslated);
  }
  out.rules = [...byId.values()];
  return out;
}

/** Loads the rule set a scan runs; throws the first problem (exit 2), the others go to onNote. */
export function gatherRules(
  opts: Pick<RunScanOptions, 'root' | 'rulePaths' | 'packs' | 'complexityThreshold' | 'secretsAllow' | 'onNote'> & { cache?: RuleFileCache },
): LoadedRules {
  const packs = opts.packs === undefined ? listPacks() : opts.packs.filter((p) => p !== 'none');
  const sets: LoadedRules[] = [loadPacks(packs, { complexityThreshold: opts.complexityThreshold, secretsAllow: opts.secretsAllow, cache: opts.cache })];
  const repo = repoRulesDir(opts.root);
  if (repo) sets.push(loadRuleFiles([repo], { cache: opts.cache }));
  if (opts.rulePaths.length > 0) sets.push(loadRuleFiles(opts.rulePaths.map((p) => path.resolve(p)), { cache: opts.cache }));
  const merged = mergeRuleSets(sets);
  if (merged.errors.length > 0) {
    const [first, ...rest] = merged.errors;
    for (const e of rest) opts.onNote?.(e.format());
    if (rest.length > 0) {
      throw new WardenError(first.code, first.message, {
        location: first.location,
        hint: [first.hint, `${rest.length} more rule problem(s) listed above`].filter(Boolean).join('\n  '),
        exitCode: ExitCode.usage,
      });
    }
    throw first;
  }
  return merged;
}

function exceeds(f: Finding, failOn: FailOn): boolean {
  return failOn !== 'none' && !f.suppressed && severityRank(f.severity) >= severityRank(failOn);
}

/** Runs the untranslated semgrep rules with a semgrep binary, file by file; [] when there is none. */
async function delegateToSemgrep(
  untranslated: readonly UntranslatedSemgrepRule[],
  opts: RunScanOptions,
): Promise<{ findings: Finding[]; metas: RuleMeta[]; ran: number }> {
  if (untranslated.length === 0) return { findings: [], metas: [], ran: 0 };
  if (!(await semgrepAvailable(opts.semgrepRunner))) {
    for (const u of untranslated) opts.onNote?.(`warden: semgrep rule ${u.id} (${u.file}) not translated: ${u.reason}; install semgrep to run it`);
    return { findings: [], metas: [], ran: 0 };
  }
  const byFile = new Map<string, string[]>();
  for (const u of untranslated) byFile.set(u.file, [...(byFile.get(u.file) ?? []), u.id]);
  const tmp = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'warden-semgrep-'));
  const findings: Finding[] = [];
  const metas: RuleMeta[] = [];
  try {
    let n = 0;
    for (const [file, ids] of byFile) {
      const subset = path.join(tmp, `rules-${n++}.yml`);
      nodeFs.writeFileSync(subset, semgrepRulesSubset(nodeFs.readFileSync(file, 'utf8'), ids));
      findings.push(
        ...(await runSemgrep(subset, opts.paths, opts.root, {
          runner: opts.semgrepRunner,
          onDiagnostic: (d) => opts.onNote?.(`warden: semgrep: ${d.path ? `${d.path}: ` : ''}${d.message}`),
        })),
      );
      for (const id of ids) metas.push({ id, message: `semgrep rule ${id}`, severity: 'medium', language: 'semgrep', source: file });
    }
  } finally {
    nodeFs.rmSync(tmp, { recursive: true, force: true });
  }
  return { findings, metas, ran: untranslated.length };
}

/** The whole of `warden scan` short of rendering and recording the run. */
export async function runScan(opts: RunScanOptions): Promise<RunScanResult> {
  const clock = opts.clock ?? systemClock;
  if (opts.baselineFile && opts.writeBaselineFile) {
    throw new WardenError('usage', '--baseline and --write-baseline cannot be used together', { exitCode: ExitCode.usage });
  }
  // Parsed rule files are cached whenever there is a cache file; --no-cache turns off per-file results only.
  const cache = opts.cacheFile ? openResultCache(opts.cacheFile, { now: clock.now }) : undefined;
  let report: ScanReport;
  let rules: LoadedRules;
  let changed: ChangedLines | undefined;
  let baselineFile: string | undefined;
  let baseline: Baseline | undefined;
  try {
    rules = gatherRules({ ...opts, cache });
    // A bad ref or baseline should fail before minutes of scanning, not after.
    changed = opts.diffRef !== undefined ? await changedLines(opts.root, opts.diffRef) : undefined;
    baselineFile = opts.baselineFile ?? (opts.writeBaselineFile ? undefined : existing(path.join(opts.root, '.warden', 'baseline.json')));
    baseline = baselineFile ? readBaseline(baselineFile) : undefined;
    report = await scan({
      root: opts.root,
      paths: opts.paths,
      rules: rules.rules,
      jobs: opts.jobs,
      cache: opts.cache && cache !== undefined,
      resultCache: opts.cache ? cache : undefined,
      maxFileSize: opts.maxFileSize,
      onProgress: opts.onProgress,
      onWorkerAbandoned: opts.onWorkerAbandoned,
      clock,
    });
  } finally {
    cache?.close();
  }

  const delegated = await delegateToSemgrep(rules.untranslated, opts);
  let findings = [...report.findings, ...delegated.findings];
  if (changed) findings = filterToDiff(findings, changed);
  if (baseline) findings = applyBaseline(findings, baseline);
  findings.sort(compareFindingsByLocation);

  let baselineWritten: RunScanResult['baselineWritten'];
  if (opts.writeBaselineFile) {
    writeBaseline(opts.writeBaselineFile, findings, { clock, toolVersion: opts.toolVersion });
    baselineWritten = { file: opts.writeBaselineFile, fingerprints: new Set(findings.filter((f) => f.suppressed?.kind !== 'inline').map((f) => f.fingerprint)).size };
  }

  const final: ScanReport = {
    ...report,
    findings,
    rules: [...report.rules, ...delegated.metas].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
    summary: { ...report.summary, ...summarizeFindings(findings) },
  };
  // Writing a baseline accepts what is there: that run passes.
  const failing = !opts.writeBaselineFile && findings.some((f) => exceeds(f, opts.failOn));
  return {
    report: final,
    exitCode: failing ? ExitCode.violations : ExitCode.ok,
    untranslated: rules.untranslated,
    delegated: delegated.ran,
    ...(baselineFile ? { baselineApplied: baselineFile } : {}),
    ...(baselineWritten ? { baselineWritten } : {}),
  };
}

function existing(file: string): string | undefined {
  return nodeFs.existsSync(file) ? file : undefined;
}
