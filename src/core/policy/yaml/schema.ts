// The YAML policy format: one zod schema that validates policy files (with file:line:col errors via
// config/load.ts) and generates policies/schema/warden-policy.schema.json for editors. Request and
// CI policies (`phase: ci`) share the schema; which conditions, actions and placeholders a phase
// allows is checked once the file is otherwise valid, so the error names the offending key.
import { z } from 'zod';
import { SCAN_SEVERITIES } from '../../analysis/types.js';
import { re2PatternSchema } from '../../config/schema.js';
import { ENFORCEMENTS, POLICY_TYPES, SCOPE_KEYS, SEVERITIES, SPEND_PERIODS, SPEND_SCOPES, WEEKDAYS } from '../decision.js';
import { templateError, type TemplatePhase } from './template.js';

/** Policy names: what `warden policy show NAME` takes and violations carry. */
export const POLICY_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Detector finding types as the detectors name them: EMAIL, CREDIT_CARD, AWS_ACCESS_KEY, ... */
const DETECTOR_TYPE_RE = /^[A-Z][A-Z0-9_]*$/;

const globList = z
  .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
  .meta({ description: 'A glob (`*` any run, `?` one character, case-insensitive) or a list of them; any may match.' });

const numberTest = z
  .union([
    z.number(),
    z
      .object({
        gt: z.number().optional(),
        gte: z.number().optional(),
        lt: z.number().optional(),
        lte: z.number().optional(),
        eq: z.number().optional(),
        ne: z.number().optional(),
        present: z.boolean().optional().meta({ description: 'true: the value is set; false: it is not (e.g. no max_tokens).' }),
      })
      .strict()
      .refine((o) => Object.keys(o).length > 0, { message: 'give at least one of gt, gte, lt, lte, eq, ne, present' }),
  ])
  .meta({ description: 'A number (equal to) or comparisons that must all hold. An unset value fails every comparison.' });

const detectorType = z.string().regex(DETECTOR_TYPE_RE, 'detector types are upper case, e.g. EMAIL or AWS_ACCESS_KEY');

const detectorTest = z
  .union([
    z.boolean(),
    z.array(detectorType).min(1),
    z
      .object({
        types: z.array(detectorType).min(1).optional(),
        min_count: z.number().int().min(1).optional(),
        min_confidence: z.number().min(0).max(1).optional(),
      })
      .strict(),
  ])
  .meta({
    description:
      'true: any finding; false: none; a list of types: any finding of those types; or {types, min_count (total findings, default 1), min_confidence}.',
  });

const timeTest = z
  .object({
    hours: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, 'a window like "09:00-17:30" (may wrap past midnight: "22:00-06:00")')
      .optional()
      .meta({ description: 'HH:MM-HH:MM in the input time zone; the start is inclusive, the end exclusive.' }),
    weekdays: z.array(z.enum(WEEKDAYS)).min(1).optional(),
  })
  .strict();

const principalTest = z
  .object({
    projects: globList.optional(),
    teams: globList.optional(),
    users: globList.optional(),
    keys: globList.optional(),
    sessions: globList.optional(),
    tags: z.record(z.string(), z.string()).optional().meta({ description: 'Every tag must be set to a value matching the glob.' }),
  })
  .strict();

const textTest = z
  .object({
    contains: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .optional()
      .meta({ description: 'Substrings (plain text, case-insensitive); any may occur.' }),
    regex: re2PatternSchema
      .optional()
      .meta({ description: 'An RE2 regular expression searched in the prompt text.' }),
  })
  .strict();

const spendTest = z
  .object({
    scope: z.enum(SPEND_SCOPES),
    period: z.enum(SPEND_PERIODS),
    gt: z.number().optional(),
    gte: z.number().optional(),
    lt: z.number().optional(),
    lte: z.number().optional(),
  })
  .strict();

/** The agent-loop guard's numbers (input.session); each comparison given must hold. */
export const SESSION_TEST_KEYS = ['requests', 'spend_usd', 'elapsed_seconds', 'prompt_repeats'] as const;

