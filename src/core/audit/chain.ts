// The audit log's hash chain: how an event is hashed and how events are appended to audit_events.
// Each row's hash covers its own fields and the previous row's hash, so any edit, deletion or
// reordering breaks the chain from that row on (see verify.ts).
import crypto, { createHash } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import { WardenError } from '../errors.js';
import { canonicalJson } from './canonical-json.js';

/** prev_hash of the first event (seq 1). */
export const GENESIS_HASH = '0'.repeat(64);

export interface AuditEventInput {
  /** Epoch ms, an integer. */
  ts: number;
  /** Dotted event type, e.g. `key.created`, `request.denied`. */
  type: string;
  /** Who caused it: `cli:<user>`, `daemon`, `key:<id>`, ... */
  actor: string;
  subject?: string | null;
  /** Event details; stored as canonical JSON. Never put secrets here. */
  data: Record<string, unknown>;
}

/** Exactly the fields a hash covers. */
export interface HashableAuditEvent {
  seq: number;
  ts: number;
  type: string;
  actor: string;
  subject: string | null;
  data: unknown;
  prev_hash: string;
}

export interface AppendResult {
  /** seq of the first appended event (tail + 1). */
  firstSeq: number;
  /** seq of the last appended event; firstSeq - 1 when `events` was empty. */
  lastSeq: number;
  /** hash of the new head (unchanged when `events` was empty). */
  lastHash: string;
}

/** Hex SHA-256 of canonicalJson({seq, ts, type, actor, subject, data, prev_hash}). */
export function hashEvent(e: HashableAuditEvent): string {
  return hashWithDataJson(e, canonicalJson(e.data));
}

/**
 * Same result as hashEvent when `dataJson === canonicalJson(e.data)`; lets the writer and the verifier
 * canonicalise `data` once. The members are written in JCS order
 * (actor < data < prev_hash < seq < subject < ts < type), which a test pins against canonicalJson.
 */
export function hashWithDataJson(e: Omit<HashableAuditEvent, 'data'>, dataJson: string): string {
  const text =
    `{"actor":${scalar(e.actor)},"data":${dataJson},"prev_hash":${scalar(e.prev_hash)}` +
    `,"seq":${scalar(e.seq)},"subject":${scalar(e.subject)},"ts":${scalar(e.ts)}` +
    `,"type":${scalar(e.type)}}`;
  return sha256Hex(text);
}

/** canonicalJson for the envelope's scalars without its per-call set-up: this runs per request. */
function scalar(v: string | number | null): string {
  if (v === null) return 'null';
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  if (typeof v === 'string' && !ANY_SURROGATE.test(v)) return JSON.stringify(v);
  return canonicalJson(v); // the careful path: it also throws for what JSON cannot represent
}

const ANY_SURROGATE = /[\uD800-\uDFFF]/;

/** One-shot crypto.hash where Node has it (>= 20.12), else a Hash object. */
const oneShot = (crypto as { hash?: (alg: string, data: string, enc: 'hex') => string }).hash;
function sha256Hex(text: string): string {
  return oneShot ? oneShot('sha256', text, 'hex') : createHash('sha256').update(text, 'utf8').digest('hex');
}

interface Statements {
  tail: BetterSqlite3.Statement<[], { seq: number; hash: string }>;
  insert: BetterSqlite3.Statement<[number, number, string, string, string | null, string, string, string]>;
}

// This runs for every proxied request, so statements are prepared once per connection.
const statements = new WeakMap<BetterSqlite3.Database, Statements>();

function statementsFor(sqlite: BetterSqlite3.Database): Statements {
  let s = statements.get(sqlite);
  if (!s) {
    s = {
      tail: sqlite.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1'),
      insert: sqlite.prepare<[number, number, string, string, string | null, string, string, string]>(
        'INSERT INTO audit_events (seq, ts, type, actor, subject, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
    };
    statements.set(sqlite, s);
  }
  return s;
}

function checkEvent(e: AuditEventInput, index: number): void {
  const bad = (what: string) =>
    new WardenError('audit_event_invalid', `audit event #${index} (${String(e?.type)}): ${what}`, { exitCode: 1 });
  if (!Number.isSafeInteger(e.ts) || e.ts < 0) throw bad('ts must be a non-negative integer (epoch ms)');
  if (typeof e.type !== 'string' || e.type === '') throw bad('type must be a non-empty string');
  if (typeof e.actor !== 'string' || e.actor === '') throw bad('actor must be a non-empty string');
  if (e.subject !== undefined && e.subject !== null && typeof e.subject !== 'string') throw bad('subject must be a string or null');
  if (e.data === null || typeof e.data !== 'object' || Array.isArray(e.data)) throw bad('data must be a JSON object');
}

/**
 * Appends `events` to the chain, in order, and returns the new head.
 *
 * Contract: the caller MUST hold a write transaction on `sqlite` (the daemon's batched writer calls
 * this inside its batch transaction; use `db.transaction(fn).immediate()`), and the function throws if
 * none is open. The tail (max seq and its hash) is read from the table inside that transaction rather
 * than cached in memory, so two processes appending to the same file serialise on SQLite's write lock
 * and can never fork the chain; seq is the primary key, so a racing duplicate fails instead of forking.
 * If anything throws, the caller's transaction must be rolled back (better-sqlite3's transaction() does).
 */
export function appendAuditEvents(sqlite: BetterSqlite3.Database, events: readonly AuditEventInput[]): AppendResult {
  if (!sqlite.inTransaction) {
    throw new WardenError('audit_no_transaction', 'appendAuditEvents must run inside a transaction the caller holds', {
      exitCode: 1,
    });
  }
  events.forEach(checkEvent);
  const st = statementsFor(sqlite);
  const tail = st.tail.get();
  let seq = tail?.seq ?? 0;
  let prev = tail?.hash ?? GENESIS_HASH;
  const firstSeq = seq + 1;
  for (const e of events) {
    seq += 1;
    const subject = e.subject ?? null;
    const dataJson = canonicalJson(e.data);
    const hash = hashWithDataJson({ seq, ts: e.ts, type: e.type, actor: e.actor, subject, prev_hash: prev }, dataJson);
    st.insert.run(seq, e.ts, e.type, e.actor, subject, dataJson, prev, hash);
    prev = hash;
  }
  return { firstSeq, lastSeq: seq, lastHash: prev };
}

/** Appends one event in its own IMMEDIATE transaction (nested as a savepoint if one is already open). */
export function appendAuditEvent(sqlite: BetterSqlite3.Database, event: AuditEventInput): { seq: number; hash: string } {
  const r = sqlite.transaction(() => appendAuditEvents(sqlite, [event])).immediate();
  return { seq: r.lastSeq, hash: r.lastHash };
}
