// Verifies the audit hash chain, from the live table or from an exported log, and names the first broken link.
// What it proves: every row is unchanged, in place and linked to its predecessor. What it cannot prove
// alone: that rows were not cut off the end or the whole tail rewritten — compare `headHash` with a copy
// kept elsewhere for that.
import type BetterSqlite3 from 'better-sqlite3';
import { WardenError } from '../errors.js';
import { canonicalJson } from './canonical-json.js';
import { GENESIS_HASH, hashWithDataJson } from './chain.js';

export type ChainBreakReason = 'hash_mismatch' | 'prev_hash_mismatch' | 'seq_gap' | 'bad_genesis';

export interface ChainBreak {
  /** The first seq at which the chain no longer holds (for a gap: the first missing seq). */
  seq: number;
  reason: ChainBreakReason;
  message: string;
}

export interface ChainVerification {
  ok: boolean;
  /** Rows in the log (all of them, including any after the break). */
  count: number;
  firstSeq: number | null;
  lastSeq: number | null;
  /** Stored hash of the last row (GENESIS_HASH for an empty log); vouched for only when ok. */
  headHash: string;
  broken?: ChainBreak;
}

/** One row as stored: `data` is JSON text (canonical when Warden wrote it). */
export interface AuditChainRow {
  seq: number;
  ts: number;
  type: string;
  actor: string;
  subject: string | null;
  data: string;
  prev_hash: string;
  hash: string;
}

export interface VerifyOptions {
  /**
   * Accept a log that starts mid-chain (an export made with --since): the first row's seq and
   * prev_hash are taken as given, and only the links from there on are checked. Default false.
   */
  partial?: boolean;
}

/**
 * Walks rows that must be in ascending seq order and reports the first broken link. Checks per row,
 * in this order: seq continuity (seq_gap; the log starts at 1), link to the previous row's hash
 * (bad_genesis for the first row, prev_hash_mismatch after it), then the row's own hash (hash_mismatch).
 * Linking before hashing means a moved row is reported as out of place at the first seq it disturbs.
 * Consumes the whole iterable (to count) but keeps only the previous row in memory.
 */
export function verifyAuditRows(rows: Iterable<AuditChainRow>, opts: VerifyOptions = {}): ChainVerification {
  let count = 0;
  let firstSeq: number | null = null;
  let lastSeq: number | null = null;
  let headHash = GENESIS_HASH;
  let prevSeq = 0;
  let prevHash = GENESIS_HASH;
  let broken: ChainBreak | undefined;

  for (const row of rows) {
    count += 1;
    if (firstSeq === null) firstSeq = row.seq;
    lastSeq = row.seq;
    headHash = row.hash;
    if (broken) continue;
    if (count === 1 && opts.partial && Number.isSafeInteger(row.seq) && row.seq >= 1) {
      prevSeq = row.seq - 1;
      prevHash = row.prev_hash;
    }
    broken = checkRow(row, count === 1 && !opts.partial, prevSeq, prevHash);
    prevSeq = row.seq;
    prevHash = row.hash;
  }
  return { ok: broken === undefined, count, firstSeq, lastSeq, headHash, ...(broken ? { broken } : {}) };
}

/** True when a row's stored hash matches its own contents (no chain check). */
export function rowHashMatches(row: AuditChainRow): boolean {
  return checkRow(row, false, row.seq - 1, row.prev_hash) === undefined;
}

