/**
 * Builds the fastify app around the services: validation, envelope, trace ids, routes. Testable
 * without listening (`app.inject`).
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import * as limits from './limits.js';
import type { Services } from './services.js';
import { installAuth } from './http/auth.js';
import { clientErrorHandler, frameworkErrors } from './http/client-errors.js';
import { installDrain } from './http/drain.js';
import { installErrorHandler } from './http/error-handler.js';
import { installJsonBodyParser } from './http/json-body.js';
import { installTraceIds, traceIdFromHeader } from './http/trace-id.js';
import { validatorCompiler } from './http/validation.js';
import { registerOpenApi } from './http/openapi.js';
import { installRequestMetrics } from './http/request-metrics.js';
import { installAccessLog } from './http/access-log.js';
import { servicesPlugin } from './http/plugins/services-plugin.js';
import { apiPrefix, apiRoutes, systemRoutes } from './http/routes/api-routes.js';

export async function buildApp(services: Services): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: services.log as FastifyBaseLogger,
    genReqId: traceIdFromHeader,
    bodyLimit: limits.bodyLimitBytes,
    routerOptions: { maxParamLength: limits.pathParamLengthMax },
    clientErrorHandler: clientErrorHandler(services.config.server.request_timeout_ms),
    frameworkErrors,
    requestTimeout: services.config.server.request_timeout_ms,
    // Node 20 honours requestTimeout only when given to http.createServer (fastify sets it after),
    // and checks it every 30 s by default, so a 15 s limit could let a slow client hold a
    // connection for 45 s: pass it here, checked at a quarter of the limit (50 ms to 1 s).
    http: {
      requestTimeout: services.config.server.request_timeout_ms,
      maxHeaderSize: limits.headerBytesMax,
      connectionsCheckingInterval: limits.connectionsCheckingIntervalMs(services.config.server.request_timeout_ms),
    },
    // Requests that reach a closing instance get our envelope (503 SHUTTING_DOWN), not fastify's,
    // and connections are closed by http/drain.ts, never all idle ones at once.
    return503OnClosing: false,
    forceCloseConnections: false,
    // fastify's own two lines per request ("incoming request", "request completed") are replaced
    // by one access line (http/access-log.ts, `logging.access`); every line a request logs
    // carries its trace id under this label.
    logController: new LogController({ requestIdLogLabel: 'trace_id', disableRequestLogging: true }),
  });
  app.setValidatorCompiler(validatorCompiler);
  // Every body is JSON; text/plain would otherwise reach validation as a string.
  app.removeContentTypeParser('text/plain');
  installJsonBodyParser(app);
  installErrorHandler(app);
  installTraceIds(app);
  installRequestMetrics(app, services.metrics);
  installAccessLog(app, services.config.logging);
  installAuth(app, services.config.server);
  installDrain(app);
  await app.register(servicesPlugin, { services });
  await registerOpenApi(app);
  for (const routes of systemRoutes) await app.register(routes);
  await app.register(async (api) => {
    for (const routes of apiRoutes) await api.register(routes);
  }, { prefix: apiPrefix });
  return app;
}
