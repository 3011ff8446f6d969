/**
 * "Never two runs at once", across instances: a session-level PostgreSQL advisory lock, held on a
 * connection of its own for the whole run. If that connection dies the lock is gone, so the run is
 * told to stop (`onLost`) rather than go on beside a run another instance may now start.
 */
import { trySessionLock, type SessionLock } from '../store/postgres/advisory-lock.js';
import type { PostgresConfig } from '../store/postgres/pool.js';

/** Arbitrary constant naming the "reconciliation run" advisory lock (migrations use ...0001). */
const runLockKey = 0x1e7e_0002;

export type RunLock = SessionLock;

/** The lock, or null when another session holds it. */
export function tryRunLock(config: PostgresConfig, onLost: (error: Error) => void): Promise<RunLock | null> {
  return trySessionLock(config, runLockKey, 'inventory-reconcile-lock', onLost);
}
