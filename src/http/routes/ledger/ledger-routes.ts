/**
 * The ledger over HTTP: a product's audit, its stock at a moment, a restore by compensating entry,
 * and full audit runs. The work is in `src/ledger/` (reached as `app.ledger`); these handlers only
 * shape requests and answers.
 */
import { changeBody } from '../../change-body.js';
import { ok } from '../../envelope.js';
import { errors } from '../../../errors.js';
import type { RoutePlugin } from '../../route-plugin.js';
import { auditRunSchemaRoute, productAuditSchema, restoreSchema, startAuditSchema, stockAtSchema } from './ledger-schemas.js';

export const ledgerRoutes: RoutePlugin = async (app) => {
  app.get('/inventory/:productId/audit', { schema: productAuditSchema, config: { role: 'read' } }, async (request) => {
    const verdict = await app.ledger.audit(request.params.productId);
    return ok(verdict, verdict.agrees
      ? `Product ${verdict.product_id} agrees with its ledger (${verdict.rows_checked} rows after its checkpoint).`
      : `Product ${verdict.product_id} disagrees with its ledger: ${verdict.problems.join(', ')}.`);
  });

  app.get('/inventory/:productId/at', { schema: stockAtSchema, config: { role: 'read' } }, async (request) => {
    return ok(await app.ledger.stateAt(request.params.productId, { kind: 'time', time: instantOf('querystring.time', request.query.time) }));
  });

  app.post('/inventory/:productId/restore', { schema: restoreSchema, config: { role: 'operator' } }, async (request) => {
    const { body } = request;
    if ((body.to_time === undefined) === (body.to_log_id === undefined)) {
      throw errors.invalidRequest('Give exactly one of body.to_time or body.to_log_id.');
    }
    const result = await app.ledger.restore({
      productId: request.params.productId,
      point: body.to_log_id !== undefined ? { kind: 'log', logId: body.to_log_id } : { kind: 'time', time: instantOf('body.to_time', body.to_time!) },
      reason: body.reason, operator: body.operator,
      idempotencyKey: body.idempotency_key ?? null, expectedVersion: body.expected_version ?? null, traceId: request.traceId,
    });
    const data = { product_id: request.params.productId, restored: result.restored, target: result.target,
      change: result.change === null ? null : changeBody(result.change) };
    return ok(data, result.restored
      ? `Stock set to ${result.target.stock} by log row ${result.change!.logId}${result.change!.replayed ? ' (replayed)' : ''}.`
      : `Stock is already ${result.target.stock}; nothing was written.`);
  });

  app.post('/ledger/audits', { schema: startAuditSchema, config: { role: 'operator' } }, async (_request, reply) => {
    const started = await app.ledger.audits.start();
    const data = { run_id: started.runId, joined: started.joined, status_url: `/api/v1/ledger/audits/${started.runId}` };
    return reply.code(202).send(ok(data, started.joined ? 'An audit is already running; this is it.' : 'Audit started.'));
  });

  app.get('/ledger/audits/:runId', { schema: auditRunSchemaRoute, config: { role: 'read' } }, async (request) => {
    const report = await app.ledger.audits.report(request.params.runId);
    if (report === null) throw errors.auditRunNotFound(request.params.runId);
    return ok(report, `Audit ${report.run_id} is ${report.status}: ${report.disagreements} of ${report.products} products disagree.`);
  });
};

/** The pattern admits only ISO 8601 instants; this refuses the ones no calendar has (month 13). */
function instantOf(field: string, text: string): Date {
  const time = new Date(text);
  if (Number.isNaN(time.getTime())) throw errors.validation(field, 'is not a valid time');
  return time;
}
