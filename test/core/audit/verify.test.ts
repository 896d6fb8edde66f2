import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendAuditEvents, GENESIS_HASH, hashEvent } from '../../../src/core/audit/chain.js';
import { parseAuditExport, rowHashMatches, verifyAuditChain, verifyAuditRows, type AuditChainRow } from '../../../src/core/audit/verify.js';
import { openStore } from '../../../src/core/store/db.js';

let dir: string;
let file: string;
let head: string;

const N = 8;

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warden-verify-'));
  file = path.join(dir, 'warden.db');
  const store = await openStore(file, { migrate: true });
  const events = Array.from({ length: N }, (_, i) => ({
    ts: 1_700_000_000_000 + i * 1000,
    type: i % 2 ? 'request.denied' : 'key.created',
    actor: 'daemon',
    subject: i % 3 ? `req_${i}` : null,
    data: { i, reason: `rule ${i}`, tags: ['a', 'b'] },
  }));
  head = store.sqlite.transaction(() => appendAuditEvents(store.sqlite, events)).immediate().lastHash;
  await store.close();
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** What an attacker with write access to the file does: drop the guards, then edit. */
function tamper(sql: string): void {
  const db = new SQLite(file);
  try {
    db.exec('DROP TRIGGER IF EXISTS audit_events_no_update; DROP TRIGGER IF EXISTS audit_events_no_delete;');
    db.exec(sql);
  } finally {
    db.close();
  }
}

/** Verifies the way `warden audit verify` does: a read-only connection to the file. */
async function verify() {
  const store = await openStore(file, { readonly: true });
  try {
    return verifyAuditChain(store.sqlite);
  } finally {
    await store.close();
  }
}

function allRows(): AuditChainRow[] {
  const db = new SQLite(file, { readonly: true });
  try {
    return db.prepare('SELECT * FROM audit_events ORDER BY seq').all() as AuditChainRow[];
  } finally {
    db.close();
  }
}

describe('verifyAuditChain', () => {
  it('accepts an intact log and reports its extent and head hash', async () => {
    const r = await verify();
    expect(r).toEqual({ ok: true, count: N, firstSeq: 1, lastSeq: N, headHash: head });
  });

  it('accepts an empty log with the genesis hash as head', async () => {
    const empty = path.join(dir, 'empty.db');
    const store = await openStore(empty, { migrate: true });
    try {
      expect(verifyAuditChain(store.sqlite)).toEqual({ ok: true, count: 0, firstSeq: null, lastSeq: null, headHash: GENESIS_HASH });
    } finally {
      await store.close();
    }
  });

  it('catches edited data at the edited seq', async () => {
    tamper(`UPDATE audit_events SET data = '{"i":3,"reason":"nothing to see","tags":["a","b"]}' WHERE seq = 4`);
    const r = await verify();
    expect(r.ok).toBe(false);
    expect(r.broken).toMatchObject({ seq: 4, reason: 'hash_mismatch' });
    expect(r.count).toBe(N);
  });

  it('catches an edited type, ts, actor or subject', async () => {
    for (const [set, seq] of [
      ["type = 'key.revoked'", 2],
      ['ts = ts + 1', 6],
      ["actor = 'cli:mallory'", 3],
      ['subject = NULL', 5],
    ] as const) {
      const before = allRows();
      tamper(`UPDATE audit_events SET ${set} WHERE seq = ${seq}`);
      expect((await verify()).broken, set).toMatchObject({ seq, reason: 'hash_mismatch' });
      // Restore the row for the next case.
      const orig = before[seq - 1];
      tamper(
        `UPDATE audit_events SET ts = ${orig.ts}, type = '${orig.type}', actor = '${orig.actor}', subject = ${orig.subject === null ? 'NULL' : `'${orig.subject}'`} WHERE seq = ${seq}`,
      );
      expect((await verify()).ok).toBe(true);
    }
  });

  it('catches a row deleted from the middle as a gap naming the missing seq', async () => {
    tamper('DELETE FROM audit_events WHERE seq = 5');
    const r = await verify();
    expect(r.broken).toMatchObject({ seq: 5, reason: 'seq_gap' });
    expect(r.broken?.message).toMatch(/seq 5 is missing/);
    expect(r.count).toBe(N - 1);
  });

  it('catches the first row deleted', async () => {
    tamper('DELETE FROM audit_events WHERE seq = 1');
    expect((await verify()).broken).toMatchObject({ seq: 1, reason: 'seq_gap' });
  });

  it('catches a deletion hidden by renumbering the rest down as a bad genesis', async () => {
    tamper('DELETE FROM audit_events WHERE seq = 1; UPDATE audit_events SET seq = -seq; UPDATE audit_events SET seq = -seq - 1;');
    const r = await verify();
    expect(r.firstSeq).toBe(1);
    expect(r.broken).toMatchObject({ seq: 1, reason: 'bad_genesis' });
  });

  it('catches a deletion in the middle hidden by renumbering as a broken link at the first moved seq', async () => {
    tamper('DELETE FROM audit_events WHERE seq = 3; UPDATE audit_events SET seq = -seq WHERE seq > 3; UPDATE audit_events SET seq = -seq - 1 WHERE seq < 0;');
    expect((await verify()).broken).toMatchObject({ seq: 3, reason: 'prev_hash_mismatch' });
  });

  it('catches two rows whose seq values were swapped, at the earlier seq', async () => {
    tamper('UPDATE audit_events SET seq = -1 WHERE seq = 3; UPDATE audit_events SET seq = 3 WHERE seq = 6; UPDATE audit_events SET seq = 6 WHERE seq = -1;');
    const r = await verify();
    expect(r.ok).toBe(false);
    expect(r.broken?.seq).toBe(3);
  });

  it('catches adjacent rows swapped', async () => {
    tamper('UPDATE audit_events SET seq = -1 WHERE seq = 4; UPDATE audit_events SET seq = 4 WHERE seq = 5; UPDATE audit_events SET seq = 5 WHERE seq = -1;');
    expect((await verify()).broken?.seq).toBe(4);
  });

  it('catches two rows whose contents were swapped under their seq values, at the earlier seq', async () => {
    tamper(`
      CREATE TEMP TABLE t AS SELECT * FROM audit_events WHERE seq IN (2, 7);
      UPDATE audit_events SET (ts, type, actor, subject, data, prev_hash, hash) =
        (SELECT ts, type, actor, subject, data, prev_hash, hash FROM t WHERE t.seq = CASE audit_events.seq WHEN 2 THEN 7 ELSE 2 END)
        WHERE seq IN (2, 7);`);
    const rows = allRows();
    expect(rows[1].type).toBe('key.created'); // seq 2 now holds seq 7's contents (i = 6)
    expect(JSON.parse(rows[1].data).i).toBe(6);
    expect((await verify()).broken?.seq).toBe(2);
  });

  it('catches a first row whose prev_hash was replaced', async () => {
    tamper(`UPDATE audit_events SET prev_hash = '${'f'.repeat(64)}' WHERE seq = 1`);
    expect((await verify()).broken).toMatchObject({ seq: 1, reason: 'bad_genesis' });
  });

  it('catches an edited row whose own hash was recomputed, at the next seq', async () => {
    const row = allRows()[2];
    const data = { ...JSON.parse(row.data), reason: 'rewritten' };
    const hash = hashEvent({ ...row, data });
    tamper(`UPDATE audit_events SET data = '${JSON.stringify(data)}', hash = '${hash}' WHERE seq = 3`);
    expect((await verify()).broken).toMatchObject({ seq: 4, reason: 'prev_hash_mismatch' });
  });

  it('shows a fully re-hashed tail only as a different head hash (why the head hash must be kept elsewhere)', async () => {
    const rows = allRows();
    let prev = rows[4].prev_hash;
    const updates: string[] = [];
    for (const row of rows.slice(4)) {
      const data = { ...JSON.parse(row.data), reason: 'forged' };
      const hash = hashEvent({ ...row, data, prev_hash: prev });
      updates.push(`UPDATE audit_events SET data = '${JSON.stringify(data)}', prev_hash = '${prev}', hash = '${hash}' WHERE seq = ${row.seq};`);
      prev = hash;
    }
    tamper(updates.join('\n'));
    const r = await verify();
    expect(r.ok).toBe(true);
    expect(r.headHash).not.toBe(head);
  });

  it('reports a row whose data is no longer JSON as a hash mismatch', async () => {
    tamper(`UPDATE audit_events SET data = '{not json' WHERE seq = 2`);
    expect((await verify()).broken).toMatchObject({ seq: 2, reason: 'hash_mismatch' });
  });
});

