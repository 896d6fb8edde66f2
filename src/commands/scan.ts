// `warden scan [PATH…]`: static analysis of a repository with the built-in rule packs and any
// ast-grep or semgrep rules, rendered as a table or a machine format, recorded in the store.
import os from 'node:os';
import fs from 'node:fs';
import path from 'node:path';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { renderGitlabCodeQuality } from '../core/analysis/outputs/gitlab.js';
import { toScanJson, type ScanJson } from '../core/analysis/outputs/json.js';
import { renderJUnit } from '../core/analysis/outputs/junit.js';
import { renderMarkdown } from '../core/analysis/outputs/markdown.js';
import { renderSarif } from '../core/analysis/outputs/sarif.js';
import { runScan, type FailOn, type RunScanResult } from '../core/analysis/run-scan.js';
import type { ScanProgress } from '../core/analysis/scan.js';
import { SCAN_SEVERITIES, type ScanReport } from '../core/analysis/types.js';
import { newId } from '../core/auth/virtual-keys.js';
import { findRepoRoot, loadConfig, repoConfigFile } from '../core/config/load.js';
import { parseSize } from '../core/config/schema.js';
import { ExitCode, WardenError } from '../core/errors.js';
import { openStore } from '../core/store/db.js';
import { recordScanRun } from '../core/store/repos/scan-runs.js';
import { renderScanTable } from '../ui/scan-table.js';

interface RenderContext {
  failOn: FailOn;
  toolVersion: string;
  color: boolean;
  /** The scan root relative to the repository root ('' when they are the same), for path-prefixed formats. */
  rootInRepo: string;
}

/** The output formats: one line each. */
const FORMATS: Record<string, (report: ScanReport, ctx: RenderContext) => string> = {
  table: (r, ctx) => renderScanTable(r, { color: ctx.color, failOn: ctx.failOn }),
  json: (r) => `${JSON.stringify(toScanJson(r), null, 2)}\n`,
  sarif: (r, ctx) => renderSarif(r, { toolVersion: ctx.toolVersion }),
  junit: (r, ctx) => renderJUnit(r, { failOn: ctx.failOn }),
  markdown: (r, ctx) => renderMarkdown(r, { failOn: ctx.failOn }),
  gitlab: (r, ctx) => renderGitlabCodeQuality(r, ctx.rootInRepo ? { pathPrefix: ctx.rootInRepo } : {}),
};

export type ScanResult = ScanJson & {
  /** Semgrep rules that could not be translated, and whether a semgrep binary ran them. */
  untranslated?: { id: string; file: string; constructs: string[]; reason: string; delegated: boolean }[];
};

export default class Scan extends BaseCommand<typeof Scan> {
  static override summary = 'Scan a repository for LLM-security, security, secret and complexity findings.';

  static override description = `Scans PATH… (default: the current directory; paths in the report are relative to the
repository root) with the built-in rule packs (llm, security, secrets, complexity; pick with --pack,
--pack none for none), the repository's .warden/rules/, and any
--rules file or directory (ast-grep YAML rules, or semgrep rule files: the mappable subset is
translated; the rest runs through a semgrep binary when one is on PATH).

Files ignored by .gitignore, .git/info/exclude or .wardenignore are left out, and so are vendored and
generated directories (node_modules, dist, build, vendor, target, .venv, ...), binaries, files over
--max-file-size, non-UTF-8 files and symlinks; --json lists every skipped file with its reason.
Inline \`warden-ignore: <rule-id>\` or \`nosemgrep\` comments (same line or the line above) suppress a
finding. The secrets pack skips files matching \`scan.secrets.allow_paths\` and values matching an RE2
expression in \`scan.secrets.allow_values\` (in .warden/config.yaml or the global config). Results are cached per file (in the data dir) so a rescan of an unchanged tree is fast.

--diff REF reports only findings on lines changed since the merge base with REF. --write-baseline FILE
records the current findings; --baseline FILE (or .warden/baseline.json when present) marks findings
recorded there as suppressed. Exit code: 0 no finding at or above --fail-on (default high), 1 findings
at or above it, 2 a usage or rule error.`;

