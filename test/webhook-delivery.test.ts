/**
 * Proves webhook delivery end to end on two instances sharing one database, against local HTTP
 * receivers: every committed stock crossing, alert and diff writes one outbox row per subscribed
 * webhook and a change that rolled back writes none; each POST carries a signature the receiver
 * verifies and a delivery id; a receiver that fails the first attempts gets the same body again
 * until it accepts, one that is down is given up after `attempts_max`; two instances never send
 * one row twice; a row leased by a worker that died is sent after its lease; an alert is `sent`
 * only once a webhook accepted it; old delivered and failed rows are deleted, pending ones never;
 * and closing the service aborts a request a receiver holds, leaving its row to be sent again.
 */
import { afterAll, expect } from 'vitest';
import type { TestApp } from './helpers/test-env.js';
import { createProduct, sql, startTestApp, sync } from './helpers/test-env.js';
import { appTest } from './helpers/app-test.js';
import { checkNow, fix, setRedisStock } from './helpers/reconcile-fixtures.js';
import { pollUntil } from './helpers/wait.js';
import { downUrl, WebhookReceiver } from './helpers/webhook-receiver.js';
import { enqueueEvents } from '../src/store/postgres/outbox-queries.js';

const good = await WebhookReceiver.start('good-secret');
const flaky = await WebhookReceiver.start('flaky-secret');
flaky.answer = (attempt) => (attempt < 3 ? 500 : 200);
const down = await downUrl();
afterAll(async () => { await good.stop(); await flaky.stop(); });

const it = appTest({
  notifications: {
    webhooks: [
      { url: good.url, secret: good.secret, events: ['stock.low', 'stock.out', 'stock.back_in_stock', 'alert.raised', 'alert.closed', 'diff.found'] },
      { url: flaky.url, secret: flaky.secret, events: ['stock.out'] },
      { url: down, secret: 'down-secret', events: ['stock.out'] },
    ],
    attempts_max: 3, retry_base_ms: 20, retry_max_ms: 100, poll_interval_ms: 20, request_timeout_ms: 2000,
  },
  engine: { shards: 1 },
  // Deliveries given up are logged at ERROR: expected here, by the hundred.
  logging: { level: 'fatal' },
});

interface OutboxRow {
  id: number; product_id: number | null; event_type: string; webhook_url: string; status: string;
  attempts: number; last_status: number | null; last_error: string | null;
}
const outboxOf = (t: TestApp, productId: number) => sql<OutboxRow>(t.services,
  `SELECT id, product_id, event_type, webhook_url, status, attempts, last_status, last_error
     FROM webhook_outbox WHERE product_id = $1 ORDER BY id`, [productId]);
/** Rows of one statement come in join order: ordered here by event, then by the webhooks' order in the config. */
const hookOrder = () => [good.url, flaky.url, down];
const eventOrder = ['stock.low', 'stock.out', 'stock.back_in_stock'];
const inOrder = (rows: OutboxRow[]) => [...rows].sort((a, b) =>
  eventOrder.indexOf(a.event_type) - eventOrder.indexOf(b.event_type) || hookOrder().indexOf(a.webhook_url) - hookOrder().indexOf(b.webhook_url));
const settled = (rows: OutboxRow[]) => rows.length > 0 && rows.every((row) => row.status !== 'pending');
const deliveriesMetric = async (apps: TestApp[]) => {
  const sums: Record<string, number> = {};
  for (const app of apps) {
    const metric = await app.services.metrics.registry.getSingleMetric('inventory_webhook_deliveries_total')!.get();
    for (const value of metric.values) sums[String(value.labels.result)] = (sums[String(value.labels.result)] ?? 0) + value.value;
  }
  return sums;
};

