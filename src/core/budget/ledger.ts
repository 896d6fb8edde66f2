// The budget ledger: spend and reservations per budget for its current period, in memory, updated
// synchronously. Node runs one piece of JavaScript at a time, so `reserve` — check every matching
// hard budget, then reserve in all of them, in one call with no await — cannot interleave with
// another request's: concurrent requests cannot overshoot a hard budget, whatever their number.
// Money is integer micro-dollars inside; USD numbers at the API.
import type { Clock } from '../deps.js';
import type { Logger } from '../util/logger.js';
import { budgetTarget, type BudgetDefinition, type BudgetScope } from './definition.js';
import { formatMicros, microsToUsd, usdToMicros } from './money.js';
import { periodBounds, periodNoun, type PeriodBounds } from './period.js';

/**
 * Who a request bills to. Field names match the key cache's `Principal`, so the proxy passes the
 * authenticated principal as it is. Missing or null fields match no budget of that scope.
 */
export interface BudgetPrincipal {
  keyId?: string | null;
  project?: string | null;
  user?: string | null;
  team?: string | null;
}

/** The budget a denial, a cut or an alert is about. */
export interface BudgetRef {
  id: string;
  scope: BudgetScope;
  name: string;
  period: BudgetDefinition['period'];
  hard: boolean;
  limitUsd: number;
  tz: string;
}

export interface BudgetDenial {
  ok: false;
  budget: BudgetRef;
  /** What is left of the limit for this period after settled spend and open reservations (≥ 0). */
  remainingUsd: number;
  spentUsd: number;
  reservedUsd: number;
  /** The worst-case cost asked for (reserve) or the running cost (wouldExceed). */
  requestedUsd: number;
  /** When the period ends and the budget resets, epoch ms. */
  resetsAt: number;
  /** Plain-language reason, safe to send to the client. */
  message: string;
}

export type ReserveResult = { ok: true; reservation: Reservation } | BudgetDenial;

export interface BudgetAlert {
  budget: BudgetDefinition;
  /** The threshold crossed, in percent of the limit. */
  thresholdPct: number;
  spentUsd: number;
  limitUsd: number;
  period: PeriodBounds;
  at: number;
}

/** One budget as it stands now (for status, policy input and the admin API). */
export interface BudgetSnapshot {
  def: BudgetDefinition;
  period: PeriodBounds;
  spentMicros: number;
  reservedMicros: number;
  /** Thresholds (percent) already alerted in this period, ascending. */
  alertsFired: number[];
}

/** Spend already known for a budget's current period (computed from the store at start). */
export interface BudgetSeed {
  /** The period the spend was computed for; ignored when it is no longer the current one. */
  periodStart: number;
  spentMicros: number;
  alertsFired?: readonly number[];
}

export interface LedgerDeps {
  clock: Clock;
  logger?: Logger;
  /** Called synchronously when a threshold is first crossed in a period; must not block. */
  onAlert?: (alert: BudgetAlert) => void;
}

interface BudgetState {
  def: BudgetDefinition;
  period: PeriodBounds;
  spent: number;
  reserved: number;
  fired: Set<number>;
  /** Bumped whenever spent/reserved restart (new period, changed zone): older reservations no longer count here. */
  epoch: number;
  removed: boolean;
}

interface Entry {
  state: BudgetState;
  epoch: number;
}

/** A held reservation. Opaque: pass it back to settle, release or wouldExceed exactly once (settle/release). */
export class Reservation {
  /** @internal */ open = true;
  constructor(
    /** @internal */ readonly entries: readonly Entry[],
    /** @internal */ readonly micros: number,
  ) {}

  /** The worst-case amount reserved, USD. */
  get reservedUsd(): number {
    return microsToUsd(this.micros);
  }

  /** How many budgets this reservation counts against. */
  get budgets(): number {
    return this.entries.length;
  }
}

const NO_ENTRIES: readonly Entry[] = [];

function ref(def: BudgetDefinition): BudgetRef {
  return { id: def.id, scope: def.scope, name: def.name, period: def.period, hard: def.hard, limitUsd: microsToUsd(def.limitMicros), tz: def.tz };
}

const resetFormatters = new Map<string, Intl.DateTimeFormat>();
/** "2025-03-31 00:00 Europe/Paris": a reset time as the budget's owner reads it. */
function localTime(t: number, tz: string): string {
  let f = resetFormatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('sv-SE', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    resetFormatters.set(tz, f);
  }
  return `${f.format(t)} ${tz}`;
}

export class BudgetLedger {
  private readonly states = new Map<string, BudgetState>();
  private readonly byScope: Record<Exclude<BudgetScope, 'global'>, Map<string, BudgetState[]>> = {
    key: new Map(),
    project: new Map(),
    user: new Map(),
    team: new Map(),
  };
  private global: BudgetState[] = [];

