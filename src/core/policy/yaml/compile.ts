// Compiles a YAML policy file into a LoadedPolicy: conditions become closures over the input
// document (globs and regexes built once at load), actions become findings and mutations, so a
// request is evaluated without a Rego round trip and yields the same decision pieces. A
// `phase: ci` policy's conditions are compiled by ci-compile.ts over the CI document instead.
import path from 'node:path';
import { RE2JS } from 're2js';
import { parseYamlWithSchema } from '../../config/load.js';
import { WardenError } from '../../errors.js';
import type { CiFinding, CiPolicyInput } from '../ci-input.js';
import type {
  AnyPolicyInput,
  DetectorCount,
  DetectorNeeds,
  LoadedPolicy,
  PolicyEvalContext,
  PolicyFinding,
  PolicyInput,
  PolicyMutation,
  PolicyOrigin,
  PolicyOutcome,
  PolicyScope,
  RuleExplanation,
} from '../decision.js';
import { SCOPE_KEYS } from '../decision.js';
import { ciFindingsSelector, compileCiConditions } from './ci-compile.js';
import { yamlPolicyKnownKeys, yamlPolicySchema, type ConditionDoc, type RuleDoc, type YamlPolicyDoc } from './schema.js';
import { globTest, globs, principalTest, timeTest } from './shared-conditions.js';
import { compileTemplate, type CompiledTemplate, type TemplateContext } from './template.js';

export const YAML_POLICY_INVALID = 'policy_invalid';

/** Validates a YAML policy file; errors are `policy_invalid` with file, line, column and key path. */
export function parseYamlPolicy(text: string, file: string): YamlPolicyDoc {
  return parseYamlWithSchema(text, file, yamlPolicySchema, { code: YAML_POLICY_INVALID, known: yamlPolicyKnownKeys });
}

export interface YamlCompileInfo {
  file: string;
  origin: PolicyOrigin;
  /** Hex SHA-256 of the file's bytes. */
  version: string;
}

type Cond = (input: PolicyInput) => boolean;

/** One rule over input document `I` (PolicyInput for request/response policies, CiPolicyInput for ci). */
interface CompiledRule<I> {
  name: string;
  /** Top-level condition keys, each a closure; all must hold. */
  when: { key: string; test: (input: I) => boolean }[];
  deny?: CompiledTemplate;
  warn?: CompiledTemplate;
  mutations: PolicyMutation[];
  severity?: RuleDoc['severity'];
  data?: Record<string, unknown>;
  /** ci rules: the findings its messages list (see ciFindingsSelector). */
  findings?: (input: I) => readonly CiFinding[];
}

/** Policy name from a file name: `no-secrets.yaml` → `no-secrets`. */
export function nameFromFile(file: string): string {
  const base = path.basename(file);
  return base.replace(/\.(ya?ml|rego)$/i, '');
}

/** Parses, validates and compiles one YAML policy file. Throws `policy_invalid` (located). */
export function compileYamlPolicy(text: string, info: YamlCompileInfo): LoadedPolicy {
  const doc = parseYamlPolicy(text, info.file);
  return compileYamlDoc(doc, info);
}

export function compileYamlDoc(doc: YamlPolicyDoc, info: YamlCompileInfo): LoadedPolicy {
  const needs: DetectorNeeds = { pii: false, secrets: false, injection: false };
  const phase = doc.phase ?? 'request';
  const scope: PolicyScope = {};
  if (doc.scope && doc.scope !== 'global') {
    for (const k of SCOPE_KEYS) {
      const list = doc.scope[k];
      if (list) scope[k] = [...list];
    }
  }
  const name = doc.name ?? nameFromFile(info.file);
  const meta = {
    name,
    ...(doc.title !== undefined ? { title: doc.title } : {}),
    ...(doc.description !== undefined ? { description: doc.description } : {}),
    type: doc.type ?? 'security',
    enforcement: doc.enforcement ?? 'strict',
    scope,
    enabled: doc.enabled ?? true,
    phase,
    format: 'yaml' as const,
    version: info.version,
    source: info.file,
    origin: info.origin,
  };
  // The engine only hands a policy inputs of its phase; the checks below keep a direct caller honest.
  const mismatch = (input: AnyPolicyInput): WardenError =>
    new WardenError('policy_input_invalid', `policy ${name} is a ${phase} policy and cannot evaluate a ${input.phase} input document`);
  if (phase === 'ci') {
    const rules = doc.rules.map((r, i) => compileCiRule(r, i));
    return {
      meta,
      needs,
      evaluate(input: AnyPolicyInput, ctx: PolicyEvalContext): PolicyOutcome {
        if (input.phase !== 'ci') throw mismatch(input);
        return evaluateRules(rules, input, ctx, name);
      },
    };
  }
  const rules = doc.rules.map((r, i) => compileRule(r, i, needs));
  return {
    meta,
    needs,
    evaluate(input: AnyPolicyInput, ctx: PolicyEvalContext): PolicyOutcome {
      if (input.phase === 'ci') throw mismatch(input);
      return evaluateRules(rules, input, ctx, name);
    },
  };
}

