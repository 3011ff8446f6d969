/**
 * Test environment: every test file gets its own PostgreSQL database and Redis key prefix, so runs
 * (and files running in parallel) never see each other's rows or keys. Real PostgreSQL and Redis.
 * Under vitest a database is a copy of the run's template (see template-database.ts), named
 * `inv_test_<run>_<suffix>` so the run's teardown drops it even when a file could not.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { Redis } from 'ioredis';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { loadConfig, validateConfig } from '../../src/config/load-config.js';
import type { Config } from '../../src/config/config-types.js';
import { createServices, type Services, type ServicesOptions } from '../../src/services.js';
import { withAdmin } from './postgres-admin.js';

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? (T[K] extends unknown[] ? T[K] : DeepPartial<T[K]>) : T[K] };

export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

// Only inside a vitest worker: the benchmarks import this module too.
const provided = process.env.VITEST === undefined ? undefined : await import('vitest').then(({ inject }) => ({
  templateDatabase: inject('templateDatabase') as string | undefined,
  testRunId: inject('testRunId') as string | undefined,
}));

/** `patch` laid over `base`, objects merged key by key (arrays and other values replaced). */
export function mergePatch<T>(base: T, patch: DeepPartial<T> | undefined): T {
  if (patch === undefined) return base;
  const out = { ...base } as Record<string, unknown>;
  for (const [key, value] of Object.entries(patch as Record<string, unknown>)) {
    const current = out[key];
    out[key] = value !== null && typeof value === 'object' && !Array.isArray(value) && typeof current === 'object'
      ? mergePatch(current, value as DeepPartial<typeof current>)
      : value;
  }
  return out as T;
}

/** The default config pointed at a fresh database name and Redis prefix, with `patch` on top. */
export function testConfig(patch?: DeepPartial<Config>): Config {
  const suffix = uniqueSuffix();
  const base = loadConfig({});
  const isolated = mergePatch(base, {
    database: { postgres: { dbname: provided?.testRunId === undefined ? `inv_test_${suffix}` : `inv_test_${provided.testRunId}_${suffix}` } },
    redis: { key_prefix: `test:${suffix}:`, db: 0 },
    inventory: { health_check: { enable: false } },
    logging: { level: 'error' },
  });
  return validateConfig(mergePatch(isolated, patch));
}

export interface TestApp {
  app: FastifyInstance;
  services: Services;
  config: Config;
  close(): Promise<void>;
}

/**
 * Creates the config's database as a copy of the run's template (migrated once per run). Outside
 * vitest (the benchmarks) there is no template: the service creates and migrates the database.
 * Another instance of the same test may have created it already: that is fine.
 */
export async function createTestDatabase(config: Config): Promise<void> {
  if (provided === undefined) return;
  const template = provided.templateDatabase;
  if (template === undefined) throw new Error('no template database: integration tests run in the integration project of vitest.config.ts');
  await withAdmin(config.database.postgres, async (admin) => {
    try {
      await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(config.database.postgres.dbname)} TEMPLATE ${pg.escapeIdentifier(template)}`);
    } catch (error) {
      if ((error as { code?: string }).code !== '42P04') throw error; // duplicate_database
    }
  });
}

export async function startTestApp(config: Config, options?: ServicesOptions): Promise<TestApp> {
  await createTestDatabase(config);
  const services = await createServices(config, options);
  const app = await buildApp(services);
  await app.ready();
  return {
    app, services, config,
    close: async () => {
      await app.close();
      // Best effort: a test that stopped Redis or points at a private one may leave nothing to clean.
      if (services.redis instanceof Redis && services.redis.status === 'ready') await dropRedisKeys(services).catch(() => {});
      await services.close();
    },
  };
}

/** Deletes every Redis key under the config's test prefix (stock keys and their version keys). */
export async function dropRedisKeys(services: Services): Promise<void> {
  await dropKeysWithPrefix(services.redis as Redis, services.config.redis.key_prefix);
}

export async function dropKeysWithPrefix(redis: Redis, prefix: string): Promise<void> {
  for (const pattern of [`${prefix}*`, `{${prefix}*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 5000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  }
}

/** Drops a test database (after every app using it is closed). */
export async function dropDatabase(config: Config): Promise<void> {
  await withAdmin(config.database.postgres, (admin) => admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(config.database.postgres.dbname)} WITH (FORCE)`));
}

/** A direct client on the test database, for assertions the API does not expose. */
export async function sql<T extends pg.QueryResultRow = pg.QueryResultRow>(services: Services, text: string, values: unknown[] = []): Promise<T[]> {
  return (await services.readPool.query<T>(text, values)).rows;
}

export async function createProduct(app: FastifyInstance, body: Record<string, unknown>): Promise<Record<string, unknown>> {
  const response = await app.inject({ method: 'POST', url: '/api/v1/inventory', payload: body });
  if (response.statusCode !== 201) throw new Error(`create failed: ${response.statusCode} ${response.body}`);
  return response.json().data;
}

export async function sync(app: FastifyInstance, body: Record<string, unknown>) {
  const response = await app.inject({ method: 'POST', url: '/api/v1/sync-stock', payload: body });
  return { status: response.statusCode, body: response.json() as { success: boolean; code?: string; message: string; data: Record<string, number | boolean> }, headers: response.headers };
}
