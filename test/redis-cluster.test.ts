/**
 * Proves the Redis Cluster path on a real local three-master cluster: with `redis.cluster.enable`,
 * syncs on products spread over every slot range keep `seckill:stock:<id>` (unchanged key format)
 * equal to the committed available stock, the version-guarded script included (its companion
 * version key shares the stock key's slot through a hash tag); and a reconciliation run over the
 * cluster finds exactly the keys drifted on it, which use_db fixes repair.
 */
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createProduct, dropDatabase, sql, startTestApp, sync, testConfig, type TestApp } from './helpers/test-env.js';
import { PrivateRedisCluster } from './helpers/private-redis-cluster.js';
import { checkNow, fix } from './helpers/reconcile-fixtures.js';

let cluster: PrivateRedisCluster;
let t: TestApp;
const products = Array.from({ length: 30 }, (_, i) => 1000 + i * 7919);
beforeAll(async () => {
  cluster = await PrivateRedisCluster.start();
  t = await startTestApp(testConfig({ redis: { db: 0, cluster: { enable: true, nodes: cluster.nodes } } }));
});
afterAll(async () => {
  await t?.close();
  await cluster?.stop();
  if (t) await dropDatabase(t.config);
});

it('keeps every product key right across the cluster', async () => {
  for (const productId of products) await createProduct(t.app, { product_id: productId, stock: 50 });
  const answers = await Promise.all(products.flatMap((productId) =>
    [-3, -4, 10].map((delta) => sync(t.app, { product_id: productId, delta }))));
  expect(answers.every((a) => a.status === 200)).toBe(true);

  const reader = new Cluster(cluster.nodes.map((node) => ({ host: '127.0.0.1', port: Number(node.split(':')[1]) })));
  try {
    const slots = new Set<number>();
    for (const productId of products) {
      const [row] = await sql(t.services, 'SELECT available, version FROM inventories WHERE product_id = $1', [productId]);
      expect(await reader.get(t.services.keys.stock(productId))).toBe(String(row!.available));
      expect(await reader.get(t.services.keys.version(productId))).toBe(String(row!.version));
      slots.add(Number(await reader.cluster('KEYSLOT', t.services.keys.stock(productId))));
    }
    expect(slots.size).toBeGreaterThan(20); // the keys really are spread over the cluster
  } finally {
    reader.disconnect();
  }
});

it('reconciles across the cluster: finds exactly the drifted keys, fixes bring them back', async () => {
  const reader = new Cluster(cluster.nodes.map((node) => ({ host: '127.0.0.1', port: Number(node.split(':')[1]) })));
  try {
    const drifted = products.slice(0, 6);
    for (const productId of drifted.slice(0, 2)) await reader.del(t.services.keys.stock(productId));
    for (const productId of drifted.slice(2)) await reader.incrby(t.services.keys.stock(productId), 25);
    const report = await checkNow(t.app);
    expect(report.scanned).toBe(products.length);
    const byId = (a: number, b: number) => a - b;
    expect(report.diffs.map((diff) => diff.product_id).sort(byId)).toEqual([...drifted].sort(byId));
    for (const diff of report.diffs) expect((await fix(t.app, diff.id, { fix_type: 'use_db' })).status).toBe(200);
    expect((await checkNow(t.app)).diffs_found).toBe(0);
  } finally {
    reader.disconnect();
  }
});
