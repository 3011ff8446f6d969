/**
 * Pins the parts of node-postgres the engine reaches past its public API (`src/store/postgres/
 * pg-internals.ts`): an upgrade of `pg` that renames or removes one fails here, not in production.
 * The backend pid matches `pg_backend_pid()`, the socket can be corked, and a pool built with the
 * pipeline option really pipelines (two statements in flight on one connection).
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { backendPidOf, canSendTogether, isPipelined, pipelineOption, sendTogether } from '../../src/store/postgres/pg-internals.js';

const connection = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' };
let client: pg.Client;
beforeAll(async () => {
  client = new pg.Client(connection);
  await client.connect();
});
afterAll(async () => { await client.end(); });

it('reads the backend pid PostgreSQL reports', async () => {
  const { rows: [row] } = await client.query('SELECT pg_backend_pid() AS pid');
  expect(backendPidOf(client)).toBe(row.pid);
  expect(backendPidOf(new pg.Client(connection))).toBeNull();
});

it('corks the socket around a round of statements, which still all answer', async () => {
  expect(canSendTogether(client)).toBe(true);
  const answers = await Promise.all(sendTogether(client, () => [client.query('SELECT 1 AS n'), client.query('SELECT 2 AS n')]));
  expect(answers.map((answer) => answer.rows[0].n)).toEqual([1, 2]);
});

it('pipelines exactly when the pool option asks for it', async () => {
  for (const pipeline of [true, false]) {
    const pool = new pg.Pool({ ...connection, max: 1, ...pipelineOption(pipeline) });
    try {
      const pooled = await pool.connect();
      try {
        expect(isPipelined(pooled)).toBe(pipeline);
        const answers = await Promise.all([pooled.query('SELECT 1 AS n'), pooled.query('SELECT 2 AS n')]);
        expect(answers.map((answer) => answer.rows[0].n)).toEqual([1, 2]);
      } finally {
        pooled.release();
      }
    } finally {
      await pool.end();
    }
  }
});
