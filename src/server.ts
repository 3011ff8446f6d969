/**
 * Starts the service: config, services, HTTP. On SIGINT/SIGTERM it stops accepting requests, lets
 * in-flight ones finish, drains every actor (no accepted delta is lost), then closes connections.
 */
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config/load-config.js';
import * as limits from './limits.js';
import { createServices } from './services.js';


async function main(): Promise<void> {
  const config = loadConfig();
  const services = await createServices(config, { collectDefaultMetrics: true });
  const app = await buildApp(services);
  closeWithGrace({ delay: limits.shutdownGraceMs }, async ({ signal, err }) => {
    if (err) services.log.error({ err }, 'shutting down after an error');
    else services.log.info({ signal }, 'shutting down');
    // http/drain.ts answers with Connection: close and closes connections once idle.
    await app.close();
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
