// What `warden ci` does between parsing flags and printing: resolve base and head, compute the
// request's diff, scan what it changed (at the head commit), keep the findings the filter mode
// asks for, evaluate the CI policy packs, reach a verdict, then hand the report to each reporter.
// The verdict is computed before any reporter runs, so a reporter that fails (exit 4) can never
// change or hide it.
import nodeFs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gitFor, gitMessage } from '../analysis/diff.js';
import { runScan, type FailOn } from '../analysis/run-scan.js';
import { compareFindingsByLocation, scanReportOf, summarizeFindings } from '../analysis/scan.js';
import type { SecretsAllowlist } from '../analysis/secrets.js';
import type { ScanReport } from '../analysis/types.js';
import { systemClock, type Clock } from '../deps.js';
import { ExitCode, WardenError } from '../errors.js';
import { buildCiPolicyInput, checkRepoConfig, evaluateCiPolicies } from '../policy/ci.js';
import { contextBase, contextHead, withResolvedCommits } from './ci-env.js';
import { filterFindings } from './filter.js';
import { computePrDiff, repoTop, resolveCommit } from './pr-diff.js';
import { resolveReporters } from './reporters.js';
import { computeVerdict, renderCiSummary } from './summary.js';
import type { CiContext, CiReport, FilterMode, ReporterContext, ReporterResult } from './types.js';

export interface RunCiOptions {
  /** Where the command runs; the repository around it is scanned. */
  cwd: string;
  ci: CiContext;
  filterMode: FilterMode;
  failOn: FailOn;
  /** --base / --head: refs or commits; default from the CI context. */
  base?: string;
  head?: string;
  /** --policies: extra CI policy directories or files. */
  policyPaths: readonly string[];
  /** --reporter names; empty: none but the console. */
  reporters: readonly string[];
  /** --sarif FILE for the sarif reporter. */
  sarifFile?: string;
  /** --rules / --pack, as for warden scan. */
  rulePaths?: readonly string[];
  packs?: readonly string[];
  /** The secrets pack's allowlist (config scan.secrets). */
  secretsAllow?: SecretsAllowlist;
  dryRun: boolean;
  jobs: number;
  cacheFile?: string;
  maxFileSize: number;
  toolVersion: string;
  /** The global config dir (its policies/ holds global CI packs). */
  configDir?: string;
  timeoutMs?: number;
  clock?: Clock;
  env(name: string): string | undefined;
  /** Diagnostics (stderr). */
  onNote(msg: string): void;
  /** Lines for stdout (workflow commands). */
  out(line: string): void;
  writeFile?(file: string, data: string): void;
}

export interface RunCiResult {
  report: CiReport;
  reporters: ReporterResult[];
  /** 1 when the verdict fails; else 4 when a reporter failed; else 0. */
  exitCode: ExitCode;
  /** The base commit resolved from --base or the context. */
  base: string;
  /** Set when the head was scanned in a temporary worktree because another commit was checked out. */
  scannedWorktree?: boolean;
  /** The scan's own summary (files analysed, duration, cache hits) and the files it skipped. */
  scanSummary: ScanReport['summary'];
  skipped: ScanReport['skipped'];
}

/** Checks the head out in a temporary worktree; the returned function removes it. */
async function headWorktree(top: string, head: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'warden-ci-head-'));
  const git = gitFor(top);
  try {
    await git.raw(['worktree', 'add', '--detach', '--force', dir, head]);
  } catch (e) {
    nodeFs.rmSync(dir, { recursive: true, force: true });
    throw new WardenError('ci_checkout_failed', `could not check out the head ${head.slice(0, 12)} in a temporary worktree: ${gitMessage(e)}`, { cause: e });
  }
  return {
    dir,
    remove: async () => {
      try {
        await git.raw(['worktree', 'remove', '--force', dir]);
      } catch {
        nodeFs.rmSync(dir, { recursive: true, force: true });
        await git.raw(['worktree', 'prune']).catch(() => undefined);
      }
    },
  };
}

function linkBase(ci: CiContext, head: string): string | undefined {
  if (ci.github) return `${ci.github.serverUrl}/${ci.github.owner}/${ci.github.repo}/blob/${head}/`;
  if (ci.gitlab?.projectUrl) return `${ci.gitlab.projectUrl}/-/blob/${head}/`;
  return undefined;
}