const sessionTest = z
  .object({
    requests: numberTest.optional().meta({ description: 'Requests of the session so far, this one included.' }),
    spend_usd: numberTest.optional().meta({ description: "Settled spend of the session's earlier requests, USD." }),
    elapsed_seconds: numberTest.optional().meta({ description: "Seconds since the session's first request." }),
    prompt_repeats: numberTest.optional().meta({ description: "Times this request's latest turn has been sent in the session, this one included." }),
  })
  .strict()
  // Only when the mapping is otherwise valid: `{ prompt_repeat: 5 }` is a misspelt key, not an empty test.
  .refine((o) => Object.keys(o).length > 0, {
    message: 'give at least one of requests, spend_usd, elapsed_seconds, prompt_repeats',
    when: (payload) => payload.issues.length === 0,
  });

const findingsTest = z
  .object({
    min_severity: z.enum(SCAN_SEVERITIES).optional().meta({ description: 'Only findings at this severity or above (info < low < medium < high < critical).' }),
    packs: globList.optional().meta({ description: 'Only findings of rules from these built-in packs (llm, security, secrets, complexity).' }),
    rules: globList.optional().meta({ description: 'Only findings of rules whose id matches (e.g. "llm.hardcoded-api-key.*").' }),
    paths: globList
      .optional()
      .meta({ description: 'Only findings in files matching these path globs (`**` any directories; a glob without `/` matches a base name at any depth).' }),
    min_count: z.number().int().min(1).optional().meta({ description: 'How many matching findings it takes (default 1).' }),
    include_suppressed: z.boolean().optional().meta({ description: 'Count findings suppressed inline or by the baseline too (default false).' }),
  })
  .strict();

const configTest = z
  .object({
    present: z.boolean().optional().meta({ description: 'The repository has Warden config: .warden/config.yaml or policy files in .warden/policies.' }),
    valid: z.boolean().optional().meta({ description: 'Neither .warden/config.yaml nor any policy file in .warden/policies has errors.' }),
  })
  .strict()
  .refine((o) => Object.keys(o).length > 0, { message: 'give present or valid', when: (payload) => payload.issues.length === 0 });

const changesTest = z
  .object({
    files: globList.optional().meta({ description: 'Changed files matching these path globs (at least min_files of them, default 1).' }),
    min_files: z.number().int().min(0).optional().meta({ description: 'At least this many changed files (matching `files` when given).' }),
    added_lines: numberTest.optional().meta({ description: 'Lines the change adds, over all files.' }),
  })
  .strict()
  .refine((o) => Object.keys(o).length > 0, { message: 'give files, min_files or added_lines', when: (payload) => payload.issues.length === 0 });

/** A condition as written: every key present must hold (all/any/not combine nested conditions). */
export interface ConditionDoc {
  all?: ConditionDoc[];
  any?: ConditionDoc[];
  not?: ConditionDoc;
  model?: string | string[];
  provider?: string | string[];
  endpoint?: string | string[];
  stream?: boolean;
  max_tokens?: z.infer<typeof numberTest>;
  estimated_input_tokens?: z.infer<typeof numberTest>;
  estimated_cost_usd?: z.infer<typeof numberTest>;
  message_count?: z.infer<typeof numberTest>;
  tool?: string | string[];
  request_tools?: string | string[];
  pii?: z.infer<typeof detectorTest>;
  secrets?: z.infer<typeof detectorTest>;
  injection_score?: z.infer<typeof numberTest>;
  risk_score?: z.infer<typeof numberTest>;
  time?: z.infer<typeof timeTest>;
  principal?: z.infer<typeof principalTest>;
  text?: z.infer<typeof textTest>;
  spend?: z.infer<typeof spendTest>;
  session?: z.infer<typeof sessionTest>;
  findings?: z.infer<typeof findingsTest>;
  config?: z.infer<typeof configTest>;
  changes?: z.infer<typeof changesTest>;
}

