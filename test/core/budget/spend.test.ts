// The spend tracker against a real SQLite file: this day's, ISO week's and month's spend per key,
// project, user, team and overall, seeded from settled requests and kept current in memory across
// period boundaries, including a DST day.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Insertable } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpendTracker, type SpendPrincipal } from '../../../src/core/budget/spend.js';
import type { Clock } from '../../../src/core/deps.js';
import { WardenError } from '../../../src/core/errors.js';
import { openStore, type Store } from '../../../src/core/store/db.js';
import type { RequestsTable, VirtualKeysTable } from '../../../src/core/store/schema.js';

let dir: string;
let store: Store;
// A Tuesday: the ISO week began on Monday 2025-06-09, the month on 2025-06-01 (UTC).
const NOW = Date.parse('2025-06-10T12:00:00Z');
const H = 3_600_000;
const D = 24 * H;

class FakeClock implements Clock {
  constructor(public t: number) {}
  now() {
    return this.t;
  }
  monotonic() {
    return this.t;
  }
}

function req(id: string, started_at: number, over: Partial<RequestsTable> = {}): Insertable<RequestsTable> {
  return { id, started_at, status: 'ok', method: 'POST', path: '/v1/chat/completions', stream: 0, key_id: 'key_a', project: 'shop', cost_usd: 0.1, price_unknown: 0, ...over };
}

function key(id: string, over: Partial<VirtualKeysTable> = {}): VirtualKeysTable {
  return {
    id,
    name: null,
    project: 'shop',
    prefix: `wk_${id}`,
    hash: `hash_${id}`,
    created_at: 0,
    expires_at: null,
    revoked_at: null,
    replaced_by: null,
    session_id: null,
    user: null,
    team: null,
    tags: null,
    last_used_at: null,
    ...over,
  };
}

const ANN: SpendPrincipal = { keyId: 'key_a', project: 'shop', user: 'ann', team: 'pay' };
const ZERO = { daily: 0, weekly: 0, monthly: 0 };

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-spend-'));
  store = await openStore(path.join(dir, 'warden.db'), { migrate: true });
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('SpendTracker.load', () => {
  it('seeds each scope and period from settled requests, with user and team from the key', async () => {
    await store.db
      .insertInto('virtual_keys')
      .values([key('key_a', { user: 'ann', team: 'pay' }), key('key_b', { user: 'bob', team: 'pay' }), key('key_c', { project: 'docs', user: 'ann' })])
      .execute();
    await store.db
      .insertInto('requests')
      .values([
        req('today-a', NOW - 1 * H, { cost_usd: 0.1 }),
        req('today-b', NOW - 2 * H, { key_id: 'key_b', cost_usd: 0.2 }),
        req('today-c', NOW - 3 * H, { key_id: 'key_c', project: 'docs', cost_usd: 0.4 }),
        // Monday: this week and month, not today.
        req('monday', NOW - 1 * D, { cost_usd: 1 }),
        // Sunday: this month only.
        req('sunday', NOW - 2 * D, { cost_usd: 2 }),
        // May: none of the current periods.
        req('may', Date.parse('2025-05-31T23:59:59Z'), { cost_usd: 50 }),
        // In flight or unpriced: nothing.
        req('flight', NOW - 1 * H, { status: 'started', cost_usd: null }),
        req('unpriced', NOW - 1 * H, { cost_usd: null, price_unknown: 1 }),
        // Many tiny costs sum exactly.
        ...Array.from({ length: 10 }, (_, i) => req(`tiny${i}`, NOW - 4 * H, { key_id: 'key_b', cost_usd: 0.000001 })),
      ])
      .execute();

    const t = await SpendTracker.load(store.db, { clock: new FakeClock(NOW), tz: 'UTC' });
    expect(t.snapshot(ANN, NOW)).toEqual({
      key: { daily: 0.1, weekly: 1.1, monthly: 3.1 },
      project: { daily: 0.30001, weekly: 1.30001, monthly: 3.30001 },
      user: { daily: 0.5, weekly: 1.5, monthly: 3.5 },
      team: { daily: 0.30001, weekly: 1.30001, monthly: 3.30001 },
      global: { daily: 0.70001, weekly: 1.70001, monthly: 3.70001 },
    });
    expect(t.snapshot({ keyId: 'key_c', project: 'docs', user: 'ann' }, NOW)).toMatchObject({
      key: { daily: 0.4, weekly: 0.4, monthly: 0.4 },
      project: { daily: 0.4, weekly: 0.4, monthly: 0.4 },
      team: ZERO,
    });
  });

  it('starts at zero on an empty store and rejects an unknown time zone', async () => {
    const t = await SpendTracker.load(store.db, { clock: new FakeClock(NOW), tz: 'europe/paris' });
    expect(t.tz).toBe('Europe/Paris');
    expect(t.snapshot(ANN, NOW)).toEqual({ key: ZERO, project: ZERO, user: ZERO, team: ZERO, global: ZERO });
    await expect(SpendTracker.load(store.db, { clock: new FakeClock(NOW), tz: 'Mars/Olympus' })).rejects.toBeInstanceOf(WardenError);
  });
});

