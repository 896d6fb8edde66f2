import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendAuditEvents } from '../../../../src/core/audit/chain.js';
import { openStore, type Store } from '../../../../src/core/store/db.js';
import { decodeAuditEvent, getAuditEvent, listAuditEvents, streamAuditEvents } from '../../../../src/core/store/repos/audit.js';

let dir: string;
let store: Store;
const T0 = Date.UTC(2025, 0, 1);

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-repo-audit-'));
  store = await openStore(path.join(dir, 'warden.db'), { migrate: true });
  const types = ['key.created', 'key.revoked', 'request.denied', 'key_created', 'policy.loaded', 'key.rotated'];
  store.sqlite
    .transaction(() =>
      appendAuditEvents(
        store.sqlite,
        types.map((type, i) => ({ ts: T0 + i * 1000, type, actor: 'cli:alice', subject: `s${i + 1}`, data: { i: i + 1 } })),
      ),
    )
    .immediate();
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('audit repo', () => {
  it('lists newest first, with since, type and limit', async () => {
    expect((await listAuditEvents(store.db)).map((e) => e.seq)).toEqual([6, 5, 4, 3, 2, 1]);
    expect((await listAuditEvents(store.db, { since: T0 + 3000 })).map((e) => e.seq)).toEqual([6, 5, 4]);
    expect((await listAuditEvents(store.db, { type: 'request.denied' })).map((e) => e.seq)).toEqual([3]);
    expect((await listAuditEvents(store.db, { limit: 2 })).map((e) => e.seq)).toEqual([6, 5]);
  });

  it('treats a trailing * as a literal prefix (no LIKE wildcards)', async () => {
    expect((await listAuditEvents(store.db, { type: 'key.*' })).map((e) => e.type)).toEqual(['key.rotated', 'key.revoked', 'key.created']);
    expect((await listAuditEvents(store.db, { type: 'key_*' })).map((e) => e.type)).toEqual(['key_created']);
    expect(await listAuditEvents(store.db, { type: '*' })).toHaveLength(6);
  });

  it('gets one event by seq and decodes its data', async () => {
    const row = await getAuditEvent(store.db, 3);
    expect(row).toMatchObject({ seq: 3, type: 'request.denied', subject: 's3', data: '{"i":3}' });
    expect(decodeAuditEvent(row!).data).toEqual({ i: 3 });
    expect(await getAuditEvent(store.db, 99)).toBeUndefined();
    expect(decodeAuditEvent({ ...row!, data: '{broken' }).data).toBe('{broken');
  });

  it('streams matching events in ascending seq order', async () => {
    const seqs: number[] = [];
    for await (const e of streamAuditEvents(store.db, { since: T0 + 2000 })) seqs.push(e.seq);
    expect(seqs).toEqual([3, 4, 5, 6]);
  });
});