/** The whole of `warden ci` short of printing. Throws WardenError (exit 2) for usage and config errors. */
export async function runCi(opts: RunCiOptions): Promise<RunCiResult> {
  const clock = opts.clock ?? systemClock;
  const reporters = resolveReporters(opts.reporters, opts.ci, opts.sarifFile ? { sarifFile: opts.sarifFile } : {});
  const top = nodeFs.realpathSync(await repoTop(opts.cwd));

  const headRef = opts.head ?? contextHead(opts.ci) ?? 'HEAD';
  const head = await resolveCommit(top, headRef, '--head');
  const baseRef = opts.base ?? contextBase(opts.ci);
  if (!baseRef) {
    throw new WardenError('ci_base_missing', 'no base to compare against: the CI context names none', {
      hint: 'pass --base REF (for example --base origin/main); GitHub pull_request and GitLab merge request pipelines provide it',
    });
  }
  const base = await resolveCommit(top, baseRef, '--base');
  const diff = await computePrDiff(top, base, head);
  // Reporters attach to commit ids, never to refs such as HEAD or origin/main.
  const ci = withResolvedCommits(opts.ci, head, base);

  // Line numbers must be the head's: scan the head itself, in a worktree when another commit is
  // checked out (GitHub's default checkout of a pull request is a synthetic merge commit).
  const checkedOut = await resolveCommit(top, 'HEAD', 'HEAD').catch(() => undefined);
  let root = top;
  let cleanup: (() => Promise<void>) | undefined;
  if (checkedOut !== head) {
    opts.onNote(`warden: the checked-out commit is not the head ${head.slice(0, 12)}; scanning the head in a temporary worktree`);
    const wt = await headWorktree(top, head);
    root = wt.dir;
    cleanup = wt.remove;
  }

  let scan: ScanReport;
  try {
    const paths = opts.filterMode === 'nofilter' ? [] : [...diff.files.keys()].filter((p) => nodeFs.existsSync(path.join(root, p)));
    if (opts.filterMode !== 'nofilter' && paths.length === 0) scan = scanReportOf(root);
    else {
      const result = await runScan({
        root,
        paths,
        rulePaths: opts.rulePaths ?? [],
        packs: opts.packs,
        ...(opts.secretsAllow ? { secretsAllow: opts.secretsAllow } : {}),
        jobs: opts.jobs,
        cache: opts.cacheFile !== undefined,
        cacheFile: opts.cacheFile,
        maxFileSize: opts.maxFileSize,
        failOn: 'none',
        toolVersion: opts.toolVersion,
        clock,
        onNote: opts.onNote,
      });
      scan = result.report;
    }
  } finally {
    await cleanup?.();
  }

  const { kept, inline, outside } = filterFindings(scan.findings, diff, opts.filterMode);
  kept.sort(compareFindingsByLocation);
  const narrowed: ScanReport = { ...scan, root: top, findings: kept, summary: { ...scan.summary, ...summarizeFindings(kept) } };

  const config = checkRepoConfig(top);
  const input = buildCiPolicyInput({
    ci: ci,
    base: diff.mergeBase,
    head,
    filterMode: opts.filterMode,
    failOn: opts.failOn,
    changedFiles: [...diff.files.keys()],
    addedLines: [...diff.files.values()].reduce((n, f) => n + f.added.size, 0),
    findings: kept,
    rules: scan.rules,
    filesScanned: scan.summary.files,
    config,
    nowMs: clock.now(),
  });
  const policies = evaluateCiPolicies({
    root: top,
    ...(opts.configDir ? { configDir: opts.configDir } : {}),
    extraPolicyPaths: [...opts.policyPaths],
    input,
    clock,
  });
  for (const e of policies.loadErrors) opts.onNote(e.format());
  if (policies.loadErrors.length > 0 && opts.policyPaths.length > 0) {
    const fromFlag = policies.loadErrors.find((e) => opts.policyPaths.some((p) => e.location?.file.startsWith(path.resolve(p))));
    if (fromFlag) throw fromFlag;
  }
  const decision = policies.decision;
  const verdict = computeVerdict(kept, decision, opts.failOn);
  const base0 = linkBase(ci, head);
  const summaryMarkdown = renderCiSummary({ verdict, decision, diff, filterMode: opts.filterMode, scan: narrowed, outside, ...(base0 ? { linkBase: base0 } : {}) });

  const report: CiReport = {
    tool: { name: 'warden', version: opts.toolVersion },
    root: top,
    filterMode: opts.filterMode,
    diff,
    findings: kept,
    inline,
    outside,
    rules: scan.rules,
    decision,
    verdict,
    summaryMarkdown,
  };

  const ctx: ReporterContext = {
    ci: ci,
    dryRun: opts.dryRun,
    log: opts.onNote,
    out: opts.out,
    writeFile:
      opts.writeFile ??
      ((file, data) => {
        nodeFs.mkdirSync(path.dirname(file), { recursive: true });
        nodeFs.writeFileSync(file, data);
      }),
    env: opts.env,
    outputDir: top,
    timeoutMs: opts.timeoutMs ?? 30_000,
  };
  const results: ReporterResult[] = [];
  for (const r of reporters) {
    let res: ReporterResult;
    try {
      res = await r.report(report, ctx);
    } catch (e) {
      // Reporters promise not to throw; one that does still must not take the verdict with it.
      res = { reporter: r.name, ok: false, detail: 'failed', error: (e as Error).message };
    }
    results.push(res);
  }
  const reportFailed = results.some((r) => !r.ok);
  const exitCode = !verdict.pass ? ExitCode.violations : reportFailed ? ExitCode.remoteReportFailed : ExitCode.ok;
  return { report, reporters: results, exitCode, base, scanSummary: scan.summary, skipped: scan.skipped, ...(cleanup ? { scannedWorktree: true } : {}) };
}
