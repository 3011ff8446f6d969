/**
 * Proves an order hold is never left in part across a crash: the service (a real child process)
 * takes order holds from 50 concurrent clients and is killed with SIGKILL mid-flight. Before the
 * restart, every order sent is either entirely held (its row and every line) or entirely absent
 * (no row, no line, no log row); after it, every order id without a 201 is retried and is held
 * (201) or replays the hold that did commit (200). Final reserved per product is exactly the sum
 * of every order's lines, with one reserve log row per line.
 */
import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dropDatabase, testConfig } from './helpers/test-env.js';
import { seededDatabase, ServiceProcess } from './helpers/service-process.js';
import { seededRandom, seedFromEnv } from './helpers/seeded-random.js';
import { pollUntil } from './helpers/wait.js';

const config = testConfig();
let db: pg.Client;
let databaseUrl: string;
let service: ServiceProcess | undefined;
const productIds = Array.from({ length: 20 }, (_, i) => i + 1);

beforeAll(async () => {
  const values = productIds.map((id) => `(${id}, 1000000)`).join(', ');
  ({ db, databaseUrl } = await seededDatabase(config, `INSERT INTO inventories (product_id, stock) VALUES ${values}`));
});
afterAll(async () => {
  await service?.stop('SIGKILL');
  await service?.dropRedisKeys();
  await db.end();
  await dropDatabase(config);
});

interface Order { orderId: string; items: { product_id: number; quantity: number }[] }

async function postHold(baseUrl: string, order: Order): Promise<number | 'network-error'> {
  try {
    const response = await fetch(`${baseUrl}/api/v1/orders/${order.orderId}/holds`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items: order.items }),
    });
    await response.arrayBuffer();
    return response.status;
  } catch {
    return 'network-error';
  }
}

it('SIGKILL during 50 concurrent holds: each order entirely held or absent; retries complete them exactly', async () => {
  const seed = seedFromEnv();
  const random = seededRandom(seed);
  const context = `seed ${seed}`;
  const started = await ServiceProcess.start({ databaseUrl, redisKeyPrefix: config.redis.key_prefix });
  service = started;
  const sent = new Map<string, Order>();
  const answers = new Map<string, number | 'network-error'>();
  let killed = false;
  const clients = Array.from({ length: 50 }, async (_, c) => {
    for (let i = 0; !killed && i < 200; i += 1) {
      const count = 2 + Math.floor(random() * 3);
      const chosen = new Set<number>();
      while (chosen.size < count) chosen.add(productIds[Math.floor(random() * productIds.length)]!);
      const order = { orderId: `k-${c}-${i}`, items: [...chosen].map((id) => ({ product_id: id, quantity: 1 + Math.floor(random() * 5) })) };
      sent.set(order.orderId, order);
      answers.set(order.orderId, await postHold(started.url, order));
    }
  });
  await pollUntil(() => [...answers.values()].filter((status) => status === 201).length, (n) => n >= 150, { timeoutMs: 60_000 });
  killed = true;
  await started.stop('SIGKILL');
  await Promise.all(clients);
  const unanswered = [...sent.keys()].filter((orderId) => answers.get(orderId) !== 201);
  expect(unanswered.length, `${context}: the kill must leave holds in flight`).toBeGreaterThan(0);

  // Before any retry: each order sent is all there or not there at all.
  const { rows: orderRows } = await db.query<{ order_id: string; lines: number; line_count: number }>(
    `SELECT o.order_id, o.line_count, (SELECT count(*)::int FROM inventory_reservations r WHERE r.order_id = o.order_id AND r.order_hold) AS lines
       FROM order_holds o`);
  for (const row of orderRows) expect(row.lines, `${context}: ${row.order_id}`).toBe(sent.get(row.order_id)!.items.length);
  const committed = new Set(orderRows.map((row) => row.order_id));
  for (const [orderId, status] of answers) if (status === 201) expect(committed.has(orderId), `${context}: acknowledged ${orderId}`).toBe(true);
  const { rows: [orphans] } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM inventory_logs l WHERE l.order_id IS NULL OR NOT EXISTS (SELECT 1 FROM order_holds o WHERE o.order_id = l.order_id)`);
  expect(orphans!.n, context).toBe(0);

  await started.restart();
  for (const orderId of unanswered) {
    const status = await postHold(started.url, sent.get(orderId)!);
    expect(status, `${context}: retry of ${orderId}`).toBe(committed.has(orderId) ? 200 : 201);
  }
  await started.stop('SIGTERM');

  const all = [...sent.values()];
  const { rows } = await db.query<{ product_id: number; reserved: number }>('SELECT product_id::int AS product_id, reserved::float8 AS reserved FROM inventories ORDER BY product_id');
  for (const row of rows) {
    const expected = all.flatMap((order) => order.items).filter((item) => item.product_id === row.product_id).reduce((sum, item) => sum + item.quantity, 0);
    expect(row.reserved, `${context}: product ${row.product_id}`).toBe(expected);
  }
  const { rows: [logs] } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM inventory_logs WHERE op_type = 'reserve'");
  expect(logs!.n, context).toBe(all.reduce((sum, order) => sum + order.items.length, 0));
  const { rows: [holds] } = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM order_holds WHERE status = 'held'");
  expect(holds!.n, context).toBe(all.length);
});
