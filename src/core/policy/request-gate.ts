// The request gate: everything the proxy decides about a request before forwarding it, in the order
// DESIGN.md's request flow gives. `judge` reads the prompt, runs only the detectors a loaded policy
// reads, evaluates the policies and applies their mutations (redaction, max_tokens cap, route) to
// the body in place. `admit` takes a rate-limit ticket and reserves the worst-case cost against hard
// budgets. `finish` settles both with what the request actually used. All synchronous and in
// memory: nothing here touches the disk.
import type { Principal } from '../auth/key-cache.js';
import { createRedactionState, redact, riskScore, runDetectors } from '../detect/index.js';
import type { DetectorReport, Finding } from '../detect/types.js';
import type { BudgetLedger, Reservation } from '../budget/ledger.js';
import { microsToUsd } from '../budget/money.js';
import { walkPrompt, type TextOwner } from '../providers/prompt-walk.js';
import type { Endpoint } from '../providers/types.js';
import type { RateLimiter, RateLimitTicket } from '../ratelimit/limiter.js';
import type { LoopGuard, SessionActivity } from '../session/loop-guard.js';
import { buildPolicyInput, type BudgetState, type Decision, type DetectorNeeds, type Mutation, type PolicyEngine, type PolicyInput, type SpendPeriods, type SpendScope } from './decision.js';

export interface GateSpend {
  snapshot(principal: Principal, nowMs: number): Partial<Record<SpendScope, Partial<SpendPeriods>>>;
  add(principal: Principal, usd: number | null, startedAtMs: number): void;
}

export interface GateDeps {
  /** The policy engine for a principal (its session's repository may add policies); undefined: none loaded. */
  engineFor: (principal: Principal) => PolicyEngine | undefined;
  ledger?: BudgetLedger;
  limiter?: RateLimiter;
  spend?: GateSpend;
  loopGuard: LoopGuard;
  /** Cost in USD of `inputTokens` in and `outputTokens` out on `model`; null when unpriced. */
  price: (model: string, providerType: string, inputTokens: number, outputTokens: number, atMs: number) => number | null;
  /** Detectors scan at most this many characters of the prompt. */
  maxScanChars: number;
  /** Output tokens assumed for a request that sets no max_tokens (worst-case cost, token limits). */
  defaultMaxOutputTokens: number;
  /** Time zone of the policy input's hour/weekday/date. */
  tz: string;
}

export interface GateRequest {
  endpoint: Endpoint;
  providerName: string;
  providerType: string;
  model: string;
  stream: boolean;
  /** The parsed body; judge may rewrite it in place (see Judgement.bodyChanged). */
  body: Record<string, unknown>;
  principal: Principal;
  tool: string;
  userAgent: string | null;
  nowMs: number;
}

export interface Judgement {
  /** Null when no policy applies to the request. */
  decision: Decision | null;
  input: PolicyInput | null;
  /** Set when the verdict is deny: the message for the client, naming the policies. */
  denyMessage?: string;
  /** One line per warning violation, for the x-warden-warning header. */
  warnings: string[];
  /** True when a mutation rewrote the body: serialise it again before forwarding (or, denied, storing). */
  bodyChanged: boolean;
  /** A route mutation's model: the caller routes again to it. */
  routeTo?: string;
  /** Finding types whose values were masked (never the values). */
  redacted: string[];
  /** Estimated input tokens (≈ characters / 4) and the output tokens assumed for limits and budgets. */
  estInputTokens: number;
  maxOutputTokens: number;
  riskScore: number | null;
  session: SessionActivity;
}

/** A request admitted by rate limits and budgets; hand it to finish() or release() exactly once. */
export interface GatePass {
  principal: Principal;
  /** The `warden run` session whose spend the loop guard tracks; null outside a session. */
  sessionId: string | null;
  startedAtMs: number;
  ticket?: RateLimitTicket;
  reservation?: Reservation;
}

