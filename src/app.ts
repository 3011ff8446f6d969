/**
 * Builds the fastify app around the services: validation, envelope, trace ids, routes. Testable
 * without listening (`app.inject`).
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import * as limits from './limits.js';
import type { Services } from './services.js';
import { installErrorHandler } from './http/error-handler.js';
import { installTraceIds, traceIdFromHeader } from './http/trace-id.js';
import { validatorCompiler } from './http/validation.js';
import { healthRoute } from './http/routes/system/health-route.js';
import { inventoryRoutes } from './http/routes/inventory/inventory-routes.js';
import { syncRoutes } from './http/routes/sync/sync-route.js';
import { healthCheckRoutes } from './http/routes/health/health-check-routes.js';
import { alertsRoutes } from './http/routes/alerts/alerts-route.js';

export async function buildApp(services: Services): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: services.log as FastifyBaseLogger,
    genReqId: traceIdFromHeader,
    requestIdLogLabel: 'trace_id',
    bodyLimit: limits.bodyLimitBytes,
    requestTimeout: services.config.server.request_timeout_ms,
    // Unknown fields are refused (400), not silently dropped: see README "Request bodies".
    ajv: { customOptions: { removeAdditional: false } },
    disableRequestLogging: true,
  });
  app.setValidatorCompiler(validatorCompiler);
  installErrorHandler(app);
  installTraceIds(app);
  await app.register(async (scope) => {
    await healthRoute(scope, services, [{ name: 'workers', check: () => services.reconciler.checkWorkers() }]);
    await syncRoutes(scope, services);
    await inventoryRoutes(scope, services);
    await healthCheckRoutes(scope, services);
    await alertsRoutes(scope, services);
  });
  return app;
}