it('announces stock crossings once per webhook, signed, retried until accepted, given up when down', async ({ t, peer }) => {
  void peer; // a second instance delivers from the same outbox throughout this file
  await createProduct(t.app, { product_id: 1, product_name: 'Phone', stock: 10, min_stock: 3 });
  expect((await sync(t.app, { product_id: 1, delta: -6 })).status).toBe(200); // 4: above 3, nothing
  expect((await sync(t.app, { product_id: 1, delta: -2 })).status).toBe(200); // 2: stock.low
  expect((await sync(t.app, { product_id: 1, delta: -2 })).status).toBe(200); // 0: stock.out
  expect((await sync(t.app, { product_id: 1, delta: -1 })).body.code).toBe('INSUFFICIENT_STOCK'); // refused: nothing
  expect((await sync(t.app, { product_id: 1, delta: 5 })).status).toBe(200); // 5: stock.back_in_stock

  const rows = inOrder(await pollUntil(() => outboxOf(t, 1), settled, { timeoutMs: 15_000 }));
  expect(rows.map((row) => [row.event_type, row.webhook_url, row.status, row.attempts, row.last_status])).toEqual([
    ['stock.low', good.url, 'delivered', 1, 200],
    ['stock.out', good.url, 'delivered', 1, 200],
    ['stock.out', flaky.url, 'delivered', 3, 200],
    ['stock.out', down, 'failed', 3, null],
    ['stock.back_in_stock', good.url, 'delivered', 1, 200],
  ]);
  expect(rows[3]!.last_error).toContain('ECONNREFUSED');

  const toGood = rows.filter((row) => row.webhook_url === good.url).map((row) => good.attemptsOf(String(row.id)));
  expect(toGood.map((attempts) => attempts.length)).toEqual([1, 1, 1]);
  const [low, out, back] = toGood.map((attempts) => attempts[0]!);
  for (const delivery of [low!, out!, back!]) {
    expect(delivery.signatureValid).toBe(true);
    expect(delivery.json.delivery_id).toBe(delivery.deliveryId);
    expect(delivery.headers['content-type']).toBe('application/json');
  }
  expect(low!.json).toMatchObject({ event: 'stock.low', product_id: 1, data: { available_before: 4, available: 2, low_stock_threshold: 3 } });
  expect(out!.json).toMatchObject({ event: 'stock.out', data: { available_before: 2, available: 0, stock: 0, reserved: 0 } });
  expect(back!.json).toMatchObject({ event: 'stock.back_in_stock', data: { available_before: 0, available: 5 } });

  // The flaky receiver saw one delivery three times: the same id and the same signed bytes.
  const retried = flaky.attemptsOf(String(rows[2]!.id));
  expect(retried.map((attempt) => attempt.status)).toEqual([500, 500, 200]);
  expect(new Set(retried.map((attempt) => attempt.body)).size).toBe(1);
  expect(retried.every((attempt) => attempt.signatureValid)).toBe(true);
  expect(await deliveriesMetric([t, peer])).toEqual({ delivered: 4, retried: 4, failed: 1 });
});

it('writes no event for a change that rolled back, and exactly one for each that committed', async ({ t }) => {
  // enqueueEvents joins the caller's transaction.
  const client = await t.services.readPool.connect();
  try {
    await client.query('BEGIN');
    expect(await enqueueEvents(client, t.services.eventRoutes, [{ type: 'stock.out', productId: 90, data: {} }])).toBe(3);
    await client.query('ROLLBACK');
  } finally {
    client.release();
  }
  expect(await outboxOf(t, 90)).toEqual([]);

  // A flush that PostgreSQL refuses rolls back with its events; the engine isolates the op that
  // failed and commits its neighbour, whose crossing is then written once.
  await createProduct(t.app, { product_id: 2, stock: 5 });
  await createProduct(t.app, { product_id: 3, stock: 5 });
  await sql(t.services, `CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS
    $$ BEGIN RAISE EXCEPTION 'poisoned log row'; END $$`);
  await sql(t.services, `CREATE TRIGGER refuse_poison BEFORE INSERT ON inventory_logs FOR EACH ROW
    WHEN (NEW.reason = 'poison') EXECUTE FUNCTION refuse_poison()`);
  try {
    const isolatedBefore = (await t.services.metrics.flushReplans.get()).values.find((v) => v.labels.reason === 'isolated')!.value;
    const batch = await t.app.inject({ method: 'POST', url: '/api/v1/sync-stock/batch', payload: { items: [
      { product_id: 2, delta: -5, reason: 'poison' }, { product_id: 3, delta: -5 },
    ] } });
    const results = batch.json().data.results as { success: boolean }[];
    expect(results.map((result) => result.success)).toEqual([false, true]);
    const isolatedAfter = (await t.services.metrics.flushReplans.get()).values.find((v) => v.labels.reason === 'isolated')!.value;
    expect(isolatedAfter).toBeGreaterThan(isolatedBefore); // the two were in one flush that rolled back
  } finally {
    await sql(t.services, 'DROP TRIGGER refuse_poison ON inventory_logs');
  }
  expect(await outboxOf(t, 2)).toEqual([]);
  expect(inOrder(await outboxOf(t, 3)).map((row) => [row.event_type, row.webhook_url])).toEqual([
    ['stock.out', good.url], ['stock.out', flaky.url], ['stock.out', down],
  ]);
});

