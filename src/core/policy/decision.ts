// The decision contract (DESIGN.md "The decision contract"), the policy input document
// (docs/policy-input.md), and the engine facade the proxy, `warden policy eval`, scan and ci share:
// YAML and Rego policies are loaded as LoadedPolicy closures and evaluated here against one input,
// their findings combined into one Decision (verdict, violations, mutations, errors, timing).
import { z } from 'zod';
import { globToRegExp } from '../config/schema.js';
import type { Clock } from '../deps.js';
import { runDetectors } from '../detect/index.js';
import type { DetectorReport, Finding, FindingKind, InjectionSignal } from '../detect/types.js';
import { WardenError, type ErrorLocation } from '../errors.js';
import type { SessionActivity } from '../session/loop-guard.js';
import type { CiPolicyInput } from './ci-input.js';
import { fromJson, type Value } from './rego/value.js';

export type { FindingKind, InjectionSignal } from '../detect/types.js';

// ---------------------------------------------------------------------------------------------
// Vocabulary

export const POLICY_TYPES = ['cost', 'usage', 'security', 'compliance', 'rate_limit', 'content_filter', 'model_access'] as const;
export type PolicyType = (typeof POLICY_TYPES)[number];

/** strict = block, warning = allow with a warning header and an audit event, monitor = audit only. */
export const ENFORCEMENTS = ['strict', 'warning', 'monitor'] as const;
export type Enforcement = (typeof ENFORCEMENTS)[number];

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** request: before forwarding; response: after the response; scan/ci: `warden scan` and `warden ci`. */
export const POLICY_PHASES = ['request', 'response', 'scan', 'ci'] as const;
export type PolicyPhase = (typeof POLICY_PHASES)[number];
/** Phases whose input is the request document (PolicyInput); `ci` has its own (CiPolicyInput). */
export const REQUEST_INPUT_PHASES = ['request', 'response', 'scan'] as const;
export type RequestInputPhase = (typeof REQUEST_INPUT_PHASES)[number];

export type Verdict = 'allow' | 'warn' | 'deny';
export type PolicyFormat = 'yaml' | 'rego';
/** Where a policy came from, lowest precedence first: a later origin overrides an earlier one by name. */
export const POLICY_ORIGINS = ['builtin', 'global', 'repo', 'path'] as const;
export type PolicyOrigin = (typeof POLICY_ORIGINS)[number];

/** Dimensions a scope may list; a policy applies when every listed dimension matches the principal. */
export const SCOPE_KEYS = ['projects', 'teams', 'users', 'keys', 'tools'] as const;
export type ScopeKey = (typeof SCOPE_KEYS)[number];
/** Empty (no lists) is global. Entries are globs (`*`, `?`, case-insensitive). */
export type PolicyScope = Partial<Record<ScopeKey, string[]>>;

export interface PolicyMeta {
  name: string;
  title?: string;
  description?: string;
  type: PolicyType;
  enforcement: Enforcement;
  scope: PolicyScope;
  /** A disabled policy is loaded and listed but never evaluated. */
  enabled: boolean;
  phase: PolicyPhase;
  format: PolicyFormat;
  /** Hex SHA-256 of the file's bytes. */
  version: string;
  /** The file it was loaded from. */
  source: string;
  origin: PolicyOrigin;
}

// ---------------------------------------------------------------------------------------------
// The decision

export interface Violation {
  policy: string;
  version: string;
  severity: Severity;
  enforcement: Enforcement;
  message: string;
  /** The YAML rule name, or the Rego rule set (`deny`, `warn`). */
  rule?: string;
  data?: Record<string, unknown>;
}

/**
 * Mask findings before the prompt leaves the machine: every finding whose kind is in
 * `finding_kinds` or whose type is in `types` becomes `[REDACTED:<TYPE>]`.
 */
export interface RedactMutation {
  kind: 'redact';
  finding_kinds: FindingKind[];
  types: string[];
  policies: string[];
}

/** Lower the request's max_tokens (or set it when absent) to `max_tokens`. */
export interface CapMaxTokensMutation {
  kind: 'cap_max_tokens';
  max_tokens: number;
  policies: string[];
}

/** Send the request to `model` instead of the one asked for. */
export interface RouteMutation {
  kind: 'route';
  model: string;
  policies: string[];
}

export type Mutation = RedactMutation | CapMaxTokensMutation | RouteMutation;
export type MutationKind = Mutation['kind'];
export const MUTATION_KINDS: readonly MutationKind[] = ['redact', 'cap_max_tokens', 'route'];