export const CONDITION_KEYS = [
  'all',
  'any',
  'not',
  'model',
  'provider',
  'endpoint',
  'stream',
  'max_tokens',
  'estimated_input_tokens',
  'estimated_cost_usd',
  'message_count',
  'tool',
  'request_tools',
  'pii',
  'secrets',
  'injection_score',
  'risk_score',
  'time',
  'principal',
  'text',
  'spend',
  'session',
  'findings',
  'config',
  'changes',
] as const;
export type ConditionKey = (typeof CONDITION_KEYS)[number];

/** Conditions of a ci policy (`phase: ci`): what `warden ci` knows, plus the shared ones. */
export const CI_CONDITION_KEYS = ['all', 'any', 'not', 'time', 'principal', 'findings', 'config', 'changes'] as const satisfies readonly ConditionKey[];
/** Conditions that read the CI document and so only a ci policy may use. */
const CI_ONLY_KEYS: ReadonlySet<string> = new Set(['findings', 'config', 'changes']);
const CI_KEYS: ReadonlySet<string> = new Set(CI_CONDITION_KEYS);

/** The phases a YAML policy may declare; `request` by default. */
export const YAML_POLICY_PHASES = ['request', 'response', 'ci'] as const;
export type YamlPolicyPhase = (typeof YAML_POLICY_PHASES)[number];

export const conditionSchema: z.ZodType<ConditionDoc> = z.lazy(() =>
  z
    .object({
      all: z.array(conditionSchema).min(1).optional().meta({ description: 'Every condition holds.' }),
      any: z.array(conditionSchema).min(1).optional().meta({ description: 'At least one condition holds.' }),
      not: conditionSchema.optional().meta({ description: 'The condition does not hold.' }),
      model: globList.optional().meta({ description: 'The requested model matches.' }),
      provider: globList.optional(),
      endpoint: globList.optional().meta({ description: 'chat.completions, responses, messages, embeddings, ...' }),
      stream: z.boolean().optional(),
      max_tokens: numberTest.optional(),
      estimated_input_tokens: numberTest.optional(),
      estimated_cost_usd: numberTest.optional().meta({ description: 'Worst-case cost of the request in USD.' }),
      message_count: numberTest.optional(),
      tool: globList.optional().meta({ description: 'The client tool (claude-code, codex, openai-node, ...).' }),
      request_tools: globList.optional().meta({ description: 'Any tool (function) the request declares matches.' }),
      pii: detectorTest.optional(),
      secrets: detectorTest.optional(),
      injection_score: numberTest.optional().meta({ description: 'The prompt-injection score, 0 to 1.' }),
      risk_score: numberTest.optional().meta({ description: 'The request risk score, 0 to 100.' }),
      time: timeTest.optional(),
      principal: principalTest.optional(),
      text: textTest.optional(),
      spend: spendTest.optional().meta({ description: 'Spend so far in the current period for a scope of this principal.' }),
      session: sessionTest
        .optional()
        .meta({ description: "The request's session so far (agent-loop guard): requests, spend_usd, elapsed_seconds, prompt_repeats." }),
      findings: findingsTest
        .optional()
        .meta({ description: 'ci policies: at least min_count (default 1) scan findings match every filter given.' }),
      config: configTest.optional().meta({ description: "ci policies: the repository's Warden config is present / valid." }),
      changes: changesTest.optional().meta({ description: 'ci policies: what the pull/merge request changes.' }),
    })
    .strict()
    .refine((o) => Object.keys(o).length > 0, { message: 'a condition needs at least one key' }),
);

// Checked against both phases here; the policy's own phase is checked once the file is valid.
const messageTemplate = z.string().min(1).superRefine((text, ctx) => {
  const err = templateError(text, 'any');
  if (err) ctx.addIssue({ code: 'custom', message: err });
});

const messageOrTrue = z
  .union([messageTemplate, z.literal(true)])
  .meta({ description: 'A message template ({{ model }}, {{ request.max_tokens }}, ...) or true for the default message.' });

const redactAction = z
  .union([
    z.enum(['all', 'pii', 'secrets']),
    z.array(detectorType).min(1),
  ])
  .meta({ description: 'all, pii, secrets, or a list of finding types to replace with [REDACTED:TYPE].' });

