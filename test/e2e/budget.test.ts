// `warden budget set|list|rm|status` through the real CLI and the real daemon: validation errors
// name the flag (exit 2, no daemon started), spend at start comes from the requests table, changes
// and alerts are audited, and an alert's webhook reaches a real HTTP server.
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BudgetInfo, BudgetStatusInfo } from '../../src/core/protocol/api.js';
import { auditEventsFor, cli, cliJson, makeHome, startWarden, stopWarden, waitFor, type Warden } from './harness.js';

const homes: string[] = [];
const wardens: Warden[] = [];
let hookServer: http.Server;
let hookUrl: string;
const hooks: { url: string; body: string }[] = [];

beforeAll(async () => {
  hookServer = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      hooks.push({ url: req.url ?? '', body });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const w of wardens) await stopWarden(w).catch(() => undefined);
  for (const h of homes) fs.rmSync(h, { recursive: true, force: true });
  hookServer.closeAllConnections();
  await new Promise((r) => hookServer.close(r));
});

function home(): string {
  const h = makeHome('warden-budget-');
  homes.push(h);
  return h;
}

async function up(h: string): Promise<Warden> {
  const w = await startWarden(h);
  wardens.push(w);
  return w;
}

describe('warden budget', () => {
  it('rejects a bad amount, an unknown time zone and a missing name with exit 2, naming the flag, before starting a daemon', async () => {
    const h = home();
    const amount = await cli(h, ['budget', 'set', '--scope', 'project', '--name', 'shop', '--daily', '12,50']);
    expect(amount.code).toBe(2);
    expect(amount.stderr).toContain('warden: invalid_amount: --daily "12,50" is not an amount in USD');
    const tz = await cli(h, ['budget', 'set', '--scope', 'project', '--name', 'shop', '--weekly', '10', '--tz', 'Mars/Olympus', '--json']);
    expect(tz.code).toBe(2);
    expect(JSON.parse(tz.stdout)).toEqual({
      error: { code: 'invalid_timezone', message: '--tz "Mars/Olympus" is not a known time zone', hint: 'use an IANA name such as UTC, Europe/Paris or America/New_York' },
    });
    const noName = await cli(h, ['budget', 'set', '--scope', 'team', '--monthly', '10']);
    expect(noName.code).toBe(2);
    expect(noName.stderr).toContain('--name is required for a team budget');
    const twoPeriods = await cli(h, ['budget', 'set', '--scope', 'global', '--daily', '1', '--monthly', '10']);
    expect(twoPeriods.code).toBe(2);
    const badAlert = await cli(h, ['budget', 'set', '--scope', 'global', '--daily', '1', '--alert', '50,lots']);
    expect(badAlert.code).toBe(2);
    expect(badAlert.stderr).toContain('--alert "50,lots"');
    expect(fs.existsSync(path.join(h, 'daemon.json'))).toBe(false);
  });

  it('set, list, status and rm through the daemon: spend from the requests table, audited changes, alerts to audit and webhook', async () => {
    const h = home();
    let w = await up(h);
    const key = await cliJson<{ id: string }>(h, ['keys', 'create', '--project', 'shop', '--name', 'ci']);
    await stopWarden(w);

    // Requests recorded before this daemon start: two today (UTC), one yesterday, one unpriced.
    const now = Date.now();
    const todayStart = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), new Date(now).getUTCDate());
    const db = new Database(path.join(h, 'warden.db'));
    const ins = db.prepare(
      `INSERT INTO requests (id, started_at, finished_at, status, method, path, stream, key_id, project, cost_usd, price_unknown)
       VALUES (?, ?, ?, 'ok', 'POST', '/v1/chat/completions', 0, ?, 'shop', ?, ?)`,
    );
    ins.run('req_a', Math.max(todayStart, now - 60_000), now, key.id, 0.3, 0);
    ins.run('req_b', Math.max(todayStart, now - 30_000), now, key.id, 0.45, 0);
    ins.run('req_c', todayStart - 3_600_000, todayStart, key.id, 5, 0);
    ins.run('req_d', Math.max(todayStart, now - 10_000), now, key.id, null, 1);
    db.close();

    w = await up(h);
    const proj = await cliJson<BudgetStatusInfo & { created: boolean }>(h, [
      'budget', 'set', '--scope', 'project', '--name', 'shop', '--daily', '1', '--hard', '--tz', 'UTC', '--alert', '50,100',
      '--webhook', `${hookUrl}/hooks/T0/secret-token`,
    ]);
    expect(proj).toMatchObject({
      created: true,
      scope: 'project',
      name: 'shop',
      target: 'project:shop',
      period: 'daily',
      limit_usd: 1,
      hard: true,
      alert_pcts: [50, 100],
      tz: 'UTC',
      webhook: `${hookUrl}/…`,
      spent_usd: 0.75,
      reserved_usd: 0,
      remaining_usd: 0.25,
      used_pct: 75,
      alerts_crossed: [50],
      state: 'alerting',
    });
    expect(proj.period_start).toBe(new Date(todayStart).toISOString());

    // The 50 % alert fired at once (spend was already past it): webhook POST and audit events.
    const hook = await waitFor(() => hooks.find((x) => x.url === '/hooks/T0/secret-token'), 'the alert webhook');
    expect(JSON.parse(hook.body)).toMatchObject({ type: 'warden.budget.alert', threshold_pct: 50, spent_usd: 0.75, budget: { id: proj.id, limit_usd: 1 } });
    const events = await waitFor(() => {
      const ev = auditEventsFor(h, proj.id);
      return ev.some((e) => e.type === 'budget.webhook') ? ev : undefined;
    }, 'budget audit events');
    expect(events.map((e) => e.type)).toEqual(['budget.set', 'budget.alert', 'budget.webhook']);
    expect(JSON.parse(events[1].data)).toMatchObject({ threshold_pct: 50, spent_usd: 0.75, limit_usd: 1, hard: true });
    expect(JSON.parse(events[2].data)).toMatchObject({ ok: true, status: 200 });
    for (const e of events) expect(e.data).not.toContain('secret-token');

    // A key budget may be set by the key's name; it is stored under the key id.
    const keyBudget = await cliJson<BudgetStatusInfo>(h, ['budget', 'set', '--scope', 'key', '--name', 'ci', '--daily', '2', '--tz', 'UTC', '--alert', 'none']);
    expect(keyBudget).toMatchObject({ scope: 'key', name: key.id, spent_usd: 0.75, hard: false, alert_pcts: [] });
    // Updating keeps what was not given.
    const updated = await cliJson<BudgetStatusInfo & { created: boolean }>(h, ['budget', 'set', '--scope', 'project', '--name', 'shop', '--daily', '1.5']);
    expect(updated).toMatchObject({ created: false, id: proj.id, limit_usd: 1.5, hard: true, tz: 'UTC', alert_pcts: [50, 100], webhook: `${hookUrl}/…`, spent_usd: 0.75 });

    const list = await cliJson<BudgetInfo[]>(h, ['budget', 'list']);
    expect(list.map((b) => b.target)).toEqual(['project:shop', `key:${key.id}`]);
    expect(Object.keys(list[0])).not.toContain('spent_usd');
    const human = await cli(h, ['budget', 'status']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/project:shop .*daily .*hard .*\$0\.75\d* .*\$1\.50 .*\$0\.75\d* .*50% .*50%/);

    // A restart recomputes spend from the store and remembers the fired alert.
    await stopWarden(w);
    w = await up(h);
    const after = await cliJson<BudgetStatusInfo[]>(h, ['budget', 'status']);
    expect(after.find((b) => b.id === proj.id)).toMatchObject({ spent_usd: 0.75, alerts_crossed: [50], limit_usd: 1.5 });
    expect(auditEventsFor(h, proj.id).filter((e) => e.type === 'budget.alert')).toHaveLength(1);

    const unknown = await cli(h, ['budget', 'rm', 'project:nope']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('warden: not_found: no budget matches "project:nope"');
    const rm = await cliJson<BudgetInfo & { removed: boolean }>(h, ['budget', 'rm', 'project:shop']);
    expect(rm).toMatchObject({ id: proj.id, removed: true });
    const rmKey = await cli(h, ['budget', 'rm', keyBudget.id]);
    expect(rmKey.stdout).toContain(`Removed soft daily budget ${keyBudget.id} for key:${key.id}`);
    expect(await cliJson<BudgetStatusInfo[]>(h, ['budget', 'status'])).toEqual([]);
    await waitFor(() => auditEventsFor(h, proj.id).some((e) => e.type === 'budget.removed'), 'budget.removed audit event');
    // ~15 CLI runs and three daemon starts: on a loaded 2-core machine that exceeds the default 30 s.
  }, 120_000);
});
