import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Insertable } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../../src/core/store/db.js';
import { costReport, getRequest, listRequests, todaySummary } from '../../../../src/core/store/repos/requests.js';
import type { RequestsTable } from '../../../../src/core/store/schema.js';

let dir: string;
let store: Store;

const DAY1 = Date.UTC(2025, 5, 10); // 2025-06-10T00:00:00Z
const H = 3_600_000;

function req(id: string, started_at: number, over: Partial<RequestsTable> = {}): Insertable<RequestsTable> {
  return {
    id,
    started_at,
    finished_at: started_at + 500,
    status: 'ok',
    http_status: 200,
    method: 'POST',
    path: '/v1/chat/completions',
    endpoint: 'chat.completions',
    provider: 'openai',
    model: 'gpt-4o-mini',
    stream: 0,
    project: 'billing',
    session_id: 'sess_1',
    tool: 'codex',
    input_tokens: 100,
    output_tokens: 50,
    cache_read_tokens: 0,
    cache_write_5m_tokens: 0,
    cache_write_1h_tokens: 0,
    usage_source: 'reported',
    cost_usd: 0.01,
    price_unknown: 0,
    duration_ms: 500,
    request_body: null,
    response_body: null,
    ...over,
  };
}

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-repo-req-'));
  store = await openStore(path.join(dir, 'warden.db'), { migrate: true });
  await store.db
    .insertInto('requests')
    .values([
      req('r1', DAY1 + 1 * H),
      req('r2', DAY1 + 2 * H, { model: 'claude-sonnet-4', provider: 'anthropic', tool: 'claude-code', cost_usd: 0.5, cache_read_tokens: 1000, cache_write_5m_tokens: 200, cache_write_1h_tokens: 30 }),
      req('r3', DAY1 + 23.5 * H, { status: 'upstream_error', http_status: 429, input_tokens: null, output_tokens: null, cost_usd: null, usage_source: 'none' }),
      // A model with no price: tokens known, cost not. Its cost_usd is NULL and must not count as $0.
      req('r4', DAY1 + 24.5 * H, { model: 'mystery-1', provider: 'openai', cost_usd: null, price_unknown: 1, project: 'search', session_id: 'sess_2' }),
      req('r5', DAY1 + 25 * H, { model: 'mystery-1', cost_usd: null, price_unknown: 1, usage_source: 'estimated', project: null, tool: null, session_id: null }),
      req('r6', DAY1 + 26 * H, { status: 'rejected', http_status: 403, input_tokens: null, output_tokens: null, cost_usd: null, usage_source: null, request_body: '{"model":"gpt-4o-mini"}' }),
      req('r7', DAY1 + 27 * H, { cost_usd: 2.25, output_tokens: 5000, usage_source: 'estimated' }),
      req('abc%1', DAY1 - 10 * H, { project: 'other' }),
      req('abcd_2', DAY1 - 9 * H, { project: 'other' }),
    ])
    .execute();
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('listRequests', () => {
  it('lists newest first without bodies', async () => {
    const rows = await listRequests(store.db);
    expect(rows.map((r) => r.id)).toEqual(['r7', 'r6', 'r5', 'r4', 'r3', 'r2', 'r1', 'abcd_2', 'abc%1']);
    expect(rows[1]).not.toHaveProperty('request_body');
    expect(rows[1]).toMatchObject({ status: 'rejected', http_status: 403 });
  });

  it('filters by since, model, project and status, and limits', async () => {
    expect((await listRequests(store.db, { since: DAY1 + 24 * H })).map((r) => r.id)).toEqual(['r7', 'r6', 'r5', 'r4']);
    expect((await listRequests(store.db, { model: 'mystery-1' })).map((r) => r.id)).toEqual(['r5', 'r4']);
    expect((await listRequests(store.db, { project: 'other' })).map((r) => r.id)).toEqual(['abcd_2', 'abc%1']);
    expect((await listRequests(store.db, { status: 'upstream_error' })).map((r) => r.id)).toEqual(['r3']);
    expect((await listRequests(store.db, { since: DAY1, project: 'billing', status: 'ok', limit: 2 })).map((r) => r.id)).toEqual(['r7', 'r2']);
  });
});

