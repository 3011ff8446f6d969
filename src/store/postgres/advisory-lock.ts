/**
 * "One at a time, across instances": a session-level PostgreSQL advisory lock, held on a
 * connection of its own for as long as the work goes on. If that connection dies the lock is
 * gone, so the holder is told (`onLost`) rather than go on beside another instance that may now
 * take it. Lock keys are arbitrary constants, one per kind of work (0x1e7e_00xx: migrations and
 * reconciliation; 0x1e7e_06xx: the ledger).
 */
import pg from 'pg';
import { connectionOptions, databaseName, type PostgresConfig } from './pool.js';

export interface SessionLock {
  release(): Promise<void>;
}

/** The lock, or null when another session holds it. */
export async function trySessionLock(
  config: PostgresConfig, key: number, applicationName: string, onLost: (error: Error) => void,
): Promise<SessionLock | null> {
  const client = new pg.Client({
    ...connectionOptions(config, databaseName(config)),
    connectionTimeoutMillis: config.connect_timeout_ms,
    statement_timeout: config.statement_timeout_ms,
    application_name: applicationName,
  });
  let released = false;
  client.on('error', (error) => { if (!released) onLost(error); });
  await client.connect();
  try {
    const result = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [key]);
    if (!result.rows[0]!.locked) {
      released = true;
      await client.end();
      return null;
    }
  } catch (error) {
    released = true;
    await client.end().catch(() => {});
    throw error;
  }
  return {
    release: async () => {
      if (released) return;
      released = true;
      // Ending the session releases the lock even when the unlock cannot be sent.
      await client.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => {});
      await client.end().catch(() => {});
    },
  };
}
