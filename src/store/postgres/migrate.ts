/**
 * Creates the database when it is missing and applies `migrations/*.sql` in name order, each in
 * its own transaction. An advisory lock makes two instances starting together take turns.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { connectionOptions, databaseName, type PostgresConfig } from './pool.js';

export const migrationsDir = fileURLToPath(new URL('../../../migrations/', import.meta.url));
/** Arbitrary constant naming the "migrations" advisory lock. */
const migrationLockKey = 0x1e7e_0001;

export async function ensureDatabase(config: PostgresConfig): Promise<void> {
  const name = databaseName(config);
  const admin = new pg.Client({ ...connectionOptions(config, 'postgres'), connectionTimeoutMillis: config.connect_timeout_ms });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      try {
        await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      } catch (error) {
        // Another instance created it between our look and our create: that is what we wanted.
        // (A concurrent create fails on pg_database's unique index rather than with 42P04.)
        const code = (error as { code?: string }).code;
        if (code !== '42P04' && code !== '23505') throw error;
      }
    }
  } finally {
    await admin.end();
  }
}

export async function migrate(config: PostgresConfig, dir = migrationsDir): Promise<string[]> {
  const client = new pg.Client({ ...connectionOptions(config, databaseName(config)), connectionTimeoutMillis: config.connect_timeout_ms });
  await client.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [migrationLockKey]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    const done = new Set((await client.query<{ name: string }>('SELECT name FROM schema_migrations')).rows.map((r) => r.name));
    const files = readdirSync(dir).filter((file) => file.endsWith('.sql')).sort();
    for (const file of files) {
      if (done.has(file)) continue;
      await client.query('BEGIN');
      try {
        await client.query(readFileSync(`${dir}/${file}`, 'utf8'));
        await client.query('INSERT INTO schema_migrations (name) VALUES ($1)', [file]);
        await client.query('COMMIT');
        applied.push(file);
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${file} failed: ${(error as Error).message}`);
      }
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [migrationLockKey]).catch(() => {});
    await client.end();
  }
  return applied;
}
