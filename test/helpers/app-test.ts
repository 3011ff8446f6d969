/**
 * The integration fixture: `appTest(patch)` is vitest's `test` with file-scoped fixtures, so a file
 * gets one app (real PostgreSQL and Redis) for all its tests, started by the first test or hook
 * that asks for it and closed after the file's last test, failures included:
 *
 * - `t`: the app with its services and config, on a database copied from the run's template and
 *   its own Redis key prefix (`testConfig(patch)`); closing it deletes the prefix's keys and drops
 *   the database.
 * - `peer`: a second instance (another `createServices` + `buildApp`) on the same database and the
 *   same Redis prefix, as two processes of the service share both.
 *
 * ```ts
 * const it = appTest({ engine: { shards: 1 } });
 * it.beforeAll(async ({ t }) => { await createProduct(t.app, { product_id: 1, stock: 10 }); });
 * it('refuses …', async ({ t }) => { … });
 * ```
 * A file that needs two configurations makes two: `const seckill = appTest(seckillPatch)`.
 * `privateRedisAppTest(patch)` adds `redis`, a private redis-server the app is pointed at, for
 * files that stop, pause or empty Redis (never the shared one).
 */
import { test as baseTest } from 'vitest';
import type { Config } from '../../src/config/config-types.js';
import type { ServicesOptions } from '../../src/services.js';
import { PrivateRedis } from './private-redis.js';
import { dropDatabase, mergePatch, startTestApp, testConfig, type DeepPartial, type TestApp } from './test-env.js';

type Cleanup = (cleanup: () => Promise<void>) => void;

/** Starts the app of a file; on cleanup closes it and drops its database. */
async function fileApp(config: Config, onCleanup: Cleanup, options?: ServicesOptions): Promise<TestApp> {
  // If the start fails, the run's teardown drops the database.
  const app = await startTestApp(config, options);
  onCleanup(async () => {
    try {
      await app.close();
    } finally {
      await dropDatabase(config);
    }
  });
  return app;
}

export function appTest(patch?: DeepPartial<Config>, options?: ServicesOptions) {
  return baseTest
    .extend('t', { scope: 'file' }, async ({}, { onCleanup }) => fileApp(testConfig(patch), onCleanup, options))
    .extend('peer', { scope: 'file' }, async ({ t }, { onCleanup }): Promise<TestApp> => {
      const app = await startTestApp(t.config, options);
      onCleanup(() => app.close());
      return app;
    });
}

export function privateRedisAppTest(patch?: DeepPartial<Config>) {
  return baseTest
    .extend('redis', { scope: 'file' }, async ({}, { onCleanup }) => {
      const redis = await PrivateRedis.start();
      onCleanup(() => redis.stop());
      return redis;
    })
    .extend('t', { scope: 'file' }, async ({ redis }, { onCleanup }) =>
      fileApp(testConfig(mergePatch(patch ?? {}, { redis: { port: redis.port } })), onCleanup));
}
