// `warden ci`: the CI gate. Scans what a pull/merge request changed, evaluates the CI policy packs,
// reports to GitHub or GitLab, and exits 0 pass · 1 violations · 2 usage/config · 4 reporting failed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Flags } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { toScanJson, type ScanJson } from '../core/analysis/outputs/json.js';
import type { FailOn } from '../core/analysis/run-scan.js';
import { SCAN_SEVERITIES } from '../core/analysis/types.js';
import { findRepoRoot, loadConfig, repoConfigFile } from '../core/config/load.js';
import { parseSize } from '../core/config/schema.js';
import { ExitCode, WardenError } from '../core/errors.js';
import type { Violation } from '../core/policy/decision.js';
import { defaultReporters, detectCiContext, type CiFlags } from '../core/scm/ci-env.js';
import { findingConsoleLine } from '../core/scm/render.js';
import { reporterNames } from '../core/scm/reporters.js';
import { runCi } from '../core/scm/run-ci.js';
import { FILTER_MODES, type CiProvider, type CiVerdict, type FilterMode, type ReporterResult } from '../core/scm/types.js';

export interface CiResult {
  verdict: CiVerdict;
  provider: CiProvider;
  base: string;
  mergeBase: string;
  head: string;
  filterMode: FilterMode;
  changedFiles: number;
  /** Findings the filter mode kept, as in `warden scan --json`. */
  scan: ScanJson['summary'];
  findings: ScanJson['findings'];
  /** Of those, how many could not be placed on a changed line. */
  outsideDiff: number;
  policies: { violations: Violation[]; errors: { policy: string; code: string; message: string }[]; evaluated: string[] };
  reporters: ReporterResult[];
  /** The run's Markdown summary (what the reporters post). */
  summaryMarkdown: string;
}

export default class Ci extends BaseCommand<typeof Ci> {
  static override summary = 'Gate a pull or merge request: scan its changes, evaluate CI policies, report to GitHub or GitLab.';

  static override description = `Finds what the pull/merge request changed (merge base of --base and --head), scans those files
at the head commit with the built-in rule packs and the repository's .warden/rules, evaluates the
CI policy packs (built-in: no-new-high-findings, no-secrets, llm-calls-through-proxy,
config-present-and-valid; add your own with \`package warden.ci\` Rego or \`phase: ci\` YAML in
.warden/policies or --policies), then reports.

GitHub Actions and GitLab CI are detected from their environment (GITHUB_ACTIONS, GITHUB_EVENT_PATH,
GITHUB_REPOSITORY, GITHUB_API_URL; GITLAB_CI, CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID,
CI_COMMIT_SHA, CI_MERGE_REQUEST_DIFF_BASE_SHA). Tokens are only taken from GITHUB_TOKEN, GITLAB_TOKEN
(a project or group access token with the api scope: CI_JOB_TOKEN cannot post notes) or --token.
Outside CI, give the same values by flag (--provider, --repo/--project, --pr, --base, --head,
--api-url) to report from a terminal; without them the result goes to the console only.

Reporters: github-check, github-review, github-annotations, github-status, github-summary,
gitlab-discussion, gitlab-codequality, gitlab-status, sarif. Default on GitHub: a check run and a
review on pull requests (annotations when the token is read-only, e.g. fork PRs) plus the step
summary; on GitLab: the code-quality artifact plus MR discussions when a token is set.

--filter-mode decides which findings count and are shown inline: added (default; findings touching
added lines), diff_context (any line of the diff), file (anywhere in a changed file), nofilter (the
whole repository). Findings that cannot be placed on a changed line go to the summary and console.

Exit codes: 0 pass; 1 a finding or strict policy violation at or above --fail-on; 2 usage or config
error; 4 the verdict was reached but posting it failed (the verdict is still printed; when the
verdict fails, 1 wins).`;

