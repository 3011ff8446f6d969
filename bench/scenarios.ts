/**
 * The benchmark scenarios: which products exist, what each connection sends, and how answers are
 * counted. Every sync carries delta −1 on stock large enough never to run out, so the sum of
 * acknowledged deltas is minus the number of acknowledged ones, and the correctness check can
 * demand exact equality. Requests carry a unique order_id by default (the order service always
 * sends one), so the idempotency record is part of the measured cost.
 */
import type { Request } from 'autocannon';

export type ScenarioName = 'seckill' | 'uniform' | 'mixed' | 'batch' | 'retry';
export const scenarioNames: readonly ScenarioName[] = ['seckill', 'uniform', 'mixed', 'batch', 'retry'];

/** Routes that may not exist yet on this branch: probed on the service before a scenario runs. */
export interface Features { batchGet: boolean; batchSync: boolean }

/** What the answers said, counted as they arrive. */
export interface Tally {
  /** Deltas answered as applied (200 for a sync, `success: true` for a batch item). */
  deltasAcked: number;
  /** Sync requests or batch items answered as not applied. */
  deltasRefused: number;
  /** Batch answers whose items could not be read: the check cannot be exact. */
  unreadable: number;
  readsOk: number;
  readsFailed: number;
  /** Retries of committed keys answered with their first result (`replayed: true`): no new delta. */
  replays: number;
}

export function emptyTally(): Tally {
  return { deltasAcked: 0, deltasRefused: 0, unreadable: 0, readsOk: 0, readsFailed: 0, replays: 0 };
}

export interface RequestContext {
  features: Features;
  tally: Tally;
  keyed: boolean;
  /** Unique across the whole invocation, so a warm-up and its measured run never share a key. */
  nextOrderId(): string;
  /** Deterministic per run (seeded), uniform in [0, 1). */
  random(): number;
}

export interface Scenario {
  name: ScenarioName;
  summary: string;
  products: number;
  seedStock: number;
  /** Features the scenario cannot run without; missing → reported as skipped. */
  needs: (keyof Features)[];
  /** The headline rate: requests per second, or acknowledged deltas per second. */
  unit: 'req/s' | 'deltas/s';
  requests(context: RequestContext): Request[];
}

const json = { 'content-type': 'application/json' };
/** Never reached by a run: 1e9 per product, while a run acknowledges at most a few million. */
const seedStock = 1_000_000_000;
const batchGetIds = 10;
const batchSyncItems = 100;

function syncBody(context: RequestContext, productId: number): string {
  return context.keyed
    ? `{"product_id":${productId},"delta":-1,"order_id":"${context.nextOrderId()}"}`
    : `{"product_id":${productId},"delta":-1}`;
}

function countSync(tally: Tally) {
  return (status: number) => {
    if (status === 200) tally.deltasAcked += 1;
    else tally.deltasRefused += 1;
  };
}

function countRead(tally: Tally) {
  return (status: number) => {
    if (status === 200) tally.readsOk += 1;
    else tally.readsFailed += 1;
  };
}

function randomProduct(context: RequestContext, products: number): number {
  return 1 + Math.floor(context.random() * products);
}

function syncRequest(context: RequestContext, products: number): Request {
  return {
    method: 'POST', path: '/api/v1/sync-stock', headers: json,
    setupRequest: (request) => ({ ...request, body: syncBody(context, randomProduct(context, products)) }),
    onResponse: countSync(context.tally),
  };
}

/** Counts the items of a batch sync answer; the shape is `data` or `data.results` (an array of envelopes). */
function countBatch(tally: Tally) {
  return (status: number, body: string) => {
    const items = batchItemsOf(body);
    if (items === null) {
      // A whole-request failure (e.g. 503 OVERLOADED) applies nothing; an unreadable 200 is a problem.
      if (status >= 400) tally.deltasRefused += batchSyncItems;
      else tally.unreadable += 1;
      return;
    }
    for (const item of items as { success?: boolean }[]) {
      if (item.success === true) tally.deltasAcked += 1;
      else tally.deltasRefused += 1;
    }
  };
}

function batchItemsOf(body: string): unknown[] | null {
  try {
    const data = (JSON.parse(body) as { data?: unknown }).data as { results?: unknown; items?: unknown } | unknown[] | null;
    const items = Array.isArray(data) ? data : data?.results ?? data?.items;
    return Array.isArray(items) ? items : null;
  } catch {
    return null;
  }
}

