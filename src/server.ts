/**
 * Starts the service: config, services, HTTP. On SIGINT/SIGTERM it stops accepting requests, lets
 * in-flight ones finish, drains every actor (no accepted delta is lost), then closes connections.
 */
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config/load-config.js';
import { createServices } from './services.js';

/** Longest shutdown: in-flight requests and every actor's queue must be done by then. */
const shutdownGraceMs = 20_000;
/**
 * While closing, keep-alive connections that finish their last request become idle after the
 * server stopped closing idle ones, and would hold `close()` open until their keep-alive timeout.
 */
const idleConnectionSweepMs = 100;

async function main(): Promise<void> {
  const config = loadConfig();
  const services = await createServices(config, { collectDefaultMetrics: true });
  const app = await buildApp(services);
  closeWithGrace({ delay: shutdownGraceMs }, async ({ signal, err }) => {
    if (err) services.log.error({ err }, 'shutting down after an error');
    else services.log.info({ signal }, 'shutting down');
    const sweep = setInterval(() => app.server.closeIdleConnections(), idleConnectionSweepMs);
    await app.close();
    clearInterval(sweep);
    services.log.info('HTTP closed; draining the engine');
    await services.close();
    services.log.info('engine drained, connections closed');
  });
  await app.listen({ host: config.server.host, port: config.server.port });
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error('the service could not start:', error);
  }
  process.exit(1);
});
