import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { alertPayload, WebhookSender } from '../../../src/core/budget/webhook.js';
import type { BudgetAlert } from '../../../src/core/budget/ledger.js';
import { systemClock } from '../../../src/core/deps.js';
import type { Logger } from '../../../src/core/util/logger.js';

interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const servers: http.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function server(handler: (req: Received, res: http.ServerResponse) => void): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  const s = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      received.push(r);
      handler(r, res);
    });
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, received };
}

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (o: Record<string, unknown> | string, m?: string) => lines.push(`${m ?? ''} ${JSON.stringify(o)}`);
  return { lines, debug: log, info: log, warn: log, error: log };
}

const alert: BudgetAlert = {
  budget: {
    id: 'bud_1',
    scope: 'project',
    name: 'checkout',
    period: 'daily',
    limitMicros: 10_000_000,
    hard: true,
    alertPcts: [80],
    tz: 'Europe/Paris',
    webhookUrl: null,
    createdAt: 0,
    updatedAt: 0,
  },
  thresholdPct: 80,
  spentUsd: 8.25,
  limitUsd: 10,
  period: { start: Date.parse('2025-03-09T23:00:00Z'), end: Date.parse('2025-03-10T23:00:00Z'), label: '2025-03-10' },
  at: Date.parse('2025-03-10T15:00:00Z'),
};

describe('budget alert webhooks', () => {
  it('POSTs the alert as JSON to a real HTTP server', async () => {
    const srv = await server((_, res) => res.writeHead(204).end());
    const sender = new WebhookSender({ fetch, clock: systemClock, logger: recordingLogger() });
    const r = await sender.post(`${srv.url}/hooks/secret-token`, alertPayload(alert));
    expect(r).toMatchObject({ ok: true, status: 204, error: null });
    expect(srv.received).toHaveLength(1);
    const got = srv.received[0];
    expect(got.method).toBe('POST');
    expect(got.url).toBe('/hooks/secret-token');
    expect(got.headers['content-type']).toBe('application/json');
    expect(JSON.parse(got.body)).toEqual({
      type: 'warden.budget.alert',
      text: 'Warden: hard daily budget for project:checkout reached 80% ($8.25 of $10.00, period 2025-03-10)',
      budget: { id: 'bud_1', scope: 'project', name: 'checkout', period: 'daily', hard: true, limit_usd: 10, tz: 'Europe/Paris' },
      threshold_pct: 80,
      spent_usd: 8.25,
      period: { label: '2025-03-10', start: '2025-03-09T23:00:00.000Z', end: '2025-03-10T23:00:00.000Z' },
      at: '2025-03-10T15:00:00.000Z',
    });
  });

  it('a receiver that never answers times out; the failure is reported, not thrown, and the URL path is not logged', async () => {
    const srv = await server(() => {
      /* never answers */
    });
    const logger = recordingLogger();
    const sender = new WebhookSender({ fetch, clock: systemClock, logger }, { timeoutMs: 200 });
    const r = await sender.post(`${srv.url}/hooks/secret-token`, { x: 1 });
    expect(r).toMatchObject({ ok: false, status: null, error: 'timed out after 200 ms' });
    expect(sender.stats.failed).toBe(1);
    expect(logger.lines.join('\n')).not.toContain('secret-token');
    expect(logger.lines.join('\n')).toContain(srv.url);
  });

  it('non-2xx answers, redirects and refused connections are failures', async () => {
    const srv = await server((req, res) => {
      if (req.url === '/redirect') res.writeHead(302, { location: 'http://example.invalid/' }).end();
      else res.writeHead(500).end('nope');
    });
    const sender = new WebhookSender({ fetch, clock: systemClock, logger: recordingLogger() });
    expect(await sender.post(`${srv.url}/x`, {})).toMatchObject({ ok: false, status: 500, error: 'HTTP 500' });
    expect((await sender.post(`${srv.url}/redirect`, {})).ok).toBe(false);
    expect(srv.received.map((r) => r.url)).toEqual(['/x', '/redirect']);
    const closed = await server(() => undefined);
    const url = closed.url;
    const s = servers.pop() as http.Server;
    await new Promise((r) => s.close(r));
    const refused = await sender.post(url, {});
    expect(refused).toMatchObject({ ok: false, status: null });
    expect(refused.error).toMatch(/^request failed/);
  });

  it('bounds the work: a few POSTs in flight, a short queue, the rest dropped at once', async () => {
    const pending: http.ServerResponse[] = [];
    const srv = await server((_, res) => pending.push(res));
    const sender = new WebhookSender({ fetch, clock: systemClock, logger: recordingLogger() }, { maxInFlight: 2, maxQueue: 3 });
    const results = Array.from({ length: 8 }, (_, i) => sender.post(`${srv.url}/${i}`, { i }));
    const dropped = await Promise.race([Promise.all(results.slice(5)), new Promise((r) => setTimeout(() => r('pending'), 2000))]);
    expect(dropped).toEqual([0, 1, 2].map(() => expect.objectContaining({ ok: false, error: 'dropped: too many webhook POSTs pending' })));
    expect(sender.stats.dropped).toBe(3);
    // Answer as they arrive: the queued ones go out as slots free up.
    while (srv.received.length < 5 || pending.length > 0) {
      const res = pending.shift();
      if (res) res.writeHead(200).end();
      else await new Promise((r) => setTimeout(r, 5));
    }
    const first5 = await Promise.all(results.slice(0, 5));
    expect(first5.every((r) => r.ok)).toBe(true);
    expect(srv.received.map((r) => r.url).sort()).toEqual(['/0', '/1', '/2', '/3', '/4']);
    await sender.idle();
  });
});
