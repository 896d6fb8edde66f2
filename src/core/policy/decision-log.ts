// Decision-log records in OPA's shape (https://www.openpolicyagent.org/docs/management-decision-logs),
// for the audit log: one record per policy evaluation. Deliberately not OPA's `input` field: the
// input (prompts, headers) may hold secrets or personal data, so only its SHA-256 is kept, taken over
// the input's RFC 8785 canonical JSON so equal inputs hash equally whatever their key order.
import { createHash, randomUUID } from 'node:crypto';
import { canonicalJson } from '../audit/canonical-json.js';
import type { Clock } from '../deps.js';
import { ObjectValue, fromJson, toJson, type Json } from './rego/value.js';

export interface DecisionRecord {
  decision_id: string;
  /** The decision's data path in OPA's slash form, without `data`: `warden/request/deny` ('' for an ad-hoc query). */
  path: string;
  /** `sha256:<hex>` of the canonical JSON input; absent when there was no input. */
  input_hash?: string;
  /** The decision; absent when undefined (as OPA leaves `result` out). */
  result?: Json;
  /** RFC 3339 UTC time of the decision, from the caller's clock. */
  timestamp: string;
  metrics: { timer_rego_query_eval_ns: number };
  labels?: Record<string, string>;
  /** The ad-hoc query, when the decision came from one rather than a path. */
  query?: string;
  /**
   * Set when evaluation failed (and `result` is then absent). Only the error's code: its message
   * can quote values computed from the input, which this record deliberately does not keep.
   */
  error?: { code: string };
}

export interface DecisionRecordOptions {
  /** A data path: `data.warden.request.deny`, `warden.request.deny` or `warden/request/deny`. */
  path: string;
  /** Plain JSON or a Rego Value; undefined when the evaluation had no input. */
  input?: unknown;
  /** Plain JSON or a Rego Value; undefined for an undefined decision. */
  result?: unknown;
  durationNs: number;
  clock: Pick<Clock, 'now'>;
  /** Defaults to a random UUID v4. */
  decisionId?: string;
  labels?: Record<string, string>;
  query?: string;
  error?: { code: string };
}

/** OPA's path form: `data.a.b` → `a/b`. */
export function decisionPath(p: string): string {
  const parts = p.split(/[./]/).filter((x) => x !== '');
  if (parts[0] === 'data') parts.shift();
  return parts.join('/');
}

/**
 * Hashes of Rego object inputs by identity: a request's input is one ObjectValue evaluated against
 * several policies, and Values are immutable once shared, so it is hashed once. Plain objects can
 * change between calls and are hashed every time.
 */
const hashes = new WeakMap<ObjectValue, string>();

/** `sha256:<hex>` of the canonical JSON text of `input` (plain JSON or a Rego Value). */
export function inputHash(input: unknown): string {
  if (input instanceof ObjectValue) {
    const hit = hashes.get(input);
    if (hit !== undefined) return hit;
  }
  const text = canonicalJson(toJson(fromJson(input)));
  const hash = `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
  if (input instanceof ObjectValue) hashes.set(input, hash);
  return hash;
}

/** Builds one decision-log record. */
export function decisionRecord(opts: DecisionRecordOptions): DecisionRecord {
  const rec: DecisionRecord = {
    decision_id: opts.decisionId ?? randomUUID(),
    path: decisionPath(opts.path),
    timestamp: new Date(opts.clock.now()).toISOString(),
    metrics: { timer_rego_query_eval_ns: Math.max(0, Math.round(opts.durationNs)) },
  };
  if (opts.input !== undefined) rec.input_hash = inputHash(opts.input);
  if (opts.result !== undefined) rec.result = toJson(fromJson(opts.result));
  if (opts.labels) rec.labels = { ...opts.labels };
  if (opts.query !== undefined) rec.query = opts.query;
  if (opts.error !== undefined) rec.error = { code: opts.error.code };
  return rec;
}