it('delivers every row once across two instances, and a row a dead worker leased after its lease', async ({ t }) => {
  const ids = Array.from({ length: 30 }, (_, index) => 100 + index);
  for (const productId of ids) await createProduct(t.app, { product_id: productId, stock: 1 });
  const batch = await t.app.inject({ method: 'POST', url: '/api/v1/sync-stock/batch', payload: {
    items: ids.map((productId) => ({ product_id: productId, delta: -1 })),
  } });
  expect(batch.statusCode).toBe(200);
  // As a worker leaves a row it claimed and then died: attempts counted, leased for 300 ms more.
  const [leased] = await sql<{ id: number }>(t.services, `
    INSERT INTO webhook_outbox (product_id, event_type, webhook_url, data, attempts, next_attempt_at)
    VALUES (99, 'stock.out', $1, '{"product_id": 99}', 1, now() + interval '300 milliseconds') RETURNING id`, [good.url]);

  const goodRows = async () => sql<OutboxRow>(t.services,
    `SELECT id, status, attempts FROM webhook_outbox WHERE webhook_url = $1 AND (product_id >= 100 OR product_id = 99)`, [good.url]);
  const rows = await pollUntil(goodRows, (found) => found.length === 31 && found.every((row) => row.status === 'delivered'), { timeoutMs: 15_000 });
  expect(rows.map((row) => row.status)).toEqual(Array(31).fill('delivered'));
  for (const row of rows) expect(good.attemptsOf(String(row.id))).toHaveLength(1);
  expect(rows.find((row) => row.id === leased!.id)!.attempts).toBe(2);
});

it('makes an alert sent once a webhook accepted it, and announces diffs and closings', async ({ t }) => {
  await createProduct(t.app, { product_id: 200, stock: 0 });
  await createProduct(t.app, { product_id: 201, stock: 500 });
  await createProduct(t.app, { product_id: 202, stock: 0 });
  await setRedisStock(t.services, 201, 530);
  await checkNow(t.app);
  const alertOf = async (productId: number, type: string) => (await sql<{ id: number; status: string; sent_at: Date | null }>(t.services,
    'SELECT id, status, sent_at FROM inventory_alerts WHERE product_id = $1 AND alert_type = $2', [productId, type]))[0]!;
  const sent = await pollUntil(() => alertOf(200, 'out_of_stock'), (alert) => alert.status === 'sent', { timeoutMs: 15_000 });
  expect(sent.sent_at).not.toBeNull();
  const raised = good.received.find((d) => d.event === 'alert.raised' && d.json.product_id === 200)!;
  expect(raised.json.data).toMatchObject({ alert_id: sent.id, alert_type: 'out_of_stock', level: 'error', status: 'pending' });
  expect(raised.signatureValid).toBe(true);

  const diffEvents = await pollUntil(() => good.received.filter((d) => d.event === 'diff.found' && d.json.product_id === 201),
    (found) => found.length === 1);
  expect(diffEvents[0]!.json.data).toMatchObject({ product_id: 201, db_stock: 500, redis_stock: 530, diff: 30 });

  // A second check finds the same conditions: the delivered (sent) alert is still the open one,
  // and the diff is refreshed: nothing is raised or announced again.
  await checkNow(t.app);
  expect(await sql(t.services, `SELECT status FROM inventory_alerts WHERE product_id = 200`)).toEqual([{ status: 'sent' }]);
  expect((await sql(t.services, `SELECT 1 FROM webhook_outbox WHERE product_id = 201 AND event_type = 'diff.found'`))).toHaveLength(1);
  expect((await sql(t.services, `SELECT 1 FROM webhook_outbox WHERE product_id = 200 AND event_type = 'alert.raised'`))).toHaveLength(1);

  // Restocked, the next scan closes the sent alert and announces it (the stock event too).
  expect((await sync(t.app, { product_id: 200, delta: 500 })).status).toBe(200);
  await checkNow(t.app);
  expect(await alertOf(200, 'out_of_stock')).toMatchObject({ id: sent.id, status: 'closed' });
  const closed = await pollUntil(() => good.received.filter((d) => d.event === 'alert.closed' && d.json.product_id === 200),
    (found) => found.length === 1);
  expect(closed[0]!.json.data).toMatchObject({ alert_id: sent.id, status: 'closed' });

  // An operator closes a sent alert too.
  const sent202 = await pollUntil(() => alertOf(202, 'out_of_stock'), (alert) => alert.status === 'sent', { timeoutMs: 15_000 });
  const acked = await t.app.inject({ method: 'POST', url: `/api/v1/alerts/${sent202.id}/ack`, payload: { status: 'ignored' } });
  expect(acked.json()).toMatchObject({ data: { id: sent202.id, status: 'ignored' } });
  const ignored = await pollUntil(() => good.received.filter((d) => d.event === 'alert.closed' && d.json.product_id === 202),
    (found) => found.length === 1);
  expect(ignored[0]!.json.data).toMatchObject({ alert_id: sent202.id, status: 'ignored' });
  // Fixing the diff closes its diff_alert, and says so.
  const [diff] = await sql<{ id: number }>(t.services, `SELECT id FROM inventory_diffs WHERE product_id = 201 AND status = 'pending'`);
  expect((await fix(t.app, diff!.id, { fix_type: 'use_db' })).status).toBe(200);
  const diffClosed = await pollUntil(() => good.received.filter((d) => d.event === 'alert.closed' && d.json.product_id === 201),
    (found) => found.length === 1);
  expect(diffClosed[0]!.json.data).toMatchObject({ alert_type: 'diff_alert', status: 'closed' });
});

