import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/core/store/db.js';
import { BatchedWriter, type RequestSettlement } from '../../../src/core/store/writer.js';
import type { RequestsTable } from '../../../src/core/store/schema.js';
import { verifyAuditChain } from '../../../src/core/audit/verify.js';
import { silentLogger } from '../../../src/core/util/logger.js';

function startRow(id: string): RequestsTable {
  return {
    id,
    started_at: 1,
    finished_at: null,
    status: 'started',
    http_status: null,
    method: 'POST',
    path: '/v1/chat/completions',
    endpoint: 'chat.completions',
    provider: 'openai',
    model: 'gpt-4o',
    stream: 0,
    key_id: 'key_1',
    project: 'p',
    session_id: null,
    tool: 'curl',
    user_agent: null,
    repo: null,
    branch: null,
    input_tokens: null,
    output_tokens: null,
    cache_read_tokens: null,
    cache_write_5m_tokens: null,
    cache_write_1h_tokens: null,
    reasoning_tokens: null,
    usage_source: null,
    cost_usd: null,
    price_unknown: 0,
    overhead_ms: null,
    upstream_ms: null,
    duration_ms: null,
    error_code: null,
    error_message: null,
    request_body: null,
    response_body: null,
    policy_verdict: null,
    risk_score: null,
    policy_input: null,
  };
}

function settlement(over: Partial<RequestSettlement> = {}): RequestSettlement {
  return {
    finished_at: 2,
    status: 'ok',
    http_status: 200,
    endpoint: 'chat.completions',
    provider: 'openai',
    model: 'gpt-4o',
    input_tokens: 10,
    output_tokens: 5,
    cache_read_tokens: 0,
    cache_write_5m_tokens: 0,
    cache_write_1h_tokens: 0,
    reasoning_tokens: 0,
    usage_source: 'reported',
    cost_usd: 0.0001,
    price_unknown: 0,
    overhead_ms: 0.2,
    upstream_ms: 10,
    duration_ms: 11,
    error_code: null,
    error_message: null,
    response_body: null,
    ...over,
  };
}

let dir: string;
let store: Store;
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-writer-'));
  store = await openStore(path.join(dir, 'w.db'), { migrate: true });
});
afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const rows = () => store.sqlite.prepare('SELECT id, status, input_tokens, cost_usd FROM requests ORDER BY id').all() as {
  id: string;
  status: string;
  input_tokens: number | null;
  cost_usd: number | null;
}[];

describe('batched writer', () => {
  it('folds a settlement into a start that has not been flushed yet: one insert, final values', () => {
    const w = new BatchedWriter(store.sqlite, { flushMs: 10_000, maxBatch: 1000, logger: silentLogger });
    w.start(startRow('r1'));
    w.settle('r1', settlement());
    expect(rows()).toEqual([]);
    w.flush();
    expect(rows()).toEqual([{ id: 'r1', status: 'ok', input_tokens: 10, cost_usd: 0.0001 }]);
    expect(w.stats.written).toBe(1);
  });

  it('records a request as started before it settles, then updates it', () => {
    const w = new BatchedWriter(store.sqlite, { flushMs: 10_000, maxBatch: 1000, logger: silentLogger });
    w.start(startRow('r1'));
    w.flush();
    expect(rows()[0].status).toBe('started');
    w.settle('r1', settlement({ status: 'client_aborted', input_tokens: 3 }));
    w.flush();
    expect(rows()[0]).toMatchObject({ status: 'client_aborted', input_tokens: 3 });
  });

  it('flushes by itself after flushMs, and at once past maxBatch', async () => {
    const w = new BatchedWriter(store.sqlite, { flushMs: 5, maxBatch: 3, logger: silentLogger });
    w.start(startRow('a'));
    await new Promise((r) => setTimeout(r, 60));
    expect(rows().map((r) => r.id)).toEqual(['a']);
    const w2 = new BatchedWriter(store.sqlite, { flushMs: 60_000, maxBatch: 3, logger: silentLogger });
    w2.start(startRow('b'));
    w2.start(startRow('c'));
    w2.start(startRow('d'));
    await new Promise((r) => setImmediate(r));
    expect(rows().map((r) => r.id)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('appends audit events to the hash chain in the same transaction as the rows', () => {
    const w = new BatchedWriter(store.sqlite, { flushMs: 10_000, maxBatch: 1000, logger: silentLogger });
    for (let i = 0; i < 5; i++) {
      w.start(startRow(`r${i}`));
      w.audit({ ts: i, type: 'request', actor: 'key:key_1', subject: `r${i}`, data: { i } });
    }
    w.flush();
    const v = verifyAuditChain(store.sqlite);
    expect(v.ok).toBe(true);
    expect(v.count).toBe(5);
    expect(rows()).toHaveLength(5);
  });

  it('drops only the row the database rejects and keeps the rest of the batch', () => {
    const w = new BatchedWriter(store.sqlite, { flushMs: 10_000, maxBatch: 1000, logger: silentLogger });
    w.start(startRow('dup'));
    w.flush();
    const w2 = new BatchedWriter(store.sqlite, { flushMs: 10_000, maxBatch: 1000, logger: silentLogger });
    w2.start(startRow('dup')); // primary-key clash
    w2.start(startRow('fine'));
    w2.audit({ ts: 1, type: 't', actor: 'a', data: {} });
    w2.flush();
    expect(rows().map((r) => r.id)).toEqual(['dup', 'fine']);
    expect(verifyAuditChain(store.sqlite).count).toBe(1);
    expect(w2.stats.failures).toBe(1);
  });

  it('writes through synchronously after close, so late settlements are not lost', () => {
    const w = new BatchedWriter(store.sqlite, { flushMs: 10_000, maxBatch: 1000, logger: silentLogger });
    w.start(startRow('late'));
    w.close();
    w.settle('late', settlement());
    expect(rows()[0]).toMatchObject({ id: 'late', status: 'ok' });
  });
});
