import { describe, expect, it } from 'vitest';
import type { BudgetDefinition } from '../../../src/core/budget/definition.js';
import { BudgetLedger, type BudgetAlert, type BudgetDenial, type Reservation } from '../../../src/core/budget/ledger.js';
import type { Clock } from '../../../src/core/deps.js';

class FakeClock implements Clock {
  constructor(public t: number) {}
  now() {
    return this.t;
  }
  monotonic() {
    return this.t;
  }
}

const T0 = Date.parse('2025-03-10T12:00:00Z');

function budget(over: Partial<BudgetDefinition> & Pick<BudgetDefinition, 'id'>): BudgetDefinition {
  return {
    scope: 'project',
    name: 'p',
    period: 'daily',
    limitMicros: 1_000_000,
    hard: true,
    alertPcts: [],
    tz: 'UTC',
    webhookUrl: null,
    createdAt: 0,
    updatedAt: 0,
    ...over,
  };
}

function setup(...defs: BudgetDefinition[]) {
  const clock = new FakeClock(T0);
  const alerts: BudgetAlert[] = [];
  const ledger = new BudgetLedger({ clock, onAlert: (a) => alerts.push(a) });
  for (const d of defs) ledger.set(d);
  const snap = (id: string) => {
    const s = ledger.snapshot().find((x) => x.def.id === id);
    if (!s) throw new Error(`no budget ${id}`);
    return s;
  };
  return { clock, ledger, alerts, snap };
}

function ok(r: ReturnType<BudgetLedger['reserve']>): Reservation {
  if (!r.ok) throw new Error(`expected a reservation, got: ${r.message}`);
  return r.reservation;
}

function denied(r: ReturnType<BudgetLedger['reserve']>): BudgetDenial {
  if (r.ok) throw new Error('expected a denial');
  return r;
}

const P = { keyId: 'key_1', project: 'p', user: 'ann', team: 'pay' };

