// Where `warden ci` runs: GitHub Actions, GitLab CI or a local shell, read from the CI's own
// environment variables and event payload, every value overridable by a flag for local runs.
// Tokens come only from explicit sources (GITHUB_TOKEN/--token, GITLAB_TOKEN/--token): Actions does
// not put its token in the environment unless the workflow passes it.
import { WardenError } from '../errors.js';
import type { CiContext, CiProvider, GithubContext, GitlabContext } from './types.js';

export interface CiFlags {
  /** Force a provider (for local runs against GitHub or GitLab). */
  provider?: CiProvider;
  token?: string;
  /** GitHub: owner/name. */
  repo?: string;
  /** GitHub pull request number, or GitLab merge request IID. */
  pr?: number;
  /** GitHub REST root or GitLab v4 API root. */
  apiUrl?: string;
  serverUrl?: string;
  /** GitLab project id or path. */
  project?: string;
  /** Head ref or commit to report on; the orchestrator resolves it and puts the commit id in the context. */
  head?: string;
  base?: string;
}

export interface CiEnvSources {
  env(name: string): string | undefined;
  /** Reads the event payload file; throws when it cannot. */
  readFile(file: string): string;
}

/** The fields of a GitHub event payload warden ci reads. */
interface GithubEvent {
  pull_request?: {
    number?: number;
    head?: { sha?: string; repo?: { full_name?: string; fork?: boolean } | null };
    base?: { sha?: string; repo?: { full_name?: string } | null };
  };
  /** push events: the commit before the push. */
  before?: string;
}

const ZERO_SHA = /^0+$/;

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v.trim() === '' ? undefined : v.trim();
}