/** Every rule in order: a matching rule contributes its messages and mutations. */
function evaluateRules<I extends AnyPolicyInput>(rules: readonly CompiledRule<I>[], input: I, ctx: PolicyEvalContext, policy: string): PolicyOutcome {
  const findings: PolicyFinding[] = [];
  const mutations: PolicyMutation[] = [];
  const explained: RuleExplanation[] | undefined = ctx.explain ? [] : undefined;
  for (const r of rules) {
    let matched: boolean;
    let conditions: RuleExplanation['conditions'];
    if (explained) {
      conditions = r.when.map((c) => ({ key: c.key, matched: c.test(input) }));
      matched = conditions.every((c) => c.matched);
    } else {
      matched = true;
      for (const c of r.when) {
        if (!c.test(input)) {
          matched = false;
          break;
        }
      }
    }
    if (!matched) {
      explained?.push({ rule: r.name, matched: false, ...(conditions ? { conditions } : {}) });
      continue;
    }
    const before = findings.length;
    const tctx: TemplateContext = { policy, rule: r.name };
    const select = r.findings;
    if (select) {
      let memo: readonly CiFinding[] | undefined;
      tctx.findings = () => (memo ??= select(input));
    }
    if (r.deny) findings.push(finding('deny', r, r.deny.render(input, tctx)));
    if (r.warn) findings.push(finding('warn', r, r.warn.render(input, tctx)));
    for (const m of r.mutations) mutations.push(m);
    explained?.push({
      rule: r.name,
      matched: true,
      ...(conditions ? { conditions } : {}),
      results: [...findings.slice(before).map((f) => ({ [f.level]: f.message })), ...r.mutations],
    });
  }
  return explained ? { findings, mutations, rules: explained } : { findings, mutations };
}

function finding<I>(level: 'deny' | 'warn', r: CompiledRule<I>, message: string): PolicyFinding {
  const f: PolicyFinding = { level, message, rule: r.name };
  if (r.severity) f.severity = r.severity;
  if (r.data) f.data = r.data;
  return f;
}

function compileRule(r: RuleDoc, index: number, needs: DetectorNeeds): CompiledRule<PolicyInput> {
  const name = r.name ?? `rules[${index}]`;
  const when = r.when ? topLevel(r.when, needs) : [];
  const mutations: PolicyMutation[] = [];
  if (r.redact !== undefined) {
    if (r.redact === 'all') mutations.push({ kind: 'redact', finding_kinds: ['pii', 'secret'], types: [] });
    else if (r.redact === 'pii') mutations.push({ kind: 'redact', finding_kinds: ['pii'], types: [] });
    else if (r.redact === 'secrets') mutations.push({ kind: 'redact', finding_kinds: ['secret'], types: [] });
    else mutations.push({ kind: 'redact', finding_kinds: [], types: [...r.redact] });
    // Redaction masks what the detectors found, so they must run; a type list may name either kind.
    if (r.redact !== 'secrets') needs.pii = true;
    if (r.redact !== 'pii') needs.secrets = true;
  }
  if (r.cap_max_tokens !== undefined) mutations.push({ kind: 'cap_max_tokens', max_tokens: r.cap_max_tokens });
  if (r.route !== undefined) mutations.push({ kind: 'route', model: r.route });
  const out: CompiledRule<PolicyInput> = { name, when, mutations };
  if (r.deny !== undefined) out.deny = template(r.deny === true ? DEFAULT_DENY : r.deny, needs);
  if (r.warn !== undefined) out.warn = template(r.warn === true ? DEFAULT_WARN : r.warn, needs);
  if (r.severity) out.severity = r.severity;
  if (r.data) out.data = r.data;
  return out;
}