  static override examples = [
    '<%= config.bin %> ci',
    '<%= config.bin %> ci --base origin/main --fail-on medium',
    '<%= config.bin %> ci --reporter github-check --reporter sarif --sarif warden.sarif',
    'GITHUB_TOKEN=... <%= config.bin %> ci --provider github --repo acme/app --pr 42 --base origin/main --dry-run',
  ];

  static override flags = {
    reporter: Flags.string({ char: 'r', description: `where to report; repeatable (${reporterNames().join(', ')}); default depends on the CI`, multiple: true }),
    'filter-mode': Flags.string({ description: 'which findings count and are shown inline', options: [...FILTER_MODES], default: 'added' }),
    'fail-on': Flags.string({ description: 'exit 1 when a finding or strict policy violation is at or above this severity', options: ['none', ...SCAN_SEVERITIES], default: 'high' }),
    base: Flags.string({ description: 'base ref or commit (default: the pull/merge request base)' }),
    head: Flags.string({ description: 'head ref or commit (default: the pull/merge request head, else HEAD)' }),
    policies: Flags.string({ description: 'extra CI policy directory or file (Rego `package warden.ci` or YAML `phase: ci`); repeatable', multiple: true }),
    sarif: Flags.string({ description: 'file the sarif reporter writes (default warden.sarif at the repository root)' }),
    'dry-run': Flags.boolean({ description: 'compute the verdict and show what would be posted, without posting', default: false }),
    provider: Flags.string({ description: 'report as if in this CI (for local runs)', options: ['github', 'gitlab', 'local'] }),
    token: Flags.string({ description: 'API token (prefer the GITHUB_TOKEN / GITLAB_TOKEN variables: flags show in process lists)' }),
    repo: Flags.string({ description: 'GitHub repository OWNER/NAME (default GITHUB_REPOSITORY)' }),
    project: Flags.string({ description: 'GitLab project id or path (default CI_PROJECT_ID)' }),
    pr: Flags.integer({ description: 'GitHub pull request number or GitLab merge request IID', min: 1 }),
    'api-url': Flags.string({ description: 'API root: GitHub Enterprise https://HOST/api/v3, self-managed GitLab https://HOST/api/v4' }),
    'server-url': Flags.string({ description: 'web root for links (GitHub Enterprise, self-managed GitLab)' }),
    rules: Flags.string({ description: 'extra ast-grep or semgrep rule file or directory; repeatable', multiple: true }),
    pack: Flags.string({ description: 'built-in rule pack to run (llm, security, secrets, complexity, none); repeatable; default all', multiple: true }),
    jobs: Flags.integer({ char: 'j', description: 'scan worker threads (default: CPUs, at most 8)', min: 1, max: 64 }),
    'max-file-size': Flags.string({ description: 'skip files larger than this', default: '1MB' }),
    timeout: Flags.integer({ description: 'seconds to wait for each GitHub/GitLab API call', default: 30, min: 1 }),
  };

