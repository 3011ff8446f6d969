/**
 * One app per test file, started before its tests and closed (database dropped) after them. The
 * returned object reads the started app lazily, so tests use it like a started TestApp.
 * Superseded by the fixture in app-test.ts (`appTest`), which new files use; kept until the files
 * still on it move over.
 */
import { afterAll, beforeAll } from 'vitest';
import type { Config } from '../../src/config/config-types.js';
import { dropDatabase, startTestApp, type TestApp } from './test-env.js';

export function withTestApp(config: Config): TestApp {
  let started: TestApp | undefined;
  beforeAll(async () => {
    started = await startTestApp(config);
  });
  afterAll(async () => {
    try {
      await started?.close();
    } finally {
      await dropDatabase(config);
    }
  });
  const current = (): TestApp => {
    if (started === undefined) throw new Error('the test app is used before beforeAll started it');
    return started;
  };
  return {
    config,
    get app() { return current().app; },
    get services() { return current().services; },
    close: () => current().close(),
  };
}
