// The scan's per-file result cache: findings of one file keyed by (engine version, rule-set hash,
// path, content SHA-256), in a SQLite file of its own in the data dir (a cache, not the store: it
// can be deleted at any time and is never migrated). Bounded by entry count; least recently used
// entries go first. A cache that cannot be opened or read is rebuilt, never an error for the scan.
//
// A second table remembers, per scanned tree, each file's stat signature (size, mtime, ctime,
// inode) and the result key its content hashed to, so an unchanged file is answered without being
// read or hashed, like git's index. A file modified within the last two seconds is not remembered
// that way (its timestamp could hide a second change in the same tick).
import { createHash } from 'node:crypto';
import nodeFs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import type { Finding } from './types.js';

export const DEFAULT_CACHE_ENTRIES = 200_000;
/** One file's cached result larger than this (JSON) is not cached: rescanning it is cheaper than the I/O. */
const MAX_VALUE_BYTES = 1024 * 1024;
const SCHEMA_VERSION = 3;

export interface CachedResult {
  findings: Finding[];
  /** The file's skip reason, when the engine skipped it (binary, not UTF-8, minified, ...). */
  skip?: string;
  /** False when the file's content was not text (binary, not UTF-8): it does not count as analysed. */
  text: boolean;
}

export interface TreeEntry {
  /** The file's stat signature when its result was recorded. */
  sig: string;
  /** The result's key (content hash based). */
  key: string;
  value: CachedResult;
}

export interface ResultCache {
  get(key: string): CachedResult | undefined;
  put(key: string, value: CachedResult): void;
  /** Parsed rule files (see rules.ts RuleFileCache), kept in the same file. */
  getValue(key: string): unknown;
  putValue(key: string, value: unknown): void;
  /** What the last scans of the tree `scope` recorded, by path: one query for the whole tree. */
  loadTree(scope: string): Map<string, TreeEntry>;
  /** Records that `path` in tree `scope`, with stat signature `sig`, has the result under `key`. */
  noteTree(scope: string, path: string, sig: string, key: string): void;
  /** Marks a tree entry (and its result) as used, for least-recently-used pruning. */
  touchTree(scope: string, path: string, key: string): void;
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
    db.exec('DROP TABLE IF EXISTS tree_files');
    db.exec('CREATE TABLE results (key TEXT PRIMARY KEY, value TEXT NOT NULL, used_at INTEGER NOT NULL) WITHOUT ROWID');
    db.exec('CREATE INDEX results_used_at ON results (used_at)');
    // Parsed rule files: few, small, and worth keeping; pruned by the same bound.
    db.exec('CREATE TABLE rule_files (key TEXT PRIMARY KEY, value TEXT NOT NULL, used_at INTEGER NOT NULL) WITHOUT ROWID');
    db.exec(
      'CREATE TABLE tree_files (scope TEXT NOT NULL, path TEXT NOT NULL, sig TEXT NOT NULL, key TEXT NOT NULL, used_at INTEGER NOT NULL, PRIMARY KEY (scope, path)) WITHOUT ROWID',
    );
    db.exec('CREATE INDEX tree_files_used_at ON tree_files (used_at)');
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
  const pendingTree = new Map<string, [string, string, string, string]>();
  const touchedTree: [string, string][] = [];
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
    loadTree(scope) {
      const out = new Map<string, TreeEntry>();
      if (!db) return out;
      try {
        const rows = db
          .prepare<[string], { path: string; sig: string; key: string; value: string }>(
            'SELECT t.path, t.sig, t.key, r.value FROM tree_files t JOIN results r ON r.key = t.key WHERE t.scope = ?',
          )
          .all(scope);
        for (const r of rows) {
          let parsed: CachedResult | undefined;
          out.set(r.path, {
            sig: r.sig,
            key: r.key,
            get value() {
              return (parsed ??= JSON.parse(r.value) as CachedResult);
            },
          });
        }
      } catch {
        /* an unreadable tree table only means reading the files */
      }
      return out;
    },
    noteTree(scope, path, sig, key) {
      pendingTree.set(`${scope}\0${path}`, [scope, path, sig, key]);
    },
    touchTree(scope, path, key) {
      hits++;
      touchedTree.push([scope, path]);
      used.push(key);
    },
    close() {
      if (!db) return;
      if (pending.size === 0 && pendingValues.size === 0 && used.length === 0 && pendingTree.size === 0) {
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
        const insertTree = conn.prepare<[string, string, string, string, number]>(
          'INSERT OR REPLACE INTO tree_files (scope, path, sig, key, used_at) VALUES (?, ?, ?, ?, ?)',
        );
        const touchTree = conn.prepare<[number, string, string]>('UPDATE tree_files SET used_at = ? WHERE scope = ? AND path = ?');
        conn
          .transaction(() => {
            for (const [k, v] of pending) insert.run(k, v, now);
            for (const [k, v] of pendingValues) insertValue.run(k, v, now);
            // Rule files come and go with rule edits; a few hundred entries cover any working set.
            conn.prepare('DELETE FROM rule_files WHERE key NOT IN (SELECT key FROM rule_files ORDER BY used_at DESC LIMIT 2000)').run();
            for (const k of used) touch.run(now, k);
            for (const [scope, path, sig, key] of pendingTree.values()) insertTree.run(scope, path, sig, key, now);
            for (const [scope, path] of touchedTree) touchTree.run(now, scope, path);
            const prune: [string, string][] = [
              ['results', 'key'],
              ['tree_files', '(scope, path)'],
            ];
            for (const [table, pk] of prune) {
              const count = (conn.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
              if (count > maxEntries) {
                const cols = pk.replace(/[()]/g, '');
                conn.prepare<[number]>(`DELETE FROM ${table} WHERE ${pk} IN (SELECT ${cols} FROM ${table} ORDER BY used_at ASC LIMIT ?)`).run(count - maxEntries);
              }
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
