// Spend so far in the current calendar day, ISO week and month, per scope of a principal (key,
// project, user, team, global): the `spend` field of the policy input. Seeded once from the store's
// settled requests, then kept in memory as integer micro-dollars, so a lookup on the request path is
// a few map reads and never touches the disk. Only the current periods are kept: a counter of an
// older period reads as 0 and is reset on its next charge.
import type { Kysely } from 'kysely';
import type { Clock } from '../deps.js';
import type { SpendPeriods, SpendScope } from '../policy/decision.js';
import type { Database } from '../store/schema.js';
import { spendGroups, type SpendGroup } from '../store/repos/budgets.js';
import { microsToUsd, usdToMicros } from './money.js';
import { BUDGET_PERIODS, periodBounds, validateTimeZone } from './period.js';

/** Who a request is charged to. Unset fields are charged nothing (global always is). */
export interface SpendPrincipal {
  keyId?: string | null;
  project?: string | null;
  user?: string | null;
  team?: string | null;
}

export type SpendSnapshot = Record<SpendScope, SpendPeriods>;

export interface SpendTrackerOptions {
  clock: Pick<Clock, 'now'>;
  /** IANA time zone the calendar periods are aligned to. */
  tz: string;
  /**
   * Distinct values kept per scope (keys, projects, users, teams); default 50,000. Past it, the
   * value charged least recently is forgotten (its spend then reads as 0 until charged again).
   */
  maxValuesPerScope?: number;
}

/** The scopes keyed by a value, in the order of SpendPrincipal's fields. */
const VALUE_SCOPES = ['key', 'project', 'user', 'team'] as const;
type ValueScope = (typeof VALUE_SCOPES)[number];

/** Index 0 daily, 1 weekly, 2 monthly (BUDGET_PERIODS order). */
const N_PERIODS = BUDGET_PERIODS.length;

/** One scope value's spend: per period, the start of the period counted and micro-dollars in it. */
interface Counter {
  starts: number[];
  micros: number[];
}

const DEFAULT_MAX_VALUES = 50_000;

function newCounter(): Counter {
  return { starts: [NaN, NaN, NaN], micros: [0, 0, 0] };
}

export class SpendTracker {
  readonly tz: string;
  private readonly maxValues: number;
  /** Current period bounds, per period index; they only move forward. */
  private readonly starts: number[] = [];
  private readonly ends: number[] = [];
  private readonly global = newCounter();
  /** Per scope: value → counter; Map order is charge recency (least recent first). */
  private readonly byScope: Record<ValueScope, Map<string, Counter>> = {
    key: new Map(),
    project: new Map(),
    user: new Map(),
    team: new Map(),
  };
  /** Scratch: which periods the request being charged counts in. */
  private readonly inPeriod: boolean[] = [false, false, false];

  constructor(opts: SpendTrackerOptions) {
    this.tz = validateTimeZone(opts.tz, 'spend time zone');
    this.maxValues = Math.max(1, opts.maxValuesPerScope ?? DEFAULT_MAX_VALUES);
    const now = opts.clock.now();
    for (let i = 0; i < N_PERIODS; i++) {
      const b = periodBounds(BUDGET_PERIODS[i], this.tz, now);
      this.starts.push(b.start);
      this.ends.push(b.end);
    }
  }

  /**
   * A tracker holding the current periods' settled spend from the `requests` table (rows with a
   * cost; rows still in flight are counted when they settle through add()). User and team come
   * from the request's virtual key. Call it before requests flow, or flush the writer first.
   */
  static async load(db: Kysely<Database>, opts: SpendTrackerOptions): Promise<SpendTracker> {
    const t = new SpendTracker(opts);
    for (let i = 0; i < N_PERIODS; i++) {
      for (const g of await spendGroups(db, t.starts[i], t.ends[i])) t.seed(i, g);
    }
    return t;
  }

