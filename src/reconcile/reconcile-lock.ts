/**
 * "Never two runs at once", across instances: a session-level PostgreSQL advisory lock, held on a
 * connection of its own for the whole run. If that connection dies the lock is gone, so the run is
 * told to stop (`onLost`) rather than go on beside a run another instance may now start.
 */
import pg from 'pg';
import { connectionOptions, databaseName, type PostgresConfig } from '../store/postgres/pool.js';

/** Arbitrary constant naming the "reconciliation run" advisory lock (migrations use ...0001). */
const runLockKey = 0x1e7e_0002;

export interface RunLock {
  release(): Promise<void>;
}

/** The lock, or null when another session holds it. */
export async function tryRunLock(config: PostgresConfig, onLost: (error: Error) => void): Promise<RunLock | null> {
  const client = new pg.Client({
    ...connectionOptions(config, databaseName(config)),
    connectionTimeoutMillis: config.connect_timeout_ms,
    statement_timeout: config.statement_timeout_ms,
    application_name: 'inventory-reconcile-lock',
  });
  let released = false;
  client.on('error', (error) => { if (!released) onLost(error); });
  await client.connect();
  try {
    const result = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [runLockKey]);
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
      await client.query('SELECT pg_advisory_unlock($1)', [runLockKey]).catch(() => {});
      await client.end().catch(() => {});
    },
  };
}
