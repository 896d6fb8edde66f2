// The scan's per-file result cache: findings of one file keyed by (engine version, rule-set hash,
// path, content SHA-256), in a SQLite file of its own in the data dir (a cache, not the store: it
// can be deleted at any time and is never migrated). Bounded by entry count; least recently used
// entries go first. A cache that cannot be opened or read is rebuilt, never an error for the scan.
import { createHash } from 'node:crypto';
import nodeFs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import type { Finding } from './types.js';

export const DEFAULT_CACHE_ENTRIES = 200_000;
/** One file's cached result larger than this (JSON) is not cached: rescanning it is cheaper than the I/O. */
const MAX_VALUE_BYTES = 1024 * 1024;
const SCHEMA_VERSION = 2;

export interface CachedResult {
  findings: Finding[];
  /** The file's skip reason, when the engine skipped it (binary, not UTF-8, minified, ...). */
  skip?: string;
  /** False when the file's content was not text (binary, not UTF-8): it does not count as analysed. */
  text: boolean;
}

export interface ResultCache {
  get(key: string): CachedResult | undefined;
  put(key: string, value: CachedResult): void;
  /** Parsed rule files (see rules.ts RuleFileCache), kept in the same file. */
  getValue(key: string): unknown;
  putValue(key: string, value: unknown): void;
  /** Writes pending entries and use times, prunes to the bound, closes the file. */
  close(): void;
  /** Lookups answered from the cache so far. */
  readonly hits: number;
}

export interface OpenCacheOptions {
  /** Epoch ms, for least-recently-used pruning (the caller's clock). */
  now: () => number;
  maxEntries?: number;
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** The cache key of one file's result. */
export function cacheKey(engineVersion: string, ruleSetHash: string, relPath: string, contentHash: string): string {
  return sha256Hex(`${engineVersion}\0${ruleSetHash}\0${relPath}\0${contentHash}`);
}

function openDb(file: string): SQLite.Database {
  nodeFs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const db = new SQLite(file);
  try {
    nodeFs.chmodSync(file, 0o600);
  } catch {
    /* best effort on filesystems without modes */
  }
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = OFF');
  db.pragma('busy_timeout = 5000');
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version !== SCHEMA_VERSION) {
    db.exec('DROP TABLE IF EXISTS results');
    db.exec('DROP TABLE IF EXISTS rule_files');
    db.exec('CREATE TABLE results (key TEXT PRIMARY KEY, value TEXT NOT NULL, used_at INTEGER NOT NULL) WITHOUT ROWID');
    db.exec('CREATE INDEX results_used_at ON results (used_at)');
    // Parsed rule files: few, small, and worth keeping; pruned by the same bound.
    db.exec('CREATE TABLE rule_files (key TEXT PRIMARY KEY, value TEXT NOT NULL, used_at INTEGER NOT NULL) WITHOUT ROWID');
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  }
  return db;
}

/**
 * Opens (creating if needed) the cache at `file`. A damaged file is deleted and recreated; if even
 * that fails the cache is a no-op, so a scan never fails because of its cache.
 */
export function openResultCache(file: string, opts: OpenCacheOptions): ResultCache {
  let db: SQLite.Database | undefined;
  try {
    db = openDb(file);
  } catch {
    try {
      for (const f of [file, `${file}-wal`, `${file}-shm`]) nodeFs.rmSync(f, { force: true });
      db = openDb(file);
    } catch {
      db = undefined;
    }
  }
  const maxEntries = opts.maxEntries ?? DEFAULT_CACHE_ENTRIES;
  const pending = new Map<string, string>();
  const pendingValues = new Map<string, string>();
  const used: string[] = [];
  let hits = 0;
  const select = db?.prepare<[string], { value: string }>('SELECT value FROM results WHERE key = ?');
  const selectValue = db?.prepare<[string], { value: string }>('SELECT value FROM rule_files WHERE key = ?');

  return {
    get hits() {
      return hits;
    },
    get(key) {
      if (!select) return undefined;
      let row: { value: string } | undefined;
      try {
        row = select.get(key);
      } catch {
        return undefined;
      }
      if (!row) return undefined;
      try {
        const value = JSON.parse(row.value) as CachedResult;
        hits++;
        used.push(key);
        return value;
      } catch {
        return undefined;
      }
    },
    put(key, value) {
      const json = JSON.stringify(value);
      if (json.length <= MAX_VALUE_BYTES) pending.set(key, json);
    },
    getValue(key) {
      try {
        const row = selectValue?.get(key);
        return row ? (JSON.parse(row.value) as unknown) : undefined;
      } catch {
        return undefined;
      }
    },
    putValue(key, value) {
      const json = JSON.stringify(value);
      if (json.length <= 16 * MAX_VALUE_BYTES) pendingValues.set(key, json);
    },
    close() {
      if (!db) return;
      if (pending.size === 0 && pendingValues.size === 0 && used.length === 0) {
        db.close();
        db = undefined;
        return;
      }
      const conn = db;
      db = undefined;
      try {
        const now = Math.trunc(opts.now());
        const insert = conn.prepare<[string, string, number]>('INSERT OR REPLACE INTO results (key, value, used_at) VALUES (?, ?, ?)');
        const touch = conn.prepare<[number, string]>('UPDATE results SET used_at = ? WHERE key = ?');
        const insertValue = conn.prepare<[string, string, number]>('INSERT OR REPLACE INTO rule_files (key, value, used_at) VALUES (?, ?, ?)');
        conn
          .transaction(() => {
            for (const [k, v] of pending) insert.run(k, v, now);
            for (const [k, v] of pendingValues) insertValue.run(k, v, now);
            // Rule files come and go with rule edits; a few hundred entries cover any working set.
            conn.prepare('DELETE FROM rule_files WHERE key NOT IN (SELECT key FROM rule_files ORDER BY used_at DESC LIMIT 2000)').run();
            for (const k of used) touch.run(now, k);
            const count = (conn.prepare('SELECT count(*) AS n FROM results').get() as { n: number }).n;
            if (count > maxEntries) {
              conn
                .prepare<[number]>('DELETE FROM results WHERE key IN (SELECT key FROM results ORDER BY used_at ASC LIMIT ?)')
                .run(count - maxEntries);
            }
          })
          .immediate();
      } catch {
        /* a cache write that fails costs the next run time, nothing else */
      } finally {
        conn.close();
      }
    },
  };
}