export const ruleSchema = z
  .object({
    name: z.string().min(1).optional(),
    description: z.string().optional(),
    when: conditionSchema.optional().meta({ description: 'When the rule applies; absent: always.' }),
    deny: messageOrTrue.optional(),
    warn: messageOrTrue.optional(),
    redact: redactAction.optional(),
    cap_max_tokens: z.number().int().min(1).optional(),
    route: z.string().min(1).optional().meta({ description: 'Send the request to this model instead.' }),
    severity: z.enum(SEVERITIES).optional(),
    data: z.record(z.string(), z.unknown()).optional().meta({ description: 'Extra fields attached to the violation.' }),
  })
  .strict()
  .refine((r) => r.deny !== undefined || r.warn !== undefined || r.redact !== undefined || r.cap_max_tokens !== undefined || r.route !== undefined, {
    message: 'a rule needs an action: deny, warn, redact, cap_max_tokens or route',
  })
  .refine((r) => r.deny === undefined || r.warn === undefined, { message: 'a rule can deny or warn, not both' });
export type RuleDoc = z.infer<typeof ruleSchema>;

const scopeSchema = z
  .union([
    z.literal('global'),
    z
      .object(Object.fromEntries(SCOPE_KEYS.map((k) => [k, z.array(z.string().min(1)).min(1).optional()])) as Record<
        (typeof SCOPE_KEYS)[number],
        z.ZodOptional<z.ZodArray<z.ZodString>>
      >)
      .strict(),
  ])
  .meta({ description: 'global, or lists of projects, teams, users, keys and tools (globs); every list given must match.' });

export const yamlPolicySchema = z
  .object({
    $schema: z.string().optional(),
    name: z.string().regex(POLICY_NAME_RE, 'letters, digits, ".", "_" and "-", starting with a letter or digit').optional().meta({
      description: 'Defaults to the file name without its extension.',
    }),
    title: z.string().optional(),
    description: z.string().optional(),
    type: z.enum(POLICY_TYPES).optional().meta({ description: 'Default: security.' }),
    enforcement: z.enum(ENFORCEMENTS).optional().meta({ description: 'strict blocks, warning allows with a warning, monitor only audits. Default: strict.' }),
    enabled: z.boolean().optional().meta({ description: 'false: loaded and listed, never evaluated. Default: true.' }),
    phase: z
      .enum(YAML_POLICY_PHASES)
      .optional()
      .meta({ description: 'request (default): before the proxy forwards a request; response: after its response; ci: in `warden ci`, over the scan findings and the change.' }),
    scope: scopeSchema.optional(),
    rules: z.array(ruleSchema).min(1),
  })
  .strict()
  .superRefine((doc, ctx) => checkPhase(doc, ctx))
  .meta({
    title: 'Warden YAML policy',
    description: 'A request policy for the Warden proxy, or with `phase: ci` a policy for `warden ci` (docs/policies.md).',
  });
export type YamlPolicyDoc = z.infer<typeof yamlPolicySchema>;

type Issues = { addIssue(issue: { code: 'custom'; message: string; path: PropertyKey[]; input?: unknown }): void };

/**
 * What the policy's phase allows: ci policies take the CI conditions and only deny/warn; request
 * and response policies take the request conditions. One issue per offending key, located at it.
 */
function checkPhase(doc: { phase?: YamlPolicyPhase; rules: RuleDoc[] }, ctx: Issues): void {
  const ci = doc.phase === 'ci';
  const tphase: TemplatePhase = ci ? 'ci' : 'request';
  doc.rules.forEach((r, i) => {
    if (r.when) checkCondition(r.when, ['rules', i, 'when'], ci, ctx);
    if (ci) {
      for (const a of ['redact', 'cap_max_tokens', 'route'] as const) {
        if (r[a] !== undefined) ctx.addIssue({ code: 'custom', path: ['rules', i, a], message: `a ci policy can only deny or warn: \`${a}\` changes a request` });
      }
    }
    for (const a of ['deny', 'warn'] as const) {
      const t = r[a];
      if (typeof t !== 'string') continue;
      const err = templateError(t, tphase);
      if (err) ctx.addIssue({ code: 'custom', path: ['rules', i, a], message: err });
    }
  });
}

