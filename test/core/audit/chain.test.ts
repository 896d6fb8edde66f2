import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../src/core/audit/canonical-json.js';
import {
  appendAuditEvent,
  appendAuditEvents,
  GENESIS_HASH,
  hashEvent,
  hashWithDataJson,
  type AuditEventInput,
} from '../../../src/core/audit/chain.js';
import { verifyAuditChain } from '../../../src/core/audit/verify.js';
import { openStore, type Store } from '../../../src/core/store/db.js';

let dir: string;
let store: Store;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-chain-'));
  store = await openStore(path.join(dir, 'warden.db'), { migrate: true });
});

afterEach(async () => {
  await store.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const ev = (i: number, extra: Partial<AuditEventInput> = {}): AuditEventInput => ({
  ts: 1_700_000_000_000 + i,
  type: 'key.created',
  actor: 'cli:alice',
  subject: `key_${i}`,
  data: { n: i, project: 'billing' },
  ...extra,
});

const rows = (sqlite: SQLite.Database) =>
  sqlite.prepare('SELECT * FROM audit_events ORDER BY seq').all() as {
    seq: number;
    ts: number;
    type: string;
    actor: string;
    subject: string | null;
    data: string;
    prev_hash: string;
    hash: string;
  }[];

describe('hashEvent', () => {
  it('is the hex SHA-256 of the canonical JSON of exactly the seven hashed fields', () => {
    const e = { seq: 7, ts: 123, type: 't', actor: 'a', subject: null, data: { b: 1, a: [true] }, prev_hash: GENESIS_HASH };
    const expected = createHash('sha256').update(canonicalJson(e)).digest('hex');
    expect(hashEvent(e)).toBe(expected);
    expect(hashEvent(e)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('hashWithDataJson writes the members in the same order canonicalJson would', () => {
    const e = { seq: 1, ts: 5, type: 'ü.type', actor: 'x"y', subject: 's', prev_hash: 'ab' };
    const data = { z: 1, a: { 'é': 2 } };
    expect(hashWithDataJson(e, canonicalJson(data))).toBe(createHash('sha256').update(canonicalJson({ ...e, data })).digest('hex'));
  });

  it('changes when any hashed field changes', () => {
    const base = { seq: 1, ts: 1, type: 't', actor: 'a', subject: null, data: {}, prev_hash: GENESIS_HASH };
    const h = hashEvent(base);
    expect(hashEvent({ ...base, seq: 2 })).not.toBe(h);
    expect(hashEvent({ ...base, ts: 2 })).not.toBe(h);
    expect(hashEvent({ ...base, type: 'u' })).not.toBe(h);
    expect(hashEvent({ ...base, actor: 'b' })).not.toBe(h);
    expect(hashEvent({ ...base, subject: '' })).not.toBe(h);
    expect(hashEvent({ ...base, data: { x: 1 } })).not.toBe(h);
    expect(hashEvent({ ...base, prev_hash: '1'.repeat(64) })).not.toBe(h);
  });
});

describe('appendAuditEvents', () => {
  it('refuses to run outside a transaction the caller holds', () => {
    expect(() => appendAuditEvents(store.sqlite, [ev(1)])).toThrow(/inside a transaction/);
    expect(rows(store.sqlite)).toHaveLength(0);
  });

  it('numbers events from the tail, links each to the previous hash and stores canonical data', () => {
    const r = store.sqlite.transaction(() => appendAuditEvents(store.sqlite, [ev(1), ev(2), ev(3, { subject: undefined })])).immediate();
    const all = rows(store.sqlite);
    expect(all.map((x) => x.seq)).toEqual([1, 2, 3]);
    expect(r).toEqual({ firstSeq: 1, lastSeq: 3, lastHash: all[2].hash });
    expect(all[0].prev_hash).toBe(GENESIS_HASH);
    expect(all[1].prev_hash).toBe(all[0].hash);
    expect(all[2].prev_hash).toBe(all[1].hash);
    expect(all[0].data).toBe('{"n":1,"project":"billing"}');
    expect(all[2].subject).toBeNull();
    for (const x of all) expect(x.hash).toBe(hashEvent({ ...x, data: JSON.parse(x.data) }));

    const next = store.sqlite.transaction(() => appendAuditEvents(store.sqlite, [ev(4)])).immediate();
    expect(next.firstSeq).toBe(4);
    expect(rows(store.sqlite)[3].prev_hash).toBe(r.lastHash);
  });

  it('returns the unchanged head for an empty batch', () => {
    const first = appendAuditEvent(store.sqlite, ev(1));
    const r = store.sqlite.transaction(() => appendAuditEvents(store.sqlite, [])).immediate();
    expect(r).toEqual({ firstSeq: 2, lastSeq: 1, lastHash: first.hash });
  });

  it('continues one chain when two connections append to the same file', () => {
    const other = new SQLite(store.file);
    try {
      appendAuditEvent(store.sqlite, ev(1));
      appendAuditEvent(other, ev(2));
      appendAuditEvent(store.sqlite, ev(3));
      other.transaction(() => appendAuditEvents(other, [ev(4), ev(5)])).immediate();
      const all = rows(store.sqlite);
      expect(all.map((x) => x.seq)).toEqual([1, 2, 3, 4, 5]);
      const v = verifyAuditChain(store.sqlite);
      expect(v.ok).toBe(true);
      expect(v.headHash).toBe(all[4].hash);
    } finally {
      other.close();
    }
  });

  it('writes nothing from a batch when one event is invalid (the caller transaction rolls back)', () => {
    appendAuditEvent(store.sqlite, ev(1));
    expect(() =>
      store.sqlite.transaction(() => appendAuditEvents(store.sqlite, [ev(2), { ...ev(3), data: { bad: Number.NaN } }])).immediate(),
    ).toThrow(/NaN/);
    expect(() => appendAuditEvent(store.sqlite, { ...ev(4), ts: 1.5 })).toThrow(/ts must be/);
    expect(() => appendAuditEvent(store.sqlite, { ...ev(4), type: '' })).toThrow(/type must be/);
    expect(() => appendAuditEvent(store.sqlite, { ...ev(4), data: [] as unknown as Record<string, unknown> })).toThrow(/data must be/);
    expect(rows(store.sqlite).map((x) => x.seq)).toEqual([1]);
  });

  it('appendAuditEvent nests inside an open transaction as a savepoint', () => {
    store.sqlite.transaction(() => {
      appendAuditEvent(store.sqlite, ev(1));
      appendAuditEvent(store.sqlite, ev(2));
    })();
    expect(rows(store.sqlite).map((x) => x.seq)).toEqual([1, 2]);
    expect(verifyAuditChain(store.sqlite).ok).toBe(true);
  });
});

describe('audit_events triggers', () => {
  it('reject UPDATE and DELETE on the audit table', () => {
    appendAuditEvent(store.sqlite, ev(1));
    expect(() => store.sqlite.prepare("UPDATE audit_events SET type = 'x' WHERE seq = 1").run()).toThrow(/append-only/);
    expect(() => store.sqlite.prepare('DELETE FROM audit_events WHERE seq = 1').run()).toThrow(/append-only/);
    expect(rows(store.sqlite)[0].type).toBe('key.created');
  });
});
