// Decision-log records in OPA's shape (https://www.openpolicyagent.org/docs/management-decision-logs),
// for the audit log: one record per policy evaluation. Deliberately not OPA's `input` field: the
// input (prompts, headers) may hold secrets or personal data, so only its SHA-256 is kept, taken over
// the input's RFC 8785 canonical JSON so equal inputs hash equally whatever their key order.
import { createHash, randomUUID } from 'node:crypto';
import { canonicalJson } from '../audit/canonical-json.js';
import type { Clock } from '../deps.js';
import { fromJson, toJson, type Json } from './rego/value.js';

export interface DecisionRecord {
  decision_id: string;
  /** The decision's data path in OPA's slash form, without `data`: `warden/request/deny`. */
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
}

/** OPA's path form: `data.a.b` → `a/b`. */
export function decisionPath(p: string): string {
  const parts = p.split(/[./]/).filter((x) => x !== '');
  if (parts[0] === 'data') parts.shift();
  return parts.join('/');
}

/** `sha256:<hex>` of the canonical JSON text of `input` (plain JSON or a Rego Value). */
export function inputHash(input: unknown): string {
  const text = canonicalJson(toJson(fromJson(input)));
  return `sha256:${createHash('sha256').update(text, 'utf8').digest('hex')}`;
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
  return rec;
}
