// The budget service against a real SQLite file: spend at start comes from the requests table (per
// key, project, user and team), set/rm are stored and audited, alerts are persisted and fire once.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Insertable } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BudgetService, type BudgetServiceDeps } from '../../../src/core/budget/service.js';
import { budgetInputFromBody } from '../../../src/core/budget/definition.js';
import type { Clock } from '../../../src/core/deps.js';
import { WardenError } from '../../../src/core/errors.js';
import { openStore, type Store } from '../../../src/core/store/db.js';
import type { RequestsTable, VirtualKeysTable } from '../../../src/core/store/schema.js';
import { silentLogger } from '../../../src/core/util/logger.js';

let dir: string;
let store: Store;
const NOW = Date.parse('2025-06-10T12:00:00Z');
const H = 3_600_000;

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

interface AuditCall {
  type: string;
  subject: string | null;
  data: Record<string, unknown>;
  actor: string;
}

function deps(clock: Clock, audits: AuditCall[], extra: Partial<BudgetServiceDeps> = {}): BudgetServiceDeps {
  return {
    db: store.db,
    clock,
    logger: silentLogger,
    fetch,
    audit: (type, subject, data, actor) => audits.push({ type, subject, data, actor }),
    defer: (fn) => fn(),
    ...extra,
  };
}