/** A mutation as one policy asks for it, before merging. */
export type PolicyMutation = DistributiveOmit<Mutation, 'policies'>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A policy that broke while evaluating (a runtime error, a step limit, a malformed result). */
export interface PolicyEvalError {
  policy: string;
  version: string;
  code: string;
  message: string;
  location?: ErrorLocation;
  /** True when the error turned into a violation (strict → deny, warning → warn). */
  fail_closed: boolean;
}

export interface RuleExplanation {
  /** YAML: the rule's name (or `rules[i]`); Rego: the rule set (`deny`, `warn`, `mutate`). */
  rule: string;
  matched: boolean;
  /** YAML: each top-level condition of the rule's `when` and whether it held. */
  conditions?: { key: string; matched: boolean }[];
  /** What the rule contributed: messages and mutations. */
  results?: unknown[];
}

export interface PolicyExplanation {
  policy: string;
  version: string;
  format: PolicyFormat;
  enforcement: Enforcement;
  source: string;
  /** skipped: disabled, another phase, or out of scope (see `reason`). */
  status: 'skipped' | 'passed' | 'violated' | 'error';
  reason?: string;
  duration_us: number;
  rules: RuleExplanation[];
}

export interface Decision {
  verdict: Verdict;
  violations: Violation[];
  /** Mutations of strict and warning policies, merged: one redact, the lowest cap, the first route. */
  mutations: Mutation[];
  /** What monitor policies would have changed: audited, never applied. */
  monitored_mutations: Mutation[];
  errors: PolicyEvalError[];
  /** The policies evaluated (enabled, in phase and in scope), in evaluation order. */
  policies: { name: string; version: string; enforcement: Enforcement }[];
  duration_us: number;
  /** Per policy and rule, with `explain`. */
  explanation?: PolicyExplanation[];
}

/** Any strict violation denies; else any warning violation warns; monitor violations are only audited. */
export function verdictOf(violations: readonly Pick<Violation, 'enforcement'>[]): Verdict {
  let warn = false;
  for (const v of violations) {
    if (v.enforcement === 'strict') return 'deny';
    if (v.enforcement === 'warning') warn = true;
  }
  return warn ? 'warn' : 'allow';
}

// ---------------------------------------------------------------------------------------------
// The input document (docs/policy-input.md). Field names are API: Rego and YAML policies read them.

/** One detector type found, with how often and the highest confidence among its findings. */
export interface DetectorCount {
  type: string;
  count: number;
  confidence: number;
}

export const SPEND_SCOPES = ['key', 'project', 'user', 'team', 'global'] as const;
export type SpendScope = (typeof SPEND_SCOPES)[number];
export const SPEND_PERIODS = ['daily', 'weekly', 'monthly'] as const;
export type SpendPeriod = (typeof SPEND_PERIODS)[number];
export type SpendPeriods = Record<SpendPeriod, number>;

export interface BudgetState {
  scope: SpendScope;
  name: string;
  period: SpendPeriod;
  limit_usd: number;
  spent_usd: number;
  remaining_usd: number;
  hard: boolean;
}

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** `input.session`: what the session has done so far, this request included where noted. */
export interface PolicySession {
  /** The session id (same as principal.session); null outside a session. */
  id: string | null;
  /** Requests of the session so far, this one included. */
  requests: number;
  /** Settled spend of the session's earlier requests, USD. */
  spend_usd: number;
  /** Seconds since the session's first request. */
  elapsed_seconds: number;
  /** Times this request's latest turn has been sent in the session, this one included. */
  prompt_repeats: number;
}

export interface PolicyInput {
  phase: RequestInputPhase;
  request: {
    provider: string | null;
    endpoint: string | null;
    model: string | null;
    stream: boolean;
    max_tokens: number | null;
    /** Names of the tools (functions) the request declares. */
    tools: string[];
    /** The prompt text (system, messages, tool results), newline-joined. */
    messages_text: string;
    message_count: number;
    estimated_input_tokens: number;
    /** Worst case: estimated input + max_tokens of output at the model's prices; null when unpriced. */
    estimated_cost_usd: number | null;
  };
  principal: {
    key: string | null;
    key_name: string | null;
    project: string | null;
    user: string | null;
    team: string | null;
    session: string | null;
    tool: string | null;
    tags: Record<string, string>;
  };
  client: { tool: string | null; user_agent: string | null };
  detectors: {
    pii: DetectorCount[];
    secrets: DetectorCount[];
    injection: { score: number; signals: InjectionSignal[] };
    /** Which detectors ran for this request (they run only when a policy in scope reads them). */
    ran: { pii: boolean; secrets: boolean; injection: boolean };
    truncated: boolean;
    scanned_chars: number;
  };
  /** 0–100, or null when not computed. */
  risk_score: number | null;
  /** USD spent so far in the current calendar period, per scope of this request's principal. */
  spend: Record<SpendScope, SpendPeriods>;
  budgets: BudgetState[];
  /** Activity of the request's session so far (the agent-loop guard); zeros outside a session. */
  session: PolicySession;
  time: {
    /** Nanoseconds since the epoch (an exact integer in Rego). */
    now_ns: bigint;
    hour: number;
    minute: number;
    weekday: Weekday;
    /** YYYY-MM-DD in `tz`. */
    date: string;
    tz: string;
  };
  /** Only in the response phase. */
  response?: {
    status: number | null;
    text: string;
    input_tokens: number | null;
    output_tokens: number | null;
    cost_usd: number | null;
  };
}