export type Admission =
  | { ok: true; pass: GatePass }
  | { ok: false; status: 429; code: 'rate_limit_exceeded' | 'budget_exceeded'; message: string; retryAfterSeconds?: number; retryable: boolean };

interface Piece {
  owner: TextOwner;
  key: string | number;
  start: number;
  end: number;
}

/** The prompt as one text plus where each piece of it lives in the body. */
class PromptCollector {
  readonly pieces: Piece[] = [];
  readonly parts: string[] = [];
  length = 0;
  messages = 0;
  last = '';

  text(owner: TextOwner, key: string | number, value: string): void {
    if (this.parts.length > 0) this.length += 1; // the joining newline
    this.pieces.push({ owner, key, start: this.length, end: this.length + value.length });
    this.parts.push(value);
    this.length += value.length;
    this.last = value;
  }

  json(): void {}

  message(): void {
    this.messages++;
  }
}

const MAX_HEADER_CHARS = 1024;
const MASK_SECRETS: Extract<Mutation, { kind: 'redact' }> = { kind: 'redact', finding_kinds: ['secret'], types: [], policies: [] };
const NO_SESSION: SessionActivity = Object.freeze({ requests: 0, spendUsd: 0, elapsedSeconds: 0, promptRepeats: 0 });
const MAX_RISK_KEYS = 10_000;

interface RiskCounters {
  requests: number;
  denied: number;
  warned: number;
  flagged: number;
}

/** Header-safe text: printable ASCII only, bounded. */
function headerText(s: string): string {
  const ascii = s.replace(/[^\x20-\x7e]/g, '?');
  return ascii.length > MAX_HEADER_CHARS ? `${ascii.slice(0, MAX_HEADER_CHARS - 3)}...` : ascii;
}

/** Names of the tools (functions) a request body declares, in OpenAI's or Anthropic's shape. */
export function toolNames(body: Record<string, unknown>): string[] {
  const tools = body.tools;
  if (!Array.isArray(tools)) return [];
  const out: string[] = [];
  for (const t of tools) {
    if (t === null || typeof t !== 'object') continue;
    const r = t as Record<string, unknown>;
    const fn = r.function as Record<string, unknown> | undefined;
    const name = typeof r.name === 'string' ? r.name : fn && typeof fn.name === 'string' ? fn.name : undefined;
    if (name) out.push(name);
  }
  return out;
}

const MAX_TOKEN_FIELDS: Record<Endpoint, readonly string[]> = {
  'chat.completions': ['max_completion_tokens', 'max_tokens'],
  responses: ['max_output_tokens'],
  completions: ['max_tokens'],
  messages: ['max_tokens'],
  'messages.count_tokens': [],
  embeddings: [],
  models: [],
};

function maxTokensOf(endpoint: Endpoint, body: Record<string, unknown>): number | null {
  for (const f of MAX_TOKEN_FIELDS[endpoint]) {
    const v = body[f];
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return v;
  }
  return null;
}

/** Lowers (or sets) the endpoint's output-token field; returns whether the body changed. */
function capMaxTokens(endpoint: Endpoint, providerType: string, body: Record<string, unknown>, cap: number): boolean {
  const fields = MAX_TOKEN_FIELDS[endpoint];
  if (fields.length === 0) return false;
  let present = false;
  let changed = false;
  for (const f of fields) {
    const v = body[f];
    if (typeof v === 'number') {
      present = true;
      if (v > cap) {
        body[f] = cap;
        changed = true;
      }
    }
  }
  if (present) return changed;
  // OpenAI's own chat API takes max_completion_tokens (its reasoning models reject max_tokens);
  // compatible servers know max_tokens.
  const field = endpoint === 'chat.completions' && providerType !== 'openai' ? 'max_tokens' : (fields[0] as string);
  body[field] = cap;
  return true;
}

