/**
 * Proves the scheduler starts runs on `health_check.interval` by itself, that GET /health reports
 * the workers, that shutting down during a run aborts it (recorded as aborted) instead of hanging
 * (a run is held by a lock on inventory_diffs while the service closes), that a run whose workers
 * cannot reach Redis fails visibly with a classified reason and no raw driver text: 503 on the
 * check, `workers: down` on GET /health; and that a run whose row another instance closed as
 * abandoned meanwhile does not overwrite that verdict when it ends.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServices, type Services } from '../src/services.js';
import { dropDatabase, sql, startTestApp, testConfig, type TestApp } from './helpers/test-env.js';
import { dropRedisKeys, seedProducts, setRedisStock } from './helpers/reconcile-fixtures.js';

describe('scheduled runs and shutdown', () => {
  const config = testConfig({ inventory: { health_check: { enable: true, interval: '1s' } }, logging: { level: 'error' } });
  const unscheduled = { ...config, inventory: { ...config.inventory, health_check: { ...config.inventory.health_check, enable: false } } };
  let t: TestApp;

  /** Stops t's scheduler and waits until no run is going, so the test's own run is the only one. */
  const quiesce = async () => {
    t.services.reconciler.stopSchedule();
    for (let poll = 0; poll < 200; poll += 1) {
      const running = await sql(t.services, `SELECT 1 FROM reconcile_runs WHERE status = 'running' AND kind = 'reconcile'`);
      if (running.length === 0) return;
      await sleep(25);
    }
    throw new Error('a scheduled run did not end');
  };

  /** Holds every run that records a diff: recording waits for this transaction's table lock. */
  const holdDiffs = async (services: Services) => {
    const blocker = await services.readPool.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE inventory_diffs IN EXCLUSIVE MODE');
    let released = false;
    return {
      release: async () => {
        if (released) return;
        released = true;
        await blocker.query('ROLLBACK').catch(() => {});
        blocker.release();
      },
    };
  };

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
      await sleep(100);
      // The health checker also rebuilt the fresh Redis it found at start (kind 'rebuild').
      runs = await sql(t.services, `SELECT trigger, status FROM reconcile_runs WHERE kind = 'reconcile' ORDER BY started_at`);
    }
    expect(runs.filter((run) => run.status === 'completed').length).toBeGreaterThanOrEqual(2);
    expect(new Set(runs.map((run) => run.trigger))).toEqual(new Set(['schedule']));
    expect(await t.services.reconciler.lastRun()).toMatchObject({ trigger: 'schedule', instance: expect.stringContaining(':') });
    const health = await t.app.inject({ method: 'GET', url: '/health' });
    expect(health.json().data).toEqual({ status: 'ok', checks: { postgres: 'ok', redis: 'ok', workers: 'ok' } });
  });

  it('aborts a running run on shutdown, records it as aborted, and closes promptly', async () => {
    await quiesce();
    await setRedisStock(t.services, 5, 999); // a diff to record, which the lock below holds up
    const other = await createServices(unscheduled);
    const held = await holdDiffs(t.services);
    let otherClosed = false;
    try {
      const started = await other.reconciler.start('manual');
      expect(started.joined).toBe(false);
      await sleep(200);
      const closedAtMs = performance.now();
      await other.close();
      otherClosed = true;
      expect(performance.now() - closedAtMs).toBeLessThan(5000);
      await held.release();
      const [run] = await sql<{ status: string; error: string }>(t.services, 'SELECT status, error FROM reconcile_runs WHERE run_id = $1', [started.runId]);
      expect(run).toEqual({ status: 'aborted', error: 'aborted by shutdown' });
      await expect(other.reconciler.checkWorkers()).rejects.toThrow(/closed/);
    } finally {
      if (!otherClosed) await other.close();
      await held.release();
    }
  });

  it('keeps the verdict of another instance that closed the run as abandoned while it went', async () => {
    await quiesce();
    await setRedisStock(t.services, 6, 999);
    const held = await holdDiffs(t.services);
    let runId: string;
    try {
      const started = await t.services.reconciler.start('manual');
      expect(started.joined).toBe(false);
      runId = started.runId;
      // As closeAbandonedRuns does on an instance that took the lock after this one lost it.
      await sql(t.services, `UPDATE reconcile_runs SET status = 'failed', error = 'closed elsewhere', finished_at = now() WHERE run_id = $1`, [runId]);
    } finally {
      await held.release();
    }
    const report = await t.services.reconciler.report(runId, 10_000);
    expect(report).toMatchObject({ status: 'failed', error: 'closed elsewhere' });
    expect(report!.diffs.map((diff) => diff.product_id)).toContain(6); // the run did go on to its end
  });

  it('fails a run whose workers cannot reach Redis, and says so on the check and on /health without driver text', async () => {
    const unreachable = await startTestApp({ ...unscheduled, redis: { ...config.redis, port: 1 } });
    try {
      const check = await unreachable.app.inject({ method: 'GET', url: '/api/v1/health/check' });
      expect(check.statusCode).toBe(503);
      expect(check.json()).toMatchObject({ success: false, code: 'RECONCILIATION_FAILED', data: { status: 'failed', scanned: 0, error: 'redis unreachable' } });
      expect(check.body).not.toMatch(/127\.0\.0\.1|ECONNREFUSED|connect|worker/i);
      const runId = check.json().data.run_id as string;
      const run = await unreachable.app.inject({ method: 'GET', url: `/api/v1/health/runs/${runId}` });
      expect(run.json().data).toMatchObject({ status: 'failed', error: 'redis unreachable' });
      const health = await unreachable.app.inject({ method: 'GET', url: '/health' });
      expect(health.json().data).toEqual({ status: 'degraded', checks: { postgres: 'ok', redis: 'down', workers: 'down' } });
      const runs = await unreachable.services.metrics.registry.getSingleMetric('inventory_reconcile_runs_total')!.get();
      expect(runs.values.map((v) => [v.labels.outcome, v.value])).toEqual([['completed', 0], ['failed', 1], ['aborted', 0]]);
    } finally {
      await unreachable.close();
    }
  });
});