  constructor(private readonly deps: LedgerDeps) {}

  /**
   * Adds a budget or replaces its definition. An update that keeps the period kind and zone keeps
   * this period's spend, reservations and fired alerts; otherwise they restart from `seed`.
   */
  set(def: BudgetDefinition, seed?: BudgetSeed): void {
    const now = this.deps.clock.now();
    const old = this.states.get(def.id);
    if (old && old.def.period === def.period && old.def.tz === def.tz && old.def.scope === def.scope && old.def.name === def.name) {
      old.def = def;
      this.roll(old, now);
      this.checkAlerts(old, now);
      return;
    }
    if (old) this.remove(def.id);
    const period = periodBounds(def.period, def.tz, now);
    const fresh = seed !== undefined && seed.periodStart === period.start;
    const st: BudgetState = {
      def,
      period,
      spent: fresh ? seed.spentMicros : 0,
      reserved: 0,
      fired: new Set(fresh ? seed.alertsFired ?? [] : []),
      epoch: (old?.epoch ?? 0) + 1,
      removed: false,
    };
    this.states.set(def.id, st);
    if (def.scope === 'global') this.global = [...this.global, st];
    else {
      const m = this.byScope[def.scope];
      m.set(def.name, [...(m.get(def.name) ?? []), st]);
    }
    this.checkAlerts(st, now);
  }

  /** Forgets a budget; open reservations against it are dropped with it. */
  remove(id: string): boolean {
    const st = this.states.get(id);
    if (!st) return false;
    st.removed = true;
    this.states.delete(id);
    if (st.def.scope === 'global') this.global = this.global.filter((s) => s !== st);
    else {
      const m = this.byScope[st.def.scope];
      const rest = (m.get(st.def.name) ?? []).filter((s) => s !== st);
      if (rest.length) m.set(st.def.name, rest);
      else m.delete(st.def.name);
    }
    return true;
  }

  has(id: string): boolean {
    return this.states.has(id);
  }

  get size(): number {
    return this.states.size;
  }

  /**
   * Reserves `worstCaseUsd` in every budget matching `principal`, or in none: when one hard budget
   * has not that much left for this period (or nothing at all), nothing is reserved and the denial
   * names it. Soft budgets never deny; they are reserved in too, so status shows what is in flight.
   */
  reserve(principal: BudgetPrincipal, worstCaseUsd: number): ReserveResult {
    const micros = usdToMicros(worstCaseUsd);
    const matched = this.match(principal);
    if (matched.length === 0) return { ok: true, reservation: new Reservation(NO_ENTRIES, micros) };
    const now = this.deps.clock.now();
    let worst: BudgetState | undefined;
    let worstLeft = Infinity;
    for (const st of matched) {
      this.roll(st, now);
      if (!st.def.hard) continue;
      const left = st.def.limitMicros - st.spent - st.reserved;
      if ((left < micros || left <= 0) && left < worstLeft) {
        worst = st;
        worstLeft = left;
      }
    }
    if (worst) return this.denial(worst, micros, 'reserve');
    const entries: Entry[] = new Array(matched.length);
    for (let i = 0; i < matched.length; i++) {
      const st = matched[i];
      st.reserved += micros;
      entries[i] = { state: st, epoch: st.epoch };
    }
    return { ok: true, reservation: new Reservation(entries, micros) };
  }

  /**
   * Ends a reservation with the request's actual cost: releases what was reserved and adds
   * `actualUsd` as spend (even beyond the reservation, or beyond a hard limit: money spent is
   * recorded). A reservation made in a period that has since ended settles into nothing here (the
   * store keeps the request; it counted toward that period). Idempotent.
   */
  settle(reservation: Reservation, actualUsd: number): void {
    if (!reservation.open) return;
    reservation.open = false;
    if (reservation.entries.length === 0) return;
    const actual = usdToMicros(actualUsd);
    const now = this.deps.clock.now();
    for (const e of reservation.entries) {
      const st = e.state;
      if (st.removed) continue;
      this.roll(st, now);
      if (st.epoch !== e.epoch) continue;
      st.reserved -= reservation.micros;
      st.spent += actual;
      if (actual > 0) this.checkAlerts(st, now);
    }
  }

  /** Ends a reservation of a request that cost nothing (refused, failed before the upstream billed). Idempotent. */
  release(reservation: Reservation): void {
    if (!reservation.open) return;
    reservation.open = false;
    for (const e of reservation.entries) {
      if (!e.state.removed && e.state.epoch === e.epoch) e.state.reserved -= reservation.micros;
    }
  }