const uniformProducts = 10_000;
/** Keys the retry scenario remembers to retry (the newest acknowledged ones). */
const retryKeysMax = 10_000;
/** One request in this many is a retry of a committed key (10 %). */
const retryEvery = 10;

/**
 * Uniform keyed syncs where every tenth request retries a key already acknowledged (as a client
 * does after a lost answer). A retry answers 200 with `replayed: true` and moves nothing; the
 * connection's autocannon context carries each request's key to its answer.
 */
function retryRequests(context: RequestContext): Request[] {
  const acked: { productId: number; orderId: string }[] = [];
  const fresh: Request = {
    method: 'POST', path: '/api/v1/sync-stock', headers: json,
    setupRequest: (request, connection) => {
      const productId = randomProduct(context, uniformProducts);
      const orderId = context.nextOrderId();
      connection.key = { productId, orderId };
      return { ...request, body: `{"product_id":${productId},"delta":-1,"order_id":"${orderId}"}` };
    },
    onResponse: (status, _body, connection) => {
      if (status !== 200) return void (context.tally.deltasRefused += 1);
      context.tally.deltasAcked += 1;
      if (acked.length >= retryKeysMax) acked.shift();
      acked.push(connection.key as { productId: number; orderId: string });
    },
  };
  const retry: Request = {
    method: 'POST', path: '/api/v1/sync-stock', headers: json,
    setupRequest: (request) => {
      const key = acked[Math.floor(context.random() * acked.length)];
      const { productId, orderId } = key ?? { productId: randomProduct(context, uniformProducts), orderId: context.nextOrderId() };
      return { ...request, body: `{"product_id":${productId},"delta":-1,"order_id":"${orderId}"}` };
    },
    onResponse: (status, body) => {
      if (status !== 200) return void (context.tally.deltasRefused += 1);
      if (body.includes('"replayed":true')) context.tally.replays += 1;
      else context.tally.deltasAcked += 1;
    },
  };
  return [...Array.from({ length: retryEvery - 1 }, () => fresh), retry];
}

export const scenarios: Record<ScenarioName, Scenario> = {
  seckill: {
    name: 'seckill',
    summary: 'every sync on one product (a flash sale)',
    products: 1, seedStock, needs: [], unit: 'req/s',
    requests: (context) => [syncRequest(context, 1)],
  },
  uniform: {
    name: 'uniform',
    summary: `syncs spread uniformly over ${uniformProducts} products`,
    products: uniformProducts, seedStock, needs: [], unit: 'req/s',
    requests: (context) => [syncRequest(context, uniformProducts)],
  },
  mixed: {
    name: 'mixed',
    summary: `80% reads / 20% syncs over ${uniformProducts} products`,
    products: uniformProducts, seedStock, needs: [], unit: 'req/s',
    requests: (context) => {
      const getOne: Request = {
        method: 'GET',
        setupRequest: (request) => ({ ...request, path: `/api/v1/inventory/${randomProduct(context, uniformProducts)}` }),
        onResponse: countRead(context.tally),
      };
      const batchGet: Request = {
        method: 'POST', path: '/api/v1/inventory/batch', headers: json,
        setupRequest: (request) => ({
          ...request,
          body: JSON.stringify({ product_ids: Array.from({ length: batchGetIds }, () => randomProduct(context, uniformProducts)) }),
        }),
        onResponse: countRead(context.tally),
      };
      // Each connection cycles through this list: four reads, then one sync.
      const reads = context.features.batchGet ? [getOne, batchGet, getOne, batchGet] : [getOne, getOne, getOne, getOne];
      return [...reads, syncRequest(context, uniformProducts)];
    },
  },
  batch: {
    name: 'batch',
    summary: `POST /api/v1/sync-stock/batch, ${batchSyncItems} deltas per request over ${uniformProducts} products`,
    products: uniformProducts, seedStock, needs: ['batchSync'], unit: 'deltas/s',
    requests: (context) => [{
      method: 'POST', path: '/api/v1/sync-stock/batch', headers: json,
      setupRequest: (request) => {
        const items = Array.from({ length: batchSyncItems }, () => syncBody(context, randomProduct(context, uniformProducts)));
        return { ...request, body: `{"items":[${items.join(',')}]}` };
      },
      onResponse: countBatch(context.tally),
    }],
  },
  retry: {
    name: 'retry',
    summary: `keyed syncs over ${uniformProducts} products, ${100 / retryEvery}% of them retries of committed keys`,
    products: uniformProducts, seedStock, needs: [], unit: 'req/s',
    requests: retryRequests,
  },
};
