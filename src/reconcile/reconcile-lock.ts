/**
 * "Never two runs of a kind at once", across instances: a session-level PostgreSQL advisory lock,
 * held on a connection of its own for the whole run. If that connection dies the lock is gone, so
 * the run is told to stop (`onLost`) rather than go on beside a run another instance may now start.
 * Reconciliation runs and rebuilds have a lock each: a rebuild may go on beside a reconciliation.
 */
import { trySessionLock, type SessionLock } from '../store/postgres/advisory-lock.js';
import type { PostgresConfig } from '../store/postgres/pool.js';
import type { RunKind } from '../store/postgres/reconcile-run-queries.js';

/** Arbitrary constants naming the run locks (migrations use ...0001). */
const runLockKeys: Record<RunKind, number> = { reconcile: 0x1e7e_0002, rebuild: 0x1e7e_0003 };

export type RunLock = SessionLock;

/** The lock, or null when another session holds it. */
export function tryRunLock(kind: RunKind, config: PostgresConfig, onLost: (error: Error) => void): Promise<RunLock | null> {
  return trySessionLock(config, runLockKeys[kind], `inventory-${kind}-lock`, onLost);
}
