/**
 * Proves the Redis Cluster path on a real local three-master cluster: with `redis.cluster.enable`,
 * syncs on products spread over every slot range keep `seckill:stock:<id>` (unchanged key format)
 * equal to the committed available stock, the version-guarded script included (its companion
 * version key shares the stock key's slot through a hash tag).
 */
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createProduct, dropDatabase, sql, startTestApp, sync, testConfig, type TestApp } from './helpers/test-env.js';
import { PrivateRedisCluster } from './helpers/private-redis-cluster.js';

let cluster: PrivateRedisCluster;
let t: TestApp;
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
  const products = Array.from({ length: 30 }, (_, i) => 1000 + i * 7919);
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
