// The daemon's budget service: loads budget definitions and this period's spend from the store into
// the in-memory ledger at start, applies `budget set`/`rm` to store and ledger together (audited),
// and turns ledger alerts into audit events, persisted "fired" marks and webhook POSTs — all off
// the request path (the alert callback only queues).
import type { Kysely } from 'kysely';
import type { Clock, FetchLike } from '../deps.js';
import { WardenError } from '../errors.js';
import type { BudgetInfo, BudgetStatusInfo } from '../protocol/api.js';
import type { Database } from '../store/schema.js';
import {
  deleteBudgetRow,
  findBudgetByTarget,
  firedAlerts,
  getBudgetRow,
  insertBudgetAlert,
  keyIdsNamed,
  listBudgetRows,
  saveBudgetRow,
  spendGroups,
  type BudgetRow,
  type SpendGroup,
} from '../store/repos/budgets.js';
import { findKey } from '../store/repos/keys.js';
import { newId } from '../auth/virtual-keys.js';
import type { Logger } from '../util/logger.js';
import { budgetTarget, DEFAULT_ALERT_PCTS, isBudgetScope, redactWebhookUrl, type BudgetDefinition, type BudgetInput } from './definition.js';
import { BudgetLedger, type BudgetAlert, type BudgetSeed, type BudgetSnapshot } from './ledger.js';
import { microsToUsd } from './money.js';
import { BUDGET_PERIODS, isBudgetPeriod, periodBounds, validateTimeZone } from './period.js';
import { alertPayload, WebhookSender, type WebhookSenderOptions } from './webhook.js';

export interface BudgetServiceDeps {
  db: Kysely<Database>;
  clock: Clock;
  logger: Logger;
  fetch: FetchLike;
  /**
   * Queues an audit event (the daemon's batched writer); must not block. `actor` is 'admin' for
   * budget changes made through the admin API, 'warden' for alerts the daemon raised itself.
   */
  audit: (type: string, subject: string | null, data: Record<string, unknown>, actor: 'admin' | 'warden') => void;
  /** Commits queued request rows, so spend read from the store includes every settled request. */
  flush?: () => void;
  /** Runs store writes caused by alerts later, off the request path. Default: setImmediate. */
  defer?: (fn: () => void) => void;
  webhook?: WebhookSenderOptions;
  /** Zone of new budgets set without one (the daemon passes the machine's); default UTC. */
  defaultTz?: string;
}

