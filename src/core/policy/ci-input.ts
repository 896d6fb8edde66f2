// The CI policy input document (`phase: 'ci'`, docs/policy-input.md "The CI input"): what `warden ci`
// knows about one pull/merge request — where it runs, what changed, what the scan found, whether the
// repository's Warden config is valid — as YAML `phase: ci` policies and `package warden.ci` Rego
// packs read it. Built from the orchestrator's parts (buildCiPolicyInput) or completed from a partial
// document as test cases and `policy eval --request` write it (completeCiPolicyInput). Pure: no I/O.
import { z } from 'zod';
import { SCAN_SEVERITIES, severityRank, type Finding, type RuleMeta, type ScanSeverity } from '../analysis/types.js';
import { WardenError } from '../errors.js';
import { policyInputDocSchema, timeFields, type PolicyInput } from './decision.js';

/** Which CI the run is in (`local`: a developer's machine or an unrecognised CI). */
export const CI_PROVIDERS = ['github', 'gitlab', 'local'] as const;
export type CiProviderName = (typeof CI_PROVIDERS)[number];

/**
 * At most this many findings are listed in `scan.findings` (the most severe first); `by_severity`
 * and `findings_total` always count all of them. Rego evaluation is step-bounded, so an unbounded
 * list could turn a huge scan into a policy error instead of a verdict (DESIGN §10).
 */
export const MAX_CI_FINDINGS = 5000;
/** At most this many paths are listed in `changes.files`; `file_count` counts all of them. */
export const MAX_CI_CHANGED_FILES = 10000;
/** At most this many error lines per list in `config` (each list says how many more there were). */
export const MAX_CI_CONFIG_ERRORS = 50;

/** One scan finding as CI policies see it (never the matched text: it may hold a masked secret). */
export interface CiFinding {
  rule_id: string;
  severity: ScanSeverity;
  /** The built-in pack of the rule (`llm`, `security`, `secrets`, `complexity`), null for user rules. */
  pack: string | null;
  /** Repository-relative, forward slashes. */
  path: string;
  line: number;
  end_line: number;
  message: string;
  fingerprint: string;
  cwe: string[];
  owasp_llm: string[];
  confidence: string | null;
  /** Suppressed inline or by the baseline: reported, never counted by default. */
  suppressed: boolean;
}

/** Located errors of one file kind: `file:line:col: message`, paths repository-relative. */
export interface CiConfigFileState {
  path: string;
  present: boolean;
  valid: boolean;
  errors: string[];
}

export interface CiPolicyFilesState {
  path: string;
  /** The directory holds at least one policy file. */
  present: boolean;
  /** Policies that loaded (any phase). */
  count: number;
  errors: string[];
}

/** `input.config`: the repository's own Warden configuration, as checkRepoConfig() finds it. */
export interface CiConfigBlock {
  /** The repository has any Warden config: `.warden/config.yaml` or policy files in `.warden/policies`. */
  present: boolean;
  /** Neither the config file nor any policy file has errors (true when there are none at all). */
  valid: boolean;
  /** config_file.errors then policies.errors. */
  errors: string[];
  config_file: CiConfigFileState;
  policies: CiPolicyFilesState;
}

export interface CiPolicyInput {
  phase: 'ci';
  ci: {
    provider: CiProviderName;
    /** `owner/repo` on GitHub, the project id or path on GitLab; null locally. */
    repository: string | null;
    /** The pull request number or merge request IID; null outside one. */
    pull_request: number | null;
    base_sha: string | null;
    head_sha: string | null;
    /** added | diff_context | file | nofilter: which findings `scan.findings` holds. */
    filter_mode: string;
    /** The --fail-on severity (or `none`). */
    fail_on: string;
  };
  changes: {
    /** Head paths the request changes, repository-relative, sorted. */
    files: string[];
    /** All changed files, also when `files` is truncated. */
    file_count: number;
    /** Lines the diff adds, over all files. */
    added_lines: number;
    truncated: boolean;
  };
  scan: {
    /** Findings the filter mode keeps, most severe first, then by path and line. */
    findings: CiFinding[];
    /** All findings, also when `findings` is truncated (suppressed ones included). */
    findings_total: number;
    truncated: boolean;
    /** Unsuppressed findings per severity. */
    by_severity: Record<ScanSeverity, number>;
    files_scanned: number;
    rules_loaded: number;
  };
  config: CiConfigBlock;
  /** All null in CI (no virtual key): present so scopes and shared conditions work unchanged. */
  principal: PolicyInput['principal'];
  time: PolicyInput['time'];
}

/**
 * Where the run is, structurally: the orchestrator's CiContext (src/core/scm/types.ts) fits it.
 * Kept structural so the policy layer does not depend on the reporters' contract.
 */
