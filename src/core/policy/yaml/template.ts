// Message templates of YAML policies: `{{ model }}`, `{{ request.max_tokens }}`, `{{ pii_types }}`.
// Placeholders are checked when the policy loads (an unknown one is a located schema error) and
// compiled to a list of parts, so rendering is string concatenation.
import type { DetectorCount, DetectorNeeds, PolicyInput } from '../decision.js';

/** Top-level fields of the input document a dotted placeholder may start with. */
const ROOTS = new Set(['phase', 'request', 'principal', 'client', 'detectors', 'risk_score', 'spend', 'budgets', 'session', 'time', 'response']);

/** One-word placeholders and the input path each stands for. */
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

/** Placeholders that are not input paths. */
const COMPUTED = new Set(['policy', 'rule', 'pii_types', 'secret_types']);

export interface TemplateContext {
  policy: string;
  rule: string;
}

type Part = string | ((input: PolicyInput, ctx: TemplateContext) => string);

export interface CompiledTemplate {
  render(input: PolicyInput, ctx: TemplateContext): string;
  /** Detectors whose output the template shows. */
  needs: DetectorNeeds;
}

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const PATH_RE = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$/;

/** Why `text` is not a valid template, or undefined when it is. */
export function templateError(text: string): string | undefined {
  for (const m of text.matchAll(PLACEHOLDER)) {
    const name = m[1];
    if (!PATH_RE.test(name)) return `{{ ${name} }} is not a placeholder name (use a dotted input path such as request.model)`;
    const root = name.split('.')[0];
    if (!name.includes('.') && (ALIASES[name] || COMPUTED.has(name) || ROOTS.has(name))) continue;
    if (name.includes('.') && ROOTS.has(root)) continue;
    return `unknown placeholder {{ ${name} }}: use an input path (request.model, principal.project, ...) or one of ${[...Object.keys(ALIASES), ...COMPUTED].join(', ')}`;
  }
  return undefined;
}

export function compileTemplate(text: string): CompiledTemplate {
  const parts: Part[] = [];
  const needs: DetectorNeeds = { pii: false, secrets: false, injection: false };
  let last = 0;
  for (const m of text.matchAll(PLACEHOLDER)) {
    const at = m.index ?? 0;
    if (at > last) parts.push(text.slice(last, at));
    last = at + m[0].length;
    const name = m[1];
    parts.push(placeholder(name, needs));
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

function placeholder(name: string, needs: DetectorNeeds): Part {
  switch (name) {
    case 'policy':
      return (_i, ctx) => ctx.policy;
    case 'rule':
      return (_i, ctx) => ctx.rule;
    case 'pii_types':
      needs.pii = true;
      return (i) => typeNames(i.detectors.pii);
    case 'secret_types':
      needs.secrets = true;
      return (i) => typeNames(i.detectors.secrets);
  }
  const path = ALIASES[name] ?? name.split('.');
  if (path[0] === 'risk_score') {
    needs.pii = needs.secrets = needs.injection = true;
  } else if (path[0] === 'detectors') {
    if (path.length === 1) needs.pii = needs.secrets = needs.injection = true;
    else if (path[1] === 'pii') needs.pii = true;
    else if (path[1] === 'secrets') needs.secrets = true;
    else if (path[1] === 'injection') needs.injection = true;
  }
  return (input) => {
    let v: unknown = input;
    for (const seg of path) {
      if (v === null || typeof v !== 'object') return formatValue(undefined);
      v = (v as Record<string, unknown>)[seg];
    }
    return formatValue(v);
  };
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
