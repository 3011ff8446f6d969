// Proves idempotency records expire after idempotency.retention_hours and not before: keys are
// aged by setting created_at back, then a maintenance cycle runs. A retry before expiry replays;
// after expiry the same request is judged afresh (applied again); a key one hour younger than the
// retention, and the key of a still-pending reservation, survive; thousands of expired records go
// in bounded batches with exact counts in the report and in /metrics.
import { beforeAll, describe, expect, it } from 'vitest';
import * as limits from '../src/limits.js';
import { createProduct, sql, sync, testConfig } from './helpers/test-env.js';
import { withTestApp } from './helpers/with-test-app.js';
import { reserve } from './helpers/api.js';
import { parsePrometheusText, valueOf } from './helpers/prometheus-text.js';

const retentionHours = 72;
const config = testConfig({ idempotency: { retention_hours: retentionHours } });
const t = withTestApp(config);

async function age(keys: string[], hours: number): Promise<void> {
  const rows = await sql(t.services, `UPDATE inventory_idempotency SET created_at = now() - $2 * interval '1 hour'
                                      WHERE idem_key = ANY($1::text[]) RETURNING 1`, [keys, hours]);
  expect(rows).toHaveLength(keys.length);
}

async function keyCount(): Promise<number> {
  return (await sql<{ n: number }>(t.services, 'SELECT count(*)::int AS n FROM inventory_idempotency'))[0]!.n;
}

async function metric(name: string): Promise<number | undefined> {
  const response = await t.app.inject({ method: 'GET', url: '/metrics' });
  return valueOf(parsePrometheusText(response.body), name);
}

beforeAll(async () => {
  await createProduct(t.app, { product_id: 1, stock: 1000 });
  // The first cycle (at start) has nothing to expire; wait for it so counts below are this test's.
  await t.services.ledger.maintenance.runOnce();
});

describe('idempotency expiry', () => {
  it('replays before expiry, judges afresh after, and keeps younger and pending-reservation keys', async () => {
    const first = await sync(t.app, { product_id: 1, delta: -3, order_id: 'old-order' });
    const young = await sync(t.app, { product_id: 1, delta: -1, idempotency_key: 'young-key' });
    const held = await reserve(t.app, { product_id: 1, quantity: 2, order_id: 'held-order', ttl_seconds: 3600 });
    expect([first.status, young.status, held.status]).toEqual([200, 200, 201]);
    await age(['o:deduct:old-order', 'o:reserve:held-order'], retentionHours + 1);
    await age(['k:young-key'], retentionHours - 1);

    const replayed = await sync(t.app, { product_id: 1, delta: -3, order_id: 'old-order' });
    expect(replayed.body.data).toMatchObject({ replayed: true, log_id: first.body.data.log_id, stock: 997 });

    const before = await keyCount();
    const report = await t.services.ledger.maintenance.runOnce();
    expect(report?.failures).toEqual([]);
    expect(report?.keysExpired).toBe(1);
    expect(await keyCount()).toBe(before - 1);

    // The same request after expiry is a new request: applied again, with a new log row.
    const afresh = await sync(t.app, { product_id: 1, delta: -3, order_id: 'old-order' });
    expect(afresh.status).toBe(200);
    expect(afresh.body.data.replayed).toBe(false);
    expect(afresh.body.data.log_id).toBeGreaterThan(first.body.data.log_id as number);
    expect(afresh.body.data.before_stock).toBe(996);
    const deducts = await sql(t.services, `SELECT id FROM inventory_logs WHERE order_id = 'old-order'`);
    expect(deducts).toHaveLength(2);

    const youngRetry = await sync(t.app, { product_id: 1, delta: -1, idempotency_key: 'young-key' });
    expect(youngRetry.body.data).toMatchObject({ replayed: true, log_id: young.body.data.log_id });
    const heldRetry = await reserve(t.app, { product_id: 1, quantity: 2, order_id: 'held-order', ttl_seconds: 3600 });
    expect(heldRetry.status).toBe(200);
    expect(heldRetry.body.data).toMatchObject({ replayed: true, reservation_id: held.body.data.reservation_id });
  });

  it('expires thousands of records in bounded batches, exactly once each', async () => {
    const expired = limits.idempotencyExpireBatchRows * 2 + 17;
    await sql(t.services, `
      INSERT INTO inventory_idempotency (product_id, idem_key, op_type, delta, log_id, before_stock, after_stock,
                                         stock, reserved, available, version, created_at)
      SELECT 1, 'k:bulk-' || g, 'deduct', -1, g, 1, 0, 0, 0, 0, 1, now() - interval '100 hours' - g * interval '1 second'
        FROM generate_series(1, $1::int) g`, [expired]);
    const before = await keyCount();
    const metricBefore = await metric('inventory_idempotency_keys_expired_total');
    const report = await t.services.ledger.maintenance.runOnce();
    expect(report?.keysExpired).toBe(expired);
    expect(await keyCount()).toBe(before - expired);
    expect(await metric('inventory_idempotency_keys_expired_total')).toBe(metricBefore! + expired);
    expect((await sql(t.services, `SELECT 1 FROM inventory_idempotency WHERE idem_key LIKE 'k:bulk-%'`))).toHaveLength(0);
    expect((await t.services.ledger.maintenance.runOnce())?.keysExpired).toBe(0);
  });

  it('refuses a retention below the retry window we promise, and one shorter than a reservation may live', async () => {
    expect(() => testConfig({ idempotency: { retention_hours: limits.idempotencyRetryWindowHours - 1 } }))
      .toThrow(/idempotency\.retention_hours must be >= 24/);
    expect(() => testConfig({ idempotency: { retention_hours: 24 }, reservations: { ttl_seconds_max: 2 * 86400, ttl_seconds_default: 900 } }))
      .toThrow(/idempotency\.retention_hours \(24\) must cover reservations\.ttl_seconds_max/);
  });
});