describe('verifyAuditRows and exports', () => {
  it('verifies a json/jsonl export made from the rows, and a --since segment only with partial', () => {
    const rows = allRows();
    const exported = rows.map((r) => ({ ...r, ts: new Date(r.ts).toISOString(), ts_ms: r.ts, data: JSON.parse(r.data) }));
    const jsonl = exported.map((e) => JSON.stringify(e)).join('\n');
    expect(verifyAuditRows(parseAuditExport(jsonl, 'jsonl'))).toMatchObject({ ok: true, count: N, headHash: head });
    expect(verifyAuditRows(parseAuditExport(JSON.stringify(exported), 'json')).ok).toBe(true);

    // ISO ts alone (no ts_ms) is enough: millisecond precision round-trips.
    const isoOnly = exported.map(({ ts_ms: _ms, ...e }) => e);
    expect(verifyAuditRows(parseAuditExport(JSON.stringify(isoOnly), 'json')).ok).toBe(true);

    const segment = parseAuditExport(exported.slice(3).map((e) => JSON.stringify(e)).join('\n'), 'jsonl');
    expect(verifyAuditRows(segment).broken).toMatchObject({ seq: 1, reason: 'seq_gap' });
    expect(verifyAuditRows(segment, { partial: true })).toMatchObject({ ok: true, firstSeq: 4, lastSeq: N });

    const edited = [...segment];
    edited[2] = { ...edited[2], actor: 'someone else' };
    expect(verifyAuditRows(edited, { partial: true }).broken).toMatchObject({ seq: 6, reason: 'hash_mismatch' });
  });

  it('rejects an export that is not a list of events, naming the line', () => {
    expect(() => parseAuditExport('{"seq":1}\n{oops', 'jsonl', 'a.jsonl')).toThrow(/line 2/);
    expect(() => parseAuditExport('{"a":1}', 'json')).toThrow(/no array/);
    expect(() => parseAuditExport('[{"seq":"1"}]', 'json')).toThrow(/ts is missing|seq must be/);
  });

  it('rowHashMatches checks one row against its own hash', () => {
    const [first, second] = allRows();
    expect(rowHashMatches(first)).toBe(true);
    expect(rowHashMatches(second)).toBe(true);
    expect(rowHashMatches({ ...second, ts: second.ts + 1 })).toBe(false);
  });
});