export interface CiContextLike {
  provider: CiProviderName;
  github?: { owner: string; repo: string; pullNumber?: number };
  gitlab?: { projectId: string; mrIid?: number };
}

export interface CiPolicyInputParts {
  ci: CiContextLike;
  /** Base and head commits of the diff (the merge base, the head). */
  base?: string | null;
  head?: string | null;
  filterMode: string;
  failOn: string;
  /** Repository-relative head paths of the changed files. */
  changedFiles?: readonly string[];
  addedLines?: number;
  /** The findings the filter mode keeps (suppressed ones included). */
  findings: readonly Finding[];
  /** Rule metadata, for each finding's `pack`. */
  rules?: readonly Pick<RuleMeta, 'id' | 'pack'>[];
  filesScanned?: number;
  /** Default: the number of `rules`. */
  rulesLoaded?: number;
  config: CiConfigBlock;
  principal?: Partial<PolicyInput['principal']>;
  /** The caller's clock reading (epoch ms). */
  nowMs: number;
  /** IANA zone for `time`; default UTC. */
  tz?: string;
}

const NO_PRINCIPAL: PolicyInput['principal'] = { key: null, key_name: null, project: null, user: null, team: null, session: null, tool: null, tags: {} };

function principalOf(p: Partial<PolicyInput['principal']> | undefined): PolicyInput['principal'] {
  return { ...NO_PRINCIPAL, ...p, tags: { ...(p?.tags ?? {}) } };
}

/** Most severe first, then by path and line: what a truncated list keeps. */
function compareCiFindings(a: CiFinding, b: CiFinding): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    (a.path < b.path ? -1 : a.path > b.path ? 1 : 0) ||
    a.line - b.line ||
    (a.rule_id < b.rule_id ? -1 : a.rule_id > b.rule_id ? 1 : 0)
  );
}

function countBySeverity(findings: readonly CiFinding[]): Record<ScanSeverity, number> {
  const out = Object.fromEntries(SCAN_SEVERITIES.map((s) => [s, 0])) as Record<ScanSeverity, number>;
  for (const f of findings) if (!f.suppressed) out[f.severity] += 1;
  return out;
}

function scanBlock(all: CiFinding[], extra: { files_scanned: number; rules_loaded: number }): CiPolicyInput['scan'] {
  const sorted = [...all].sort(compareCiFindings);
  return {
    findings: sorted.slice(0, MAX_CI_FINDINGS),
    findings_total: sorted.length,
    truncated: sorted.length > MAX_CI_FINDINGS,
    by_severity: countBySeverity(sorted),
    ...extra,
  };
}

function changesBlock(files: readonly string[], addedLines: number): CiPolicyInput['changes'] {
  const sorted = [...new Set(files)].sort();
  return {
    files: sorted.slice(0, MAX_CI_CHANGED_FILES),
    file_count: sorted.length,
    added_lines: addedLines,
    truncated: sorted.length > MAX_CI_CHANGED_FILES,
  };
}

/** The CI input for one `warden ci` run. */
export function buildCiPolicyInput(parts: CiPolicyInputParts): CiPolicyInput {
  const packOf = new Map<string, string>();
  for (const r of parts.rules ?? []) if (r.pack !== undefined) packOf.set(r.id, r.pack);
  const findings: CiFinding[] = parts.findings.map((f) => ({
    rule_id: f.ruleId,
    severity: f.severity,
    pack: packOf.get(f.ruleId) ?? null,
    path: f.path,
    line: f.start.line,
    end_line: f.end.line,
    message: f.message,
    fingerprint: f.fingerprint,
    cwe: [...(f.cwe ?? [])],
    owasp_llm: [...(f.owaspLlm ?? [])],
    confidence: f.confidence ?? null,
    suppressed: f.suppressed !== undefined,
  }));
  const c = parts.ci;
  const repository = c.provider === 'github' && c.github ? `${c.github.owner}/${c.github.repo}` : c.provider === 'gitlab' && c.gitlab ? c.gitlab.projectId : null;
  const pr = c.provider === 'github' ? c.github?.pullNumber : c.provider === 'gitlab' ? c.gitlab?.mrIid : undefined;
  return {
    phase: 'ci',
    ci: {
      provider: c.provider,
      repository,
      pull_request: pr ?? null,
      base_sha: parts.base ?? null,
      head_sha: parts.head ?? null,
      filter_mode: parts.filterMode,
      fail_on: parts.failOn,
    },
    changes: changesBlock(parts.changedFiles ?? [], parts.addedLines ?? 0),
    scan: scanBlock(findings, { files_scanned: parts.filesScanned ?? 0, rules_loaded: parts.rulesLoaded ?? parts.rules?.length ?? 0 }),
    config: parts.config,
    principal: principalOf(parts.principal),
    time: timeFields(parts.nowMs, parts.tz ?? 'UTC'),
  };
}

