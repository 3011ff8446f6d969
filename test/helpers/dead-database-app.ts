/**
 * An app over a test app's services whose engine connects to a port where nothing listens: every
 * stock change meets "PostgreSQL cannot be reached", while reads and Redis keep working.
 */
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { createBatchedEngine } from '../../src/engine/stock-engine.js';
import { createPool } from '../../src/store/postgres/pool.js';
import { freePort } from './private-redis.js';
import type { TestApp } from './test-env.js';

export async function deadDatabaseApp(t: TestApp): Promise<{ app: FastifyInstance; close(): Promise<void> }> {
  const deadPool = createPool({ ...t.config.database.postgres, port: await freePort(), connect_timeout_ms: 500 },
    { max: 2, applicationName: 'dead', pipeline: true });
  const engine = createBatchedEngine({
    shards: 2, flushOpsMax: 16, queueDepthMax: 64, redisWriteWaitMs: 20, pool: deadPool,
    cacheWriter: t.services.cacheWriter, metrics: t.services.metrics, log: t.services.log,
  });
  const app = await buildApp({ ...t.services, engine });
  return {
    app,
    close: async () => {
      await app.close();
      await deadPool.end();
    },
  };
}