function selectFindings(report: DetectorReport, m: Extract<Mutation, { kind: 'redact' }>): Finding[] {
  const kinds = new Set<string>(m.finding_kinds);
  const types = new Set(m.types);
  const out: Finding[] = [];
  for (const f of report.pii) if (kinds.has(f.kind) || types.has(f.type)) out.push(f);
  for (const f of report.secrets) if (kinds.has(f.kind) || types.has(f.type)) out.push(f);
  return out;
}

export class RequestGate {
  private readonly risk = new Map<string, RiskCounters>();

  constructor(private readonly deps: GateDeps) {}

  /** Policy: detectors, decision and mutations. Never throws for a policy that breaks (see Decision.errors). */
  judge(req: GateRequest): Judgement {
    const d = this.deps;
    const p = req.principal;
    const prompt = new PromptCollector();
    walkPrompt(req.endpoint, req.body, prompt);
    const estInputTokens = Math.ceil(prompt.length / 4);
    const requested = maxTokensOf(req.endpoint, req.body);
    const maxOutputTokens = requested ?? (req.endpoint === 'embeddings' || req.endpoint === 'messages.count_tokens' ? 0 : d.defaultMaxOutputTokens);
    // Only `warden run` sessions are counted: a plain key is shared by unrelated callers (CI jobs,
    // scripts), and policy-input.md promises zeros outside a session.
    const session = p.sessionId ? d.loopGuard.observe(p.sessionId, prompt.last, req.nowMs) : NO_SESSION;
    const engine = d.engineFor(p);
    const base: Judgement = {
      decision: null,
      input: null,
      warnings: [],
      bodyChanged: false,
      redacted: [],
      estInputTokens,
      maxOutputTokens,
      riskScore: null,
      session,
    };
    if (!engine || engine.policies.length === 0) return base;

    const subject = { key: p.keyId, project: p.project, user: p.user, team: p.team, tool: req.tool };
    const needs: DetectorNeeds = engine.requiredDetectors(subject);
    const text = prompt.parts.join('\n');
    const anyDetector = needs.pii || needs.secrets || needs.injection;
    const report = anyDetector ? runDetectors(text, { pii: needs.pii, secrets: needs.secrets, injection: needs.injection, maxChars: d.maxScanChars }) : undefined;
    const counters = this.riskCounters(p.keyId);
    const tools = toolNames(req.body);
    const score = riskScore({ report: report ?? null, model: req.model, tool: req.tool, toolCount: tools.length, history: counters });
    const worstCase = d.price(req.model, req.providerType, estInputTokens, maxOutputTokens, req.nowMs);
    const input = buildPolicyInput({
      request: {
        provider: req.providerName,
        endpoint: req.endpoint,
        model: req.model,
        stream: req.stream,
        max_tokens: requested,
        tools,
        messages_text: text,
        message_count: prompt.messages,
        estimated_input_tokens: estInputTokens,
        estimated_cost_usd: worstCase,
      },
      principal: {
        key: p.keyId,
        key_name: p.keyName,
        project: p.project,
        user: p.user,
        team: p.team,
        session: p.sessionId,
        tool: req.tool,
      },
      client: { tool: req.tool, user_agent: req.userAgent },
      ...(report ? { detectors: report, detectorsRan: needs } : {}),
      riskScore: score,
      ...(d.spend ? { spend: d.spend.snapshot(p, req.nowMs) } : {}),
      budgets: this.budgetStates(p),
      session: { id: p.sessionId, ...session },
      nowMs: req.nowMs,
      tz: d.tz,
    });
    const decision = engine.evaluate(input);
    const out: Judgement = { ...base, decision, input, riskScore: score };

    counters.requests++;
    if (decision.verdict === 'deny') counters.denied++;
    else if (decision.verdict === 'warn') counters.warned++;
    if ((report?.pii.length ?? 0) + (report?.secrets.length ?? 0) > 0 || (report?.injection?.score ?? 0) >= 0.5) counters.flagged++;

    if (decision.verdict === 'deny') {
      out.denyMessage = denyMessage(decision);
      // Never forwarded, but stored when store_bodies is on: a denied prompt keeps its text, never
      // the credentials found in it (often the very reason for the deny).
      if (report && report.secrets.length > 0) {
        out.bodyChanged = this.redactBody(prompt, report, MASK_SECRETS, needs).length > 0;
      }
      return out;
    }
    for (const v of decision.violations) if (v.enforcement === 'warning') out.warnings.push(headerText(`${v.policy}: ${v.message}`));
    for (const m of decision.mutations) {
      if (m.kind === 'redact' && report) {
        const kinds = this.redactBody(prompt, report, m, needs);
        if (kinds.length > 0) {
          out.bodyChanged = true;
          out.redacted = kinds;
        }
      } else if (m.kind === 'cap_max_tokens') {
        if (capMaxTokens(req.endpoint, req.providerType, req.body, m.max_tokens)) {
          out.bodyChanged = true;
          out.maxOutputTokens = Math.min(out.maxOutputTokens || m.max_tokens, m.max_tokens);
        }
      } else if (m.kind === 'route' && m.model !== req.model) {
        req.body.model = m.model;
        out.bodyChanged = true;
        out.routeTo = m.model;
      }
    }
    return out;
  }

