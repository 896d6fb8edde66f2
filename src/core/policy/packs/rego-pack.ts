// A Rego policy pack as a LoadedPolicy: one module under `package warden.<phase>` with Conftest's
// `deny contains msg` / `warn contains msg` plus Warden's `mutate contains m`, compiled once (with
// the library modules it may import) and evaluated per request with the Rego engine, bounded steps
// and non-strict builtin errors. Also finds which detector outputs the module reads.
import { WardenError } from '../../errors.js';
import { refToPath, type Module } from '../rego/ast.js';
import { compilePolicy, findNode, type CompiledPolicy, type SourceFile } from '../rego/compile.js';
import { evalRule } from '../rego/eval.js';
import { parseModule } from '../rego/parser.js';
import { ObjectValue, SetValue, toJson, type Json, type Value } from '../rego/value.js';
import {
  POLICY_PHASES,
  SEVERITIES,
  type DetectorNeeds,
  type FindingKind,
  type LoadedPolicy,
  type PolicyEvalContext,
  type AnyPolicyInput,
  type PolicyFinding,
  type PolicyMutation,
  type PolicyOrigin,
  type PolicyOutcome,
  type PolicyPhase,
  type RuleExplanation,
  type Severity,
} from '../decision.js';
import { nameFromFile } from '../yaml/compile.js';
import { readRegoMetadata } from './metadata.js';

export const POLICY_RESULT_INVALID = 'policy_result_invalid';
const RULE_SETS = ['deny', 'warn', 'mutate'] as const;
type RuleSet = (typeof RULE_SETS)[number];

export interface ParsedRegoFile {
  file: string;
  text: string;
  module: Module;
  /** The phase when the module is a pack (`package warden.<phase>` defining deny/warn/mutate). */
  phase?: PolicyPhase;
  /** Rule sets the module itself defines. */
  sets: RuleSet[];
}

/** Parses a .rego file and classifies it: a pack (has a phase) or a library (no phase). */
export function parseRegoFile(file: string, text: string): ParsedRegoFile {
  const module = parseModule(text, { file });
  const pkg = refToPath(module.package.path) ?? [];
  const sets = new Set<RuleSet>();
  for (const r of module.rules) {
    const head = refToPath(r.head.ref);
    const name = head?.[0];
    if (head && head.length === 1 && (RULE_SETS as readonly string[]).includes(name ?? '')) sets.add(name as RuleSet);
  }
  const phase = pkg.length === 3 && pkg[0] === 'data' && pkg[1] === 'warden' && (POLICY_PHASES as readonly string[]).includes(pkg[2]) ? (pkg[2] as PolicyPhase) : undefined;
  const out: ParsedRegoFile = { file, text, module, sets: RULE_SETS.filter((s) => sets.has(s)) };
  if (phase && out.sets.length > 0) out.phase = phase;
  return out;
}

export interface RegoPackInfo {
  origin: PolicyOrigin;
  version: string;
}

/**
 * Compiles a pack with the library modules (every other non-pack module loaded with it).
 * Throws the compiler's located WardenError, or `policy_metadata_invalid`.
 */