export function defFromRow(r: BudgetRow): BudgetDefinition {
  if (!isBudgetScope(r.scope) || !isBudgetPeriod(r.period)) {
    throw new WardenError('invalid_budget_row', `stored budget ${r.id} has scope "${r.scope}" / period "${r.period}", which this version does not know`);
  }
  // A zone this runtime does not know (an older tz database) would break every period computation.
  const tz = validateTimeZone(r.tz, `stored budget ${r.id}: time zone`);
  let alertPcts: number[] = [];
  try {
    const v: unknown = JSON.parse(r.alert_pcts);
    if (Array.isArray(v)) alertPcts = v.filter((x): x is number => typeof x === 'number').sort((a, b) => a - b);
  } catch {
    /* a damaged list means no alerts, not no budget */
  }
  return {
    id: r.id,
    scope: r.scope,
    name: r.name,
    period: r.period,
    limitMicros: r.limit_micros,
    hard: r.hard === 1,
    alertPcts,
    tz,
    webhookUrl: r.webhook_url,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function rowFromDef(d: BudgetDefinition): BudgetRow {
  return {
    id: d.id,
    scope: d.scope,
    name: d.name,
    period: d.period,
    limit_micros: d.limitMicros,
    hard: d.hard ? 1 : 0,
    alert_pcts: JSON.stringify(d.alertPcts),
    tz: d.tz,
    webhook_url: d.webhookUrl,
    created_at: d.createdAt,
    updated_at: d.updatedAt,
  };
}

export function budgetInfo(d: BudgetDefinition): BudgetInfo {
  return {
    id: d.id,
    scope: d.scope,
    name: d.name,
    target: budgetTarget(d),
    period: d.period,
    limit_usd: microsToUsd(d.limitMicros),
    hard: d.hard,
    alert_pcts: [...d.alertPcts],
    tz: d.tz,
    webhook: redactWebhookUrl(d.webhookUrl),
    created_at: new Date(d.createdAt).toISOString(),
    updated_at: new Date(d.updatedAt).toISOString(),
  };
}

export function budgetStatusInfo(s: BudgetSnapshot): BudgetStatusInfo {
  const limit = s.def.limitMicros;
  const remaining = Math.max(0, limit - s.spentMicros - s.reservedMicros);
  return {
    ...budgetInfo(s.def),
    period_label: s.period.label,
    period_start: new Date(s.period.start).toISOString(),
    period_end: new Date(s.period.end).toISOString(),
    spent_usd: microsToUsd(s.spentMicros),
    reserved_usd: microsToUsd(s.reservedMicros),
    remaining_usd: microsToUsd(remaining),
    used_pct: Math.round((s.spentMicros * 1000) / limit) / 10,
    alerts_crossed: s.alertsFired,
    state: s.spentMicros >= limit ? 'exhausted' : s.alertsFired.length > 0 ? 'alerting' : 'ok',
  };
}

function matchesGroup(d: BudgetDefinition, g: SpendGroup): boolean {
  switch (d.scope) {
    case 'global':
      return true;
    case 'key':
      return g.key_id === d.name;
    case 'project':
      return g.project === d.name;
    case 'user':
      return g.user === d.name;
    case 'team':
      return g.team === d.name;
  }
}

export class BudgetService {
  readonly ledger: BudgetLedger;
  readonly webhooks: WebhookSender;
  private readonly defer: (fn: () => void) => void;

  private constructor(private readonly deps: BudgetServiceDeps) {
    this.defer = deps.defer ?? ((fn) => void setImmediate(fn));
    this.webhooks = new WebhookSender({ fetch: deps.fetch, clock: deps.clock, logger: deps.logger }, deps.webhook);
    this.ledger = new BudgetLedger({ clock: deps.clock, logger: deps.logger, onAlert: (a) => this.onAlert(a) });
  }

  /** A service with every stored budget loaded, each with its current period's spend from the store. */
  static async start(deps: BudgetServiceDeps): Promise<BudgetService> {
    const svc = new BudgetService(deps);
    const defs = (await listBudgetRows(deps.db)).flatMap((r) => {
      try {
        return [defFromRow(r)];
      } catch (e) {
        deps.logger.error({ err: (e as Error).message }, 'budget skipped');
        return [];
      }
    });
    const seeds = await svc.seeds(defs);
    for (const d of defs) svc.ledger.set(d, seeds.get(d.id));
    return svc;
  }

  /** This period's settled spend and fired alerts per budget, read from the store. */
  private async seeds(defs: BudgetDefinition[]): Promise<Map<string, BudgetSeed>> {
    const out = new Map<string, BudgetSeed>();
    if (defs.length === 0) return out;
    this.deps.flush?.();
    const now = this.deps.clock.now();
    const windows = new Map<string, { start: number; end: number; defs: BudgetDefinition[] }>();
    for (const d of defs) {
      const p = periodBounds(d.period, d.tz, now);
      const k = `${p.start}:${p.end}`;
      const w = windows.get(k) ?? { start: p.start, end: p.end, defs: [] };
      w.defs.push(d);
      windows.set(k, w);
    }
    let minStart = Infinity;
    for (const w of windows.values()) {
      minStart = Math.min(minStart, w.start);
      const groups = await spendGroups(this.deps.db, w.start, w.end);
      for (const d of w.defs) {
        let micros = 0;
        for (const g of groups) if (matchesGroup(d, g)) micros += g.micros;
        out.set(d.id, { periodStart: w.start, spentMicros: micros, alertsFired: [] });
      }
    }
    for (const a of await firedAlerts(this.deps.db, minStart)) {
      const s = out.get(a.budget_id);
      if (s && s.periodStart === a.period_start) (s.alertsFired as number[]).push(a.threshold_pct);
    }
    return out;
  }

  /** Every budget with its current period's spend, reservations and alerts. */
  status(): BudgetStatusInfo[] {
    return this.ledger.snapshot().map(budgetStatusInfo);
  }

  /**
   * Creates the budget for (scope, name, period), or updates it. A key budget's name may be given
   * as the key id, a unique id prefix, the display prefix or the key's name; it is stored as the id.
   */
  async set(input: BudgetInput): Promise<BudgetStatusInfo & { created: boolean }> {
    const name = input.scope === 'key' ? await this.resolveKey(input.name) : input.name;
    const now = this.deps.clock.now();
    const existing = await findBudgetByTarget(this.deps.db, input.scope, name, input.period);
    const prev = existing ? defFromRow(existing) : undefined;
    const def: BudgetDefinition = {
      id: prev?.id ?? newId('bud', now),
      scope: input.scope,
      name,
      period: input.period,
      limitMicros: input.limitMicros,
      hard: input.hard ?? prev?.hard ?? false,
      alertPcts: input.alertPcts ?? prev?.alertPcts ?? [...DEFAULT_ALERT_PCTS],
      tz: input.tz ?? prev?.tz ?? this.deps.defaultTz ?? 'UTC',
      webhookUrl: input.webhookUrl === undefined ? prev?.webhookUrl ?? null : input.webhookUrl,
      createdAt: prev?.createdAt ?? now,
      updatedAt: now,
    };
    await saveBudgetRow(this.deps.db, rowFromDef(def));
    // Same zone on a loaded budget: the ledger keeps this period's spend; otherwise read it from the store.
    const seed = prev && prev.tz === def.tz && this.ledger.has(def.id) ? undefined : (await this.seeds([def])).get(def.id);
    this.deps.audit('budget.set', def.id, {
      ...this.auditFields(def),
      created: !prev,
      ...(prev ? { previous: { limit_usd: microsToUsd(prev.limitMicros), hard: prev.hard, alert_pcts: prev.alertPcts, tz: prev.tz, webhook: redactWebhookUrl(prev.webhookUrl) } } : {}),
    }, 'admin');
    // After the change's audit event: an alert the new limit triggers at once follows it.
    this.ledger.set(def, seed);
    const snap = this.ledger.snapshot().find((s) => s.def.id === def.id);
    if (!snap) throw new WardenError('internal', `budget ${def.id} was saved but is not loaded`);
    return { ...budgetStatusInfo(snap), created: !prev };
  }

  /** Removes a budget by id, `scope:name`, `scope:name:period`, `global`, or a name that is unique. */
  async remove(ref: string): Promise<BudgetInfo & { removed: true }> {
    const def = await this.find(ref);
    await deleteBudgetRow(this.deps.db, def.id);
    this.ledger.remove(def.id);
    this.deps.audit('budget.removed', def.id, this.auditFields(def), 'admin');
    return { ...budgetInfo(def), removed: true };
  }

  async find(ref: string): Promise<BudgetDefinition> {
    const r = ref.trim();
    const byId = await getBudgetRow(this.deps.db, r);
    if (byId) return defFromRow(byId);
    const all = (await listBudgetRows(this.deps.db)).map(defFromRow);
    let found = all.filter((d) => r.length >= 6 && d.id.startsWith(r));
    if (found.length === 0) {
      const colon = r.indexOf(':');
      const scope = colon > 0 ? r.slice(0, colon) : r;
      if (r === 'global') found = all.filter((d) => d.scope === 'global');
      else if (colon > 0 && isBudgetScope(scope)) {
        const rest = r.slice(colon + 1);
        const m = /^(.*):(daily|weekly|monthly)$/.exec(rest);
        found = all.filter((d) => d.scope === scope && (d.name === rest || (m !== null && d.name === m[1] && d.period === m[2])));
      } else found = all.filter((d) => d.name === r);
    }
    if (found.length === 1) return found[0];
    if (found.length === 0) {
      throw new WardenError('not_found', `no budget matches "${ref}"`, { hint: 'give an id or scope:name from `warden budget list`' });
    }
    throw new WardenError('ambiguous_budget', `"${ref}" matches ${found.length} budgets: ${found.map((d) => `${d.id} (${budgetTarget(d)} ${d.period})`).join(', ')}`, {
      hint: `give the id, or scope:name:period (periods: ${BUDGET_PERIODS.join(', ')})`,
    });
  }

  private async resolveKey(ref: string): Promise<string> {
    const row = await findKey(this.deps.db, ref);
    if (row) return row.id;
    const named = await keyIdsNamed(this.deps.db, ref);
    if (named.length === 1) return named[0];
    if (named.length > 1) throw new WardenError('ambiguous_key', `${named.length} keys are named "${ref}"; give the key id`, { hint: 'see `warden keys list`' });
    throw new WardenError('not_found', `no key matches "${ref}" (give the id, prefix or name from \`warden keys list\`)`);
  }

  private auditFields(d: BudgetDefinition): Record<string, unknown> {
    return {
      budget_id: d.id,
      scope: d.scope,
      name: d.name,
      period: d.period,
      limit_usd: microsToUsd(d.limitMicros),
      hard: d.hard,
      alert_pcts: d.alertPcts,
      tz: d.tz,
      webhook: redactWebhookUrl(d.webhookUrl),
    };
  }

  /** Runs inside ledger calls on the request path: queue, never wait. */
  private onAlert(a: BudgetAlert): void {
    const d = a.budget;
    this.deps.audit('budget.alert', d.id, {
      budget_id: d.id,
      scope: d.scope,
      name: d.name,
      period: d.period,
      hard: d.hard,
      threshold_pct: a.thresholdPct,
      spent_usd: a.spentUsd,
      limit_usd: a.limitUsd,
      period_label: a.period.label,
      period_start: new Date(a.period.start).toISOString(),
      period_end: new Date(a.period.end).toISOString(),
      webhook: redactWebhookUrl(d.webhookUrl),
    }, 'warden');
    this.deps.logger.warn({ budget: d.id, target: budgetTarget(d), threshold_pct: a.thresholdPct, spent_usd: a.spentUsd, limit_usd: a.limitUsd }, 'budget alert');
    const row = {
      budget_id: d.id,
      period_start: a.period.start,
      threshold_pct: a.thresholdPct,
      fired_at: a.at,
      spent_micros: Math.round(a.spentUsd * 1_000_000),
      limit_micros: d.limitMicros,
    };
    this.defer(() => {
      insertBudgetAlert(this.deps.db, row).catch((e: Error) => this.deps.logger.error({ err: e.message, budget: d.id }, 'cannot record a fired budget alert'));
    });
    if (d.webhookUrl) {
      void this.webhooks.post(d.webhookUrl, alertPayload(a)).then((r) =>
        this.deps.audit('budget.webhook', d.id, {
          budget_id: d.id,
          threshold_pct: a.thresholdPct,
          webhook: redactWebhookUrl(d.webhookUrl),
          ok: r.ok,
          status: r.status,
          error: r.error,
          duration_ms: r.durationMs,
        }, 'warden'),
      );
    }
  }
}

