/**
 * vitest globalSetup of the integration project: builds one template database per `npm test` run
 * (`inv_tpl_<run>`, migrated from `migrations/` as they are now, so a migration added since the
 * last run is in it), hands its name and the run id to the test files (`inject`), and at teardown
 * drops the template and every `inv_test_<run>_*` database of this run, also after failures.
 * Each file's database is then `CREATE DATABASE … TEMPLATE inv_tpl_<run>`: a file copy, not a
 * migration run (see `createTestDatabase` in test-env.ts).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { loadConfig } from '../../src/config/load-config.js';
import { ensureDatabase, migrate } from '../../src/store/postgres/migrate.js';
import type { PostgresConfig } from '../../src/store/postgres/pool.js';
import { withAdmin } from './postgres-admin.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's migrated template database; test databases are copies of it. */
    templateDatabase: string;
    /** Part of every test database name of this run, so teardown finds them all. */
    testRunId: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runId = `${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const base = loadConfig({}).database.postgres;
  const template: PostgresConfig = { ...base, dbname: `inv_tpl_${runId}` };
  const dropAll = () => dropRunDatabases(base, template.dbname, runId);
  try {
    await ensureDatabase(template);
    await migrate(template);
    // Nobody may connect to it from now on: a connection would make every copy fail.
    await withAdmin(base, (admin) => admin.query(`ALTER DATABASE ${pg.escapeIdentifier(template.dbname)} WITH ALLOW_CONNECTIONS false`));
  } catch (error) {
    await dropAll();
    throw error;
  }
  project.provide('templateDatabase', template.dbname);
  project.provide('testRunId', runId);
  return dropAll;
}

async function dropRunDatabases(base: PostgresConfig, template: string, runId: string): Promise<void> {
  await withAdmin(base, async (admin) => {
    const { rows } = await admin.query<{ datname: string }>(
      String.raw`SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE 'inv\_test\_' || $2 || '\_%'`, [template, runId]);
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(datname)} WITH (FORCE)`);
  });
}