describe('budget ledger', () => {
  it('50 concurrent requests against a hard budget that fits 10: exactly 10 pass and spend never exceeds the limit', async () => {
    const { ledger, snap } = setup(budget({ id: 'b', limitMicros: 1_000_000 }));
    let granted = 0;
    const denials: string[] = [];
    let maxCommitted = 0;
    const request = async (i: number) => {
      // Arrive in a scrambled order across event-loop turns, like proxied requests do.
      for (let k = 0; k < i % 7; k++) await new Promise((r) => setImmediate(r));
      const r = ledger.reserve(P, 0.1);
      if (!r.ok) {
        denials.push(r.message);
        return;
      }
      granted++;
      const s = snap('b');
      maxCommitted = Math.max(maxCommitted, s.spentMicros + s.reservedMicros);
      for (let k = 0; k < (i * 3) % 5; k++) await new Promise((r) => setImmediate(r));
      ledger.settle(r.reservation, 0.1);
    };
    await Promise.all(Array.from({ length: 50 }, (_, i) => request(i)));
    expect(granted).toBe(10);
    expect(denials).toHaveLength(40);
    expect(denials[0]).toMatch(/hard daily budget for project:p \(\$1\.00 per day\)/);
    expect(maxCommitted).toBeLessThanOrEqual(1_000_000);
    const s = snap('b');
    expect(s.spentMicros).toBe(1_000_000);
    expect(s.reservedMicros).toBe(0);
  });

  it('a denial says how much is left, what the request may cost, and when the budget resets', () => {
    const { ledger } = setup(budget({ id: 'b', limitMicros: 1_000_000, tz: 'Europe/Paris' }));
    ledger.settle(ok(ledger.reserve(P, 0.7)), 0.7);
    const held = ok(ledger.reserve(P, 0.1));
    const d = denied(ledger.reserve(P, 0.5));
    expect(d.remainingUsd).toBeCloseTo(0.2, 9);
    expect(d.spentUsd).toBeCloseTo(0.7, 9);
    expect(d.reservedUsd).toBeCloseTo(0.1, 9);
    expect(d.requestedUsd).toBe(0.5);
    expect(d.budget).toMatchObject({ id: 'b', scope: 'project', name: 'p', period: 'daily', hard: true, limitUsd: 1 });
    expect(d.message).toBe(
      'hard daily budget for project:p ($1.00 per day) has $0.20 left, and this request may cost up to $0.50 ($0.10 is reserved by requests in flight); lower max_tokens or wait: it resets at 2025-03-11 00:00 Europe/Paris',
    );
    expect(d.resetsAt).toBe(Date.parse('2025-03-10T23:00:00Z'));
    ledger.release(held);
    ledger.settle(ok(ledger.reserve(P, 0.3)), 0.3);
    // Used up: even a request that claims to cost nothing is refused.
    const used = denied(ledger.reserve(P, 0));
    expect(used.remainingUsd).toBe(0);
    expect(used.message).toMatch(/is used up \(\$1\.00 spent\)/);
  });

  it('checks every matching hard budget and reserves in all or none', () => {
    const { ledger, snap } = setup(
      budget({ id: 'proj', scope: 'project', name: 'p', limitMicros: 10_000_000 }),
      budget({ id: 'user', scope: 'user', name: 'ann', limitMicros: 500_000 }),
      budget({ id: 'team', scope: 'team', name: 'pay', limitMicros: 10_000_000, hard: false }),
      budget({ id: 'glob', scope: 'global', name: '*', limitMicros: 10_000_000 }),
      budget({ id: 'other', scope: 'project', name: 'q', limitMicros: 1 }),
    );
    const r = ok(ledger.reserve(P, 0.4));
    expect(r.budgets).toBe(4);
    expect(snap('proj').reservedMicros).toBe(400_000);
    expect(snap('team').reservedMicros).toBe(400_000); // soft budgets show what is in flight too
    const d = denied(ledger.reserve(P, 0.2));
    expect(d.budget.id).toBe('user');
    // Nothing was reserved by the refused request anywhere.
    for (const id of ['proj', 'user', 'team', 'glob']) expect(snap(id).reservedMicros).toBe(400_000);
    expect(snap('other').reservedMicros).toBe(0);
    // A request of another user in the same project is not held by ann's budget.
    ok(ledger.reserve({ ...P, user: 'bob' }, 0.2));
  });

  it('settles to the actual cost, even above the reservation, and release frees it without spend', () => {
    const { ledger, snap } = setup(budget({ id: 'b', limitMicros: 1_000_000 }));
    const a = ok(ledger.reserve(P, 0.2));
    const b = ok(ledger.reserve(P, 0.2));
    ledger.settle(a, 0.35);
    ledger.settle(a, 0.35); // settling twice counts once
    ledger.release(b);
    ledger.release(b);
    expect(snap('b')).toMatchObject({ spentMicros: 350_000, reservedMicros: 0 });
  });

  it('soft budgets never deny, and alert once per threshold per period', () => {
    const { ledger, alerts, clock, snap } = setup(budget({ id: 's', hard: false, limitMicros: 1_000_000, alertPcts: [50, 80, 100, 150] }));
    for (let i = 0; i < 20; i++) ledger.settle(ok(ledger.reserve(P, 0.1)), 0.1);
    expect(snap('s').spentMicros).toBe(2_000_000);
    expect(alerts.map((a) => a.thresholdPct)).toEqual([50, 80, 100, 150]);
    expect(alerts[0]).toMatchObject({ spentUsd: 0.5, limitUsd: 1, budget: { id: 's' } });
    expect(alerts[0].period.label).toBe('2025-03-10');
    // Next day: a new period, spend restarts, alerts fire again.
    clock.t = Date.parse('2025-03-11T00:00:00Z');
    expect(snap('s')).toMatchObject({ spentMicros: 0, alertsFired: [] });
    ledger.settle(ok(ledger.reserve(P, 0.6)), 0.6);
    expect(alerts.map((a) => a.thresholdPct)).toEqual([50, 80, 100, 150, 50]);
  });

  it('a crossing of several thresholds by one request fires each of them', () => {
    const { ledger, alerts } = setup(budget({ id: 'h', limitMicros: 1_000_000, alertPcts: [50, 80, 100] }));
    ledger.settle(ok(ledger.reserve(P, 0.5)), 1.2);
    expect(alerts.map((a) => a.thresholdPct)).toEqual([50, 80, 100]);
  });

  it('a reservation from a period that has ended settles into nothing in the new one', () => {
    const { ledger, clock, snap } = setup(budget({ id: 'b', limitMicros: 1_000_000 }));
    const r = ok(ledger.reserve(P, 0.9));
    clock.t = Date.parse('2025-03-11T00:00:01Z');
    // The new day's full limit is available despite the reservation still open.
    const fresh = ok(ledger.reserve(P, 1));
    ledger.settle(r, 0.9);
    expect(snap('b')).toMatchObject({ spentMicros: 0, reservedMicros: 1_000_000 });
    ledger.settle(fresh, 0.25);
    expect(snap('b')).toMatchObject({ spentMicros: 250_000, reservedMicros: 0 });
  });

  it('wouldExceed lets a stream run within its reservation and stops it when the hard budget would be crossed', () => {
    const { ledger } = setup(budget({ id: 'b', limitMicros: 1_000_000 }));
    ledger.settle(ok(ledger.reserve(P, 0.5)), 0.5);
    const other = ok(ledger.reserve(P, 0.2));
    const r = ok(ledger.reserve(P, 0.1));
    expect(ledger.wouldExceed(r, 0.1)).toBeNull();
    expect(ledger.wouldExceed(r, 0.3)).toBeNull(); // 0.5 spent + 0.2 reserved + 0.3 = 1.0
    const cut = ledger.wouldExceed(r, 0.31);
    expect(cut?.budget.id).toBe('b');
    expect(cut?.message).toMatch(/was reached while the response streamed: it was cut at \$0\.31/);
    ledger.release(other);
    expect(ledger.wouldExceed(r, 0.5)).toBeNull();
  });

  it('an update keeps this period\'s spend; a new zone or a removal starts over', () => {
    const { ledger, snap } = setup(budget({ id: 'b', limitMicros: 1_000_000 }));
    ledger.settle(ok(ledger.reserve(P, 0.4)), 0.4);
    ledger.set(budget({ id: 'b', limitMicros: 500_000 }));
    expect(snap('b').spentMicros).toBe(400_000);
    expect(denied(ledger.reserve(P, 0.2)).remainingUsd).toBeCloseTo(0.1, 9);
    const open = ok(ledger.reserve(P, 0.05));
    ledger.set(budget({ id: 'b', limitMicros: 500_000, tz: 'Asia/Tokyo' }), { periodStart: 0, spentMicros: 123 });
    expect(snap('b')).toMatchObject({ spentMicros: 0, reservedMicros: 0 }); // the seed was for another period
    ledger.settle(open, 0.05); // belongs to the replaced state: no effect
    expect(snap('b').reservedMicros).toBe(0);
    expect(ledger.remove('b')).toBe(true);
    expect(ok(ledger.reserve(P, 100)).budgets).toBe(0);
  });

  it('starts from a seed computed for the current period, with its fired alerts', () => {
    const clock = new FakeClock(T0);
    const alerts: BudgetAlert[] = [];
    const ledger = new BudgetLedger({ clock, onAlert: (a) => alerts.push(a) });
    ledger.set(budget({ id: 'b', alertPcts: [50, 90] }), { periodStart: Date.parse('2025-03-10T00:00:00Z'), spentMicros: 950_000, alertsFired: [50] });
    // 50 % was already alerted before the restart; 90 % had not been.
    expect(alerts.map((a) => a.thresholdPct)).toEqual([90]);
    expect(denied(ledger.reserve(P, 0.1)).remainingUsd).toBeCloseTo(0.05, 9);
  });

  it('record adds spend without a reservation; principals without a scope value match nothing of it', () => {
    const { ledger, snap } = setup(budget({ id: 'u', scope: 'user', name: 'ann', hard: false }));
    ledger.record({ project: 'p', user: 'ann' }, 0.25);
    ledger.record({ project: 'p', user: null }, 5);
    expect(snap('u').spentMicros).toBe(250_000);
    expect(ledger.snapshotFor({ user: 'ann' }).map((s) => s.def.id)).toEqual(['u']);
  });

  it('a throwing alert handler never breaks a request', () => {
    const clock = new FakeClock(T0);
    const ledger = new BudgetLedger({
      clock,
      onAlert: () => {
        throw new Error('boom');
      },
    });
    ledger.set(budget({ id: 'b', alertPcts: [10] }));
    expect(() => ledger.settle(ok(ledger.reserve(P, 0.2)), 0.2)).not.toThrow();
  });
});