  /** Rate limits, then hard budgets (worst-case cost reserved). A refusal holds nothing. */
  admit(req: GateRequest, j: Judgement): Admission {
    const d = this.deps;
    const p = req.principal;
    const pass: GatePass = { principal: p, sessionId: p.sessionId, startedAtMs: req.nowMs };
    if (d.limiter) {
      const r = d.limiter.check({ keyId: p.keyId, project: p.project, user: p.user, tool: req.tool }, j.estInputTokens + j.maxOutputTokens);
      if (!r.ok) return { ok: false, status: 429, code: 'rate_limit_exceeded', message: r.message, retryAfterSeconds: r.retryAfterSeconds, retryable: true };
      pass.ticket = r.ticket;
    }
    if (d.ledger) {
      // Counting tokens is free: nothing to reserve.
      const worst = req.endpoint === 'messages.count_tokens' ? 0 : (d.price(req.model, req.providerType, j.estInputTokens, j.maxOutputTokens, req.nowMs) ?? 0);
      const r = d.ledger.reserve(p, worst);
      if (!r.ok) {
        if (pass.ticket) d.limiter?.done(pass.ticket, 0);
        return { ok: false, status: 429, code: 'budget_exceeded', message: r.message, retryable: false };
      }
      pass.reservation = r.reservation;
    }
    return { ok: true, pass };
  }

  /**
   * Response-phase policies (`package warden.response`, phase response) on what the model answered.
   * The response has already reached the client, so their verdict is recorded, not enforced.
   * Null when no response policy applies (nothing is built then).
   */
  judgeResponse(principal: Principal, tool: string, requestInput: PolicyInput | null, response: NonNullable<PolicyInput['response']>): Decision | null {
    const engine = this.deps.engineFor(principal);
    if (!engine || !requestInput) return null;
    const subject = { key: principal.keyId, project: principal.project, user: principal.user, team: principal.team, tool };
    if (!engine.hasPolicies('response', subject)) return null;
    const input: PolicyInput = { ...requestInput, phase: 'response', response };
    return engine.evaluate(input, { phase: 'response' });
  }

  /** The request ended: settle the reservation at its actual cost and return its tokens to the limiter. */
  finish(pass: GatePass, costUsd: number | null, tokens: number | null): void {
    const d = this.deps;
    if (pass.reservation) {
      if (costUsd === null) d.ledger?.release(pass.reservation);
      else d.ledger?.settle(pass.reservation, costUsd);
    }
    if (pass.ticket) d.limiter?.done(pass.ticket, tokens ?? undefined);
    d.spend?.add(pass.principal, costUsd, pass.startedAtMs);
    if (pass.sessionId) d.loopGuard.addSpend(pass.sessionId, costUsd);
  }

