// Message templates of YAML policies: `{{ model }}`, `{{ request.max_tokens }}`, `{{ pii_types }}`,
// and for CI policies `{{ findings_count }}`, `{{ findings_locations }}`, `{{ scan.by_severity.high }}`.
// Placeholders are checked when the policy loads (an unknown one, or one of the other phase, is a
// located schema error) and compiled to a list of parts, so rendering is string concatenation.
import type { CiFinding, CiPolicyInput } from '../ci-input.js';
import type { AnyPolicyInput, DetectorCount, DetectorNeeds } from '../decision.js';

/** Which input document a template renders against: request/response policies' or CI policies'. */
export type TemplatePhase = 'request' | 'ci';

/** Top-level fields of the input document a dotted placeholder may start with, per phase. */
const ROOTS: Record<TemplatePhase, ReadonlySet<string>> = {
  request: new Set(['phase', 'request', 'principal', 'client', 'detectors', 'risk_score', 'spend', 'budgets', 'session', 'time', 'response']),
  ci: new Set(['phase', 'ci', 'changes', 'scan', 'config', 'principal', 'time']),
};

/** One-word placeholders and the input path each stands for (request documents). */
const ALIASES: Record<string, readonly string[]> = {
  model: ['request', 'model'],
  provider: ['request', 'provider'],
  endpoint: ['request', 'endpoint'],
  stream: ['request', 'stream'],
  max_tokens: ['request', 'max_tokens'],
  message_count: ['request', 'message_count'],
  estimated_input_tokens: ['request', 'estimated_input_tokens'],
  estimated_cost_usd: ['request', 'estimated_cost_usd'],
  project: ['principal', 'project'],
  user: ['principal', 'user'],
  team: ['principal', 'team'],
  key: ['principal', 'key'],
  key_name: ['principal', 'key_name'],
  session: ['principal', 'session'],
  tool: ['principal', 'tool'],
  injection_score: ['detectors', 'injection', 'score'],
};

/** Placeholders that are not input paths, per phase (`policy` and `rule` in both). */
const COMPUTED: Record<TemplatePhase, ReadonlySet<string>> = {
  request: new Set(['policy', 'rule', 'pii_types', 'secret_types']),
  ci: new Set(['policy', 'rule', 'findings_count', 'findings_rules', 'findings_locations', 'config_errors']),
};

/** Bounds on the CI list placeholders: a message is one line of a PR comment, not a report. */
const MAX_LISTED_RULES = 10;
const MAX_LISTED_LOCATIONS = 5;
const MAX_LISTED_ERRORS = 5;

export interface TemplateContext {
  policy: string;
  rule: string;
  /**
   * CI policies: the findings the rule's `findings` condition selected (computed on demand, only
   * when the message shows them). Absent: every unsuppressed finding of the input.
   */
  findings?: () => readonly CiFinding[];
}

type Part = string | ((input: AnyPolicyInput, ctx: TemplateContext) => string);

export interface CompiledTemplate {
  render(input: AnyPolicyInput, ctx: TemplateContext): string;
  /** Detectors whose output the template shows. */
  needs: DetectorNeeds;
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const PATH_RE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/;

function knownIn(name: string, phase: TemplatePhase): boolean {
  const root = name.split('.')[0];
  if (!name.includes('.')) return (phase === 'request' && Object.hasOwn(ALIASES, name)) || COMPUTED[phase].has(name) || ROOTS[phase].has(name);
  return ROOTS[phase].has(root);
}

/**
 * Why `text` is not a valid template for `phase`, or undefined when it is. `any` accepts a
 * placeholder valid in either phase (the per-field check, before the policy's phase is known).
 */
export function templateError(text: string, phase: TemplatePhase | 'any' = 'request'): string | undefined {
  for (const m of text.matchAll(PLACEHOLDER)) {
    const name = m[1];
    if (!PATH_RE.test(name)) return `{{ ${name} }} is not a placeholder name (use a dotted input path such as request.model)`;
    if (phase === 'any' ? knownIn(name, 'request') || knownIn(name, 'ci') : knownIn(name, phase)) continue;
    if (phase === 'ci' && knownIn(name, 'request')) {
      return `{{ ${name} }} reads the request document, which a ci policy does not have: use an input path (scan.findings_total, ci.repository, ...) or one of ${[...COMPUTED.ci].join(', ')}`;
    }
    if (phase === 'request' && knownIn(name, 'ci')) {
      return `{{ ${name} }} is a ci placeholder: add \`phase: ci\` to the policy, or use an input path (request.model, principal.project, ...)`;
    }
    if (phase === 'ci') {
      return `unknown placeholder {{ ${name} }}: use an input path (scan.findings_total, ci.repository, ...) or one of ${[...COMPUTED.ci].join(', ')}`;
    }
    return `unknown placeholder {{ ${name} }}: use an input path (request.model, principal.project, ...) or one of ${[...Object.keys(ALIASES), ...COMPUTED.request].join(', ')}`;
  }
  return undefined;
}

/** Compiles a template already checked with templateError(text, phase). */
export function compileTemplate(text: string, phase: TemplatePhase = 'request'): CompiledTemplate {
  const parts: Part[] = [];
  const needs: DetectorNeeds = { pii: false, secrets: false, injection: false };
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    const at = m.index ?? 0;
    if (at > last) parts.push(text.slice(last, at));
    last = at + m[0].length;
    const name = m[1];
    parts.push(placeholder(name, phase, needs));
  }
  if (last < text.length) parts.push(text.slice(last));
  if (parts.length === 1 && typeof parts[0] === 'string') {
    const s = parts[0];
    return { render: () => s, needs };
  }
  return {
    render(input, ctx) {
      let out = '';
      for (const p of parts) out += typeof p === 'string' ? p : p(input, ctx);
      return out;
    },
    needs,
  };
}

