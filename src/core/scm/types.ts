// The `warden ci` contract: where the run is (CI context), what the pull/merge request changed (the
// diff, per file), what the run concluded (CiReport), and the one interface every reporter
// implements. Reporters read only these types; the orchestrator (run-ci.ts) builds them.
import type { FailOn } from '../analysis/run-scan.js';
import type { Finding, RuleMeta } from '../analysis/types.js';
import type { Decision } from '../policy/decision.js';

/** Which findings are reported inline (reviewdog's modes). */
export const FILTER_MODES = ['added', 'diff_context', 'file', 'nofilter'] as const;
export type FilterMode = (typeof FILTER_MODES)[number];

// ---------------------------------------------------------------------------------------------
// Where the run is

export interface GithubContext {
  /** REST API root: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server. */
  apiUrl: string;
  /** Web root for links: https://github.com or the GHES host. */
  serverUrl: string;
  owner: string;
  repo: string;
  /** GITHUB_TOKEN or --token; never logged. Absent: reporters that need the API fail with a clear error. */
  token?: string;
  /** GITHUB_EVENT_NAME: pull_request, pull_request_target, push, ... */
  eventName?: string;
  /** The pull request number on pull_request events, or --pr. */
  pullNumber?: number;
  /** The commit check runs, statuses and review comments attach to: pull_request.head.sha, never the merge GITHUB_SHA. */
  headSha: string;
  /** pull_request.base.sha (or --base resolved). */
  baseSha?: string;
  /** The PR comes from a fork: its GITHUB_TOKEN is read-only, so API reporters fall back to annotations. */
  fromFork: boolean;
  /** $GITHUB_STEP_SUMMARY, when set. */
  stepSummaryFile?: string;
  /** GITHUB_RUN_ID, for links back to the run. */
  runId?: string;
}

export interface GitlabContext {
  /** CI_API_V4_URL: https://gitlab.com/api/v4 or a self-managed host's. */
  apiUrl: string;
  /** CI_PROJECT_ID (numeric) or a URL-encoded path. */
  projectId: string;
  /** CI_MERGE_REQUEST_IID on merge request pipelines, or --mr. */
  mrIid?: number;
  /** CI_COMMIT_SHA. */
  headSha: string;
  /** CI_MERGE_REQUEST_DIFF_BASE_SHA. */
  baseSha?: string;
  /** GITLAB_TOKEN / WARDEN_GITLAB_TOKEN / --token: a project or group access token with `api` scope. */
  token?: string;
  /** True when the only credential available is CI_JOB_TOKEN (which cannot post notes). */
  onlyJobToken: boolean;
  /** CI_JOB_URL, for links. */
  jobUrl?: string;
  /** CI_PROJECT_URL (web), for links to files at a commit. */
  projectUrl?: string;
}

export type CiProvider = 'github' | 'gitlab' | 'local';

export interface CiContext {
  provider: CiProvider;
  github?: GithubContext;
  gitlab?: GitlabContext;
}

// ---------------------------------------------------------------------------------------------
// What changed

/** One file of the pull/merge request's diff, head side. Line numbers are 1-based head-file lines. */
export interface FileChange {
  /** Head path, repository-relative, forward slashes. */
  path: string;
  /** Base path (differs when renamed; equal for added files). */
  oldPath: string;
  status: 'added' | 'modified' | 'renamed';
  /** Head lines the diff adds ('+' lines). */
  added: Set<number>;
  /** Head lines shown as context inside a hunk (GitHub and GitLab accept comments on these too). */
  context: Set<number>;
  /** For context lines: the same line's number in the base file (GitLab positions need both). */
  oldLineOf: Map<number, number>;
}

export interface DiffInfo {
  /** The merge base of base and head: what the PR diff compares against. */
  mergeBase: string;
  /** Head commit. */
  head: string;
  files: Map<string, FileChange>;
}

// ---------------------------------------------------------------------------------------------
// What the run concluded

export type Conclusion = 'success' | 'failure' | 'neutral';

export interface CiVerdict {
  /** failure: at least one finding at or above failOn, or a strict CI policy denied. */
  conclusion: Conclusion;
  pass: boolean;
  failOn: FailOn;
  /** Findings at or above failOn (not suppressed). */
  failingFindings: number;
  /** One line: what decided it. */
  headline: string;
}

export interface CiReport {
  tool: { name: 'warden'; version: string };
  /** Absolute repository root. */
  root: string;
  filterMode: FilterMode;
  diff: DiffInfo;
  /** Findings the filter mode keeps (paths repository-relative), suppressed ones included, sorted by location. */
  findings: Finding[];
  /** Of `findings`, those on a line the diff shows under the filter mode: reporters may place these inline. */
  inline: Finding[];
  /** Of `findings`, those that cannot be placed on a diff line: summary and console, never dropped. */
  outside: Finding[];
  rules: RuleMeta[];
  /** The CI policy packs' decision (package warden.ci and YAML `phase: ci`). */
  decision: Decision;
  verdict: CiVerdict;
  /** The run's summary as Markdown (check-run summary, step summary, sticky comment, MR note). */
  summaryMarkdown: string;
}

// ---------------------------------------------------------------------------------------------
// Reporters

export interface ReporterContext {
  ci: CiContext;
  /** Compute and print what would be posted, send nothing. */
  dryRun: boolean;
  /** A diagnostic line for stderr (never a secret). */
  log(msg: string): void;
  /** A line for stdout: GitHub workflow commands (`::error ...::`) are read from there. */
  out(line: string): void;
  /** Writes a file (step summary, SARIF, code-quality artifact); node:fs by default. */
  writeFile(file: string, data: string): void;
  /** Reads an env var (GITHUB_STEP_SUMMARY, ...). */
  env(name: string): string | undefined;
  /** Where file-writing reporters write when no path is given (the repository root). */
  outputDir: string;
  /** Request timeout for API calls, ms. */
  timeoutMs: number;
}

export interface ReporterResult {
  reporter: string;
  ok: boolean;
  /** One line for the console: what was posted or written. */
  detail: string;
  /** Comments, annotations or results sent. */
  posted?: number;
  /** Set when this reporter handed over to another (github-review → github-annotations on a fork). */
  fellBackTo?: string;
  /** Set when ok is false: what failed, without secrets. */
  error?: string;
}

export interface Reporter {
  /** The --reporter name. */
  name: string;
  /** Which CI it talks to; 'any' reporters (sarif) work everywhere. */
  provider: 'github' | 'gitlab' | 'any';
  /** Never throws: a failure is a ReporterResult with ok false (exit 4 after the verdict). */
  report(report: CiReport, ctx: ReporterContext): Promise<ReporterResult>;
}

// ---------------------------------------------------------------------------------------------
// Markers in posted comments, so a re-run can find what an earlier run posted

/** Hidden marker carrying a finding's fingerprint: `<!-- warden:fp=<hex> -->`. */
export function fingerprintMarker(fingerprint: string): string {
  return `<!-- warden:fp=${fingerprint} -->`;
}

/** The fingerprint in a comment body, or undefined. */
export function markerFingerprint(body: string | null | undefined): string | undefined {
  if (!body) return undefined;
  const m = /<!-- warden:fp=([0-9a-f]{16,128}) -->/.exec(body);
  return m ? m[1] : undefined;
}

/** Marks the one sticky summary comment per pull/merge request. */
export const SUMMARY_MARKER = '<!-- warden:summary -->';
