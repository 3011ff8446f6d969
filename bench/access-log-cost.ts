/**
 * The access log's cost per request, measured without the network or the database (whose noise on
 * a shared 2-core machine hides a few microseconds): two bare fastify apps with the service's
 * trace ids and logger settings, one with the access log (logging.access) and one without, each
 * answering the same small POST through `inject`; pino writes to /dev/null synchronously, as it
 * writes to a pipe in production. Rounds alternate between the two; the medians are printed.
 *
 *   npx tsx bench/access-log-cost.ts [requests per round, default 20000] [rounds, default 5]
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { installAccessLog } from '../src/http/access-log.js';
import { installTraceIds, traceIdFromHeader } from '../src/http/trace-id.js';

const requests = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 5);

async function appWith(access: boolean): Promise<FastifyInstance> {
  const log = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: true }));
  const app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    genReqId: traceIdFromHeader,
    logController: new LogController({ requestIdLogLabel: 'trace_id', disableRequestLogging: true }),
  });
  installTraceIds(app);
  installAccessLog(app, { level: 'info', access, access_probes: false });
  app.post('/api/v1/sync-stock', async () => ({ success: true, message: 'ok', data: { after_stock: 1 } }));
  await app.ready();
  return app;
}

/** CPU microseconds (user + system) per request over one round. */
async function round(app: FastifyInstance): Promise<number> {
  const payload = JSON.stringify({ product_id: 1, delta: -1, trace_id: 'bench-trace' });
  const started = process.cpuUsage();
  for (let i = 0; i < requests; i += 1) {
    await app.inject({ method: 'POST', url: '/api/v1/sync-stock', payload, headers: { 'content-type': 'application/json' } });
  }
  const used = process.cpuUsage(started);
  return (used.user + used.system) / requests;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const off = await appWith(false);
const on = await appWith(true);
await round(off); // warm-up: JIT and caches, for both
await round(on);
const offUs: number[] = [];
const onUs: number[] = [];
for (let i = 0; i < rounds; i += 1) {
  offUs.push(await round(off));
  onUs.push(await round(on));
}
console.log(`access log off: ${offUs.map((us) => us.toFixed(1)).join(', ')} µs CPU/request (median ${median(offUs).toFixed(1)})`);
console.log(`access log on:  ${onUs.map((us) => us.toFixed(1)).join(', ')} µs CPU/request (median ${median(onUs).toFixed(1)})`);
console.log(`cost: ${(median(onUs) - median(offUs)).toFixed(1)} µs CPU per request`);
await Promise.all([off.close(), on.close()]);
