/**
 * The real service as a child process (`node --import tsx src/server.ts`), for tests that kill it,
 * stop it with a signal or restart it. Config comes from environment overrides only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Redis } from 'ioredis';
import { createTestDatabase, dropKeysWithPrefix } from './test-env.js';
import type { Config } from '../../src/config/config-types.js';
import { connectionOptions } from '../../src/store/postgres/pool.js';
import { freePort } from './private-redis.js';

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface ServiceProcessOptions {
  databaseUrl: string;
  redisKeyPrefix: string;
  env?: Record<string, string>;
}

export class ServiceProcess {
  private child: ChildProcess | null = null;
  output = '';
  exitCode: number | null = null;

  private constructor(readonly port: number, private readonly options: ServiceProcessOptions) {}

  static async start(options: ServiceProcessOptions): Promise<ServiceProcess> {
    const service = new ServiceProcess(await freePort(), options);
    await service.restart();
    return service;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async restart(): Promise<void> {
    this.exitCode = null;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: projectRoot,
      env: {
        ...process.env,
        PORT: String(this.port), HOST: '127.0.0.1', LOG_LEVEL: 'warn',
        DATABASE_URL: this.options.databaseUrl, REDIS_KEY_PREFIX: this.options.redisKeyPrefix,
        REDIS_URL: 'redis://127.0.0.1:6379/0',
        ...this.options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (chunk) => { this.output += chunk; });
    child.stderr!.on('data', (chunk) => { this.output += chunk; });
    child.on('exit', (code) => { this.exitCode = code; });
    this.child = child;
    // Starting tsx and the service takes a few seconds, far more on a busy machine.
    const deadline = performance.now() + 60_000;
    let lastHealth = 'no answer';
    while (performance.now() < deadline) {
      if (this.exitCode !== null) throw new Error(`service exited with ${this.exitCode}: ${this.output}`);
      try {
        const health = await fetch(`${this.url}/health`);
        if (health.ok) return;
        lastHealth = `${health.status} ${await health.text()}`;
      } catch { /* not listening yet */ }
      await sleep(50);
    }
    throw new Error(`service did not become healthy within 60 s (last /health: ${lastHealth}): ${this.output}`);
  }

  /** Deletes the Redis keys this service wrote (its prefix, in db 0). */
  async dropRedisKeys(): Promise<void> {
    const redis = new Redis({ host: '127.0.0.1', port: 6379, db: 0 });
    try {
      await dropKeysWithPrefix(redis, this.options.redisKeyPrefix);
    } finally {
      redis.disconnect();
    }
  }

  /** Sends `signal` and waits for the exit; resolves with the milliseconds it took. */
  async stop(signal: NodeJS.Signals): Promise<number> {
    const child = this.child;
    if (child === null || this.exitCode !== null) return 0;
    const started = performance.now();
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
    this.child = null;
    return performance.now() - started;
  }
}

export interface SyncAttempt {
  key: string;
  delta: number;
  status: number | 'network-error';
  code?: string;
}

/** POSTs a keyed delta; a dropped connection is an answer too ('network-error'). */
export async function postSync(baseUrl: string, productId: number, key: string, delta: number): Promise<SyncAttempt> {
  try {
    const response = await fetch(`${baseUrl}/api/v1/sync-stock`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ product_id: productId, delta, idempotency_key: key }),
    });
    const body = await response.json() as { code?: string };
    return { key, delta, status: response.status, ...(body.code ? { code: body.code } : {}) };
  } catch {
    return { key, delta, status: 'network-error' };
  }
}

/** Creates the config's database (a copy of the run's template), runs `seedSql`, and returns a client on it plus its URL. */
export async function seededDatabase(config: Config, seedSql: string): Promise<{ db: pg.Client; databaseUrl: string }> {
  const postgres = config.database.postgres;
  await createTestDatabase(config);
  const db = new pg.Client(connectionOptions(postgres));
  await db.connect();
  await db.query(seedSql);
  return { db, databaseUrl: `postgres://${postgres.user}@${postgres.host}:${postgres.port}/${postgres.dbname}` };
}