  /**
   * Charges a settled request's cost to every scope of `principal`, in the periods that contain
   * `startedAtMs` (the instant the request started: a request settling after midnight counts for
   * the day it started). A cost that is null, not finite or ≤ 0 adds nothing; a request that
   * started before a current period adds nothing to that period.
   */
  add(principal: SpendPrincipal, usd: number | null, startedAtMs: number): void {
    if (usd === null || !Number.isFinite(startedAtMs)) return;
    const micros = usdToMicros(usd);
    if (micros <= 0) return;
    this.advance(startedAtMs);
    let any = false;
    for (let i = 0; i < N_PERIODS; i++) {
      const hit = startedAtMs >= this.starts[i];
      this.inPeriod[i] = hit;
      any ||= hit;
    }
    if (!any) return;
    this.charge(this.global, micros);
    this.chargeValue('key', principal.keyId, micros);
    this.chargeValue('project', principal.project, micros);
    this.chargeValue('user', principal.user, micros);
    this.chargeValue('team', principal.team, micros);
  }

  /**
   * USD spent so far in the periods containing `nowMs`, per scope of `principal` (0 for an unset
   * scope). Moves to new periods by itself once `nowMs` passes a boundary; a clock that steps back
   * reads the latest periods seen.
   */
  snapshot(principal: SpendPrincipal, nowMs: number): SpendSnapshot {
    this.advance(nowMs);
    return {
      key: this.read(this.valueCounter('key', principal.keyId)),
      project: this.read(this.valueCounter('project', principal.project)),
      user: this.read(this.valueCounter('user', principal.user)),
      team: this.read(this.valueCounter('team', principal.team)),
      global: this.read(this.global),
    };
  }

  /** Distinct values tracked per scope (for tests and status). */
  sizes(): Record<ValueScope, number> {
    return { key: this.byScope.key.size, project: this.byScope.project.size, user: this.byScope.user.size, team: this.byScope.team.size };
  }

  /** Rolls any period whose end `t` has reached over to the one containing `t`. */
  private advance(t: number): void {
    let rolled = false;
    for (let i = 0; i < N_PERIODS; i++) {
      if (t < this.ends[i]) continue;
      const b = periodBounds(BUDGET_PERIODS[i], this.tz, t);
      this.starts[i] = b.start;
      this.ends[i] = b.end;
      rolled = true;
    }
    if (rolled) this.sweep();
  }

  /**
   * Forgets values with nothing in any current period. Runs on a rollover (at most a few times a
   * day), so memory holds only values active this month.
   */
  private sweep(): void {
    for (const s of VALUE_SCOPES) {
      const m = this.byScope[s];
      for (const [v, c] of m) if (!this.live(c)) m.delete(v);
    }
  }

  private live(c: Counter): boolean {
    for (let i = 0; i < N_PERIODS; i++) if (c.starts[i] === this.starts[i] && c.micros[i] > 0) return true;
    return false;
  }

  private valueCounter(scope: ValueScope, value: string | null | undefined): Counter | undefined {
    return value === null || value === undefined ? undefined : this.byScope[scope].get(value);
  }

  private chargeValue(scope: ValueScope, value: string | null | undefined, micros: number): void {
    if (value === null || value === undefined) return;
    const m = this.byScope[scope];
    let c = m.get(value);
    if (c) m.delete(value); // re-inserted below: Map order is recency
    else {
      c = newCounter();
      if (m.size >= this.maxValues) m.delete(m.keys().next().value as string);
    }
    m.set(value, c);
    this.charge(c, micros);
  }

  /** Adds `micros` to the periods flagged in `inPeriod`, resetting a counter of an older period. */
  private charge(c: Counter, micros: number): void {
    for (let i = 0; i < N_PERIODS; i++) {
      if (!this.inPeriod[i]) continue;
      if (c.starts[i] !== this.starts[i]) {
        c.starts[i] = this.starts[i];
        c.micros[i] = 0;
      }
      c.micros[i] += micros;
    }
  }

  private read(c: Counter | undefined): SpendPeriods {
    if (!c) return { daily: 0, weekly: 0, monthly: 0 };
    const at = (i: number) => (c.starts[i] === this.starts[i] ? microsToUsd(c.micros[i]) : 0);
    return { daily: at(0), weekly: at(1), monthly: at(2) };
  }

  /** Adds a store group's spend to period `i` only. */
  private seed(i: number, g: SpendGroup): void {
    if (g.micros <= 0) return;
    for (let j = 0; j < N_PERIODS; j++) this.inPeriod[j] = j === i;
    this.charge(this.global, g.micros);
    this.chargeValue('key', g.key_id, g.micros);
    this.chargeValue('project', g.project, g.micros);
    this.chargeValue('user', g.user, g.micros);
    this.chargeValue('team', g.team, g.micros);
  }
}
