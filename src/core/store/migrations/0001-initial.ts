// Migration 0001: the foundation tables. Append-only: never edit after it has landed.
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('started_at', 'integer', (c) => c.notNull())
    .addColumn('finished_at', 'integer')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('http_status', 'integer')
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('endpoint', 'text')
    .addColumn('provider', 'text')
    .addColumn('model', 'text')
    .addColumn('stream', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('key_id', 'text')
    .addColumn('project', 'text')
    .addColumn('session_id', 'text')
    .addColumn('tool', 'text')
    .addColumn('user_agent', 'text')
    .addColumn('repo', 'text')
    .addColumn('branch', 'text')
    .addColumn('input_tokens', 'integer')
    .addColumn('output_tokens', 'integer')
    .addColumn('cache_read_tokens', 'integer')
    .addColumn('cache_write_5m_tokens', 'integer')
    .addColumn('cache_write_1h_tokens', 'integer')
    .addColumn('reasoning_tokens', 'integer')
    .addColumn('usage_source', 'text')
    .addColumn('cost_usd', 'real')
    .addColumn('price_unknown', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('overhead_ms', 'real')
    .addColumn('upstream_ms', 'real')
    .addColumn('duration_ms', 'real')
    .addColumn('error_code', 'text')
    .addColumn('error_message', 'text')
    .addColumn('request_body', 'text')
    .addColumn('response_body', 'text')
    .execute();
  await db.schema.createIndex('requests_started_at').on('requests').column('started_at').execute();
  // Only in-flight rows are indexed by status (start-up recovery looks them up); every other filter
  // rides on started_at. Each index costs every insert, and inserts happen per proxied request.
  await db.schema.createIndex('requests_in_flight').on('requests').column('status').where('status', '=', 'started').execute();

  await db.schema
    .createTable('virtual_keys')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text')
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('expires_at', 'integer')
    .addColumn('revoked_at', 'integer')
    .addColumn('replaced_by', 'text')
    .addColumn('session_id', 'text')
    .addColumn('user', 'text')
    .addColumn('team', 'text')
    .addColumn('tags', 'text')
    .addColumn('last_used_at', 'integer')
    .execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text')
    .addColumn('repo', 'text')
    .addColumn('branch', 'text')
    .addColumn('cwd', 'text')
    .addColumn('command', 'text')
    .addColumn('started_at', 'integer', (c) => c.notNull())
    .addColumn('ended_at', 'integer')
    .addColumn('exit_code', 'integer')
    .execute();

  await db.schema
    .createTable('providers')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('base_url', 'text')
    .addColumn('api_version', 'text')
    .addColumn('secret_store', 'text')
    .addColumn('created_at', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'integer', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('seq', 'integer', (c) => c.primaryKey())
    .addColumn('ts', 'integer', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('subject', 'text')
    .addColumn('data', 'text', (c) => c.notNull())
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_events_ts').on('audit_events').column('ts').execute();
  // The audit log is append-only: the database itself refuses edits and deletions.
  await sql`CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END`.execute(db);
  await sql`CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END`.execute(db);

  await db.schema
    .createTable('meta')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('migrations are append-only; there is no down');
}