  /** The request never reached the upstream: give back what admit took. */
  release(pass: GatePass): void {
    if (pass.reservation) this.deps.ledger?.release(pass.reservation);
    if (pass.ticket) this.deps.limiter?.done(pass.ticket, 0);
  }

  private budgetStates(p: Principal): BudgetState[] {
    const ledger = this.deps.ledger;
    if (!ledger) return [];
    const out: BudgetState[] = [];
    for (const s of ledger.snapshotFor(p)) {
      const limit = s.def.limitMicros;
      const used = s.spentMicros + s.reservedMicros;
      out.push({
        scope: s.def.scope,
        name: s.def.name,
        period: s.def.period,
        limit_usd: microsToUsd(limit),
        spent_usd: microsToUsd(s.spentMicros),
        remaining_usd: microsToUsd(Math.max(0, limit - used)),
        hard: s.def.hard,
      });
    }
    return out;
  }

  private riskCounters(keyId: string): RiskCounters {
    let c = this.risk.get(keyId);
    if (!c) {
      if (this.risk.size >= MAX_RISK_KEYS) this.risk.delete(this.risk.keys().next().value as string);
      c = { requests: 0, denied: 0, warned: 0, flagged: 0 };
      this.risk.set(keyId, c);
    }
    return c;
  }

  /**
   * Masks the selected findings in the body's own strings. Findings are located in the joined
   * prompt; each is mapped back to the piece of the body it came from. Text past the detectors'
   * scan limit is scanned here too: what leaves the machine must be masked in full.
   */
  private redactBody(prompt: PromptCollector, report: DetectorReport, m: Extract<Mutation, { kind: 'redact' }>, needs: DetectorNeeds): string[] {
    const selected = selectFindings(report, m).sort((a, b) => a.start - b.start);
    const state = createRedactionState();
    const kinds = new Set<string>();
    let fi = 0;
    for (let i = 0; i < prompt.pieces.length; i++) {
      const piece = prompt.pieces[i] as Piece;
      const value = prompt.parts[i] as string;
      const local: Finding[] = [];
      while (fi < selected.length && (selected[fi] as Finding).end <= piece.start) fi++;
      for (let k = fi; k < selected.length && (selected[k] as Finding).start < piece.end; k++) {
        const f = selected[k] as Finding;
        local.push({ ...f, start: Math.max(0, f.start - piece.start), end: Math.min(value.length, f.end - piece.start) });
      }
      if (report.truncated && piece.end > report.scannedChars) {
        const more = runDetectors(value, { pii: needs.pii, secrets: needs.secrets, injection: false, maxChars: value.length });
        for (const f of selectFindings(more, m)) local.push(f);
      }
      if (local.length === 0) continue;
      const r = redact(value, local, state);
      if (r.count === 0) continue;
      (piece.owner as Record<string | number, unknown>)[piece.key] = r.text;
      for (const k of r.kinds) kinds.add(k);
    }
    return [...kinds].sort();
  }
}

/** The deny message: which policies refused the request, why, and where to look. */
export function denyMessage(decision: Decision): string {
  const strict = decision.violations.filter((v) => v.enforcement === 'strict');
  const names = [...new Set(strict.map((v) => v.policy))];
  const reasons = strict.map((v) => `${v.policy}: ${v.message}`).join('; ');
  const first = names[0] ?? 'a policy';
  return (
    `Warden policy ${names.map((n) => `"${n}"`).join(', ')} denied this request (${reasons}). ` +
    `If this is wrong, ask whoever manages your Warden policies for an exception; \`warden policy show ${first}\` shows the policy.`
  );
}

/** The policy input as stored with the request: everything but the prompt text (now_ns as a string). */
export function storedPolicyInput(input: PolicyInput): string {
  return JSON.stringify({
    ...input,
    request: { ...input.request, messages_text: undefined },
    time: { ...input.time, now_ns: input.time.now_ns.toString() },
  });
}