export function compileRegoPack(pack: ParsedRegoFile, libraries: readonly ParsedRegoFile[], info: RegoPackInfo): LoadedPolicy {
  const phase = pack.phase;
  if (!phase) throw new WardenError('policy_not_a_pack', `${pack.file} is not a policy pack`, { location: { file: pack.file } });
  const md = readRegoMetadata(pack.text, pack.file, pack.module.package.location.line);
  const sources: SourceFile[] = [{ file: pack.file, text: pack.text }, ...libraries.map((l) => ({ file: l.file, text: l.text }))];
  const compiled = compilePolicy(sources);
  const pkgPath = ['data', 'warden', phase];
  const sets = RULE_SETS.filter((s) => findNode(compiled, [...pkgPath, s]) !== undefined);
  if (phase === 'ci' && sets.includes('mutate')) {
    // Nothing in CI applies a mutation: a pack asking for one has misunderstood where it runs.
    const rule = pack.module.rules.find((r) => refToPath(r.head.ref)?.[0] === 'mutate');
    const at = rule?.location;
    throw new WardenError('policy_invalid', 'a warden.ci pack cannot define mutate: CI policies only deny or warn', {
      location: { file: pack.file, ...(at ? { line: at.line, col: at.col } : {}) },
    });
  }
  // Detectors read the request's prompt: a CI pack's input has none.
  const needs =
    phase === 'ci'
      ? { pii: false, secrets: false, injection: false }
      : detectorNeeds([pack.module, ...libraries.map((l) => l.module)], sets.includes('mutate'));
  const name = md.name ?? nameFromFile(pack.file);
  const meta = {
    name,
    ...(md.title !== undefined ? { title: md.title } : {}),
    ...(md.description !== undefined ? { description: md.description } : {}),
    type: md.type ?? 'security',
    enforcement: md.enforcement ?? 'strict',
    scope: md.scope ?? {},
    enabled: md.enabled ?? true,
    phase,
    format: 'rego' as const,
    version: info.version,
    source: pack.file,
    origin: info.origin,
  };
  return {
    meta,
    needs,
    evaluate: (input, ctx) => evaluatePack(compiled, pkgPath, sets, input, ctx),
  };
}

function evaluatePack(
  compiled: CompiledPolicy,
  pkgPath: readonly string[],
  sets: readonly RuleSet[],
  input: AnyPolicyInput,
  ctx: PolicyEvalContext,
): PolicyOutcome {
  const opts = { input: ctx.regoInput(), nowNs: input.time.now_ns, strictBuiltinErrors: false, maxSteps: ctx.maxSteps };
  const findings: PolicyFinding[] = [];
  const mutations: PolicyMutation[] = [];
  const rules: RuleExplanation[] | undefined = ctx.explain ? [] : undefined;
  for (const set of sets) {
    const v = evalRule(compiled, [...pkgPath, set], opts);
    const items = members(v, set);
    for (const item of items) {
      if (set === 'mutate') mutations.push(mutationOf(item));
      else findings.push(findingOf(item, set));
    }
    rules?.push({ rule: set, matched: items.length > 0, results: items.map((x) => toJson(x)) });
  }
  return rules ? { findings, mutations, rules } : { findings, mutations };
}

function members(v: Value | undefined, set: RuleSet): readonly Value[] {
  if (v === undefined) return [];
  if (v instanceof SetValue) return v.values();
  if (Array.isArray(v)) return v;
  throw new WardenError(POLICY_RESULT_INVALID, `${set} must be a set (\`${set} contains ...\`), got ${describe(v)}`);
}

