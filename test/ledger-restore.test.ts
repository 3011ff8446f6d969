// Proves restore sets stock back by one compensating `fix` entry and never rewrites history: after
// a run of syncs, a restore to a log row (and to a time) writes exactly one new row whose
// before_stock is the current stock and whose after_stock is the ledger value, leaves every older
// row as it was (checksum), and the audit stays clean. A retry with the same key replays; a target
// below the reserved stock, a stale expected_version, a row of another product, a time before the
// history, both or neither target are refused and write nothing; it needs the operator's token.
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { sql, testConfig } from './helpers/test-env.js';
import { withTestApp } from './helpers/with-test-app.js';

const token = 'operator-secret';
const config = testConfig({ server: { auth_token: token } });
const t = withTestApp(config);
const authorization = `Bearer ${token}`;

type Answer = { status: number; body: { code?: string; message: string; data: Record<string, any> } };

async function send(method: 'GET' | 'POST' | 'PUT', url: string, payload?: object, withToken = true): Promise<Answer> {
  const response = await t.app.inject({ method, url, payload, headers: withToken ? { authorization } : {} });
  return { status: response.statusCode, body: response.json() };
}

const restore = (productId: number, body: object, withToken = true) =>
  send('POST', `/api/v1/inventory/${productId}/restore`, { reason: 'count was wrong', operator: 'alice', ...body }, withToken);

async function syncDelta(productId: number, delta: number): Promise<Record<string, number>> {
  const answer = await send('POST', '/api/v1/sync-stock', { product_id: productId, delta });
  expect(answer.status).toBe(200);
  return answer.body.data;
}

async function logChecksum(): Promise<{ rows: number; sum: string }> {
  return (await sql<{ rows: number; sum: string }>(t.services,
    `SELECT count(*)::int AS rows, md5(string_agg(row_to_json(l)::text, ',' ORDER BY id)) AS sum FROM inventory_logs l`))[0]!;
}

let afterFirst: Record<string, number>;
let timeAfterSecond: string;

beforeAll(async () => {
  for (const productId of [1, 2]) {
    const created = await t.app.inject({ method: 'POST', url: '/api/v1/inventory', payload: { product_id: productId, stock: 100 }, headers: { authorization } });
    expect(created.statusCode).toBe(201);
  }
  afterFirst = await syncDelta(1, -10);   // 90
  await syncDelta(1, -20);                // 70
  await sleep(3);
  timeAfterSecond = new Date().toISOString();
  await sleep(3);
  await syncDelta(1, 5);                  // 75
  await syncDelta(1, -30);                // 45
});

describe('restore', () => {
  it('needs the operator token', async () => {
    const answer = await restore(1, { to_log_id: afterFirst.log_id }, false);
    expect(answer.status).toBe(401);
  });

  it('writes one compensating fix entry, leaves history as it was, and the audit stays clean', async () => {
    const before = await logChecksum();
    const answer = await restore(1, { to_log_id: afterFirst.log_id });
    expect(answer.status).toBe(200);
    expect(answer.body.data).toMatchObject({
      product_id: 1, restored: true,
      target: { stock: 90, reserved: 0, available: 90, log_id: afterFirst.log_id },
      change: { delta: 45, before_stock: 45, after_stock: 90, stock: 90, replayed: false },
    });
    const rows = await sql<{ id: number; op_type: string; delta: number; reason: string; operator: string }>(t.services,
      'SELECT id, op_type, delta, reason, operator FROM inventory_logs WHERE id > (SELECT max(id) FROM inventory_logs WHERE id < $1) ORDER BY id',
      [answer.body.data.change.log_id]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ op_type: 'fix', delta: 45, operator: 'alice' });
    expect(rows[0]!.reason).toBe(`restore to log ${afterFirst.log_id} (stock 90): count was wrong`);
    // Every row that existed is unchanged: the checksum over them is the same.
    const old = (await sql<{ sum: string }>(t.services,
      `SELECT md5(string_agg(row_to_json(l)::text, ',' ORDER BY id)) AS sum FROM inventory_logs l WHERE id < $1`, [answer.body.data.change.log_id]))[0]!;
    expect(old.sum).toBe(before.sum);
    expect((await send('GET', '/api/v1/inventory/1/audit')).body.data).toMatchObject({ agrees: true, ledger: { stock: 90, reserved: 0 } });
    // The same restore again: the stock is already there, nothing is written.
    const again = await restore(1, { to_log_id: afterFirst.log_id });
    expect(again.body.data).toMatchObject({ restored: false, change: null });
    expect((await logChecksum()).rows).toBe(before.rows + 1);
  });

  it('restores to a time, and replays a retry with the same key even after the stock moved on', async () => {
    const first = await restore(1, { to_time: timeAfterSecond, idempotency_key: 'restore-1' });
    expect(first.body.data).toMatchObject({ restored: true, target: { stock: 70 }, change: { delta: -20, after_stock: 70 } });
    await syncDelta(1, -3);
    const rows = (await logChecksum()).rows;
    const retry = await restore(1, { to_time: timeAfterSecond, idempotency_key: 'restore-1' });
    expect(retry.body.data).toMatchObject({ restored: true, change: { log_id: first.body.data.change.log_id, delta: -20, replayed: true } });
    expect((await logChecksum()).rows).toBe(rows);
    expect((await send('GET', '/api/v1/inventory/1')).body.data.stock).toBe(67);
    expect((await send('GET', '/api/v1/inventory/1/audit')).body.data.agrees).toBe(true);
  });

  it('refuses a target below the reserved stock, and every malformed or stale request, writing nothing', async () => {
    const reserved = await send('POST', '/api/v1/reservations', { product_id: 1, quantity: 60, order_id: 'big', ttl_seconds: 600 });
    expect(reserved.status).toBe(201);
    const rows = (await logChecksum()).rows;
    const version = (await send('GET', '/api/v1/inventory/1')).body.data.version as number;
    // Stock 67 with 60 reserved: the stock before the first restore (45) is below the reserved.
    const firstFix = (await sql<{ id: number }>(t.services, `SELECT min(id) AS id FROM inventory_logs WHERE product_id = 1 AND op_type = 'fix'`))[0]!.id;
    const refusals: [object, number, string, number?][] = [
      [{ to_log_id: firstFix - 1 }, 409, 'RESTORE_BELOW_RESERVED'],
      [{ to_log_id: afterFirst.log_id, expected_version: version - 1 }, 409, 'VERSION_CONFLICT'],
      [{ to_log_id: afterFirst.log_id }, 404, 'LOG_ROW_NOT_FOUND', 2],
      [{ to_time: '2000-01-01T00:00:00Z' }, 400, 'HISTORY_NOT_RETAINED'],
      [{ to_time: timeAfterSecond, to_log_id: afterFirst.log_id }, 400, 'VALIDATION_ERROR'],
      [{}, 400, 'VALIDATION_ERROR'],
      [{ to_time: '2026-13-01T00:00:00Z' }, 400, 'VALIDATION_ERROR'],
      [{ to_log_id: afterFirst.log_id }, 404, 'INVENTORY_NOT_FOUND', 404],
    ];
    for (const [body, status, code, productId] of refusals) {
      const answer = await restore(productId ?? 1, body);
      expect([answer.status, answer.body.code], JSON.stringify(body)).toEqual([status, code]);
    }
    expect((await logChecksum()).rows).toBe(rows);
    expect((await send('GET', '/api/v1/inventory/1')).body.data).toMatchObject({ stock: 67, reserved: 60, version });
  });
});

