/**
 * Starts the service: config, services, HTTP. On SIGINT/SIGTERM it stops accepting requests, lets
 * in-flight ones finish, drains every actor (no accepted delta is lost), then closes connections.
 */
import { resolve } from 'node:path';
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { ConfigError, defaultConfigPath, loadConfig } from './config/load-config.js';
import { startMessage, startSummary } from './config/start-summary.js';
import * as limits from './limits.js';
import { createServices } from './services.js';

async function main(): Promise<void> {
  // Absolute, so the start-up line names the file whatever directory the service was started in.
  const configFile = resolve(process.env.CONFIG_FILE ?? defaultConfigPath);
  const config = loadConfig(process.env, configFile);
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
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.server.port;
  const summary = startSummary(config, configFile, port);
  services.log.info(summary, startMessage(summary));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(error.message);
  } else {
    console.error('the service could not start:', error);
  }
  process.exit(1);
});