const DEFAULT_DENY = `denied by policy {{ policy }} (rule {{ rule }})`;
const DEFAULT_WARN = `policy {{ policy }} (rule {{ rule }}) matched`;

/** A ci rule: CI conditions, deny/warn only (the schema rejects mutations in a ci policy). */
function compileCiRule(r: RuleDoc, index: number): CompiledRule<CiPolicyInput> {
  const out: CompiledRule<CiPolicyInput> = { name: r.name ?? `rules[${index}]`, when: r.when ? compileCiConditions(r.when) : [], mutations: [] };
  if (r.deny !== undefined) out.deny = compileTemplate(r.deny === true ? DEFAULT_DENY : r.deny, 'ci');
  if (r.warn !== undefined) out.warn = compileTemplate(r.warn === true ? DEFAULT_WARN : r.warn, 'ci');
  const select = ciFindingsSelector(r.when);
  if (select) out.findings = select;
  if (r.severity) out.severity = r.severity;
  if (r.data) out.data = r.data;
  return out;
}

function template(text: string, needs: DetectorNeeds): CompiledTemplate {
  const t = compileTemplate(text);
  needs.pii ||= t.needs.pii;
  needs.secrets ||= t.needs.secrets;
  needs.injection ||= t.needs.injection;
  return t;
}

/** The keys of one condition mapping, in file order, each compiled on its own (for --explain). */
function topLevel(c: ConditionDoc, needs: DetectorNeeds): { key: string; test: Cond }[] {
  const out: { key: string; test: Cond }[] = [];
  for (const key of Object.keys(c) as (keyof ConditionDoc)[]) {
    if (c[key] === undefined) continue;
    out.push({ key, test: compileKey(c, key, needs) });
  }
  return out;
}

/** A whole condition mapping: every key must hold. */
function compileCondition(c: ConditionDoc, needs: DetectorNeeds): Cond {
  const tests = topLevel(c, needs).map((t) => t.test);
  if (tests.length === 1) return tests[0];
  return (input) => {
    for (const t of tests) if (!t(input)) return false;
    return true;
  };
}

function compileKey(c: ConditionDoc, key: keyof ConditionDoc, needs: DetectorNeeds): Cond {
  switch (key) {
    case 'all': {
      const parts = c.all!.map((x) => compileCondition(x, needs));
      return (input) => {
        for (const p of parts) if (!p(input)) return false;
        return true;
      };
    }
    case 'any': {
      const parts = c.any!.map((x) => compileCondition(x, needs));
      return (input) => {
        for (const p of parts) if (p(input)) return true;
        return false;
      };
    }
    case 'not': {
      const inner = compileCondition(c.not!, needs);
      return (input) => !inner(input);
    }
    case 'model':
      return globTest(c.model!, (i) => i.request.model);
    case 'provider':
      return globTest(c.provider!, (i) => i.request.provider);
    case 'endpoint':
      return globTest(c.endpoint!, (i) => i.request.endpoint);
    case 'stream': {
      const want = c.stream!;
      return (i) => i.request.stream === want;
    }
    case 'max_tokens':
      return numberTest(c.max_tokens!, (i) => i.request.max_tokens);
    case 'estimated_input_tokens':
      return numberTest(c.estimated_input_tokens!, (i) => i.request.estimated_input_tokens);
    case 'estimated_cost_usd':
      return numberTest(c.estimated_cost_usd!, (i) => i.request.estimated_cost_usd);
    case 'message_count':
      return numberTest(c.message_count!, (i) => i.request.message_count);
    case 'tool':
      return globTest(c.tool!, (i) => i.principal.tool ?? i.client.tool);
    case 'request_tools': {
      const res = globs(c.request_tools!);
      return (i) => {
        for (const t of i.request.tools) for (const re of res) if (re.test(t)) return true;
        return false;
      };
    }
    case 'pii':
      needs.pii = true;
      return detectorTest(c.pii!, (i) => i.detectors.pii);
    case 'secrets':
      needs.secrets = true;
      return detectorTest(c.secrets!, (i) => i.detectors.secrets);
    case 'injection_score':
      needs.injection = true;
      return numberTest(c.injection_score!, (i) => i.detectors.injection.score);
    case 'risk_score':
      // The risk score is computed from every detector's signals.
      needs.pii = needs.secrets = needs.injection = true;
      return numberTest(c.risk_score!, (i) => i.risk_score);
    case 'time':
      return timeTest(c.time!);
    case 'principal':
      return principalTest(c.principal!);
    case 'text':
      return textTest(c.text!);
    case 'spend': {
      const s = c.spend!;
      const cmp = numberTest({ gt: s.gt, gte: s.gte, lt: s.lt, lte: s.lte }, (i) => i.spend[s.scope][s.period]);
      return cmp;
    }
    case 'session':
      return sessionTest(c.session!);
    case 'findings':
    case 'config':
    case 'changes':
      // The schema's phase check keeps CI conditions out of request policies.
      throw new WardenError(YAML_POLICY_INVALID, `\`${key}\` is a ci condition: add \`phase: ci\` to the policy`);
  }
}