/**
 * What the engine evaluates: the request/response document above, or the CI document of
 * `warden ci` (src/core/policy/ci-input.ts). `phase` tells them apart: only `ci` is the CI shape.
 */
export type AnyPolicyInput = PolicyInput | CiPolicyInput;

/** Whether `input` is the CI document (phase `ci`); every other phase has the request shape. */
export function isCiInput(input: AnyPolicyInput): input is CiPolicyInput {
  return input.phase === 'ci';
}

export interface DetectorNeeds {
  pii: boolean;
  secrets: boolean;
  injection: boolean;
}

export interface PolicyInputParts {
  phase?: RequestInputPhase;
  request: {
    provider?: string | null;
    endpoint?: string | null;
    model?: string | null;
    stream?: boolean;
    max_tokens?: number | null;
    tools?: readonly string[];
    messages_text?: string;
    message_count?: number;
    estimated_input_tokens?: number;
    estimated_cost_usd?: number | null;
  };
  principal?: Partial<PolicyInput['principal']>;
  client?: Partial<PolicyInput['client']>;
  /** runDetectors' report; `detectorsRan` says which families it was asked to run. */
  detectors?: DetectorReport;
  detectorsRan?: DetectorNeeds;
  riskScore?: number | null;
  spend?: Partial<Record<SpendScope, Partial<SpendPeriods>>>;
  budgets?: readonly BudgetState[];
  /**
   * The session's activity as LoopGuard.observe() reports it; absent: zeros. `id` defaults to
   * principal.session.
   */
  session?: Partial<SessionActivity> & { id?: string | null };
  /** The caller's clock reading (epoch ms). */
  nowMs: number;
  /** IANA time zone for hour/weekday/date; default UTC. */
  tz?: string;
  response?: PolicyInput['response'];
}

/** Counts findings per type, in first-seen order, with each type's highest confidence. */
export function countFindings(findings: readonly Finding[]): DetectorCount[] {
  if (findings.length === 0) return [];
  const byType = new Map<string, DetectorCount>();
  for (const f of findings) {
    const c = byType.get(f.type);
    if (c) {
      c.count += 1;
      if (f.confidence > c.confidence) c.confidence = f.confidence;
    } else byType.set(f.type, { type: f.type, count: 1, confidence: f.confidence });
  }
  return [...byType.values()];
}

const NO_SPEND: SpendPeriods = Object.freeze({ daily: 0, weekly: 0, monthly: 0 }) as SpendPeriods;

/** Builds the input document from what the proxy (or a command) knows about one request. */
export function buildPolicyInput(parts: PolicyInputParts): PolicyInput {
  const r = parts.request;
  const p = parts.principal ?? {};
  const det = parts.detectors;
  const ran = parts.detectorsRan ?? { pii: det !== undefined, secrets: det !== undefined, injection: det?.injection != null };
  const spend = {} as Record<SpendScope, SpendPeriods>;
  for (const s of SPEND_SCOPES) {
    const given = parts.spend?.[s];
    spend[s] = given ? { daily: given.daily ?? 0, weekly: given.weekly ?? 0, monthly: given.monthly ?? 0 } : NO_SPEND;
  }
  const input: PolicyInput = {
    phase: parts.phase ?? 'request',
    request: {
      provider: r.provider ?? null,
      endpoint: r.endpoint ?? null,
      model: r.model ?? null,
      stream: r.stream ?? false,
      max_tokens: r.max_tokens ?? null,
      tools: r.tools ? [...r.tools] : [],
      messages_text: r.messages_text ?? '',
      message_count: r.message_count ?? 0,
      estimated_input_tokens: r.estimated_input_tokens ?? 0,
      estimated_cost_usd: r.estimated_cost_usd ?? null,
    },
    principal: {
      key: p.key ?? null,
      key_name: p.key_name ?? null,
      project: p.project ?? null,
      user: p.user ?? null,
      team: p.team ?? null,
      session: p.session ?? null,
      tool: p.tool ?? parts.client?.tool ?? null,
      tags: p.tags ?? {},
    },
    client: { tool: parts.client?.tool ?? p.tool ?? null, user_agent: parts.client?.user_agent ?? null },
    detectors: {
      pii: det ? countFindings(det.pii) : [],
      secrets: det ? countFindings(det.secrets) : [],
      injection: det?.injection ? { score: det.injection.score, signals: [...det.injection.signals] } : { score: 0, signals: [] },
      ran: { pii: ran.pii, secrets: ran.secrets, injection: ran.injection },
      truncated: det?.truncated ?? false,
      scanned_chars: det?.scannedChars ?? 0,
    },
    risk_score: parts.riskScore ?? null,
    spend,
    budgets: parts.budgets ? [...parts.budgets] : [],
    session: {
      id: parts.session?.id ?? p.session ?? null,
      requests: parts.session?.requests ?? 0,
      spend_usd: parts.session?.spendUsd ?? 0,
      elapsed_seconds: parts.session?.elapsedSeconds ?? 0,
      prompt_repeats: parts.session?.promptRepeats ?? 0,
    },
    time: timeFields(parts.nowMs, parts.tz ?? 'UTC'),
  };
  if (parts.response) input.response = parts.response;
  return input;
}

