/**
 * The health checker over HTTP: run a reconciliation now (or join the running one) and read its
 * report, start one in the background, rebuild Redis from PostgreSQL, read a run (either kind),
 * list recorded diffs, and fix one or many.
 */
import { errors } from '../../../errors.js';
import * as limits from '../../../limits.js';
import { assertNever } from '../../../assert.js';
import { failure, ok } from '../../envelope.js';
import type { RoutePlugin } from '../../route-plugin.js';
import { listDiffs } from '../../../store/postgres/diff-queries.js';
import { pageOf, parseCursor } from '../../pagination.js';
import {
  bulkFixRouteSchema, checkRouteSchema, diffsRouteSchema, fixRouteSchema, rebuildRouteSchema, runRouteSchema, triggerRouteSchema,
} from './health-check-schemas.js';

export const healthCheckRoutes: RoutePlugin = async (app) => {
  const reconciler = app.reconciler;
  // Clients and proxies give up on a silent request; a run longer than this is answered 202 with
  // its status URL instead of holding the connection.
  const checkWaitMs = limits.healthCheckWaitMs;
  const runUrl = (runId: string) => `${app.prefix}/health/runs/${runId}`;

  // A GET that starts work: the operator role, like the trigger.
  app.get('/health/check', { schema: checkRouteSchema, config: { role: 'operator' } }, async (request, reply) => {
    const started = await reconciler.start('check', request.traceId);
    const report = await reconciler.report(started.runId, checkWaitMs);
    if (report === null) throw errors.runNotFound(started.runId);
    switch (report.status) {
      case 'running':
        return reply.code(202).send(ok(report, `Run ${report.run_id} is still going; read GET ${runUrl(report.run_id)}.`));
      case 'completed':
        return ok(report, `Run ${report.run_id} completed: ${report.diffs_found} diffs in ${report.scanned} products.`);
      case 'failed': case 'aborted':
        return reply.code(503).send(failure('RECONCILIATION_FAILED',
          `Run ${report.run_id} ${report.status}: ${report.error ?? 'no reason recorded'}. Retry once the cause is gone.`, report));
      default:
        return assertNever(report.status);
    }
  });

  app.post('/health/trigger', { schema: triggerRouteSchema, config: { role: 'operator' } }, async (request, reply) => {
    const started = await reconciler.start('manual', request.traceId);
    const data = { run_id: started.runId, joined: started.joined, status_url: runUrl(started.runId) };
    return reply.code(202).send(ok(data, started.joined ? 'A run is already going; this is it.' : 'Run started.'));
  });

  app.post('/health/rebuild', { schema: rebuildRouteSchema, config: { role: 'operator' } }, async (request, reply) => {
    const started = await reconciler.rebuild('manual', request.traceId);
    const data = { run_id: started.runId, joined: started.joined, status_url: runUrl(started.runId) };
    return reply.code(202).send(ok(data, started.joined ? 'A rebuild is already going; this is it.' : 'Rebuild started.'));
  });

  app.get('/health/runs/:runId', { schema: runRouteSchema, config: { role: 'read' } }, async (request) => {
    const report = await reconciler.report(request.params.runId);
    if (report === null) throw errors.runNotFound(request.params.runId);
    return ok(report);
  });

  app.post('/health/fix/:diffId', { schema: fixRouteSchema, config: { role: 'operator' } }, async (request) => {
    const diff = await reconciler.fix({
      diffId: request.params.diffId,
      fixType: request.body.fix_type,
      operator: request.body.operator ?? 'api',
      traceId: request.traceId,
    });
    return ok(diff, `Difference ${diff.id} is ${diff.status} (${diff.fix_type}).`);
  });

  app.get('/health/diffs', { schema: diffsRouteSchema, config: { role: 'read' } }, async (request) => {
    const query = request.query;
    const rows = await listDiffs(app.readPool, {
      status: query.status ?? null, runId: query.run_id ?? null, productId: query.product_id ?? null,
      beforeId: parseCursor(query.cursor), limit: query.limit + 1,
    });
    return ok(pageOf(rows, query.limit, (diff) => diff.id));
  });

  app.post('/health/fix', { schema: bulkFixRouteSchema, config: { role: 'operator' } }, async (request) => {
    const results = await reconciler.fixMany({
      diffIds: request.body.diff_ids,
      fixType: request.body.fix_type,
      operator: request.body.operator ?? 'api',
      traceId: request.traceId,
    });
    const answers = results.map((result) => result.error === null
      ? { diff_id: result.diffId, success: true, code: null, message: `Difference ${result.diffId} is ${result.diff.status} (${result.diff.fix_type}).`, diff: result.diff }
      : { diff_id: result.diffId, success: false, code: result.error.code, message: result.error.message, diff: null });
    const applied = answers.filter((answer) => answer.success).length;
    return ok({ applied, refused: answers.length - applied, results: answers },
      `${applied} of ${answers.length} differences fixed; see each result.`);
  });
};