/** Caps an error list, saying how many more there were. */
export function boundErrors(errors: readonly string[]): string[] {
  if (errors.length <= MAX_CI_CONFIG_ERRORS) return [...errors];
  return [...errors.slice(0, MAX_CI_CONFIG_ERRORS - 1), `and ${errors.length - (MAX_CI_CONFIG_ERRORS - 1)} more`];
}

/** The config block from the two file states: `present`, `valid` and `errors` follow from them. */
export function ciConfigBlock(configFile: CiConfigFileState, policies: CiPolicyFilesState): CiConfigBlock {
  return {
    present: configFile.present || policies.present,
    valid: configFile.valid && policies.errors.length === 0,
    errors: boundErrors([...configFile.errors, ...policies.errors]),
    config_file: configFile,
    policies,
  };
}

export const CI_CONFIG_FILE = '.warden/config.yaml';
export const CI_POLICY_DIR = '.warden/policies';

// ---------------------------------------------------------------------------------------------
// Partial documents (test cases, `policy eval --request`)

/** Top-level keys only a CI document has: a document with any of them is read as one. */
export const CI_INPUT_KEYS = ['ci', 'changes', 'scan', 'config'] as const;

/** Keys that mark a request document or a provider request body. */
const REQUEST_DOC_KEYS = ['request', 'client', 'detectors', 'risk_score', 'spend', 'budgets', 'session', 'response', 'model', 'messages'];

/**
 * Whether a partial document is a CI one: `phase: ci`, or (no phase) a CI-only key and nothing
 * of a request document or a provider body.
 */
export function isCiInputDoc(doc: unknown): boolean {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return false;
  const d = doc as Record<string, unknown>;
  if (d.phase !== undefined) return d.phase === 'ci';
  return CI_INPUT_KEYS.some((k) => k in d) && !REQUEST_DOC_KEYS.some((k) => k in d);
}

const optStr = z.string().nullable().optional();
const errorList = z.array(z.string());

const findingDoc = z
  .object({
    rule_id: z.string().min(1),
    severity: z.enum(SCAN_SEVERITIES),
    pack: optStr,
    path: z.string().optional(),
    line: z.number().int().min(1).optional(),
    end_line: z.number().int().min(1).optional(),
    message: z.string().optional(),
    fingerprint: z.string().optional(),
    cwe: z.array(z.string()).optional(),
    owasp_llm: z.array(z.string()).optional(),
    confidence: optStr,
    suppressed: z.boolean().optional(),
  })
  .strict();

const principalDoc = policyInputDocSchema.shape.principal;
const timeDoc = policyInputDocSchema.shape.time;

/**
 * A partial CI input as a test case or request file writes it (the input's own field names).
 * completeCiPolicyInput fills in the rest.
 */