  static override examples = [
    '<%= config.bin %> scan',
    '<%= config.bin %> scan src/ --pack llm --pack secrets',
    '<%= config.bin %> scan --format sarif --output warden.sarif --fail-on none',
    '<%= config.bin %> scan --diff origin/main --fail-on medium',
    '<%= config.bin %> scan --write-baseline .warden/baseline.json',
    '<%= config.bin %> scan --rules semgrep-rules.yml --json',
  ];

  static override strict = false;

  /** A worker was given up on mid-analysis; its thread may keep the process alive (see run()). */
  private abandonedWorker = false;

  static override flags = {
    rules: Flags.string({ description: 'ast-grep or semgrep rule file or directory; repeatable', multiple: true, multipleNonGreedy: true }),
    pack: Flags.string({ description: 'built-in pack to run (llm, security, secrets, complexity, or none); repeatable; default all', multiple: true, multipleNonGreedy: true }),
    format: Flags.string({ description: 'output format', options: Object.keys(FORMATS), default: 'table' }),
    output: Flags.string({ char: 'o', description: 'write the output to this file instead of standard output' }),
    'fail-on': Flags.string({ description: 'exit 1 when a finding is at or above this severity', options: [...SCAN_SEVERITIES, 'none'], default: 'high' }),
    jobs: Flags.integer({ char: 'j', description: 'worker threads (default: the number of CPUs, at most 8)', min: 1, max: 64 }),
    cache: Flags.boolean({ description: 'reuse per-file results of earlier scans (--no-cache rescans everything)', default: true, allowNo: true }),
    'max-file-size': Flags.string({ description: 'skip files larger than this', default: '1MB' }),
    diff: Flags.string({ description: 'report only findings on lines changed since the merge base with this git ref' }),
    baseline: Flags.string({ description: 'mark findings recorded in this baseline file as suppressed', exclusive: ['write-baseline'] }),
    'write-baseline': Flags.string({ description: 'record the current findings in this baseline file', exclusive: ['baseline'] }),
    'complexity-threshold': Flags.integer({ description: 'complexity pack: report functions above this cyclomatic complexity', default: 15, min: 1 }),
  };

  public override async run(): Promise<ScanResult> {
    const { flags } = this;
    const maxFileSize = parseSize(flags['max-file-size']);
    if (maxFileSize === undefined || maxFileSize < 1) {
      throw new WardenError('usage', `--max-file-size: expected a size like 512KB or 2MB, got ${JSON.stringify(flags['max-file-size'])}`, { exitCode: ExitCode.usage });
    }
    const cwd = process.cwd();
    // Like grep and semgrep, no PATH means the current directory; paths are reported from the repository root.
    const targets = (this.rest.length > 0 ? this.rest : ['.']).map((p) => path.resolve(cwd, p));
    for (const t of targets) {
      if (!fs.existsSync(t)) throw new WardenError('path_not_found', `no such file or directory: ${path.relative(cwd, t) || t}`, { exitCode: ExitCode.usage });
    }
    const root = scanRoot(targets);
    const repoRoot = findRepoRoot(root);
    // Bad config is exit 2 with file:line:col, before any scanning.
    const { config } = loadConfig({ globalFile: this.deps.paths.configFile, ...(repoRoot ? { repoFile: repoConfigFile(repoRoot) } : {}) });
    const failOn = flags['fail-on'] as FailOn;
    const jobs = flags.jobs ?? Math.min(8, Math.max(1, os.availableParallelism()));
    const startedAt = this.deps.clock.now();
    const progress = process.stderr.isTTY && !this.jsonEnabled() ? progressLine(this.deps.clock.monotonic) : undefined;

    let result: RunScanResult;
    try {
      result = await runScan({
        root,
        paths: targets.filter((t) => t !== root).map((t) => path.relative(root, t)),
        rulePaths: flags.rules ?? [],
        packs: flags.pack,
        complexityThreshold: flags['complexity-threshold'],
        secretsAllow: { paths: config.scan.secrets.allowPaths, values: config.scan.secrets.allowValues },
        jobs,
        cache: flags.cache,
        cacheFile: path.join(this.deps.paths.dataDir, 'cache', 'scan-results.db'),
        maxFileSize,
        diffRef: flags.diff,
        baselineFile: flags.baseline,
        writeBaselineFile: flags['write-baseline'],
        failOn,
        toolVersion: this.config.version,
        clock: this.deps.clock,
        onProgress: progress?.update,
        onNote: (m) => this.note(m),
        onWorkerAbandoned: () => {
          this.abandonedWorker = true;
        },
      });
    } finally {
      progress?.clear();
    }
    const { report } = result;

    await this.record(result, startedAt);

    const color = !!process.stdout.isTTY && !process.env.NO_COLOR && !flags.output;
    const rootInRepo = path.relative(repoRoot ?? root, root).split(path.sep).join('/');
    const ctx: RenderContext = { failOn, toolVersion: this.config.version, color, rootInRepo };
    if (flags.output) {
      fs.writeFileSync(flags.output, FORMATS[flags.format](report, ctx));
      this.note(`warden: wrote ${flags.format} to ${flags.output}`);
    } else if (!this.jsonEnabled()) {
      process.stdout.write(FORMATS[flags.format](report, ctx));
    }
    if (result.baselineApplied && !this.jsonEnabled()) this.note(`warden: baseline ${path.relative(cwd, result.baselineApplied) || result.baselineApplied} applied`);
    if (result.baselineWritten) this.note(`warden: wrote ${result.baselineWritten.fingerprints} fingerprint(s) to ${result.baselineWritten.file}`);
    process.exitCode = result.exitCode;

    const json: ScanResult = toScanJson(report);
    if (result.untranslated.length > 0) {
      json.untranslated = result.untranslated.map((u) => ({ id: u.id, file: u.file, constructs: u.constructs, reason: u.reason, delegated: result.delegated > 0 }));
    }
    return json;
  }

