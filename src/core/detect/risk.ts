// Request risk score 0–100: content signals from the detector report plus request context
// (model locality, agentic tools, the principal's recent history). Deterministic and additive so a
// score can be explained term by term (docs/detectors.md, "Risk score"):
//   leak      = min(70, secrets) + min(35, pii), × 0.3 when the model runs locally (data stays put)
//   secrets   = 60 × highest secret confidence + 5 per further distinct secret type
//   pii       = Σ over distinct PII types of weight × highest confidence (+1 per repeat, ≤ +5 a type)
//   injection = 50 × injection score, × 1.3 when the request offers tools or comes from an agent
//   history   = min(15, 30 × (denied + ½ flagged + ¼ warned) / max(requests, 20))
//   score     = clamp(round(leak + injection + history), 0, 100)
import type { DetectorReport, Finding } from './types.js';

export interface RiskHistory {
  /** Requests by this principal in the window the caller chose (e.g. the last 24 h). */
  requests: number;
  /** Of those, denied by a policy. */
  denied: number;
  /** Of those, allowed with a warning. */
  warned?: number;
  /** Of those, with secret findings or an injection score ≥ 0.5. */
  flagged?: number;
}

export interface RiskInput {
  report: DetectorReport | null;
  /** Model id as requested; `ollama/…`, `local/…`, `lmstudio/…` and `llamacpp/…` count as local. */
  model?: string;
  /** Overrides the model-id rule when the caller knows where the provider runs. */
  localModel?: boolean;
  /** Client tool (principal.tool), e.g. `claude-code/1.0.71`; agents raise injection weight. */
  tool?: string;
  /** Tool/function definitions the request offers the model. */
  toolCount?: number;
  history?: RiskHistory;
}

const PII_WEIGHTS: Readonly<Record<string, number>> = {
  CARD: 20,
  SSN: 20,
  IBAN: 15,
  EMAIL: 6,
  PHONE: 6,
  IPV4: 3,
  IPV6: 3,
};
const OTHER_PII_WEIGHT = 5;
const LOCAL_MODEL = /^(?:ollama|local|lmstudio|llamacpp|llama\.cpp)[/:]/i;
const AGENT_TOOL = /^(?:claude-code|codex|cursor|aider|cline|continue|goose|opencode|gemini-cli|copilot)/i;

function byType(findings: readonly Finding[]): Map<string, { conf: number; n: number }> {
  const m = new Map<string, { conf: number; n: number }>();
  for (const f of findings) {
    const e = m.get(f.type);
    if (e === undefined) m.set(f.type, { conf: f.confidence, n: 1 });
    else {
      e.n++;
      if (f.confidence > e.conf) e.conf = f.confidence;
    }
  }
  return m;
}

const clamp01 = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);
const nonNeg = (x: number | undefined) => (x !== undefined && Number.isFinite(x) && x > 0 ? x : 0);

export function riskScore(input: RiskInput): number {
  const report = input.report;
  let secrets = 0;
  let pii = 0;
  let injection = 0;
  if (report !== null) {
    const s = byType(report.secrets);
    if (s.size > 0) {
      let max = 0;
      for (const e of s.values()) max = Math.max(max, clamp01(e.conf));
      secrets = Math.min(70, 60 * max + 5 * (s.size - 1));
    }
    for (const [type, e] of byType(report.pii)) {
      pii += (PII_WEIGHTS[type] ?? OTHER_PII_WEIGHT) * clamp01(e.conf) + Math.min(5, e.n - 1);
    }
    pii = Math.min(35, pii);
    if (report.injection !== null) injection = 50 * clamp01(report.injection.score);
  }
  const local = input.localModel ?? (input.model !== undefined && LOCAL_MODEL.test(input.model));
  const leak = (secrets + pii) * (local ? 0.3 : 1);
  const agentic = nonNeg(input.toolCount) > 0 || (input.tool !== undefined && AGENT_TOOL.test(input.tool));
  if (agentic) injection *= 1.3;
  let history = 0;
  const h = input.history;
  if (h !== undefined) {
    const weighted = nonNeg(h.denied) + 0.5 * nonNeg(h.flagged) + 0.25 * nonNeg(h.warned);
    history = Math.min(15, (30 * weighted) / Math.max(nonNeg(h.requests), 20));
  }
  return Math.min(100, Math.max(0, Math.round(leak + injection + history)));
}