function checkCondition(c: ConditionDoc, at: PropertyKey[], ci: boolean, ctx: Issues): void {
  for (const key of Object.keys(c) as ConditionKey[]) {
    if (c[key] === undefined) continue;
    const here = [...at, key];
    if (ci && !CI_KEYS.has(key)) {
      ctx.addIssue({
        code: 'custom',
        path: here,
        message: `\`${key}\` is a request condition and a ci policy has no request: use ${CI_CONDITION_KEYS.join(', ')}`,
      });
    } else if (!ci && CI_ONLY_KEYS.has(key)) {
      ctx.addIssue({ code: 'custom', path: here, message: `\`${key}\` is a ci condition: add \`phase: ci\` to the policy to use it in \`warden ci\`` });
    }
  }
  c.all?.forEach((x, j) => checkCondition(x, [...at, 'all', j], ci, ctx));
  c.any?.forEach((x, j) => checkCondition(x, [...at, 'any', j], ci, ctx));
  if (c.not) checkCondition(c.not, [...at, 'not'], ci, ctx);
}

/** Keys each mapping allows, for "did you mean" hints in errors. */
export function yamlPolicyKnownKeys(p: readonly PropertyKey[]): string[] | undefined {
  const last = p.length > 0 ? p[p.length - 1] : undefined;
  const parent = p.length > 1 ? p[p.length - 2] : undefined;
  if (p.length === 0) return ['name', 'title', 'description', 'type', 'enforcement', 'enabled', 'phase', 'scope', 'rules'];
  if (p.length === 1 && last === 'scope') return [...SCOPE_KEYS];
  if (p.length === 2 && p[0] === 'rules') return ['name', 'description', 'when', 'deny', 'warn', 'redact', 'cap_max_tokens', 'route', 'severity', 'data'];
  if (p[0] === 'rules' && p.length >= 3 && (p[2] === 'when' || last === 'not' || typeof last === 'number' || parent === 'all' || parent === 'any')) {
    if (last === 'time') return ['hours', 'weekdays'];
    if (last === 'principal') return ['projects', 'teams', 'users', 'keys', 'sessions', 'tags'];
    if (last === 'text') return ['contains', 'regex'];
    if (last === 'spend') return ['scope', 'period', 'gt', 'gte', 'lt', 'lte'];
    if (last === 'pii' || last === 'secrets') return ['types', 'min_count', 'min_confidence'];
    if (last === 'session') return [...SESSION_TEST_KEYS];
    if (last === 'findings') return ['min_severity', 'packs', 'rules', 'paths', 'min_count', 'include_suppressed'];
    if (last === 'config') return ['present', 'valid'];
    if (last === 'changes') return ['files', 'min_files', 'added_lines'];
    if (parent === 'changes' && last === 'added_lines') return ['gt', 'gte', 'lt', 'lte', 'eq', 'ne', 'present'];
    if (parent === 'session' && (SESSION_TEST_KEYS as readonly PropertyKey[]).includes(last as PropertyKey)) return ['gt', 'gte', 'lt', 'lte', 'eq', 'ne', 'present'];
    if (
      last === 'max_tokens' ||
      last === 'estimated_input_tokens' ||
      last === 'estimated_cost_usd' ||
      last === 'message_count' ||
      last === 'injection_score' ||
      last === 'risk_score'
    )
      return ['gt', 'gte', 'lt', 'lte', 'eq', 'ne', 'present'];
    return [...CONDITION_KEYS];
  }
  return undefined;
}

/** The JSON Schema of the YAML format (what policies/schema/warden-policy.schema.json holds). */
export function yamlPolicyJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(yamlPolicySchema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });
  // zod names the recursive condition `__schema0`; give it a readable name (ids in zod's global
  // registry would collide when the module is loaded twice).
  const text = JSON.stringify(schema).replaceAll('__schema0', 'condition');
  const out = JSON.parse(text) as Record<string, unknown>;
  const defs = out.$defs as Record<string, Record<string, unknown>> | undefined;
  if (defs?.condition) defs.condition.description = 'Every key given must hold; all, any and not combine nested conditions.';
  return out;
}