const optStr = z.string().nullable().optional();
const optNum = z.number().nullable().optional();
const countDoc = z
  .object({
    type: z.string().min(1),
    count: z.number().int().min(0).optional(),
    confidence: z.number().min(0).max(1).optional(),
  })
  .strict();
const periodsDoc = z.object({ daily: z.number().optional(), weekly: z.number().optional(), monthly: z.number().optional() }).strict();

/**
 * A partial input document as a request file or a test case writes it (the input's own field
 * names, any of them left out). completePolicyInput fills in the rest.
 */
export const policyInputDocSchema = z
  .object({
    // A CI document (`phase: ci`) has another shape: ciPolicyInputDocSchema in ci-input.ts.
    phase: z.enum(REQUEST_INPUT_PHASES).optional(),
    request: z
      .object({
        provider: optStr,
        endpoint: optStr,
        model: optStr,
        stream: z.boolean().optional(),
        max_tokens: z.number().int().min(0).nullable().optional(),
        tools: z.array(z.string()).optional(),
        messages_text: z.string().optional(),
        message_count: z.number().int().min(0).optional(),
        estimated_input_tokens: z.number().min(0).optional(),
        estimated_cost_usd: optNum,
      })
      .strict()
      .optional(),
    principal: z
      .object({
        key: optStr,
        key_name: optStr,
        project: optStr,
        user: optStr,
        team: optStr,
        session: optStr,
        tool: optStr,
        tags: z.record(z.string(), z.string()).optional(),
      })
      .strict()
      .optional(),
    client: z.object({ tool: optStr, user_agent: optStr }).strict().optional(),
    detectors: z
      .object({
        pii: z.array(countDoc).optional(),
        secrets: z.array(countDoc).optional(),
        injection: z
          .object({
            score: z.number().min(0).max(1),
            signals: z.array(z.object({ id: z.string(), weight: z.number() }).strict()).optional(),
          })
          .strict()
          .optional(),
        ran: z.object({ pii: z.boolean().optional(), secrets: z.boolean().optional(), injection: z.boolean().optional() }).strict().optional(),
        truncated: z.boolean().optional(),
        scanned_chars: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
    risk_score: z.number().min(0).max(100).nullable().optional(),
    spend: z.partialRecord(z.enum(SPEND_SCOPES), periodsDoc).optional(),
    budgets: z
      .array(
        z
          .object({
            scope: z.enum(SPEND_SCOPES),
            name: z.string(),
            period: z.enum(SPEND_PERIODS),
            limit_usd: z.number(),
            spent_usd: z.number(),
            remaining_usd: z.number().optional(),
            hard: z.boolean().optional(),
          })
          .strict(),
      )
      .optional(),
    session: z
      .object({
        id: optStr,
        requests: z.number().int().min(0).optional(),
        spend_usd: z.number().min(0).optional(),
        elapsed_seconds: z.number().min(0).optional(),
        prompt_repeats: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
    time: z
      .object({
        now_ns: z.union([z.number().int().min(0), z.string().regex(/^\d+$/)]).optional(),
        hour: z.number().int().min(0).max(23).optional(),
        minute: z.number().int().min(0).max(59).optional(),
        weekday: z.enum(WEEKDAYS).optional(),
        date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
        tz: z.string().min(1).optional(),
      })
      .strict()
      .optional(),
    response: z
      .object({
        status: z.number().int().nullable().optional(),
        text: z.string().optional(),
        input_tokens: optNum,
        output_tokens: optNum,
        cost_usd: optNum,
      })
      .strict()
      .optional(),
  })
  .strict();
export type PolicyInputDoc = z.infer<typeof policyInputDocSchema>;

/**
 * The whole input document from a partial one: missing fields take their empty values, `time`
 * comes from `now_ns` (or `nowMs`) in `tz` with any of hour/minute/weekday/date given overriding,
 * and a detector listed in the document counts as having run. Throws `policy_input_invalid`.
 */
export function completePolicyInput(doc: unknown, defaults: { nowMs: number; tz?: string }): PolicyInput {
  const parsed = policyInputDocSchema.safeParse(doc ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
    throw new WardenError('policy_input_invalid', `input document: ${at}: ${issue.message}`);
  }
  const d = parsed.data;
  const nowNs = d.time?.now_ns !== undefined ? BigInt(d.time.now_ns) : BigInt(Math.trunc(defaults.nowMs)) * 1_000_000n;
  const det = d.detectors;
  const counts = (xs: z.infer<typeof countDoc>[] | undefined): DetectorCount[] =>
    (xs ?? []).map((x) => ({ type: x.type, count: x.count ?? 1, confidence: x.confidence ?? 1 }));
  const input = buildPolicyInput({
    phase: d.phase,
    request: d.request ?? {},
    principal: d.principal,
    client: d.client,
    riskScore: d.risk_score,
    spend: d.spend,
    budgets: d.budgets?.map((b) => ({ ...b, remaining_usd: b.remaining_usd ?? b.limit_usd - b.spent_usd, hard: b.hard ?? false })),
    session: d.session && {
      id: d.session.id,
      requests: d.session.requests,
      spendUsd: d.session.spend_usd,
      elapsedSeconds: d.session.elapsed_seconds,
      promptRepeats: d.session.prompt_repeats,
    },
    nowMs: Number(nowNs / 1_000_000n),
    tz: d.time?.tz ?? defaults.tz,
  });
  input.time.now_ns = nowNs;
  if (d.time?.hour !== undefined) input.time.hour = d.time.hour;
  if (d.time?.minute !== undefined) input.time.minute = d.time.minute;
  if (d.time?.weekday !== undefined) input.time.weekday = d.time.weekday;
  if (d.time?.date !== undefined) input.time.date = d.time.date;
  if (det) {
    input.detectors = {
      pii: counts(det.pii),
      secrets: counts(det.secrets),
      injection: det.injection ? { score: det.injection.score, signals: det.injection.signals ?? [] } : { score: 0, signals: [] },
      ran: {
        pii: det.ran?.pii ?? det.pii !== undefined,
        secrets: det.ran?.secrets ?? det.secrets !== undefined,
        injection: det.ran?.injection ?? det.injection !== undefined,
      },
      truncated: det.truncated ?? false,
      scanned_chars: det.scanned_chars ?? 0,
    };
  }
  if (d.response) {
    input.response = {
      status: d.response.status ?? null,
      text: d.response.text ?? '',
      input_tokens: d.response.input_tokens ?? null,
      output_tokens: d.response.output_tokens ?? null,
      cost_usd: d.response.cost_usd ?? null,
    };
  }
  return input;
}

/** How much prompt text detectors scan when the caller does not say (DESIGN §10: a bound on everything). */
export const DEFAULT_SCAN_CHARS = 256 * 1024;

export interface PrepareInputOptions {
  nowMs: number;
  tz?: string;
  /** Characters of the prompt the detectors scan (default DEFAULT_SCAN_CHARS). */
  maxChars?: number;
}

/**
 * The input for a partial document as `warden policy eval --request` and `*.test.yaml` cases give
 * it: completePolicyInput, then the detectors `engine` needs (for this principal and phase) run
 * on `request.messages_text` — except the families whose results the document lists itself.
 */
export function prepareInput(engine: PolicyEngine, doc: unknown, opts: PrepareInputOptions): PolicyInput {
  const input = completePolicyInput(doc, opts);
  const text = input.request.messages_text;
  if (text === '') return input;
  const needs = engine.requiredDetectors(input.principal, input.phase);
  const ran = input.detectors.ran;
  const run = { pii: needs.pii && !ran.pii, secrets: needs.secrets && !ran.secrets, injection: needs.injection && !ran.injection };
  if (!run.pii && !run.secrets && !run.injection) return input;
  const report = runDetectors(text, { ...run, maxChars: opts.maxChars ?? DEFAULT_SCAN_CHARS });
  const d = input.detectors;
  if (run.pii) d.pii = countFindings(report.pii);
  if (run.secrets) d.secrets = countFindings(report.secrets);
  if (run.injection && report.injection) d.injection = { score: report.injection.score, signals: [...report.injection.signals] };
  d.ran = { pii: ran.pii || run.pii, secrets: ran.secrets || run.secrets, injection: ran.injection || run.injection };
  d.truncated = report.truncated;
  d.scanned_chars = report.scannedChars;
  return input;
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();
const WEEKDAY_BY_NAME: Record<string, Weekday> = { Sun: 'sun', Mon: 'mon', Tue: 'tue', Wed: 'wed', Thu: 'thu', Fri: 'fri', Sat: 'sat' };

function formatFor(tz: string): Intl.DateTimeFormat {
  let f = dateFormats.get(tz);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: tz,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        weekday: 'short',
      });
    } catch (e) {
      throw new WardenError('policy_input_invalid', `unknown time zone ${JSON.stringify(tz)}`, { cause: e });
    }
    if (dateFormats.size > 64) dateFormats.clear();
    dateFormats.set(tz, f);
  }
  return f;
}

/** `time` of the input document for an epoch-ms reading in an IANA zone. */
export function timeFields(nowMs: number, tz: string): PolicyInput['time'] {
  const ms = Math.trunc(nowMs);
  const nowNs = BigInt(ms) * 1_000_000n;
  if (tz === 'UTC') {
    const d = new Date(ms);
    return {
      now_ns: nowNs,
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      weekday: WEEKDAYS[d.getUTCDay()],
      date: d.toISOString().slice(0, 10),
      tz,
    };
  }
  const parts: Record<string, string> = {};
  for (const p of formatFor(tz).formatToParts(new Date(ms))) parts[p.type] = p.value;
  return {
    now_ns: nowNs,
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    weekday: WEEKDAY_BY_NAME[parts.weekday] ?? 'sun',
    date: `${parts.year}-${parts.month}-${parts.day}`,
    tz,
  };
}

// ---------------------------------------------------------------------------------------------
// What a loaded policy is to the engine

/** One message a policy produced: `deny` and `warn` rules (YAML actions, Rego rule sets). */
export interface PolicyFinding {
  level: 'deny' | 'warn';
  message: string;
  rule?: string;
  severity?: Severity;
  data?: Record<string, unknown>;
}

export interface PolicyOutcome {
  findings: PolicyFinding[];
  mutations: PolicyMutation[];
  /** Filled only when the context asks to explain. */
  rules?: RuleExplanation[];
}

export interface PolicyEvalContext {
  explain: boolean;
  /** The input as a Rego value, converted once per evaluation and shared by the Rego policies. */
  regoInput(): Value;
  /** Bound on Rego evaluation steps per policy. */
  maxSteps: number;
}

/** A compiled policy: metadata, the detectors it reads, and its evaluation closure. */
export interface LoadedPolicy {
  meta: PolicyMeta;
  needs: DetectorNeeds;
  /**
   * Throws when the policy itself breaks; the engine turns that into a PolicyEvalError. The engine
   * only hands a policy inputs of its own phase (so a CI policy only ever sees a CiPolicyInput).
   */
  evaluate(input: AnyPolicyInput, ctx: PolicyEvalContext): PolicyOutcome;
}

// ---------------------------------------------------------------------------------------------
// The engine facade

export interface PolicyEngineOptions {
  clock: Pick<Clock, 'monotonic'>;
  /** Rego evaluation steps per policy; default 100,000. */
  maxSteps?: number;
}

export interface EvaluateOptions {
  /** Default: the input's phase. */
  phase?: PolicyPhase;
  /** Fill `explanation` (per policy and rule). Slower; for `warden policy eval --explain`. */
  explain?: boolean;
}

/** Who a request is for, as scopes see it. */
export type ScopeSubject = Pick<PolicyInput['principal'], 'key' | 'project' | 'user' | 'team' | 'tool'>;

const SCOPE_FIELD: Record<ScopeKey, keyof ScopeSubject> = {
  projects: 'project',
  teams: 'team',
  users: 'user',
  keys: 'key',
  tools: 'tool',
};

/** A scope as a predicate over the principal; `undefined` for a global scope. */
export function compileScope(scope: PolicyScope): ((s: ScopeSubject) => boolean) | undefined {
  const checks: { field: keyof ScopeSubject; res: RegExp[] }[] = [];
  for (const k of SCOPE_KEYS) {
    const list = scope[k];
    if (list && list.length > 0) checks.push({ field: SCOPE_FIELD[k], res: list.map(globToRegExp) });
  }
  if (checks.length === 0) return undefined;
  return (s) => {
    for (const c of checks) {
      const v = s[c.field];
      if (v === null || v === undefined) return false;
      let hit = false;
      for (const re of c.res) {
        if (re.test(v)) {
          hit = true;
          break;
        }
      }
      if (!hit) return false;
    }
    return true;
  };
}

interface EnginePolicy {
  policy: LoadedPolicy;
  inScope: ((s: ScopeSubject) => boolean) | undefined;
}

const DEFAULT_MAX_STEPS = 100_000;
const DEFAULT_SEVERITY: Record<PolicyFinding['level'], Severity> = { deny: 'high', warn: 'medium' };

/**
 * Evaluates a fixed set of loaded policies. Build one per loaded set (PolicySetHolder does); it is
 * immutable and safe to share between requests.
 */
export class PolicyEngine {
  readonly policies: readonly LoadedPolicy[];
  private readonly active: EnginePolicy[];
  private readonly clock: Pick<Clock, 'monotonic'>;
  private readonly maxSteps: number;

  constructor(policies: readonly LoadedPolicy[], opts: PolicyEngineOptions) {
    this.policies = policies;
    this.active = policies.filter((p) => p.meta.enabled).map((p) => ({ policy: p, inScope: compileScope(p.meta.scope) }));
    this.clock = opts.clock;
    this.maxSteps = opts.maxSteps ?? DEFAULT_MAX_STEPS;
  }

  /**
   * Which detectors some enabled policy of `phase` reads (for `principal`, only policies whose
   * scope covers it). Run exactly these before evaluate(); the others' output stays empty.
   */
  requiredDetectors(principal?: ScopeSubject, phase: PolicyPhase = 'request'): DetectorNeeds {
    const out: DetectorNeeds = { pii: false, secrets: false, injection: false };
    for (const a of this.active) {
      if (a.policy.meta.phase !== phase) continue;
      if (principal && a.inScope && !a.inScope(principal)) continue;
      const n = a.policy.needs;
      out.pii ||= n.pii;
      out.secrets ||= n.secrets;
      out.injection ||= n.injection;
    }
    return out;
  }

  /** Whether any enabled policy of `phase` covers `principal` (a cheap check before building an input). */
  hasPolicies(phase: PolicyPhase, principal?: ScopeSubject): boolean {
    for (const a of this.active) {
      if (a.policy.meta.phase !== phase) continue;
      if (principal && a.inScope && !a.inScope(principal)) continue;
      return true;
    }
    return false;
  }

  /**
   * One decision for `input`. Never throws for a policy that breaks: see Decision.errors. Throws
   * `policy_input_invalid` when `opts.phase` asks for CI policies with a request input or the
   * reverse (a caller's mistake: the two documents have different shapes).
   */
  evaluate(input: AnyPolicyInput, opts: EvaluateOptions = {}): Decision {
    const started = this.clock.monotonic();
    const phase = opts.phase ?? input.phase;
    if ((phase === 'ci') !== isCiInput(input)) {
      throw new WardenError('policy_input_invalid', `cannot evaluate ${phase} policies with a ${input.phase} input document`);
    }
    const explain = opts.explain ?? false;
    let regoValue: Value | undefined;
    const ctx: PolicyEvalContext = {
      explain,
      regoInput: () => (regoValue ??= fromJson(input)),
      maxSteps: this.maxSteps,
    };
    const violations: Violation[] = [];
    const errors: PolicyEvalError[] = [];
    const evaluated: Decision['policies'] = [];
    const applied = new MutationMerger();
    const monitored = new MutationMerger();
    const explanation: PolicyExplanation[] | undefined = explain ? [] : undefined;
    if (explanation) {
      for (const p of this.policies) if (!p.meta.enabled) explanation.push(skipped(p.meta, 'disabled'));
    }
    const subject = input.principal;
    for (const a of this.active) {
      const meta = a.policy.meta;
      if (meta.phase !== phase) {
        explanation?.push(skipped(meta, `a ${meta.phase} policy`));
        continue;
      }
      if (a.inScope && !a.inScope(subject)) {
        explanation?.push(skipped(meta, 'out of scope'));
        continue;
      }
      evaluated.push({ name: meta.name, version: meta.version, enforcement: meta.enforcement });
      const t0 = explain ? this.clock.monotonic() : 0;
      let outcome: PolicyOutcome;
      try {
        outcome = a.policy.evaluate(input, ctx);
      } catch (e) {
        const err = evalError(meta, e);
        errors.push(err);
        if (err.fail_closed) {
          violations.push({
            policy: meta.name,
            version: meta.version,
            severity: 'high',
            enforcement: meta.enforcement,
            message: `policy ${meta.name} failed to evaluate`,
            data: { error: err.code },
          });
        }
        explanation?.push({ ...base(meta), status: 'error', reason: `${err.code}: ${err.message}`, duration_us: us(this.clock.monotonic() - t0), rules: [] });
        continue;
      }
      for (const f of outcome.findings) {
        violations.push({
          policy: meta.name,
          version: meta.version,
          severity: f.severity ?? DEFAULT_SEVERITY[f.level],
          enforcement: f.level === 'warn' && meta.enforcement === 'strict' ? 'warning' : meta.enforcement,
          message: f.message,
          ...(f.rule !== undefined ? { rule: f.rule } : {}),
          ...(f.data !== undefined ? { data: f.data } : {}),
        });
      }
      const merger = meta.enforcement === 'monitor' ? monitored : applied;
      for (const m of outcome.mutations) merger.add(m, meta.name);
      if (explanation) {
        explanation.push({
          ...base(meta),
          status: outcome.findings.length > 0 ? 'violated' : 'passed',
          duration_us: us(this.clock.monotonic() - t0),
          rules: outcome.rules ?? [],
        });
      }
    }
    const decision: Decision = {
      verdict: verdictOf(violations),
      violations,
      mutations: applied.result(),
      monitored_mutations: monitored.result(),
      errors,
      policies: evaluated,
      duration_us: us(this.clock.monotonic() - started),
    };
    if (explanation) decision.explanation = explanation;
    return decision;
  }
}

export function createPolicyEngine(policies: readonly LoadedPolicy[], opts: PolicyEngineOptions): PolicyEngine {
  return new PolicyEngine(policies, opts);
}

function us(ms: number): number {
  return Math.round(ms * 1000 * 10) / 10;
}

function base(meta: PolicyMeta): Pick<PolicyExplanation, 'policy' | 'version' | 'format' | 'enforcement' | 'source'> {
  return { policy: meta.name, version: meta.version, format: meta.format, enforcement: meta.enforcement, source: meta.source };
}

function skipped(meta: PolicyMeta, reason: string): PolicyExplanation {
  return { ...base(meta), status: 'skipped', reason, duration_us: 0, rules: [] };
}

/**
 * A policy that cannot be evaluated fails closed when it is strict (the request is denied: a check
 * that could not run must not silently pass), warns when it is a warning policy, and is only
 * reported when it is a monitor policy.
 */
function evalError(meta: PolicyMeta, e: unknown): PolicyEvalError {
  const fail_closed = meta.enforcement !== 'monitor';
  if (e instanceof WardenError) {
    return {
      policy: meta.name,
      version: meta.version,
      code: e.code,
      message: e.message.split('\n')[0],
      ...(e.location ? { location: e.location } : {}),
      fail_closed,
    };
  }
  return { policy: meta.name, version: meta.version, code: 'policy_eval_failed', message: e instanceof Error ? e.message : String(e), fail_closed };
}

/** Merges per-policy mutations: one redact (union), the lowest cap, the first route. */
class MutationMerger {
  private redact: RedactMutation | undefined;
  private cap: CapMaxTokensMutation | undefined;
  private route: RouteMutation | undefined;

  add(m: PolicyMutation, policy: string): void {
    switch (m.kind) {
      case 'redact': {
        if (!this.redact) this.redact = { kind: 'redact', finding_kinds: [], types: [], policies: [] };
        const r = this.redact;
        for (const k of m.finding_kinds) if (!r.finding_kinds.includes(k)) r.finding_kinds.push(k);
        for (const t of m.types) if (!r.types.includes(t)) r.types.push(t);
        if (!r.policies.includes(policy)) r.policies.push(policy);
        return;
      }
      case 'cap_max_tokens':
        if (!this.cap || m.max_tokens < this.cap.max_tokens) this.cap = { kind: 'cap_max_tokens', max_tokens: m.max_tokens, policies: [policy] };
        else if (m.max_tokens === this.cap.max_tokens && !this.cap.policies.includes(policy)) this.cap.policies.push(policy);
        return;
      case 'route':
        if (!this.route) this.route = { kind: 'route', model: m.model, policies: [policy] };
        else if (this.route.model === m.model && !this.route.policies.includes(policy)) this.route.policies.push(policy);
        return;
    }
  }

  result(): Mutation[] {
    const out: Mutation[] = [];
    if (this.redact) out.push(this.redact);
    if (this.cap) out.push(this.cap);
    if (this.route) out.push(this.route);
    return out;
  }
}