// `first` means "must be the genesis row"; a partial log's first row is checked as a linked row.
function checkRow(row: AuditChainRow, first: boolean, prevSeq: number, prevHash: string): ChainBreak | undefined {
  const expected = prevSeq + 1;
  if (row.seq !== expected) {
    if (Number.isInteger(row.seq) && row.seq > expected) {
      const missing = row.seq - 1 === expected ? `seq ${expected} is missing` : `seqs ${expected}–${row.seq - 1} are missing`;
      return {
        seq: expected,
        reason: 'seq_gap',
        message: first ? `${missing}: the log starts at seq ${row.seq}` : `${missing}: seq ${prevSeq} is followed by seq ${row.seq}`,
      };
    }
    if (first) {
      return { seq: row.seq, reason: 'bad_genesis', message: `the log must start at seq 1 but starts at seq ${row.seq}` };
    }
    return { seq: row.seq, reason: 'seq_gap', message: `seq ${row.seq} is out of order after seq ${prevSeq}` };
  }

  if (first && row.prev_hash !== GENESIS_HASH) {
    return {
      seq: row.seq,
      reason: 'bad_genesis',
      message: `seq ${row.seq} is the first event but its prev_hash is not the genesis hash (64 zeros)`,
    };
  }
  if (!first && row.prev_hash !== prevHash) {
    return {
      seq: row.seq,
      reason: 'prev_hash_mismatch',
      message: `seq ${row.seq}'s prev_hash does not match the hash of seq ${prevSeq}: a row was moved, replaced or re-hashed`,
    };
  }

  let dataJson: string;
  try {
    dataJson = canonicalJson(JSON.parse(row.data));
  } catch {
    return { seq: row.seq, reason: 'hash_mismatch', message: `seq ${row.seq}'s data is not valid JSON` };
  }
  let actual: string;
  try {
    actual = hashWithDataJson(
      { seq: row.seq, ts: row.ts, type: row.type, actor: row.actor, subject: row.subject ?? null, prev_hash: row.prev_hash },
      dataJson,
    );
  } catch {
    return { seq: row.seq, reason: 'hash_mismatch', message: `seq ${row.seq} has fields that cannot be hashed` };
  }
  if (actual !== row.hash) {
    return {
      seq: row.seq,
      reason: 'hash_mismatch',
      message: `seq ${row.seq}'s contents do not match its hash: the row was edited`,
    };
  }
  return undefined;
}

/**
 * Verifies the audit_events table of an open database, streaming rows in seq order. Works on a
 * read-only connection; run it on a connection that is not in the middle of another statement.
 */
export function verifyAuditChain(sqlite: BetterSqlite3.Database): ChainVerification {
  const stmt = sqlite.prepare<[], AuditChainRow>(
    'SELECT seq, ts, type, actor, subject, data, prev_hash, hash FROM audit_events ORDER BY seq',
  );
  return verifyAuditRows(stmt.iterate());
}

export type AuditExportFormat = 'json' | 'jsonl';

/**
 * Turns an exported log (`warden audit export --format json|jsonl`) back into chain rows so it can be
 * re-verified away from the database. `ts` may be epoch ms or an ISO string (exports carry both
 * `ts` as ISO and `ts_ms`); `data` may be an object or JSON text.
 */
export function parseAuditExport(text: string, format: AuditExportFormat, source = 'export'): AuditChainRow[] {
  let records: unknown[];
  if (format === 'json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new WardenError('audit_export_invalid', `${source} is not valid JSON: ${(e as Error).message}`);
    }
    const list = Array.isArray(parsed) ? parsed : (parsed as { events?: unknown } | null)?.events;
    if (!Array.isArray(list)) throw new WardenError('audit_export_invalid', `${source} holds no array of events`);
    records = list;
  } else {
    records = [];
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].trim();
      if (line === '') continue;
      try {
        records.push(JSON.parse(line));
      } catch (e) {
        throw new WardenError('audit_export_invalid', `${source}: line ${i + 1} is not valid JSON: ${(e as Error).message}`, {
          location: { file: source, line: i + 1 },
        });
      }
    }
  }
  return records.map((r, i) => toChainRow(r, i, source));
}

function toChainRow(r: unknown, index: number, source: string): AuditChainRow {
  const bad = (what: string) => new WardenError('audit_export_invalid', `${source}: event #${index + 1}: ${what}`);
  if (r === null || typeof r !== 'object') throw bad('not an object');
  const o = r as Record<string, unknown>;
  let ts: number;
  if (typeof o.ts_ms === 'number') ts = o.ts_ms;
  else if (typeof o.ts === 'number') ts = o.ts;
  else if (typeof o.ts === 'string' && !Number.isNaN(Date.parse(o.ts))) ts = Date.parse(o.ts);
  else throw bad('ts is missing or not a time');
  if (typeof o.seq !== 'number') throw bad('seq must be a number');
  for (const k of ['type', 'actor', 'prev_hash', 'hash'] as const) if (typeof o[k] !== 'string') throw bad(`${k} must be a string`);
  if (o.subject !== null && o.subject !== undefined && typeof o.subject !== 'string') throw bad('subject must be a string or null');
  let data: string;
  if (typeof o.data === 'string') data = o.data;
  else {
    try {
      data = canonicalJson(o.data);
    } catch (e) {
      throw bad(`data cannot be serialised: ${(e as Error).message}`);
    }
  }
  return {
    seq: o.seq as number,
    ts,
    type: o.type as string,
    actor: o.actor as string,
    subject: (o.subject as string | null | undefined) ?? null,
    data,
    prev_hash: o.prev_hash as string,
    hash: o.hash as string,
  };
}
