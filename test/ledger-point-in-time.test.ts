// Proves point-in-time stock matches a model: a seeded random sequence of syncs, reservations
// (confirmed, released), operator updates and a restock runs one change at a time over three
// products while an in-memory model follows it; after each change the moment is noted (2 ms after
// its answer, so its transaction had started and the next one had not). GET …/at?time= at every
// noted moment answers the model's stock, reserved and available; before the history it is 400
// with the earliest time; after the history is cut, moments since the checkpoint still answer and
// earlier ones are 400.
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { randomInt, seedFromEnv, seededRandom } from './helpers/seeded-random.js';
import { call, finishReservation, reserve } from './helpers/api.js';
import { createProduct, sync, testConfig } from './helpers/test-env.js';
import { withTestApp } from './helpers/with-test-app.js';
import { selectLogPartitions } from '../src/store/postgres/partition-queries.js';

const config = testConfig();
const t = withTestApp(config);
const seed = seedFromEnv();
const random = seededRandom(seed);
const productIds = [1, 2, 3];

interface ModelState { stock: number; reserved: number; version: number; pending: { id: number; quantity: number }[] }
interface Moment { productId: number; time: string; stock: number; reserved: number }

const model = new Map<number, ModelState>();
const moments: Moment[] = [];
let startedAt: string;

type State = { stock: number; reserved: number; available: number; log_id: number | null; earliest_time: string | null };

async function stockAt(productId: number, time: string) {
  return call<State>(t.app, 'GET', `/api/v1/inventory/${productId}/at?time=${encodeURIComponent(time)}`);
}

async function note(productId: number): Promise<void> {
  await sleep(2);
  const state = model.get(productId)!;
  moments.push({ productId, time: new Date().toISOString(), stock: state.stock, reserved: state.reserved });
  await sleep(2);
}

/** One random change the model knows to be valid, applied through the API and checked against it. */
async function step(productId: number): Promise<void> {
  const state = model.get(productId)!;
  const available = state.stock - state.reserved;
  const choice = random();
  if (choice < 0.35 && available > 0) {
    const delta = -randomInt(random, 1, Math.min(available, 20));
    const answer = await sync(t.app, { product_id: productId, delta });
    expect(answer.body.data.stock, `seed ${seed}`).toBe(state.stock + delta);
    state.stock += delta;
    state.version = answer.body.data.version as number;
  } else if (choice < 0.5) {
    const delta = randomInt(random, 1, 30);
    const answer = await sync(t.app, { product_id: productId, delta });
    state.stock += delta;
    state.version = answer.body.data.version as number;
  } else if (choice < 0.7 && available > 0) {
    const quantity = randomInt(random, 1, Math.min(available, 10));
    const answer = await reserve(t.app, { product_id: productId, quantity, order_id: `r-${moments.length}`, ttl_seconds: 3600 });
    expect(answer.status, `seed ${seed}`).toBe(201);
    state.reserved += quantity;
    state.pending.push({ id: answer.body.data.reservation_id as number, quantity });
  } else if (choice < 0.85 && state.pending.length > 0) {
    const { id, quantity } = state.pending.splice(randomInt(random, 0, state.pending.length - 1), 1)[0]!;
    const confirm = random() < 0.5;
    expect((await finishReservation(t.app, id, confirm ? 'confirm' : 'release')).status, `seed ${seed}`).toBe(200);
    state.reserved -= quantity;
    if (confirm) state.stock -= quantity;
  } else {
    const current = await call<{ version: number }>(t.app, 'GET', `/api/v1/inventory/${productId}`);
    const stock = state.reserved + randomInt(random, 0, 200);
    expect((await call(t.app, 'PUT', `/api/v1/inventory/${productId}`, { version: current.body.data.version, stock })).status).toBe(200);
    state.stock = stock;
  }
  await note(productId);
}

beforeAll(async () => {
  await sleep(2);
  startedAt = new Date().toISOString();
  await sleep(2);
  for (const productId of productIds) {
    await createProduct(t.app, { product_id: productId, stock: 100 });
    model.set(productId, { stock: 100, reserved: 0, version: 1, pending: [] });
    await note(productId);
  }
  for (let i = 0; i < 60; i += 1) await step(productIds[randomInt(random, 0, productIds.length - 1)]!);
});

describe(`point in time (seed ${seed})`, () => {
  it('answers the model at every noted moment', async () => {
    // Each product is also asked at the other products' moments: its state then is its last noted one.
    for (const productId of productIds) {
      let last: Moment | undefined;
      for (const moment of moments) {
        if (moment.productId === productId) last = moment;
        if (last === undefined) continue;
        const answer = await stockAt(productId, moment.time);
        expect(answer.status, `product ${productId} at ${moment.time}`).toBe(200);
        expect({ stock: answer.body.data.stock, reserved: answer.body.data.reserved, available: answer.body.data.available },
          `product ${productId} at ${moment.time}, seed ${seed}`)
          .toEqual({ stock: last.stock, reserved: last.reserved, available: last.stock - last.reserved });
      }
    }
  });

  it('refuses a moment before the product existed with the earliest time, and 404 for an unknown product', async () => {
    const before = await stockAt(1, startedAt);
    expect(before.status).toBe(400);
    expect(before.body.code).toBe('HISTORY_NOT_RETAINED');
    const first = await stockAt(1, moments[0]!.time);
    expect(before.body.message).toContain(first.body.data.earliest_time!);
    expect((await stockAt(999, startedAt)).status).toBe(404);
    expect((await call(t.app, 'GET', '/api/v1/inventory/1/at?time=yesterday')).status).toBe(400);
  });

  it('after the history is cut, answers from the checkpoint on and refuses earlier moments', async () => {
    const legacy = (await selectLogPartitions(t.services.readPool)).find((p) => p.name === 'inventory_logs_legacy')!;
    const report = await t.services.ledger.maintenance.runOnce({ now: new Date(legacy.to.getTime() + 90 * 86_400_000 + 3_600_000) });
    expect(report?.partitionsDropped).toEqual(['inventory_logs_legacy']);
    for (const productId of productIds) {
      const last = moments.filter((moment) => moment.productId === productId).at(-1)!;
      const answer = await stockAt(productId, last.time);
      expect(answer.body.data).toMatchObject({ stock: last.stock, reserved: last.reserved });
      const earliest = answer.body.data.earliest_time!;
      expect((await stockAt(productId, new Date(Date.parse(earliest) - 1).toISOString())).body.code).toBe('HISTORY_NOT_RETAINED');
      expect((await stockAt(productId, earliest)).body.data).toMatchObject({ stock: last.stock, reserved: last.reserved });
    }
  });
});
