/**
 * Proves the scheduler starts runs on `health_check.interval` by itself, that GET /health reports
 * the workers, that shutting down during a run aborts it (recorded as aborted) instead of hanging
 * (a run is held by a lock on inventory_diffs while the service closes), and that a run whose
 * workers cannot reach Redis fails visibly: 503 on the check, `workers: down` on GET /health.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices } from '../src/services.js';
import { dropDatabase, sql, startTestApp, testConfig, type TestApp } from './helpers/test-env.js';
import { dropRedisKeys, seedProducts, setRedisStock } from './helpers/reconcile-fixtures.js';

describe('scheduled runs and shutdown', () => {
  const config = testConfig({ inventory: { health_check: { enable: true, interval: '1s' } }, logging: { level: 'error' } });
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(config);
    await seedProducts(t.services, 100);
  });
  afterAll(async () => {
    if (t !== undefined) await dropRedisKeys(t.services);
    await t?.close();
    await dropDatabase(config);
  });

  it('starts runs by itself every interval', async () => {
    let runs: { trigger: string; status: string }[] = [];
    for (let poll = 0; poll < 60 && runs.filter((run) => run.status === 'completed').length < 2; poll += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      runs = await sql(t.services, 'SELECT trigger, status FROM reconcile_runs ORDER BY started_at');
    }
    expect(runs.filter((run) => run.status === 'completed').length).toBeGreaterThanOrEqual(2);
    expect(new Set(runs.map((run) => run.trigger))).toEqual(new Set(['schedule']));
    expect(await t.services.reconciler.lastRun()).toMatchObject({ trigger: 'schedule', instance: expect.stringContaining(':') });
    const health = await t.app.inject({ method: 'GET', url: '/health' });
    expect(health.json().data).toEqual({ status: 'ok', checks: { postgres: 'ok', redis: 'ok', workers: 'ok' } });
  });

  it('aborts a running run on shutdown, records it as aborted, and closes promptly', async () => {
    const other = await createServices({ ...config, inventory: { ...config.inventory, health_check: { ...config.inventory.health_check, enable: false } } });
    await setRedisStock(t.services, 5, 999); // a diff to record, which the lock below holds up
    const blocker = await t.services.readPool.connect();
    try {
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE inventory_diffs IN EXCLUSIVE MODE');
      const started = await other.reconciler.start('manual');
      expect(started.joined).toBe(false);
      await new Promise((resolve) => setTimeout(resolve, 200));
      const closedAtMs = performance.now();
      await other.close();
      expect(performance.now() - closedAtMs).toBeLessThan(5000);
      await blocker.query('ROLLBACK');
      const [run] = await sql<{ status: string; error: string }>(t.services, 'SELECT status, error FROM reconcile_runs WHERE run_id = $1', [started.runId]);
      expect(run!.status).toBe('aborted');
      await expect(other.reconciler.checkWorkers()).rejects.toThrow(/closed/);
    } finally {
      blocker.release();
    }
  });

  it('fails a run whose workers cannot reach Redis, and says so on the check and on /health', async () => {
    const unreachable = await startTestApp({ ...config, redis: { ...config.redis, port: 1 },
      inventory: { ...config.inventory, health_check: { ...config.inventory.health_check, enable: false } } });
    try {
      const check = await unreachable.app.inject({ method: 'GET', url: '/api/v1/health/check' });
      expect(check.statusCode).toBe(503);
      expect(check.json()).toMatchObject({ success: false, code: 'RECONCILIATION_FAILED', data: { status: 'failed', scanned: 0 } });
      expect(check.json().data.error).toMatch(/Redis/);
      const health = await unreachable.app.inject({ method: 'GET', url: '/health' });
      expect(health.json().data).toEqual({ status: 'degraded', checks: { postgres: 'ok', redis: 'down', workers: 'down' } });
      const runs = await unreachable.services.metrics.registry.getSingleMetric('inventory_reconcile_runs_total')!.get();
      expect(runs.values).toEqual([expect.objectContaining({ labels: { outcome: 'failed' }, value: 1 })]);
    } finally {
      await unreachable.close();
    }
  });
});
