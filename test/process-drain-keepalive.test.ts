/**
 * Proves drain without resets: 40 busy and 8 slow clients on keep-alive connections send keyed deltas to a real
 * service process; SIGTERM arrives mid-load and the clients go on sending on the connections they
 * hold. Every request is answered 200 (committed) or 503 SHUTTING_DOWN with `Connection: close`,
 * or finds no listener (ECONNREFUSED, a new connection after close); none meets a reset
 * connection. The process exits 0 and the stock moved by exactly the 200s.
 */
import { Agent, request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dropDatabase, testConfig } from './helpers/test-env.js';
import { seededDatabase, ServiceProcess } from './helpers/service-process.js';

const config = testConfig();
let db: pg.Client;
let databaseUrl: string;
let service: ServiceProcess | undefined;
const agents: Agent[] = [];

beforeAll(async () => {
  ({ db, databaseUrl } = await seededDatabase(config, 'INSERT INTO inventories (product_id, stock) VALUES (7, 1000000)'));
});
afterAll(async () => {
  for (const agent of agents) agent.destroy();
  await service?.stop('SIGKILL');
  await service?.dropRedisKeys();
  await db.end();
  await dropDatabase(config);
});

type Outcome =
  | { kind: 'answer'; status: number; code?: string; connection?: string }
  | { kind: 'refused' }
  | { kind: 'reset'; error: string; reusedConnection: boolean };

function post(agent: Agent, port: number, key: string): Promise<Outcome> {
  const body = JSON.stringify({ product_id: 7, delta: -1, idempotency_key: key });
  return new Promise((resolve) => {
    const call = request({
      agent, host: '127.0.0.1', port, method: 'POST', path: '/api/v1/sync-stock',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => { text += chunk; });
      response.on('end', () => {
        const parsed = JSON.parse(text) as { code?: string };
        resolve({ kind: 'answer', status: response.statusCode!, ...(parsed.code ? { code: parsed.code } : {}),
          ...(response.headers.connection ? { connection: response.headers.connection } : {}) });
      });
      response.on('error', (error) => resolve({ kind: 'reset', error: String(error), reusedConnection: call.reusedSocket }));
    });
    call.on('error', (error: NodeJS.ErrnoException) =>
      resolve(error.code === 'ECONNREFUSED' ? { kind: 'refused' }
        : { kind: 'reset', error: `${error.code ?? ''} ${error.message}`, reusedConnection: call.reusedSocket }));
    call.end(body);
  });
}

it('SIGTERM under keep-alive load: 503 SHUTTING_DOWN with Connection: close, never a reset', async () => {
  const started = await ServiceProcess.start({ databaseUrl, redisKeyPrefix: config.redis.key_prefix });
  service = started;
  const outcomes: { key: string; outcome: Outcome; afterSigterm: boolean }[] = [];
  const answered = new Set<number>();
  let sigterm = false;
  /** One client on its own keep-alive connection, sending until the listener is gone. */
  const send = async (client: number, pauseMs: number) => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    // Keep sending until the listener is gone, as a client that does not know about the drain would.
    for (let i = 0; i < 2000; i += 1) {
      const key = `c${client}-${i}`;
      const afterSigterm = sigterm;
      const outcome = await post(agent, started.port, key);
      outcomes.push({ key, outcome, afterSigterm });
      if (outcome.kind === 'answer') answered.add(client);
      if (outcome.kind === 'refused' || started.exitCode !== null) break;
      if (pauseMs > 0) await sleep(pauseMs);
    }
  };
  // 40 busy clients, and 8 that send every 100 ms: their connections are never idle for the
  // drain's idle bound (500 ms), so the request each sends after SIGTERM meets an open connection
  // while the service drains and must be answered 503 SHUTTING_DOWN, whatever the machine's load
  // does to the busy clients' timing (a busy client's request is often in flight at SIGTERM).
  const clients = [
    ...Array.from({ length: 40 }, (_, client) => send(client, 0)),
    ...Array.from({ length: 8 }, (_, index) => send(40 + index, 100)),
  ];
  // Every client holds an open keep-alive connection (it has had an answer on it), then load goes
  // on a little: a connection still in the kernel's accept queue when the listener closes is reset
  // by TCP itself, which no drain can answer, so the test starts from open connections.
  const deadline = Date.now() + 20_000;
  while (answered.size < 48 && Date.now() < deadline) await sleep(20);
  expect(answered.size).toBe(48);
  await sleep(300);
  sigterm = true;
  const stopMs = await started.stop('SIGTERM');
  await Promise.all(clients);

  expect(started.exitCode, started.output).toBe(0);
  expect(stopMs).toBeLessThan(15_000);
  const resets = outcomes.filter(({ outcome }) => outcome.kind === 'reset');

  expect(resets.map(({ outcome }) => outcome), 'connection resets').toEqual([]);
  const answers = outcomes.flatMap(({ key, outcome }) => (outcome.kind === 'answer' ? [{ key, ...outcome }] : []));
  const unclean = answers.filter((answer) => answer.status !== 200 && !(answer.status === 503 && answer.code === 'SHUTTING_DOWN'));
  expect(unclean).toEqual([]);
  const refusals = answers.filter((answer) => answer.status === 503);
  expect(refusals.length, 'requests arrived on open connections while draining').toBeGreaterThan(0);
  expect(refusals.every((answer) => answer.connection === 'close')).toBe(true);
  const ok = answers.filter((answer) => answer.status === 200);
  expect(ok.length).toBeGreaterThan(0);
  const { rows: [row] } = await db.query('SELECT stock::float8 AS stock FROM inventories WHERE product_id = 7');
  expect(row.stock).toBe(1_000_000 - ok.length);
});