function readEvent(src: CiEnvSources, file: string | undefined): GithubEvent {
  if (!file) return {};
  let text: string;
  try {
    text = src.readFile(file);
  } catch (e) {
    throw new WardenError('ci_event_unreadable', `GITHUB_EVENT_PATH: cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed && typeof parsed === 'object' ? (parsed as GithubEvent) : {};
  } catch (e) {
    throw new WardenError('ci_event_invalid', `GITHUB_EVENT_PATH: ${file} is not JSON: ${(e as Error).message}`, { cause: e });
  }
}

function githubContext(src: CiEnvSources, flags: CiFlags): GithubContext {
  const event = readEvent(src, nonEmpty(src.env('GITHUB_EVENT_PATH')));
  const eventName = nonEmpty(src.env('GITHUB_EVENT_NAME'));
  const repository = flags.repo ?? nonEmpty(src.env('GITHUB_REPOSITORY'));
  if (!repository) {
    throw new WardenError('ci_config_missing', 'GitHub repository unknown: GITHUB_REPOSITORY is not set', { hint: 'pass --repo OWNER/NAME' });
  }
  const m = /^([^/\s]+)\/([^/\s]+)$/.exec(repository);
  if (!m) throw new WardenError('ci_config_invalid', `--repo: expected OWNER/NAME, got ${JSON.stringify(repository)}`);
  const pr = event.pull_request;
  // On pull_request events GITHUB_SHA is a synthetic merge commit no reviewer sees; the head is the PR's own.
  // A forced provider outside Actions reports on the checked-out commit unless told otherwise.
  const headSha = flags.head ?? nonEmpty(pr?.head?.sha) ?? nonEmpty(src.env('GITHUB_SHA')) ?? (flags.provider ? 'HEAD' : undefined);
  if (!headSha) throw new WardenError('ci_config_missing', 'head commit unknown: no pull_request.head.sha in the event and GITHUB_SHA is not set', { hint: 'pass --head SHA' });
  const before = nonEmpty(event.before);
  const baseSha = flags.base ?? nonEmpty(pr?.base?.sha) ?? (before && !ZERO_SHA.test(before) ? before : undefined);
  const headRepo = pr?.head?.repo?.full_name;
  const baseRepo = pr?.base?.repo?.full_name;
  const fromFork = !!pr && (pr.head?.repo?.fork === true || (headRepo !== undefined && baseRepo !== undefined && headRepo !== baseRepo));
  const apiUrl = flags.apiUrl ?? nonEmpty(src.env('GITHUB_API_URL')) ?? 'https://api.github.com';
  const serverUrl = flags.serverUrl ?? nonEmpty(src.env('GITHUB_SERVER_URL')) ?? 'https://github.com';
  const runId = nonEmpty(src.env('GITHUB_RUN_ID'));
  const stepSummaryFile = nonEmpty(src.env('GITHUB_STEP_SUMMARY'));
  const token = flags.token ?? nonEmpty(src.env('GITHUB_TOKEN'));
  const pullNumber = flags.pr ?? (typeof pr?.number === 'number' ? pr.number : undefined);
  return {
    apiUrl: apiUrl.replace(/\/+$/, ''),
    serverUrl: serverUrl.replace(/\/+$/, ''),
    owner: m[1],
    repo: m[2],
    ...(token ? { token } : {}),
    ...(eventName ? { eventName } : {}),
    ...(pullNumber !== undefined ? { pullNumber } : {}),
    headSha,
    ...(baseSha ? { baseSha } : {}),
    fromFork,
    ...(stepSummaryFile ? { stepSummaryFile } : {}),
    ...(runId ? { runId } : {}),
  };
}

function gitlabContext(src: CiEnvSources, flags: CiFlags): GitlabContext {
  const apiUrl = flags.apiUrl ?? nonEmpty(src.env('CI_API_V4_URL')) ?? (flags.serverUrl ? `${flags.serverUrl.replace(/\/+$/, '')}/api/v4` : undefined) ?? 'https://gitlab.com/api/v4';
  const projectId = flags.project ?? nonEmpty(src.env('CI_PROJECT_ID'));
  if (!projectId) throw new WardenError('ci_config_missing', 'GitLab project unknown: CI_PROJECT_ID is not set', { hint: 'pass --project ID' });
  // Merged-results pipelines run on a merge commit (CI_COMMIT_SHA); the MR's own head is the source branch sha.
  const headSha = flags.head ?? nonEmpty(src.env('CI_MERGE_REQUEST_SOURCE_BRANCH_SHA')) ?? nonEmpty(src.env('CI_COMMIT_SHA')) ?? (flags.provider ? 'HEAD' : undefined);
  if (!headSha) throw new WardenError('ci_config_missing', 'head commit unknown: CI_COMMIT_SHA is not set', { hint: 'pass --head SHA' });
  const iidText = nonEmpty(src.env('CI_MERGE_REQUEST_IID'));
  const mrIid = flags.pr ?? (iidText && /^\d+$/.test(iidText) ? Number(iidText) : undefined);
  const baseSha = flags.base ?? nonEmpty(src.env('CI_MERGE_REQUEST_DIFF_BASE_SHA'));
  const token = flags.token ?? nonEmpty(src.env('GITLAB_TOKEN')) ?? nonEmpty(src.env('WARDEN_GITLAB_TOKEN'));
  const jobUrl = nonEmpty(src.env('CI_JOB_URL'));
  const projectUrl = nonEmpty(src.env('CI_PROJECT_URL'));
  return {
    apiUrl: apiUrl.replace(/\/+$/, ''),
    projectId,
    ...(mrIid !== undefined ? { mrIid } : {}),
    headSha,
    ...(baseSha ? { baseSha } : {}),
    ...(token ? { token } : {}),
    onlyJobToken: !token && nonEmpty(src.env('CI_JOB_TOKEN')) !== undefined,
    ...(jobUrl ? { jobUrl } : {}),
    ...(projectUrl ? { projectUrl: projectUrl.replace(/\/+$/, '') } : {}),
  };
}

/** The provider from --provider, else the CI's own marker variables, else local. */
export function detectProvider(src: CiEnvSources, flags: CiFlags): CiProvider {
  if (flags.provider) return flags.provider;
  if (src.env('GITHUB_ACTIONS') === 'true') return 'github';
  if (src.env('GITLAB_CI') === 'true') return 'gitlab';
  return 'local';
}

/** The CI context of this run. Throws WardenError (exit 2) naming the missing variable and the flag to use. */
export function detectCiContext(src: CiEnvSources, flags: CiFlags = {}): CiContext {
  const provider = detectProvider(src, flags);
  if (provider === 'github') return { provider, github: githubContext(src, flags) };
  if (provider === 'gitlab') return { provider, gitlab: gitlabContext(src, flags) };
  return { provider };
}

/** The base commit the context knows (PR base, MR diff base, push `before`), if any. */
export function contextBase(ci: CiContext): string | undefined {
  return ci.github?.baseSha ?? ci.gitlab?.baseSha;
}

/** The head commit the context names (PR head, CI_COMMIT_SHA), if any. */
export function contextHead(ci: CiContext): string | undefined {
  return ci.github?.headSha ?? ci.gitlab?.headSha;
}

/** The context with its head (and base, when it has one) replaced by resolved commit ids, for the reporters. */
export function withResolvedCommits(ci: CiContext, head: string, base: string): CiContext {
  if (ci.github) return { ...ci, github: { ...ci.github, headSha: head, ...(ci.github.baseSha ? { baseSha: base } : {}) } };
  if (ci.gitlab) return { ...ci, gitlab: { ...ci.gitlab, headSha: head, ...(ci.gitlab.baseSha ? { baseSha: base } : {}) } };
  return ci;
}

/** Reporters used when --reporter is not given. */
export function defaultReporters(ci: CiContext): string[] {
  if (ci.provider === 'github' && ci.github) {
    const gh = ci.github;
    const out = gh.token && !gh.fromFork ? ['github-check'] : ['github-annotations'];
    if (gh.pullNumber !== undefined && gh.token && !gh.fromFork) out.push('github-review');
    if (gh.stepSummaryFile) out.push('github-summary');
    return out;
  }
  if (ci.provider === 'gitlab' && ci.gitlab) {
    const out = ['gitlab-codequality'];
    if (ci.gitlab.mrIid !== undefined && ci.gitlab.token) out.push('gitlab-discussion');
    return out;
  }
  return [];
}
