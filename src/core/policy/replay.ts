// `warden policy replay`: judge recorded traffic again with a candidate policy set and report what
// would change — newly denied, newly allowed, newly warned — by policy, with example request ids.
// Each request is judged on the policy input recorded with it (prompt text left out); when bodies
// were stored (store_bodies), the prompt text is rebuilt from the body and any detector the
// candidate set reads is run on it, so content policies can be replayed too.
import { runDetectors } from '../detect/index.js';
import { promptText } from '../pricing/estimate.js';
import type { Endpoint } from '../providers/types.js';
import type { RecordedPolicyInput } from '../store/repos/requests.js';
import { countFindings, type PolicyEngine, type PolicyInput, type Verdict } from './decision.js';

export interface ReplayExample {
  id: string;
  before: Verdict;
  after: Verdict;
}

export interface ReplayReport {
  /** Requests in the window. */
  total: number;
  /** Requests judged again (the others have no recorded policy input). */
  replayed: number;
  /** Replayed requests whose prompt text was rebuilt from a stored body. */
  withText: number;
  /** Replayed requests where the candidate set reads a detector that could not run again (no stored body). */
  detectorsUnavailable: number;
  /** `allow→deny` etc.: how many requests moved, with up to `examples` request ids each. */
  transitions: { from: Verdict; to: Verdict; count: number; examples: string[] }[];
  /** Per candidate policy: requests it newly violates (no violation of that policy recorded before is assumed). */
  byPolicy: { policy: string; enforcement: string; violations: number; examples: string[] }[];
  unchanged: number;
}

const VERDICTS: readonly Verdict[] = ['allow', 'warn', 'deny'];

function asVerdict(v: string | null): Verdict {
  return v === 'warn' || v === 'deny' ? v : 'allow';
}

/** The recorded input as the engine reads it; null when it cannot be read. */
export function recordedInput(row: RecordedPolicyInput): PolicyInput | null {
  if (!row.policy_input) return null;
  let input: PolicyInput;
  try {
    const parsed = JSON.parse(row.policy_input) as PolicyInput & { time: { now_ns: string } };
    input = parsed as PolicyInput;
    input.time.now_ns = BigInt(parsed.time.now_ns);
  } catch {
    return null;
  }
  input.request.messages_text = '';
  if (row.request_body && row.endpoint) {
    try {
      input.request.messages_text = promptText(row.endpoint as Endpoint, JSON.parse(row.request_body));
    } catch {
      // a body that does not parse was rejected at the time; judge it without text
    }
  }
  return input;
}

export interface ReplayOptions {
  /** Example request ids kept per transition and per policy. */
  examples?: number;
  maxScanChars?: number;
}

export function replay(engine: PolicyEngine, rows: readonly RecordedPolicyInput[], opts: ReplayOptions = {}): ReplayReport {
  const keep = opts.examples ?? 5;
  const transitions = new Map<string, ReplayReport['transitions'][number]>();
  const byPolicy = new Map<string, ReplayReport['byPolicy'][number]>();
  let replayed = 0;
  let withText = 0;
  let detectorsUnavailable = 0;
  let unchanged = 0;
  for (const row of rows) {
    const input = recordedInput(row);
    if (!input) continue;
    replayed++;
    const needs = engine.requiredDetectors(input.principal, input.phase);
    const ran = input.detectors.ran;
    const missing = { pii: needs.pii && !ran.pii, secrets: needs.secrets && !ran.secrets, injection: needs.injection && !ran.injection };
    const text = input.request.messages_text;
    if (text !== '') withText++;
    if (missing.pii || missing.secrets || missing.injection) {
      if (text === '') detectorsUnavailable++;
      else {
        const report = runDetectors(text, { ...missing, maxChars: opts.maxScanChars ?? 256 * 1024 });
        if (missing.pii) input.detectors.pii = countFindings(report.pii);
        if (missing.secrets) input.detectors.secrets = countFindings(report.secrets);
        if (missing.injection && report.injection) input.detectors.injection = { score: report.injection.score, signals: [...report.injection.signals] };
        input.detectors.ran = { pii: ran.pii || missing.pii, secrets: ran.secrets || missing.secrets, injection: ran.injection || missing.injection };
      }
    }
    const decision = engine.evaluate(input);
    const before = asVerdict(row.policy_verdict);
    const after = decision.verdict;
    if (before === after) unchanged++;
    else {
      const key = `${before}\u0000${after}`;
      let t = transitions.get(key);
      if (!t) transitions.set(key, (t = { from: before, to: after, count: 0, examples: [] }));
      t.count++;
      if (t.examples.length < keep) t.examples.push(row.id);
    }
    for (const name of new Set(decision.violations.map((v) => v.policy))) {
      const v = decision.violations.find((x) => x.policy === name);
      let p = byPolicy.get(name);
      if (!p) byPolicy.set(name, (p = { policy: name, enforcement: v?.enforcement ?? 'strict', violations: 0, examples: [] }));
      p.violations++;
      if (p.examples.length < keep) p.examples.push(row.id);
    }
  }
  const order = (v: Verdict): number => VERDICTS.indexOf(v);
  return {
    total: rows.length,
    replayed,
    withText,
    detectorsUnavailable,
    transitions: [...transitions.values()].sort((a, b) => order(b.to) - order(a.to) || b.count - a.count),
    byPolicy: [...byPolicy.values()].sort((a, b) => b.violations - a.violations || a.policy.localeCompare(b.policy)),
    unchanged,
  };
}
