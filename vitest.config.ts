import { defineConfig } from 'vitest/config';

/**
 * Two projects (docs/testing.md): `unit` is pure code and may not open a network connection (its
 * setup file refuses them), so it runs with PostgreSQL and Redis stopped; `integration` runs on
 * the real PostgreSQL and Redis, each file on a copy of one template database built per run.
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Each file gets its own database and Redis prefix; two at a time keeps a 2-core machine honest.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          setupFiles: ['test/helpers/no-network.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['test/unit/**', 'node_modules/**'],
          globalSetup: ['test/helpers/template-database.ts'],
        },
      },
    ],
  },
});
