// `warden policy eval --request`: judge one request document with the loaded packs, the way the
// proxy would, and explain the decision policy by policy and rule by rule. The document is either
// a (partial) policy input (docs/policy-input.md) or a provider request body as an SDK sends it.
import { promptText } from '../pricing/estimate.js';
import type { Endpoint } from '../providers/types.js';
import { toolNames } from './request-gate.js';
import { completeCiPolicyInput, isCiInputDoc } from './ci-input.js';
import { prepareInput, type AnyPolicyInput, type Decision, type PolicyEngine } from './decision.js';

const INPUT_KEYS = ['phase', 'request', 'principal', 'client', 'detectors', 'risk_score', 'spend', 'budgets', 'time', 'session', 'response'];
export const REQUEST_ENDPOINTS: readonly Endpoint[] = ['chat.completions', 'responses', 'completions', 'embeddings', 'messages'];

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The endpoint a provider body was written for, from its shape. */
export function guessEndpoint(body: Record<string, unknown>): Endpoint {
  if ('system' in body || 'anthropic_version' in body) return 'messages';
  if ('input' in body && !('messages' in body)) return 'responses';
  if ('prompt' in body) return 'completions';
  return 'chat.completions';
}

/**
 * A partial policy input for `doc`: used as it is when it already is one, else read as a provider
 * request body (`endpoint` or its guessed endpoint) the way the proxy reads requests.
 */
export function requestInputDoc(doc: unknown, endpoint?: Endpoint): unknown {
  if (!isRecord(doc) || INPUT_KEYS.some((k) => k in doc) || !('model' in doc)) return doc;
  const ep = endpoint ?? guessEndpoint(doc);
  const maxTokens = [doc.max_completion_tokens, doc.max_tokens, doc.max_output_tokens].find((v) => typeof v === 'number');
  const messages = Array.isArray(doc.messages) ? doc.messages.length : Array.isArray(doc.input) ? doc.input.length : doc.input !== undefined || doc.prompt !== undefined ? 1 : 0;
  const text = promptText(ep, doc);
  return {
    request: {
      endpoint: ep,
      model: typeof doc.model === 'string' ? doc.model : null,
      stream: doc.stream === true,
      max_tokens: typeof maxTokens === 'number' ? maxTokens : null,
      tools: toolNames(doc),
      messages_text: text,
      message_count: messages,
      estimated_input_tokens: Math.ceil(text.length / 4),
    },
  };
}

export interface RequestEvalOptions {
  nowMs: number;
  tz?: string;
  endpoint?: Endpoint;
  explain?: boolean;
}

export interface RequestEvalResult {
  decision: Decision;
  /** The request document, or the CI one when `doc` is a CI input (`phase: ci`). */
  input: AnyPolicyInput;
}

/**
 * Judges `doc` with the engine's policies: a request (or its partial input) with the request
 * policies, or a partial CI input (`phase: ci`, or CI-only keys) with the ci policies.
 */
export function evaluateRequestDocument(engine: PolicyEngine, doc: unknown, opts: RequestEvalOptions): RequestEvalResult {
  const at = { nowMs: opts.nowMs, ...(opts.tz ? { tz: opts.tz } : {}) };
  const input = isCiInputDoc(doc) ? completeCiPolicyInput(doc, at) : prepareInput(engine, requestInputDoc(doc, opts.endpoint), at);
  const decision = engine.evaluate(input, { explain: opts.explain ?? false });
  return { decision, input };
}

/** A readable decision: verdict, violations, mutations, errors, and (explained) each policy's part. */
export function renderDecision(d: Decision): string {
  const lines: string[] = [`verdict: ${d.verdict}   (${d.policies.length} policies, ${d.duration_us} µs)`];
  if (d.violations.length) {
    lines.push('violations:');
    for (const v of d.violations) lines.push(`  ${v.enforcement.padEnd(8)} ${v.policy}${v.rule ? ` / ${v.rule}` : ''} [${v.severity}]: ${v.message}`);
  }
  const mut = (m: Decision['mutations'][number]): string =>
    m.kind === 'redact'
      ? `redact ${[...m.finding_kinds, ...m.types].join(', ')}`
      : m.kind === 'cap_max_tokens'
        ? `cap max_tokens at ${m.max_tokens}`
        : `route to ${m.model}`;
  for (const m of d.mutations) lines.push(`mutation: ${mut(m)} (${m.policies.join(', ')})`);
  for (const m of d.monitored_mutations) lines.push(`monitored (not applied): ${mut(m)} (${m.policies.join(', ')})`);
  for (const e of d.errors) lines.push(`error: ${e.policy}: ${e.code}: ${e.message}${e.fail_closed ? ' (counted as a violation)' : ''}`);
  if (d.explanation) {
    lines.push('policies:');
    for (const p of d.explanation) {
      lines.push(`  ${p.policy} (${p.format}, ${p.enforcement}) ${p.status}${p.reason ? `: ${p.reason}` : ''}${p.status === 'skipped' ? '' : `, ${p.duration_us} µs`}`);
      for (const r of p.rules) {
        lines.push(`    ${r.matched ? '✓' : '·'} ${r.rule}`);
        for (const c of r.conditions ?? []) lines.push(`        ${c.matched ? 'holds' : 'fails'}: ${c.key}`);
        for (const x of r.results ?? []) lines.push(`        → ${typeof x === 'string' ? x : JSON.stringify(x)}`);
      }
    }
  }
  return lines.join('\n');
}