it('deletes delivered and failed rows after the retention, never pending ones', async ({ t }) => {
  const insert = (status: string, hoursAgo: number) => sql<{ id: number }>(t.services, `
    INSERT INTO webhook_outbox (product_id, event_type, webhook_url, data, status, created_at, next_attempt_at)
    VALUES (300, 'stock.out', 'http://retention.test/', '{}', $1, now() - $2::int * interval '1 hour', now() + interval '1 day')
    RETURNING id`, [status, hoursAgo]);
  const kept = [...await insert('delivered', 1), ...await insert('failed', 100), ...await insert('pending', 1000)];
  await insert('delivered', 7 * 24 + 1);
  await insert('failed', 7 * 24 + 5);
  expect(await t.services.webhooks.deleteExpired()).toBe(2);
  const left = await sql<{ id: number }>(t.services, 'SELECT id FROM webhook_outbox WHERE product_id = 300 ORDER BY id');
  expect(left.map((row) => row.id)).toEqual(kept.map((row) => row.id));
});

it('aborts a request a receiver holds when the service closes, and leaves its row to be sent again', async ({ t }) => {
  const hanging = await WebhookReceiver.start('hang-secret');
  hanging.hold = true;
  const hangingUrl = hanging.url;
  const config = { ...t.config, notifications: { ...t.config.notifications, request_timeout_ms: 20_000,
    webhooks: [{ url: hanging.url, secret: hanging.secret, events: ['stock.out' as const] }] } };
  const other = await startTestApp(config);
  try {
    await createProduct(other.app, { product_id: 400, stock: 1 });
    expect((await sync(other.app, { product_id: 400, delta: -1 })).status).toBe(200);
    await pollUntil(() => hanging.received.length, (count) => count === 1);
  } finally {
    const started = performance.now();
    await other.close();
    expect(performance.now() - started).toBeLessThan(5_000); // not the 20 s request timeout
    await hanging.stop();
  }
  const [row] = await sql<OutboxRow>(t.services, `SELECT status, attempts, last_error FROM webhook_outbox WHERE webhook_url = $1`, [hangingUrl]);
  expect(row).toMatchObject({ status: 'pending', attempts: 1, last_error: 'the service shut down mid-request' });
});