  protected override async finally(err: Error | undefined): Promise<unknown> {
    const r = await super.finally(err);
    // A worker abandoned inside a native call keeps its thread until that call returns, which for
    // the pathological input that got it abandoned can take minutes; the output is written by now.
    if (this.abandonedWorker) process.exit(process.exitCode ?? 0);
    return r;
  }

  /** The run's row and `scan.completed` audit event; a store that cannot be written is a warning, not a failure. */
  private async record(result: RunScanResult, startedAt: number): Promise<void> {
    const { report } = result;
    try {
      const store = await openStore(this.deps.paths.dbFile, { migrate: true });
      try {
        recordScanRun(store, {
          id: newId('scan', startedAt),
          startedAt,
          root: report.root,
          files: report.summary.files,
          durationMs: report.summary.durationMs,
          bySeverity: report.summary.bySeverity,
          byRule: report.summary.byRule,
          exitCode: result.exitCode,
          actor: `cli:${safeUser()}`,
        });
      } finally {
        await store.close();
      }
    } catch (e) {
      this.note(`warden: warning: the scan was not recorded in the store: ${(e as Error).message}`);
    }
  }
}

/** The root paths are reported against: the repository around the targets, else their common directory. */
function scanRoot(targets: readonly string[]): string {
  const dirs = targets.map((t) => (fs.statSync(t).isDirectory() ? t : path.dirname(t)));
  const repo = findRepoRoot(dirs[0]);
  if (repo && targets.every((t) => t === repo || t.startsWith(repo + path.sep))) return repo;
  let common = dirs[0];
  for (const d of dirs.slice(1)) {
    while (!(d === common || d.startsWith(common + path.sep))) common = path.dirname(common);
  }
  return common;
}

function safeUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** A one-line progress display on stderr (TTY only), redrawn at most ten times a second. */
function progressLine(monotonic: () => number): { update: (p: ScanProgress) => void; clear: () => void } {
  let last = 0;
  let drawn = false;
  return {
    update(p) {
      const now = monotonic();
      if (now - last < 100 && p.done !== p.total) return;
      last = now;
      const rate = p.elapsedMs > 0 ? Math.round((p.done * 1000) / p.elapsedMs) : 0;
      process.stderr.write(`\r\u001b[2Kscanning ${p.done}/${p.total} files · ${rate} files/s · ${p.findings} finding${p.findings === 1 ? '' : 's'}${p.cached ? ` · ${p.cached} cached` : ''}`);
      drawn = true;
    },
    clear() {
      if (drawn) process.stderr.write('\r\u001b[2K');
    },
  };
}