type NumberTestDoc = NonNullable<ConditionDoc['max_tokens']>;

function numberTest(t: NumberTestDoc, get: (i: PolicyInput) => number | null): Cond {
  if (typeof t === 'number') return (i) => get(i) === t;
  const { gt, gte, lt, lte, eq, ne, present } = t;
  return (i) => {
    const v = get(i);
    if (v === null || v === undefined) return present === false;
    if (present === false) return false;
    if (gt !== undefined && !(v > gt)) return false;
    if (gte !== undefined && !(v >= gte)) return false;
    if (lt !== undefined && !(v < lt)) return false;
    if (lte !== undefined && !(v <= lte)) return false;
    if (eq !== undefined && v !== eq) return false;
    if (ne !== undefined && v === ne) return false;
    return true;
  };
}

type DetectorTestDoc = NonNullable<ConditionDoc['pii']>;

function detectorTest(t: DetectorTestDoc, get: (i: PolicyInput) => readonly DetectorCount[]): Cond {
  if (t === true) return (i) => total(get(i), undefined, 0) > 0;
  if (t === false) return (i) => total(get(i), undefined, 0) === 0;
  if (Array.isArray(t)) {
    const types = new Set(t);
    return (i) => total(get(i), types, 0) > 0;
  }
  const types = t.types ? new Set(t.types) : undefined;
  const minCount = t.min_count ?? 1;
  const minConfidence = t.min_confidence ?? 0;
  return (i) => total(get(i), types, minConfidence) >= minCount;
}

function total(counts: readonly DetectorCount[], types: ReadonlySet<string> | undefined, minConfidence: number): number {
  let n = 0;
  for (const c of counts) {
    if (types && !types.has(c.type)) continue;
    if (c.confidence < minConfidence) continue;
    n += c.count;
  }
  return n;
}

function sessionTest(t: NonNullable<ConditionDoc['session']>): Cond {
  const checks: Cond[] = [];
  if (t.requests !== undefined) checks.push(numberTest(t.requests, (i) => i.session.requests));
  if (t.spend_usd !== undefined) checks.push(numberTest(t.spend_usd, (i) => i.session.spend_usd));
  if (t.elapsed_seconds !== undefined) checks.push(numberTest(t.elapsed_seconds, (i) => i.session.elapsed_seconds));
  if (t.prompt_repeats !== undefined) checks.push(numberTest(t.prompt_repeats, (i) => i.session.prompt_repeats));
  return (i) => {
    for (const c of checks) if (!c(i)) return false;
    return true;
  };
}

function textTest(t: NonNullable<ConditionDoc['text']>): Cond {
  const checks: Cond[] = [];
  if (t.contains !== undefined) {
    const list = Array.isArray(t.contains) ? t.contains : [t.contains];
    // Escaped literals only: a linear scan, never catastrophic backtracking.
    const re = new RegExp(list.map((s) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')).join('|'), 'i');
    checks.push((i) => re.test(i.request.messages_text));
  }
  if (t.regex !== undefined) {
    const re = RE2JS.compile(t.regex);
    checks.push((i) => re.matcher(i.request.messages_text).find());
  }
  return (i) => {
    for (const c of checks) if (!c(i)) return false;
    return true;
  };
}