function describe(v: Value): string {
  const j = toJson(v);
  const s = JSON.stringify(j);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** A deny/warn member: a message string, or an object `{msg, severity?, ...data}`. */
function findingOf(item: Value, set: 'deny' | 'warn'): PolicyFinding {
  if (typeof item === 'string') return { level: set, message: item, rule: set };
  if (item instanceof ObjectValue) {
    const obj = toJson(item) as Record<string, Json>;
    const { msg, severity, ...rest } = obj;
    if (typeof msg !== 'string') {
      throw new WardenError(POLICY_RESULT_INVALID, `a ${set} object needs a string "msg", got ${describe(item)}`);
    }
    const f: PolicyFinding = { level: set, message: msg, rule: set };
    if (typeof severity === 'string' && (SEVERITIES as readonly string[]).includes(severity)) f.severity = severity as Severity;
    else if (severity !== undefined) rest.severity = severity;
    if (Object.keys(rest).length > 0) f.data = rest;
    return f;
  }
  throw new WardenError(POLICY_RESULT_INVALID, `a ${set} member must be a string or an object with "msg", got ${describe(item)}`);
}

/** A mutate member: `{kind: "redact"|"cap_max_tokens"|"route", ...}`. */
function mutationOf(item: Value): PolicyMutation {
  const obj = item instanceof ObjectValue ? (toJson(item) as Record<string, Json>) : undefined;
  const bad = (why: string): WardenError => new WardenError(POLICY_RESULT_INVALID, `mutate ${describe(item)}: ${why}`);
  if (!obj) throw bad('a mutation is an object with a "kind"');
  switch (obj.kind) {
    case 'redact': {
      const kinds = stringList(obj.finding_kinds, 'finding_kinds', bad);
      for (const k of kinds) if (k !== 'pii' && k !== 'secret') throw bad(`finding_kinds holds "pii" or "secret", not ${JSON.stringify(k)}`);
      const types = stringList(obj.types, 'types', bad);
      if (kinds.length === 0 && types.length === 0) throw bad('redact needs "types" or "finding_kinds"');
      return { kind: 'redact', finding_kinds: kinds as FindingKind[], types };
    }
    case 'cap_max_tokens': {
      const n = obj.max_tokens;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw bad('"max_tokens" must be a positive integer');
      return { kind: 'cap_max_tokens', max_tokens: n };
    }
    case 'route': {
      if (typeof obj.model !== 'string' || obj.model === '') throw bad('"model" must be a model name');
      return { kind: 'route', model: obj.model };
    }
    default:
      throw bad('"kind" must be one of redact, cap_max_tokens, route');
  }
}

function stringList(v: Json | undefined, what: string, bad: (why: string) => WardenError): string[] {
  if (v === undefined) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw bad(`"${what}" must be a list of strings`);
  return v as string[];
}

const ALL: DetectorNeeds = { pii: true, secrets: true, injection: true };

/**
 * Which detectors the modules read, from their refs: `input.detectors.pii|secrets|injection`, and
 * `input.risk_score` (computed from all of them). A ref that could reach them dynamically (`input`
 * alone, `input[x]`, `input.detectors` without a key) needs all; a pack that mutates may redact,
 * which needs the PII and secret findings.
 */
export function detectorNeeds(modules: readonly Module[], mutates: boolean): DetectorNeeds {
  const out: DetectorNeeds = { pii: false, secrets: false, injection: false };
  if (mutates) out.pii = out.secrets = true;
  const visit = (node: unknown): void => {
    if (out.pii && out.secrets && out.injection) return;
    if (Array.isArray(node)) {
      for (const x of node) visit(x);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const n = node as { type?: unknown; name?: unknown; terms?: unknown };
    if (n.type === 'var' && n.name === 'input') {
      // The whole input document handed somewhere (`x := input`, `f(input)`).
      Object.assign(out, ALL);
      return;
    }
    if (n.type === 'ref' && Array.isArray(n.terms)) {
      const terms = n.terms as { type: string; name?: string; value?: string }[];
      if (terms[0]?.type === 'var' && terms[0].name === 'input') {
        readRef(terms, out);
        visit(terms.slice(1));
        return;
      }
    }
    for (const [k, v] of Object.entries(node)) if (k !== 'location' && v && typeof v === 'object') visit(v);
  };
  for (const m of modules) {
    visit(m.imports);
    visit(m.rules);
  }
  return out;
}

/** Marks what one `input...` ref reads. */
function readRef(terms: readonly { type: string; name?: string; value?: string }[], out: DetectorNeeds): void {
  const first = terms[1];
  if (!first || first.type !== 'string') {
    Object.assign(out, ALL);
    return;
  }
  if (first.value === 'risk_score') Object.assign(out, ALL);
  if (first.value !== 'detectors') return;
  const second = terms[2];
  if (!second || second.type !== 'string') {
    Object.assign(out, ALL);
    return;
  }
  if (second.value === 'pii') out.pii = true;
  else if (second.value === 'secrets') out.secrets = true;
  else if (second.value === 'injection') out.injection = true;
}