const input = (body: Record<string, unknown>) => budgetInputFromBody(body);

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-budget-'));
  store = await openStore(path.join(dir, 'warden.db'), { migrate: true });
  await store.db
    .insertInto('virtual_keys')
    .values([key('key_a', { user: 'ann', team: 'pay', name: 'ci' }), key('key_b', { user: 'bob', team: 'pay' }), key('key_c', { project: 'docs', user: 'ann' })])
    .execute();
  await store.db
    .insertInto('requests')
    .values([
      req('r1', NOW - 1 * H, { cost_usd: 0.1 }),
      req('r2', NOW - 2 * H, { key_id: 'key_b', cost_usd: 0.2 }),
      req('r3', NOW - 3 * H, { key_id: 'key_c', project: 'docs', cost_usd: 0.4 }),
      // Yesterday (UTC): outside today's period.
      req('r4', NOW - 13 * H, { cost_usd: 5 }),
      // In flight or unpriced: counts nothing.
      req('r5', NOW - 1 * H, { status: 'started', cost_usd: null }),
      req('r6', NOW - 1 * H, { cost_usd: null, price_unknown: 1 }),
      // Many tiny costs sum exactly.
      ...Array.from({ length: 10 }, (_, i) => req(`t${i}`, NOW - 4 * H, { key_id: 'key_b', cost_usd: 0.000001 })),
    ])
    .execute();
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('budget service', () => {
  it('computes each budget\'s spend in its current period from the requests table, per scope', async () => {
    const audits: AuditCall[] = [];
    const clock = new FakeClock(NOW);
    const svc = await BudgetService.start(deps(clock, audits));
    await svc.set(input({ scope: 'global', period: 'daily', amount_usd: '10', tz: 'UTC' }));
    await svc.set(input({ scope: 'project', name: 'shop', period: 'daily', amount_usd: '10', tz: 'UTC' }));
    await svc.set(input({ scope: 'user', name: 'ann', period: 'daily', amount_usd: '10', tz: 'UTC' }));
    await svc.set(input({ scope: 'team', name: 'pay', period: 'daily', amount_usd: '10', tz: 'UTC' }));
    await svc.set(input({ scope: 'key', name: 'ci', period: 'daily', amount_usd: '10', tz: 'UTC' }));
    // In New York, "today" began at 04:00Z, and yesterday's 23:00Z request (r4) belongs to it.
    await svc.set(input({ scope: 'project', name: 'shop', period: 'monthly', amount_usd: '100', tz: 'America/New_York' }));

    const check = (s: BudgetService) => {
      const by = Object.fromEntries(s.status().map((b) => [`${b.target}:${b.period}`, b.spent_usd]));
      expect(by).toEqual({
        'global:daily': 0.70001,
        'project:shop:daily': 0.30001,
        'user:ann:daily': 0.5,
        'team:pay:daily': 0.30001,
        'key:key_a:daily': 0.1,
        'project:shop:monthly': 5.30001,
      });
    };
    check(svc);
    // A restart reads the same from the store.
    check(await BudgetService.start(deps(clock, [])));
    const keyBudget = svc.status().find((b) => b.scope === 'key');
    expect(keyBudget?.name).toBe('key_a'); // set by key name, stored by id
  });

  it('set creates then updates (keeping unspecified fields and this period\'s spend); both are audited by the admin', async () => {
    const audits: AuditCall[] = [];
    const svc = await BudgetService.start(deps(new FakeClock(NOW), audits, { defaultTz: 'Europe/Paris' }));
    const a = await svc.set(input({ scope: 'project', name: 'shop', period: 'daily', amount_usd: '10', hard: true, webhook_url: 'https://hooks.example.com/T/secret' }));
    expect(a).toMatchObject({ created: true, hard: true, tz: 'Europe/Paris', alert_pcts: [80, 100], webhook: 'https://hooks.example.com/…', limit_usd: 10 });
    const r = svc.ledger.reserve({ keyId: 'key_a', project: 'shop' }, 0.2);
    expect(r.ok).toBe(true);
    const b = await svc.set(input({ scope: 'project', name: 'shop', period: 'daily', amount_usd: '12.5' }));
    expect(b).toMatchObject({ created: false, id: a.id, hard: true, tz: 'Europe/Paris', webhook: 'https://hooks.example.com/…', limit_usd: 12.5 });
    // The day in Paris began at 22:00Z yesterday, so r4 (23:00Z) counts.
    expect(b.spent_usd).toBeCloseTo(5.30001, 9);
    expect(b.reserved_usd).toBeCloseTo(0.2, 9);
    expect(audits.map((x) => [x.type, x.actor])).toEqual([
      ['budget.set', 'admin'],
      ['budget.set', 'admin'],
    ]);
    expect(audits[1].data).toMatchObject({ created: false, limit_usd: 12.5, previous: { limit_usd: 10 } });
    expect(JSON.stringify(audits)).not.toContain('secret');
    const row = await store.db.selectFrom('budgets').selectAll().where('id', '=', a.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ limit_micros: 12_500_000, hard: 1, webhook_url: 'https://hooks.example.com/T/secret', tz: 'Europe/Paris' });
  });

  it('rm finds a budget by id, scope:name, scope:name:period or a unique name, and says when a reference is ambiguous', async () => {
    const audits: AuditCall[] = [];
    const svc = await BudgetService.start(deps(new FakeClock(NOW), audits));
    const daily = await svc.set(input({ scope: 'project', name: 'shop', period: 'daily', amount_usd: '1' }));
    await svc.set(input({ scope: 'project', name: 'shop', period: 'monthly', amount_usd: '10' }));
    await svc.set(input({ scope: 'user', name: 'ann', period: 'weekly', amount_usd: '3' }));
    const g = await svc.set(input({ scope: 'global', period: 'monthly', amount_usd: '50' }));
    await expect(svc.remove('project:shop')).rejects.toThrow(/"project:shop" matches 2 budgets/);
    await expect(svc.remove('nothing')).rejects.toMatchObject({ code: 'not_found' });
    expect((await svc.remove('project:shop:monthly')).period).toBe('monthly');
    expect((await svc.remove('ann')).target).toBe('user:ann');
    expect((await svc.remove('global')).id).toBe(g.id);
    expect((await svc.remove(daily.id)).removed).toBe(true);
    expect(svc.status()).toEqual([]);
    expect(await store.db.selectFrom('budgets').selectAll().execute()).toEqual([]);
    expect(audits.filter((a) => a.type === 'budget.removed')).toHaveLength(4);
  });

  it('a key budget names an existing key; an unknown one is a not_found error', async () => {
    const svc = await BudgetService.start(deps(new FakeClock(NOW), []));
    const e = await svc.set(input({ scope: 'key', name: 'key_zzz', period: 'daily', amount_usd: '1' })).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(WardenError);
    expect((e as WardenError).code).toBe('not_found');
    expect((await svc.set(input({ scope: 'key', name: 'wk_key_b', period: 'daily', amount_usd: '1' }))).name).toBe('key_b');
  });

  it('alerts become audit events and stored marks, so a restart in the same period does not fire them again', async () => {
    const audits: AuditCall[] = [];
    const clock = new FakeClock(NOW);
    const svc = await BudgetService.start(deps(clock, audits));
    await svc.set(input({ scope: 'project', name: 'docs', period: 'daily', amount_usd: '1', alert_pcts: [50, 90], tz: 'UTC' }));
    // 0.40 already spent: nothing crossed yet.
    expect(audits.filter((a) => a.type === 'budget.alert')).toHaveLength(0);
    const r = svc.ledger.reserve({ keyId: 'key_c', project: 'docs' }, 0.2);
    if (!r.ok) throw new Error(r.message);
    svc.ledger.settle(r.reservation, 0.15);
    const fired = audits.filter((a) => a.type === 'budget.alert');
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ actor: 'warden', data: { threshold_pct: 50, spent_usd: 0.55, limit_usd: 1, period_label: '2025-06-10' } });
    await new Promise((r) => setImmediate(r));
    const rows = await store.db.selectFrom('budget_alerts').selectAll().execute();
    expect(rows).toMatchObject([{ threshold_pct: 50, period_start: Date.parse('2025-06-10T00:00:00Z'), spent_micros: 550_000, limit_micros: 1_000_000 }]);

    // Restart: the request row now carries the settled cost; 50 % is remembered as fired.
    await store.db.insertInto('requests').values(req('r9', NOW, { key_id: 'key_c', project: 'docs', cost_usd: 0.15 })).execute();
    const audits2: AuditCall[] = [];
    const svc2 = await BudgetService.start(deps(clock, audits2));
    expect(svc2.status()[0]).toMatchObject({ spent_usd: 0.55, alerts_crossed: [50], state: 'alerting' });
    expect(audits2).toHaveLength(0);
  });

  it('an alert with a webhook POSTs it through the injected fetch and audits the outcome without the URL path', async () => {
    const audits: AuditCall[] = [];
    const posted: { url: string; body: string }[] = [];
    const fakeFetch: typeof fetch = async (url, init) => {
      posted.push({ url: String(url), body: String(init?.body) });
      return new Response(null, { status: 200 });
    };
    const svc = await BudgetService.start(deps(new FakeClock(NOW), audits, { fetch: fakeFetch }));
    await svc.set(input({ scope: 'project', name: 'docs', period: 'daily', amount_usd: '0.5', alert_pcts: [50], tz: 'UTC', webhook_url: 'https://hooks.example.com/T/secret' }));
    await svc.webhooks.idle();
    expect(posted).toHaveLength(1);
    expect(posted[0].url).toBe('https://hooks.example.com/T/secret');
    expect(JSON.parse(posted[0].body)).toMatchObject({ type: 'warden.budget.alert', threshold_pct: 50, spent_usd: 0.4 });
    const hook = audits.find((a) => a.type === 'budget.webhook');
    expect(hook?.data).toMatchObject({ ok: true, status: 200, webhook: 'https://hooks.example.com/…' });
    expect(JSON.stringify(audits)).not.toContain('secret');
  });
});