describe('SpendTracker', () => {
  it('adds settled costs to every scope of the principal, exactly, and ignores unknown or empty costs', () => {
    const t = new SpendTracker({ clock: new FakeClock(NOW), tz: 'UTC' });
    for (let i = 0; i < 10; i++) t.add(ANN, 0.1, NOW);
    t.add(ANN, null, NOW);
    t.add(ANN, 0, NOW);
    t.add(ANN, -3, NOW);
    t.add(ANN, Number.NaN, NOW);
    t.add({ project: 'shop' }, 0.25, NOW);
    const s = t.snapshot(ANN, NOW);
    expect(s.key).toEqual({ daily: 1, weekly: 1, monthly: 1 });
    expect(s.project).toEqual({ daily: 1.25, weekly: 1.25, monthly: 1.25 });
    expect(s.global).toEqual({ daily: 1.25, weekly: 1.25, monthly: 1.25 });
    // Unset scopes of the principal read as zero; other principals see only their own scopes.
    expect(t.snapshot({ project: 'shop' }, NOW)).toEqual({ key: ZERO, project: s.project, user: ZERO, team: ZERO, global: s.global });
    expect(t.snapshot({ keyId: 'key_z', team: 'pay' }, NOW).team).toEqual({ daily: 1, weekly: 1, monthly: 1 });
  });

  it('counts a request in the periods it started in, and rolls each period over at its boundary', () => {
    const t = new SpendTracker({ clock: new FakeClock(NOW), tz: 'UTC' });
    t.add(ANN, 1, NOW);
    // Started on Monday, settled on Tuesday: this week's and month's, not today's.
    t.add(ANN, 2, NOW - 1 * D);
    // Started last month: nothing current.
    t.add(ANN, 50, Date.parse('2025-05-20T00:00:00Z'));
    expect(t.snapshot(ANN, NOW).user).toEqual({ daily: 1, weekly: 3, monthly: 3 });

    // Wednesday: a new day, same week and month.
    const wed = Date.parse('2025-06-11T00:00:00Z');
    expect(t.snapshot(ANN, wed - 1).user).toEqual({ daily: 1, weekly: 3, monthly: 3 });
    expect(t.snapshot(ANN, wed).user).toEqual({ daily: 0, weekly: 3, monthly: 3 });
    // A late settle of a request that started on Tuesday no longer counts for the day.
    t.add(ANN, 4, wed - H);
    expect(t.snapshot(ANN, wed).user).toEqual({ daily: 0, weekly: 7, monthly: 7 });
    t.add(ANN, 0.5, wed + H);
    // Next Monday: a new ISO week.
    const mon = Date.parse('2025-06-16T00:00:00Z');
    expect(t.snapshot(ANN, mon).global).toEqual({ daily: 0, weekly: 0, monthly: 7.5 });
    // July: all periods are new, and values idle this month are forgotten.
    expect(t.snapshot(ANN, Date.parse('2025-07-01T00:00:00Z')).global).toEqual(ZERO);
    expect(t.sizes()).toEqual({ key: 0, project: 0, user: 0, team: 0 });
    // A clock stepping back keeps reading the latest periods.
    expect(t.snapshot(ANN, mon).global).toEqual(ZERO);
  });

  it('rolls over on the local calendar across a DST change (New York, 23-hour 2025-03-09)', () => {
    // 2025-03-09 (a Sunday) begins at 05:00Z (EST) and ends at 04:00Z on the 10th (EDT).
    const sunNoon = Date.parse('2025-03-09T17:00:00Z');
    const t = new SpendTracker({ clock: new FakeClock(sunNoon), tz: 'America/New_York' });
    t.add(ANN, 1, Date.parse('2025-03-09T05:00:00Z')); // 00:00 EST: Sunday
    t.add(ANN, 2, Date.parse('2025-03-09T04:59:59Z')); // 23:59 EST on Saturday: same week, not today
    t.add(ANN, 4, Date.parse('2025-03-10T03:30:00Z')); // 23:30 EDT: still Sunday
    expect(t.snapshot(ANN, Date.parse('2025-03-10T03:59:59Z')).key).toEqual({ daily: 5, weekly: 7, monthly: 7 });
    // 04:30Z is 00:30 EDT on Monday (a fixed EST offset would still say Sunday 23:30): new day and ISO week.
    const monday = Date.parse('2025-03-10T04:30:00Z');
    t.add(ANN, 8, monday);
    expect(t.snapshot(ANN, monday).key).toEqual({ daily: 8, weekly: 8, monthly: 15 });
  });

  it('keeps at most maxValuesPerScope values per scope, forgetting the least recently charged', () => {
    const t = new SpendTracker({ clock: new FakeClock(NOW), tz: 'UTC', maxValuesPerScope: 2 });
    t.add({ keyId: 'k1' }, 1, NOW);
    t.add({ keyId: 'k2' }, 2, NOW);
    t.add({ keyId: 'k1' }, 1, NOW); // k1 is now the most recent
    t.add({ keyId: 'k3' }, 3, NOW);
    expect(t.sizes().key).toBe(2);
    expect(t.snapshot({ keyId: 'k1' }, NOW).key.daily).toBe(2);
    expect(t.snapshot({ keyId: 'k2' }, NOW).key.daily).toBe(0);
    expect(t.snapshot({ keyId: 'k3' }, NOW).key.daily).toBe(3);
    // The global total is not a per-value counter: nothing is lost there.
    expect(t.snapshot({}, NOW).global.daily).toBe(7);
  });
});
