/**
 * The three servers a scenario compares, each started as a child process on a loopback port:
 * `bare` (bench/bare-server.ts, no database), `naive` and `batched` (src/server.ts with
 * `engine.mode` set), each service with its own fresh database and Redis key prefix, dropped and
 * deleted again when it stops. Only one server runs at a time, so they never share the 2 cores.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

export type TargetName = 'bare' | 'naive' | 'batched';
export const targetNames: readonly TargetName[] = ['bare', 'naive', 'batched'];

export const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export interface ServerOptions {
  target: TargetName;
  /** Unique per invocation: names the database, the Redis prefix and the order ids. */
  runTag: string;
  products: number;
  seedStock: number;
  /** `section.key=value` overrides of config.yaml for the services (e.g. engine.shards=4). */
  overrides: Record<string, string>;
  /** Write a V8 CPU profile of this server into this folder. */
  profileDir: string | null;
}

export interface ServerHandle {
  target: TargetName;
  url: string;
  pid: number;
  /** Null for the bare server. */
  database: { name: string; client: pg.Client } | null;
  redis: { prefix: string; client: Redis } | null;
  stop(): Promise<void>;
}

const startTimeoutMs = 60_000;
const stopTimeoutMs = 30_000;
/** Environment variables that would override the generated config; the child must not inherit them. */
const configEnv = ['DATABASE_URL', 'REDIS_URL', 'PORT', 'HOST', 'REDIS_MODE', 'REDIS_KEY_PREFIX', 'ENGINE_MODE',
  'ENGINE_SHARDS', 'DATABASE_POOL_MAX', 'AUTH_TOKEN', 'LOG_LEVEL', 'CONFIG_FILE'];

export async function startServer(options: ServerOptions): Promise<ServerHandle> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of configEnv) delete env[name];
  const nodeArgs = options.profileDir === null ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.profileDir}`];
  if (options.target === 'bare') {
    env.PORT = String(port);
    env.BENCH_PRODUCTS = String(options.products);
    env.BENCH_STOCK = String(options.seedStock);
    const child = spawnNode([...nodeArgs, 'bench/bare-server.ts'], env);
    await waitUntilHealthy(url, child);
    return { target: 'bare', url, pid: child.pid!, database: null, redis: null, stop: () => stopChild(child) };
  }
  const name = `inv_bench_${options.runTag}_${options.target}`;
  const prefix = `bench:${options.runTag}:${options.target}:`;
  const configFile = writeServiceConfig(options, name, prefix, port);
  env.CONFIG_FILE = configFile;
  const child = spawnNode([...nodeArgs, 'src/server.ts'], env);
  await waitUntilHealthy(url, child);
  const client = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: name });
  await client.connect();
  await client.query(
    `INSERT INTO inventories (product_id, product_name, stock)
     SELECT g, 'bench ' || g, $2::bigint FROM generate_series(1, $1::int) AS g`,
    [options.products, options.seedStock]);
  const redis = new Redis({ host: '127.0.0.1', port: 6379, db: 2, lazyConnect: true, maxRetriesPerRequest: 1 });
  await redis.connect();
  return {
    target: options.target, url, pid: child.pid!, database: { name, client }, redis: { prefix, client: redis },
    stop: async () => {
      await stopChild(child);
      rmSync(configFile, { force: true });
      await client.end();
      await dropDatabase(name);
      await deleteKeys(redis, prefix);
      redis.disconnect();
    },
  };
}

function spawnNode(args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  // Keep the tail of the output: it explains a server that failed to start.
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    tail.push(chunk.toString());
    if (tail.length > 50) tail.shift();
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  (child as ChildProcess & { outputTail: string[] }).outputTail = tail;
  return child;
}

function writeServiceConfig(options: ServerOptions, database: string, prefix: string, port: number): string {
  const config = parseYaml(readFileSync(join(repoRoot, 'config/config.yaml'), 'utf8')) as Record<string, Record<string, unknown>>;
  const section = (name: string) => (config[name] ??= {}) as Record<string, unknown>;
  Object.assign(section('server'), { host: '127.0.0.1', port });
  Object.assign(section('database').postgres as object, { dbname: database, create_database: true });
  Object.assign(section('redis'), { key_prefix: prefix, db: 2 });
  Object.assign(section('engine'), { mode: options.target });
  // The naive engine's connections are `engine.shards`; it keeps the 8 it was measured fairest
  // with (bench/README.md) while the batched default is 2, so the baseline is not handicapped.
  if (options.target === 'naive') Object.assign(section('engine'), { shards: 8 });
  (section('inventory').health_check as Record<string, unknown>).enable = false;
  Object.assign(section('logging'), { level: 'warn' });
  for (const [path, value] of Object.entries(options.overrides)) {
    const keys = path.split('.');
    let node: Record<string, unknown> = config;
    for (const key of keys.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    // A value in [ ] or { } is JSON, for list and object keys (e.g. notifications.webhooks).
    node[keys.at(-1)!] = /^-?[0-9]+$/.test(value) ? Number(value) : value === 'true' ? true : value === 'false' ? false
      : /^[[{]/.test(value) ? JSON.parse(value) as unknown : value;
  }
  const dir = join(tmpdir(), 'inventory-bench');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${database}.yaml`);
  writeFileSync(file, stringifyYaml(config));
  return file;
}

async function waitUntilHealthy(url: string, child: ChildProcess): Promise<void> {
  const giveUpAt = Date.now() + startTimeoutMs;
  while (Date.now() < giveUpAt) {
    if (child.exitCode !== null) break;
    try {
      const response = await fetch(`${url}/health`);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const tail = (child as ChildProcess & { outputTail: string[] }).outputTail.join('');
  child.kill('SIGKILL');
  throw new Error(`server at ${url} did not become healthy (exit code ${child.exitCode}):\n${tail}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), stopTimeoutMs);
  await exited;
  clearTimeout(timer);
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  await once(server, 'close');
  return port;
}

async function dropDatabase(name: string): Promise<void> {
  const admin = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'postgres' });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `*${prefix}*`, 'COUNT', 1000);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}
