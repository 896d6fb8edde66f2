// Budget alert webhooks: a JSON POST per alert with a timeout, off the request path, bounded (a few
// in flight, a short queue, the rest dropped and counted). Failures are reported, never thrown.
// The URL may embed a secret (Slack-style incoming webhooks): only its origin reaches logs.
import type { Clock, FetchLike } from '../deps.js';
import type { Logger } from '../util/logger.js';
import { budgetTarget, redactWebhookUrl } from './definition.js';
import type { BudgetAlert } from './ledger.js';

export interface WebhookResult {
  ok: boolean;
  /** HTTP status, or null when no answer arrived (refused, timed out). */
  status: number | null;
  error: string | null;
  durationMs: number;
}

export interface WebhookSenderDeps {
  fetch: FetchLike;
  clock: Clock;
  logger: Logger;
}

export interface WebhookSenderOptions {
  /** Per POST, from sending to the response headers. Default 5 s. */
  timeoutMs?: number;
  /** POSTs in flight at once. Default 4. */
  maxInFlight?: number;
  /** POSTs waiting beyond those; further ones are dropped. Default 100. */
  maxQueue?: number;
  userAgent?: string;
}

/** The body POSTed for an alert. Field names are API (receivers parse them). */
export interface BudgetAlertPayload {
  type: 'warden.budget.alert';
  text: string;
  budget: { id: string; scope: string; name: string; period: string; hard: boolean; limit_usd: number; tz: string };
  threshold_pct: number;
  spent_usd: number;
  period: { label: string; start: string; end: string };
  at: string;
}

export function alertPayload(a: BudgetAlert): BudgetAlertPayload {
  const b = a.budget;
  return {
    type: 'warden.budget.alert',
    // `text` makes the payload readable as-is by Slack-compatible receivers.
    text: `Warden: ${b.hard ? 'hard' : 'soft'} ${b.period} budget for ${budgetTarget(b)} reached ${a.thresholdPct}% ($${a.spentUsd.toFixed(2)} of $${a.limitUsd.toFixed(2)}, period ${a.period.label})`,
    budget: { id: b.id, scope: b.scope, name: b.name, period: b.period, hard: b.hard, limit_usd: a.limitUsd, tz: b.tz },
    threshold_pct: a.thresholdPct,
    spent_usd: a.spentUsd,
    period: { label: a.period.label, start: new Date(a.period.start).toISOString(), end: new Date(a.period.end).toISOString() },
    at: new Date(a.at).toISOString(),
  };
}

interface Job {
  url: string;
  body: string;
  resolve: (r: WebhookResult) => void;
}

export class WebhookSender {
  private readonly timeoutMs: number;
  private readonly maxInFlight: number;
  private readonly maxQueue: number;
  private readonly userAgent: string;
  private readonly queue: Job[] = [];
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];
  readonly stats = { sent: 0, failed: 0, dropped: 0 };

  constructor(
    private readonly deps: WebhookSenderDeps,
    opts: WebhookSenderOptions = {},
  ) {
    this.timeoutMs = opts.timeoutMs ?? 5000;
    this.maxInFlight = opts.maxInFlight ?? 4;
    this.maxQueue = opts.maxQueue ?? 100;
    this.userAgent = opts.userAgent ?? 'warden-budget-alert';
  }

  /**
   * Queues a POST of `payload` as JSON to `url`. Resolves with the outcome (never rejects); a full
   * queue resolves at once with `dropped`. Callers on a request path must not await it.
   */
  post(url: string, payload: unknown): Promise<WebhookResult> {
    return new Promise((resolve) => {
      if (this.inFlight >= this.maxInFlight && this.queue.length >= this.maxQueue) {
        this.stats.dropped++;
        this.deps.logger.warn({ webhook: redactWebhookUrl(url) }, 'budget webhook dropped: queue full');
        resolve({ ok: false, status: null, error: 'dropped: too many webhook POSTs pending', durationMs: 0 });
        return;
      }
      this.queue.push({ url, body: JSON.stringify(payload), resolve });
      this.pump();
    });
  }

  /** Resolves when nothing is queued or in flight (for shutdown and tests). */
  idle(): Promise<void> {
    if (this.inFlight === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const job = this.queue.shift() as Job;
      this.inFlight++;
      void this.send(job).then((r) => {
        this.inFlight--;
        job.resolve(r);
        this.pump();
        if (this.inFlight === 0 && this.queue.length === 0) {
          const w = this.idleWaiters;
          this.idleWaiters = [];
          for (const f of w) f();
        }
      });
    }
  }

  private async send(job: Job): Promise<WebhookResult> {
    const t0 = this.deps.clock.monotonic();
    const done = (r: Omit<WebhookResult, 'durationMs'>): WebhookResult => {
      const result = { ...r, durationMs: Math.round((this.deps.clock.monotonic() - t0) * 1000) / 1000 };
      if (r.ok) this.stats.sent++;
      else {
        this.stats.failed++;
        this.deps.logger.warn({ webhook: redactWebhookUrl(job.url), status: r.status, error: r.error }, 'budget webhook failed');
      }
      return result;
    };
    try {
      const res = await this.deps.fetch(job.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': this.userAgent },
        body: job.body,
        // A redirect could lead anywhere; receivers answer directly.
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      // The answer's body is not needed; release the connection without reading an unbounded body.
      await res.body?.cancel().catch(() => undefined);
      return done(res.ok ? { ok: true, status: res.status, error: null } : { ok: false, status: res.status, error: `HTTP ${res.status}` });
    } catch (e) {
      const err = e as Error;
      const timedOut = err.name === 'TimeoutError' || err.name === 'AbortError';
      // Messages of fetch errors can quote the URL: report the kind, not the text.
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      return done({ ok: false, status: null, error: timedOut ? `timed out after ${this.timeoutMs} ms` : `request failed${cause ? ` (${cause})` : ''}` });
    }
  }
}