function placeholder(name: string, phase: TemplatePhase, needs: DetectorNeeds): Part {
  switch (name) {
    case 'policy':
      return (_i, ctx) => ctx.policy;
    case 'rule':
      return (_i, ctx) => ctx.rule;
  }
  if (phase === 'ci') {
    switch (name) {
      case 'findings_count':
        return (i, ctx) => String(selected(i, ctx).length);
      case 'findings_rules':
        return (i, ctx) => bounded([...new Set(selected(i, ctx).map((f) => f.rule_id))], MAX_LISTED_RULES, ', ');
      case 'findings_locations':
        return (i, ctx) => bounded(selected(i, ctx).map((f) => `${f.path}:${f.line}`), MAX_LISTED_LOCATIONS, ', ');
      case 'config_errors':
        return (i) => (i.phase === 'ci' ? bounded(i.config.errors, MAX_LISTED_ERRORS, '; ') : 'none');
    }
    return pathPart(name.split('.'));
  }
  switch (name) {
    case 'pii_types':
      needs.pii = true;
      return (i) => (i.phase === 'ci' ? 'none' : typeNames(i.detectors.pii));
    case 'secret_types':
      needs.secrets = true;
      return (i) => (i.phase === 'ci' ? 'none' : typeNames(i.detectors.secrets));
  }
  const path = Object.hasOwn(ALIASES, name) ? ALIASES[name] : name.split('.');
  if (path[0] === 'risk_score') {
    needs.pii = needs.secrets = needs.injection = true;
  } else if (path[0] === 'detectors') {
    if (path.length === 1) needs.pii = needs.secrets = needs.injection = true;
    else if (path[1] === 'pii') needs.pii = true;
    else if (path[1] === 'secrets') needs.secrets = true;
    else if (path[1] === 'injection') needs.injection = true;
  }
  return pathPart(path);
}

/** The value at `path` of the input document, as it reads in a sentence. */
function pathPart(path: readonly string[]): Part {
  return (input) => {
    let v: unknown = input;
    for (const seg of path) {
      if (v === null || typeof v !== 'object') return formatValue(undefined);
      v = (v as Record<string, unknown>)[seg];
    }
    return formatValue(v);
  };
}

/** A CI rule's findings: those its condition selected, else every unsuppressed one. */
function selected(input: AnyPolicyInput, ctx: TemplateContext): readonly CiFinding[] {
  if (ctx.findings) return ctx.findings();
  return input.phase === 'ci' ? unsuppressed(input) : [];
}

function unsuppressed(input: CiPolicyInput): CiFinding[] {
  return input.scan.findings.filter((f) => !f.suppressed);
}

/** The first `max` items joined, then how many more; `none` for an empty list. */
function bounded(items: readonly string[], max: number, sep: string): string {
  if (items.length === 0) return 'none';
  if (items.length <= max) return items.join(sep);
  return `${items.slice(0, max).join(sep)}${sep}and ${items.length - max} more`;
}

function typeNames(counts: readonly DetectorCount[]): string {
  return counts.length === 0 ? 'none' : counts.map((c) => c.type).join(', ');
}

/** How a value reads inside a sentence. */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return 'none';
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toFixed(4)));
  if (Array.isArray(v)) {
    if (v.length === 0) return 'none';
    return v.map((x) => (x && typeof x === 'object' && typeof (x as { type?: unknown }).type === 'string' ? (x as { type: string }).type : formatValue(x))).join(', ');
  }
  try {
    return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
  } catch {
    return String(v);
  }
}
