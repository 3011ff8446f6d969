/** A short-lived client on the server's `postgres` database, for creating and dropping test databases. */
import pg from 'pg';
import { connectionOptions, type PostgresConfig } from '../../src/store/postgres/pool.js';

export async function withAdmin<T>(postgres: PostgresConfig, work: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client(connectionOptions(postgres, 'postgres'));
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}
