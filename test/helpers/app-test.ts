/**
 * The integration fixture: `appTest(patch)` is vitest's `test` with file-scoped fixtures, so a file
 * gets one app (real PostgreSQL and Redis) for all its tests, started by the first test that asks
 * for it and closed after the file's last test, failures included:
 *
 * - `t`: the app with its services and config, on a database copied from the run's template and
 *   its own Redis key prefix (`testConfig(patch)`); closing it deletes the prefix's keys and drops
 *   the database.
 * - `peer`: a second instance (another `createServices` + `buildApp`) on the same database and the
 *   same Redis prefix, as two processes of the service share both.
 *
 * ```ts
 * const test = appTest({ engine: { shards: 1 } });
 * test.beforeAll(async ({ t }) => { await createProduct(t.app, { product_id: 1, stock: 10 }); });
 * test('refuses …', async ({ t }) => { … });
 * ```
 * A file that needs two configurations makes two: `const seckillTest = appTest(seckillPatch)`.
 */
import { test as baseTest } from 'vitest';
import type { Config } from '../../src/config/config-types.js';
import { dropDatabase, startTestApp, testConfig, type DeepPartial, type TestApp } from './test-env.js';

export function appTest(patch?: DeepPartial<Config>) {
  return baseTest
    .extend('t', { scope: 'file' }, async ({}, { onCleanup }): Promise<TestApp> => {
      const config = testConfig(patch);
      // If the start fails, the run's teardown drops the database.
      const app = await startTestApp(config);
      onCleanup(async () => {
        try {
          await app.close();
        } finally {
          await dropDatabase(config);
        }
      });
      return app;
    })
    .extend('peer', { scope: 'file' }, async ({ t }, { onCleanup }): Promise<TestApp> => {
      const app = await startTestApp(t.config);
      onCleanup(() => app.close());
      return app;
    });
}