export const ciPolicyInputDocSchema = z
  .object({
    phase: z.literal('ci').optional(),
    ci: z
      .object({
        provider: z.enum(CI_PROVIDERS).optional(),
        repository: optStr,
        pull_request: z.number().int().min(1).nullable().optional(),
        base_sha: optStr,
        head_sha: optStr,
        filter_mode: z.string().optional(),
        fail_on: z.string().optional(),
      })
      .strict()
      .optional(),
    changes: z
      .object({
        files: z.array(z.string().min(1)).optional(),
        file_count: z.number().int().min(0).optional(),
        added_lines: z.number().int().min(0).optional(),
        truncated: z.boolean().optional(),
      })
      .strict()
      .optional(),
    scan: z
      .object({
        findings: z.array(findingDoc).optional(),
        findings_total: z.number().int().min(0).optional(),
        truncated: z.boolean().optional(),
        by_severity: z.partialRecord(z.enum(SCAN_SEVERITIES), z.number().int().min(0)).optional(),
        files_scanned: z.number().int().min(0).optional(),
        rules_loaded: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
    config: z
      .object({
        present: z.boolean().optional(),
        valid: z.boolean().optional(),
        errors: errorList.optional(),
        config_file: z
          .object({ path: z.string().optional(), present: z.boolean().optional(), valid: z.boolean().optional(), errors: errorList.optional() })
          .strict()
          .optional(),
        policies: z
          .object({ path: z.string().optional(), present: z.boolean().optional(), count: z.number().int().min(0).optional(), errors: errorList.optional() })
          .strict()
          .optional(),
      })
      .strict()
      .optional(),
    principal: principalDoc,
    time: timeDoc,
  })
  .strict();
export type CiPolicyInputDoc = z.infer<typeof ciPolicyInputDocSchema>;

/**
 * The whole CI input from a partial one. Missing values take their empty values: provider
 * `local`, no findings, no changes, and no Warden config (`config.present` false) unless the
 * document says otherwise. A config file or policy list with errors is invalid unless `valid` is
 * given; top-level `present`/`valid`/`errors` follow from the two parts unless given. `time` is
 * completed as in completePolicyInput. Throws `policy_input_invalid`.
 */
export function completeCiPolicyInput(doc: unknown, defaults: { nowMs: number; tz?: string }): CiPolicyInput {
  const parsed = ciPolicyInputDocSchema.safeParse(doc ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
    throw new WardenError('policy_input_invalid', `CI input document: ${at}: ${issue.message}`);
  }
  const d = parsed.data;
  const findings: CiFinding[] = (d.scan?.findings ?? []).map((f) => ({
    rule_id: f.rule_id,
    severity: f.severity,
    pack: f.pack ?? null,
    path: f.path ?? '',
    line: f.line ?? 1,
    end_line: f.end_line ?? f.line ?? 1,
    message: f.message ?? '',
    fingerprint: f.fingerprint ?? '',
    cwe: f.cwe ?? [],
    owasp_llm: f.owasp_llm ?? [],
    confidence: f.confidence ?? null,
    suppressed: f.suppressed ?? false,
  }));
  const scan = scanBlock(findings, { files_scanned: d.scan?.files_scanned ?? 0, rules_loaded: d.scan?.rules_loaded ?? 0 });
  if (d.scan?.findings_total !== undefined) scan.findings_total = d.scan.findings_total;
  if (d.scan?.truncated !== undefined) scan.truncated = d.scan.truncated;
  if (d.scan?.by_severity) Object.assign(scan.by_severity, d.scan.by_severity);

  const changes = changesBlock(d.changes?.files ?? [], d.changes?.added_lines ?? 0);
  if (d.changes?.file_count !== undefined) changes.file_count = d.changes.file_count;
  if (d.changes?.truncated !== undefined) changes.truncated = d.changes.truncated;

  const cf = d.config?.config_file;
  const cfErrors = cf?.errors ?? [];
  const configFile: CiConfigFileState = {
    path: cf?.path ?? CI_CONFIG_FILE,
    present: cf?.present ?? cfErrors.length > 0,
    valid: cf?.valid ?? cfErrors.length === 0,
    errors: cfErrors,
  };
  const pd = d.config?.policies;
  const pdErrors = pd?.errors ?? [];
  const policies: CiPolicyFilesState = {
    path: pd?.path ?? CI_POLICY_DIR,
    present: pd?.present ?? ((pd?.count ?? 0) > 0 || pdErrors.length > 0),
    count: pd?.count ?? 0,
    errors: pdErrors,
  };
  const config = ciConfigBlock(configFile, policies);
  if (d.config?.present !== undefined) config.present = d.config.present;
  if (d.config?.valid !== undefined) config.valid = d.config.valid;
  if (d.config?.errors !== undefined) config.errors = [...d.config.errors];

  const nowNs = d.time?.now_ns !== undefined ? BigInt(d.time.now_ns) : BigInt(Math.trunc(defaults.nowMs)) * 1_000_000n;
  const time = timeFields(Number(nowNs / 1_000_000n), d.time?.tz ?? defaults.tz ?? 'UTC');
  time.now_ns = nowNs;
  if (d.time?.hour !== undefined) time.hour = d.time.hour;
  if (d.time?.minute !== undefined) time.minute = d.time.minute;
  if (d.time?.weekday !== undefined) time.weekday = d.time.weekday;
  if (d.time?.date !== undefined) time.date = d.time.date;

  const ci = d.ci ?? {};
  return {
    phase: 'ci',
    ci: {
      provider: ci.provider ?? 'local',
      repository: ci.repository ?? null,
      pull_request: ci.pull_request ?? null,
      base_sha: ci.base_sha ?? null,
      head_sha: ci.head_sha ?? null,
      filter_mode: ci.filter_mode ?? 'added',
      fail_on: ci.fail_on ?? 'high',
    },
    changes,
    scan,
    config,
    principal: principalOf(d.principal ? stripUndefined(d.principal) : undefined),
    time,
  };
}

/** Principal fields given as null stay null; absent ones take the defaults. */
function stripUndefined(p: NonNullable<CiPolicyInputDoc['principal']>): Partial<PolicyInput['principal']> {
  const out: Partial<PolicyInput['principal']> = {};
  for (const k of ['key', 'key_name', 'project', 'user', 'team', 'session', 'tool'] as const) if (p[k] !== undefined) out[k] = p[k];
  if (p.tags) out.tags = p.tags;
  return out;
}
