// Opens the SQLite store (WAL, 0600, data dir 0700), wraps it in kysely and applies migrations.
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, Migrator, SqliteDialect, type Migration, type MigrationProvider } from 'kysely';
import { WardenError } from '../errors.js';
import type { Database } from './schema.js';
import * as m0001 from './migrations/0001-initial.js';
import * as m0002 from './migrations/0002-budgets.js';
import * as m0003 from './migrations/0003-policy-versions.js';
import * as m0004 from './migrations/0004-request-policy.js';
import * as m0005 from './migrations/0005-scan-runs.js';

/** Numbered, append-only. Add a line per new migration file; never edit a landed one. */
const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-budgets': m0002,
  '0003-policy-versions': m0003,
  '0004-request-policy': m0004,
  '0005-scan-runs': m0005,
};

class StaticMigrations implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

export interface Store {
  /** Typed query builder for repos. */
  db: Kysely<Database>;
  /** The raw connection, for the batched writer's prepared statements and pragmas. */
  sqlite: SQLite.Database;
  file: string;
  close(): Promise<void>;
}

export interface OpenStoreOptions {
  readonly?: boolean;
  /** Apply pending migrations (the daemon does; read-only reports do not). */
  migrate?: boolean;
}

export function ensurePrivateDir(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
}

export async function openStore(file: string, opts: OpenStoreOptions = {}): Promise<Store> {
  const readonly = opts.readonly ?? false;
  if (readonly && !fs.existsSync(file)) {
    throw new WardenError('store_missing', `no Warden database at ${file}`, {
      hint: 'the daemon creates it on first start: run `warden up`',
    });
  }
  if (!readonly) ensurePrivateDir(path.dirname(file));
  let sqlite: SQLite.Database;
  try {
    sqlite = new SQLite(file, { readonly, fileMustExist: readonly });
  } catch (e) {
    throw new WardenError('store_open_failed', `cannot open the database ${file}: ${(e as Error).message}`, { cause: e });
  }
  if (!readonly) {
    try {
      fs.chmodSync(file, 0o600);
    } catch {
      /* best effort on filesystems without modes */
    }
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    // 12 MB of page cache (SQLite's default is 2 MB): the writer's inserts touch the tails of the
    // tables and their indexes, and keeping those pages hot cut its cost per request by a third.
    sqlite.pragma('cache_size = -12000');
  }
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  const store: Store = {
    db,
    sqlite,
    file,
    async close() {
      await db.destroy();
    },
  };
  if (opts.migrate && !readonly) await migrate(store);
  return store;
}

export async function migrate(store: Store): Promise<void> {
  const migrator = new Migrator({ db: store.db, provider: new StaticMigrations() });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    throw new WardenError(
      'migration_failed',
      `database migration ${failed?.migrationName ?? '?'} failed: ${(error as Error).message ?? String(error)}`,
      { cause: error },
    );
  }
}