  /**
   * Mid-stream check: would a request that has cost `runningUsd` so far push one of its hard
   * budgets past the limit (counting other requests' reservations, not its own)? Returns the
   * denial to report when the stream should be cut, null while it may go on.
   */
  wouldExceed(reservation: Reservation, runningUsd: number): BudgetDenial | null {
    if (!reservation.open || reservation.entries.length === 0) return null;
    const running = usdToMicros(runningUsd);
    if (running <= reservation.micros) return null; // within its own reservation: always affordable
    for (const e of reservation.entries) {
      const st = e.state;
      if (!st.def.hard || st.removed || st.epoch !== e.epoch) continue;
      if (st.spent + st.reserved - reservation.micros + running > st.def.limitMicros) return this.denial(st, running, 'cut', reservation.micros);
    }
    return null;
  }

  /** Adds spend that had no reservation (e.g. a request the proxy does not reserve for). */
  record(principal: BudgetPrincipal, actualUsd: number): void {
    const actual = usdToMicros(actualUsd);
    if (actual === 0) return;
    const now = this.deps.clock.now();
    for (const st of this.match(principal)) {
      this.roll(st, now);
      st.spent += actual;
      this.checkAlerts(st, now);
    }
  }

  /** Every budget's state for its current period, in definition order. */
  snapshot(): BudgetSnapshot[] {
    const now = this.deps.clock.now();
    return [...this.states.values()].map((st) => this.snap(st, now));
  }

  /** The budgets that apply to `principal` (for policy input: current spend per scope and period). */
  snapshotFor(principal: BudgetPrincipal): BudgetSnapshot[] {
    const now = this.deps.clock.now();
    return this.match(principal).map((st) => this.snap(st, now));
  }

  private snap(st: BudgetState, now: number): BudgetSnapshot {
    this.roll(st, now);
    return { def: st.def, period: st.period, spentMicros: st.spent, reservedMicros: st.reserved, alertsFired: [...st.fired].sort((a, b) => a - b) };
  }

  private match(p: BudgetPrincipal): BudgetState[] {
    const out: BudgetState[] = this.global.length ? this.global.slice() : [];
    if (p.keyId) this.add(out, this.byScope.key.get(p.keyId));
    if (p.project) this.add(out, this.byScope.project.get(p.project));
    if (p.user) this.add(out, this.byScope.user.get(p.user));
    if (p.team) this.add(out, this.byScope.team.get(p.team));
    return out;
  }

  private add(out: BudgetState[], list: BudgetState[] | undefined): void {
    if (list) for (const s of list) out.push(s);
  }

  /** Moves a budget into the period containing `now` when its period has ended. */
  private roll(st: BudgetState, now: number): void {
    if (now < st.period.end && now >= st.period.start) return;
    st.period = periodBounds(st.def.period, st.def.tz, now);
    st.spent = 0;
    st.reserved = 0;
    st.fired.clear();
    st.epoch++;
  }

  private checkAlerts(st: BudgetState, now: number): void {
    const limit = st.def.limitMicros;
    for (const pct of st.def.alertPcts) {
      if (st.spent * 100 < pct * limit) break; // ascending: no higher one is crossed either
      if (st.fired.has(pct)) continue;
      st.fired.add(pct);
      if (!this.deps.onAlert) continue;
      try {
        this.deps.onAlert({ budget: st.def, thresholdPct: pct, spentUsd: microsToUsd(st.spent), limitUsd: microsToUsd(limit), period: st.period, at: now });
      } catch (e) {
        this.deps.logger?.error({ err: (e as Error).message, budget: st.def.id }, 'budget alert handler failed');
      }
    }
  }

  private denial(st: BudgetState, micros: number, kind: 'reserve' | 'cut', ownReserved = 0): BudgetDenial {
    const def = st.def;
    const others = st.reserved - ownReserved;
    const left = Math.max(0, def.limitMicros - st.spent - others);
    const what = `hard ${def.period} budget for ${budgetTarget(def)} (${formatMicros(def.limitMicros)} per ${periodNoun(def.period)})`;
    const resets = `it resets at ${localTime(st.period.end, def.tz)}`;
    let message: string;
    if (kind === 'cut') {
      message = `${what} was reached while the response streamed: it was cut at ${formatMicros(micros)}; ${resets}`;
    } else if (left <= 0 || def.limitMicros - st.spent <= 0) {
      message = `${what} is used up (${formatMicros(st.spent)} spent${others > 0 ? `, ${formatMicros(others)} reserved by requests in flight` : ''}); ${resets}`;
    } else {
      message = `${what} has ${formatMicros(left)} left, and this request may cost up to ${formatMicros(micros)}${
        others > 0 ? ` (${formatMicros(others)} is reserved by requests in flight)` : ''
      }; lower max_tokens or wait: ${resets}`;
    }
    return {
      ok: false,
      budget: ref(def),
      remainingUsd: microsToUsd(left),
      spentUsd: microsToUsd(st.spent),
      reservedUsd: microsToUsd(others),
      requestedUsd: microsToUsd(micros),
      resetsAt: st.period.end,
      message,
    };
  }
}
