/**
 * CPU time of processes, from /proc (Linux): user + system, all threads. The benchmark reports CPU
 * per request of the server and of its PostgreSQL backends, a figure that survives the noise of a
 * shared 2-core machine better than a rate does: a process that waits or is preempted spends none.
 */
import { readFileSync } from 'node:fs';
import type pg from 'pg';

const clockTicksPerSecond = 100;

/** CPU milliseconds a process has used so far; 0 when it is gone. */
export function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start at ')'. utime, stime: fields 14, 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / clockTicksPerSecond;
  } catch {
    return 0;
  }
}

/** The backends serving one database (the server's pools), excluding the asking connection. */
export async function backendPids(client: pg.Client, database: string): Promise<number[]> {
  const { rows } = await client.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
  return rows.map((row) => row.pid);
}

export function totalCpuMs(pids: number[]): number {
  return pids.reduce((sum, pid) => sum + processCpuMs(pid), 0);
}