  public override async run(): Promise<CiResult> {
    const { flags } = this;
    const maxFileSize = parseSize(flags['max-file-size']);
    if (maxFileSize === undefined || maxFileSize < 1) {
      throw new WardenError('usage', `--max-file-size: expected a size like 512KB or 2MB, got ${JSON.stringify(flags['max-file-size'])}`, { exitCode: ExitCode.usage });
    }
    const env = (name: string): string | undefined => this.deps.env.get(name);
    const ciFlags: CiFlags = {
      ...(flags.provider ? { provider: flags.provider as CiProvider } : {}),
      ...(flags.token ? { token: flags.token } : {}),
      ...(flags.repo ? { repo: flags.repo } : {}),
      ...(flags.project ? { project: flags.project } : {}),
      ...(flags.pr !== undefined ? { pr: flags.pr } : {}),
      ...(flags['api-url'] ? { apiUrl: flags['api-url'] } : {}),
      ...(flags['server-url'] ? { serverUrl: flags['server-url'] } : {}),
      ...(flags.head ? { head: flags.head } : {}),
      ...(flags.base ? { base: flags.base } : {}),
    };
    const repoRoot = findRepoRoot(process.cwd());
    // An invalid config is the config-present-and-valid policy's to judge and report, not a crash;
    // the run goes on without its secrets allowlist.
    let secretsAllow = { paths: [] as string[], values: [] as string[] };
    try {
      const { config } = loadConfig({ globalFile: this.deps.paths.configFile, ...(repoRoot ? { repoFile: repoConfigFile(repoRoot) } : {}) });
      secretsAllow = { paths: config.scan.secrets.allowPaths, values: config.scan.secrets.allowValues };
    } catch (e) {
      if (!(e instanceof WardenError)) throw e;
      this.note(`${e.format()}\nwarden: going on without the config's secrets allowlist; the CI policies report the error`);
    }
    const ci = detectCiContext({ env, readFile: (f) => fs.readFileSync(f, 'utf8') }, ciFlags);
    const reporters = flags.reporter ?? defaultReporters(ci);
    const failOn = flags['fail-on'] as FailOn;
    const filterMode = flags['filter-mode'] as FilterMode;

    const result = await runCi({
      cwd: process.cwd(),
      ci,
      filterMode,
      failOn,
      ...(flags.base ? { base: flags.base } : {}),
      ...(flags.head ? { head: flags.head } : {}),
      policyPaths: (flags.policies ?? []).map((p) => path.resolve(p)),
      reporters,
      ...(flags.sarif ? { sarifFile: path.resolve(flags.sarif) } : {}),
      rulePaths: flags.rules ?? [],
      ...(flags.pack ? { packs: flags.pack } : {}),
      secretsAllow,
      dryRun: flags['dry-run'],
      jobs: flags.jobs ?? Math.min(8, Math.max(1, os.availableParallelism())),
      cacheFile: path.join(this.deps.paths.dataDir, 'cache', 'scan-results.db'),
      maxFileSize,
      toolVersion: this.config.version,
      configDir: this.deps.paths.configDir,
      timeoutMs: flags.timeout * 1000,
      clock: this.deps.clock,
      env,
      onNote: (m) => this.note(m),
      out: (line) => process.stdout.write(`${line}\n`),
    });
    const { report } = result;

    if (!this.jsonEnabled()) {
      const lines: string[] = [];
      const outside = new Set(report.outside);
      for (const f of report.findings) lines.push(findingConsoleLine(f) + (outside.has(f) ? ' (not on a changed line)' : ''));
      for (const v of report.decision.violations) lines.push(`policy ${v.policy}: ${v.severity} ${v.enforcement}: ${v.message}`);
      for (const e of report.decision.errors) lines.push(`policy ${e.policy} failed to evaluate: ${e.code}: ${e.message}`);
      lines.push(`warden ci: ${report.verdict.headline}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    for (const r of result.reporters) {
      this.note(`warden: ${r.reporter}: ${r.ok ? r.detail : `FAILED: ${r.error ?? r.detail}`}${r.fellBackTo ? ` (fell back to ${r.fellBackTo})` : ''}`);
    }
    if (result.exitCode === ExitCode.remoteReportFailed) this.note('warden: the verdict above stands; reporting it failed (exit 4)');
    process.exitCode = result.exitCode;

    // toScanJson counts findings itself; the summary it is given supplies only files, timing and cache hits.
    const scanJson = toScanJson({ root: report.root, findings: report.findings, skipped: result.skipped, rules: report.rules, summary: result.scanSummary });
    return {
      verdict: report.verdict,
      provider: ci.provider,
      base: result.base,
      mergeBase: report.diff.mergeBase,
      head: report.diff.head,
      filterMode,
      changedFiles: report.diff.files.size,
      scan: scanJson.summary,
      findings: scanJson.findings,
      outsideDiff: report.outside.length,
      policies: {
        violations: report.decision.violations,
        errors: report.decision.errors.map((e) => ({ policy: e.policy, code: e.code, message: e.message })),
        evaluated: report.decision.policies.map((p) => p.name),
      },
      reporters: result.reporters,
      summaryMarkdown: report.summaryMarkdown,
    };
  }
}
