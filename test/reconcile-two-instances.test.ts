/**
 * Proves two instances on one database never reconcile at the same time: triggers and checks sent
 * to both at once all name one run, the other instance joins it (its check returns that run's
 * report), and over several rounds no two runs' time spans overlap; a run left 'running' by a
 * stopped instance is closed when the next run takes the lock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dropDatabase, sql, startTestApp, testConfig, type TestApp } from './helpers/test-env.js';
import { dropRedisKeys, type Report, seedProducts, setRedisStock } from './helpers/reconcile-fixtures.js';

describe('two instances on one database', () => {
  const config = testConfig({ logging: { level: 'error' } });
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    a = await startTestApp(config);
    b = await startTestApp(config);
    await seedProducts(a.services, 5000);
  });
  afterAll(async () => {
    if (a !== undefined) await dropRedisKeys(a.services);
    await a?.close();
    await b?.close();
    await dropDatabase(config);
  });

  /** A product written just now with a missing key: the run must wait out the settle grace (~0.6 s). */
  const slowNextRun = async () => {
    await sql(a.services, `UPDATE inventories SET updated_at = now() WHERE product_id = 42`);
    await setRedisStock(a.services, 42, null);
  };

  it('runs once when both are asked at once, and the other instance joins that run', async () => {
    await slowNextRun();
    const trigger = (app: TestApp) => app.app.inject({ method: 'POST', url: '/api/v1/health/trigger' });
    const check = (app: TestApp) => app.app.inject({ method: 'GET', url: '/api/v1/health/check' });
    const answers = await Promise.all([trigger(a), trigger(b), check(b), trigger(b), check(a), trigger(a)]);
    const runIds = new Set(answers.map((answer) => answer.json().data.run_id as string));
    expect(runIds.size).toBe(1);
    expect(answers.filter((answer) => answer.statusCode === 202 && answer.json().data.joined === false)).toHaveLength(1);
    for (const reportAnswer of [answers[2]!, answers[4]!]) {
      expect(reportAnswer.statusCode).toBe(200);
      const report = reportAnswer.json().data as Report;
      expect(report).toMatchObject({ status: 'completed', scanned: 5000, diffs_found: 1 });
      expect(report.diffs.map((diff) => diff.product_id)).toEqual([42]);
    }
    const runs = await sql(a.services, 'SELECT run_id FROM reconcile_runs');
    expect(runs).toEqual([{ run_id: [...runIds][0] }]);
  });

  it('never lets two runs overlap over several rounds of requests to both', async () => {
    for (let round = 0; round < 4; round += 1) {
      await slowNextRun();
      const requests = Array.from({ length: 6 }, (_, index) => (index % 2 === 0 ? a : b).app.inject({
        method: index % 3 === 0 ? 'GET' : 'POST', url: index % 3 === 0 ? '/api/v1/health/check' : '/api/v1/health/trigger',
      }));
      const answers = await Promise.all(requests);
      expect(new Set(answers.map((answer) => answer.json().data.run_id)).size, `round ${round}`).toBe(1);
      await a.app.inject({ method: 'GET', url: '/api/v1/health/check' }); // waits for (or runs) a run to its end
    }
    const runs = await sql<{ started_at: Date; finished_at: Date; status: string }>(a.services,
      'SELECT started_at, finished_at, status FROM reconcile_runs ORDER BY started_at');
    expect(runs.length).toBeGreaterThanOrEqual(5);
    for (const [index, run] of runs.entries()) {
      expect(run.status).toBe('completed');
      if (index > 0) expect(run.started_at.getTime()).toBeGreaterThanOrEqual(runs[index - 1]!.finished_at.getTime());
    }
  });

  it('closes a run left running by a stopped instance when the next run starts', async () => {
    await sql(a.services, `INSERT INTO reconcile_runs (run_id, trigger, instance) VALUES ('00000000-0000-4000-8000-00000000dead', 'manual', 'gone:1')`);
    const answer = await b.app.inject({ method: 'GET', url: '/api/v1/health/check' });
    expect(answer.statusCode).toBe(200);
    expect(answer.json().data.run_id).not.toBe('00000000-0000-4000-8000-00000000dead');
    const [abandoned] = await sql<{ status: string; error: string }>(a.services,
      `SELECT status, error FROM reconcile_runs WHERE run_id = '00000000-0000-4000-8000-00000000dead'`);
    expect(abandoned).toMatchObject({ status: 'failed' });
    expect(abandoned!.error).toContain('stopped');
  });
});