describe('getRequest', () => {
  it('finds by full id with bodies, or by a unique prefix', async () => {
    expect((await getRequest(store.db, 'r6'))?.request_body).toBe('{"model":"gpt-4o-mini"}');
    expect((await getRequest(store.db, 'abcd'))?.id).toBe('abcd_2');
    expect(await getRequest(store.db, 'zzz')).toBeUndefined();
  });

  it('treats % and _ in a prefix literally', async () => {
    expect((await getRequest(store.db, 'abc%'))?.id).toBe('abc%1');
    expect(await getRequest(store.db, 'abc_')).toBeUndefined();
  });

  it('refuses an ambiguous prefix, naming the candidates', async () => {
    await expect(getRequest(store.db, 'r')).rejects.toMatchObject({ code: 'request_ambiguous', exitCode: 2 });
    await expect(getRequest(store.db, 'abc')).rejects.toThrow(/abcd_2, abc%1|abc%1, abcd_2/);
  });
});

describe('costReport', () => {
  it('groups by model with token sums, and keeps unknown prices out of the sum but counted', async () => {
    const rep = await costReport(store.db, { by: 'model', since: DAY1 });
    expect(rep.timezone).toBe('UTC');
    expect(rep.rows.map((r) => r.key)).toEqual(['gpt-4o-mini', 'claude-sonnet-4', 'mystery-1']);
    const gpt = rep.rows[0];
    expect(gpt).toMatchObject({ requests: 4, input_tokens: 200, output_tokens: 5050, price_unknown: 0, estimated: 1, cost_complete: true });
    expect(gpt.cost_usd).toBeCloseTo(2.26, 10);
    expect(rep.rows[1]).toMatchObject({ requests: 1, cache_read_tokens: 1000, cache_write_tokens: 230, cost_usd: 0.5 });
    expect(rep.rows[2]).toMatchObject({ key: 'mystery-1', requests: 2, input_tokens: 200, cost_usd: 0, price_unknown: 2, estimated: 1, cost_complete: false });
    expect(rep.totals).toMatchObject({ requests: 7, input_tokens: 500, output_tokens: 5200, cache_write_tokens: 230, price_unknown: 2, estimated: 2, cost_complete: false });
    expect(rep.totals.cost_usd).toBeCloseTo(2.76, 10);
  });

  it('does not count a partial cost recorded on an unpriced row', async () => {
    await store.db.insertInto('requests').values(req('r8', DAY1 + 28 * H, { model: 'mystery-1', cost_usd: 9.99, price_unknown: 1 })).execute();
    const rep = await costReport(store.db, { by: 'model', since: DAY1 });
    expect(rep.rows.find((r) => r.key === 'mystery-1')).toMatchObject({ cost_usd: 0, price_unknown: 3 });
  });

  it('groups by UTC day in chronological order', async () => {
    const rep = await costReport(store.db, { by: 'day' });
    expect(rep.rows.map((r) => [r.key, r.requests])).toEqual([
      ['2025-06-09', 2],
      ['2025-06-10', 3],
      ['2025-06-11', 4],
    ]);
    expect(rep.rows[2]).toMatchObject({ price_unknown: 2, cost_complete: false });
    expect(rep.since).toBeNull();
  });

  it('groups by project, tool and session with a null key for unset values', async () => {
    const byProject = await costReport(store.db, { by: 'project', since: DAY1 });
    expect(byProject.rows.map((r) => [r.key, r.requests])).toEqual([
      ['billing', 5],
      [null, 1],
      ['search', 1],
    ]);
    const byTool = await costReport(store.db, { by: 'tool', since: DAY1 });
    expect(byTool.rows.find((r) => r.key === 'claude-code')?.cost_usd).toBe(0.5);
    expect(byTool.rows.find((r) => r.key === null)?.requests).toBe(1);
    const bySession = await costReport(store.db, { by: 'session', since: DAY1 });
    expect(bySession.rows.map((r) => r.key).sort()).toEqual(['sess_1', 'sess_2', null].sort());
    expect(bySession.totals.requests).toBe(7);
  });

  it('returns an empty report with zero totals when nothing matches', async () => {
    const rep = await costReport(store.db, { by: 'model', since: DAY1 + 1000 * H });
    expect(rep.rows).toEqual([]);
    expect(rep.totals).toEqual({
      requests: 0,
      input_tokens: 0,
      output_tokens: 0,
      cache_read_tokens: 0,
      cache_write_tokens: 0,
      cost_usd: 0,
      price_unknown: 0,
      estimated: 0,
      cost_complete: true,
    });
  });
});

describe('todaySummary', () => {
  it('counts requests, errors, rejections, known spend and unpriced rows since the given start of day', async () => {
    const s = await todaySummary(store.db, DAY1 + 24 * H);
    expect(s).toMatchObject({ since: DAY1 + 24 * H, requests: 4, errors: 0, rejected: 1, price_unknown: 2 });
    expect(s.spend_usd).toBeCloseTo(2.25, 10);
    const day1 = await todaySummary(store.db, DAY1);
    expect(day1).toMatchObject({ requests: 7, errors: 1 });
  });
});
