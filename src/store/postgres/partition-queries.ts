/**
 * The partitions of `inventory_logs`, read from the catalog, and the DDL that adds and removes
 * them with the weakest locks PostgreSQL offers: a new partition is created apart and attached
 * (SHARE UPDATE EXCLUSIVE on the parent: writers and readers go on), an old one is detached
 * CONCURRENTLY (the same lock, and it waits for queries still using it instead of blocking new
 * ones) and only then dropped. Writes never wait for either.
 */
import pg from 'pg';
import type { LogPartition, PartitionRange } from '../../domain/ledger.js';

export interface AttachedPartition extends LogPartition {
  /** A DETACH … CONCURRENTLY that was interrupted: it must be finalized before the drop. */
  detachPending: boolean;
}

/**
 * The bounds come back as text in the session's time zone (`FOR VALUES FROM ('…') TO ('…')`,
 * or MINVALUE) and are read back as timestamptz in the same session.
 */
export async function selectLogPartitions(client: pg.ClientBase | pg.Pool): Promise<AttachedPartition[]> {
  const result = await client.query<{ name: string; from_at: Date | null; to_at: Date; detach_pending: boolean }>(`
    SELECT c.relname AS name,
           (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \\(''([^'']*)''\\)'))[1]::timestamptz AS from_at,
           (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \\(''([^'']*)''\\)'))[1]::timestamptz AS to_at,
           i.inhdetachpending AS detach_pending
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'inventory_logs'::regclass
     ORDER BY to_at`);
  return result.rows.map((row) => ({ name: row.name, from: row.from_at, to: row.to_at, detachPending: row.detach_pending }));
}

/**
 * Creates the table apart (no lock on the parent), then attaches it. The indexes copied from the
 * parent's definitions are adopted by the attach, and an empty table needs no validation scan.
 * A table left by an attach that failed is reused.
 */
export async function createLogPartition(client: pg.ClientBase, range: PartitionRange): Promise<void> {
  const table = pg.escapeIdentifier(range.name);
  await client.query(`CREATE TABLE IF NOT EXISTS ${table}
    (LIKE inventory_logs INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES)`);
  await client.query(`ALTER TABLE inventory_logs ATTACH PARTITION ${table}
    FOR VALUES FROM (${pg.escapeLiteral(range.from.toISOString())}) TO (${pg.escapeLiteral(range.to.toISOString())})`);
}

/**
 * DETACH … CONCURRENTLY cannot run inside a transaction block: `client` must be in autocommit.
 * When an earlier attempt was interrupted the partition is marked pending and only FINALIZE may
 * complete it.
 */
export async function detachLogPartition(client: pg.ClientBase, partition: AttachedPartition): Promise<void> {
  const table = pg.escapeIdentifier(partition.name);
  await client.query(`ALTER TABLE inventory_logs DETACH PARTITION ${table} ${partition.detachPending ? 'FINALIZE' : 'CONCURRENTLY'}`);
}

/** Drops a table no longer attached (nobody reads it any more, so its lock is taken at once). */
export async function dropDetachedTable(client: pg.ClientBase, name: string): Promise<void> {
  await client.query(`DROP TABLE IF EXISTS ${pg.escapeIdentifier(name)}`);
}

/** Seconds from the database's clock to the upper bound of the last partition (the write horizon). */
export async function selectPartitionHorizonSeconds(pool: pg.Pool): Promise<number | null> {
  const partitions = await selectLogPartitions(pool);
  const { rows } = await pool.query<{ now: Date }>('SELECT now() AS now');
  const last = partitions.at(-1);
  return last === undefined ? null : (last.to.getTime() - rows[0]!.now.getTime()) / 1000;
}
