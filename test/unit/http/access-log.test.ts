/**
 * Proves the access log on a bare fastify app with the service's trace ids and logger settings:
 * one info line per answered request with method, route pattern, status, duration and trace id
 * (the body's trace_id when it has one, carried once); none for /health and /metrics unless
 * `logging.access_probes`; none at all when `logging.access` is false.
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { installAccessLog } from '../../../src/http/access-log.js';
import { installErrorHandler } from '../../../src/http/error-handler.js';
import { installTraceIds, traceIdFromHeader } from '../../../src/http/trace-id.js';

type Line = Record<string, unknown> & { msg: string };
let app: FastifyInstance | undefined;
afterEach(async () => { await app?.close(); app = undefined; });

async function appWith(logging: { access: boolean; access_probes: boolean }): Promise<{ app: FastifyInstance; lines: Line[] }> {
  const lines: Line[] = [];
  const log = pino({ level: 'info' }, { write: (text: string) => { lines.push(JSON.parse(text) as Line); } });
  app = Fastify({
    loggerInstance: log as FastifyBaseLogger,
    genReqId: traceIdFromHeader,
    logController: new LogController({ requestIdLogLabel: 'trace_id', disableRequestLogging: true }),
  });
  installErrorHandler(app);
  installTraceIds(app);
  installAccessLog(app, { level: 'info', ...logging });
  app.post('/api/v1/items/:id', async (request) => { request.log.info('handled'); return { ok: true }; });
  app.get('/health', async () => ({ ok: true }));
  app.get('/metrics', async () => 'text');
  await app.ready();
  return { app, lines };
}

const accessLines = (lines: Line[]) => lines.filter((line) => 'route' in line);

describe('access log', () => {
  it('writes one line per request: method, route pattern, status, duration, trace id', async () => {
    const { app, lines } = await appWith({ access: true, access_probes: false });
    await app.inject({ method: 'POST', url: '/api/v1/items/7?x=1', payload: { trace_id: 'trace-body-1' }, headers: { 'x-trace-id': 'trace-header-1' } });
    await app.inject({ method: 'POST', url: '/api/v1/items/8', payload: {}, headers: { 'x-trace-id': 'trace-header-2' } });
    await app.inject({ method: 'GET', url: '/nowhere', headers: { 'x-trace-id': 'trace-header-3' } });
    const access = accessLines(lines);
    expect(access.map(({ method, route, status, trace_id: traceId, level }) => ({ method, route, status, traceId, level }))).toEqual([
      { method: 'POST', route: '/api/v1/items/:id', status: 200, traceId: 'trace-body-1', level: 30 },
      { method: 'POST', route: '/api/v1/items/:id', status: 200, traceId: 'trace-header-2', level: 30 },
      { method: 'GET', route: 'unmatched', status: 404, traceId: 'trace-header-3', level: 30 },
    ]);
    for (const line of access) {
      expect(line.duration_ms).toEqual(expect.any(Number));
      expect(line.msg).toBe(`${line.method} ${line.route} ${line.status} ${line.duration_ms}ms`);
    }
    // The route's own line carries the body's trace id, and only once (no duplicate key).
    const handled = lines.filter((line) => line.msg === 'handled');
    expect(handled.map((line) => line.trace_id)).toEqual(['trace-body-1', 'trace-header-2']);
  });

  it('the body trace id replaces the header one in the line instead of repeating the key', async () => {
    const raw: string[] = [];
    const log = pino({ level: 'info' }, { write: (text: string) => { raw.push(text); } });
    app = Fastify({ loggerInstance: log as FastifyBaseLogger, genReqId: traceIdFromHeader,
      logController: new LogController({ requestIdLogLabel: 'trace_id', disableRequestLogging: true }) });
    installTraceIds(app);
    installAccessLog(app, { level: 'info', access: true, access_probes: false });
    app.post('/x', async () => ({ ok: true }));
    await app.inject({ method: 'POST', url: '/x', payload: { trace_id: 'from-body' }, headers: { 'x-trace-id': 'from-header' } });
    expect(raw).toHaveLength(1);
    expect(raw[0]!.match(/"trace_id"/g)).toHaveLength(1);
    expect(raw[0]).toContain('"trace_id":"from-body"');
  });

  it('leaves probes out unless access_probes is set', async () => {
    const quiet = await appWith({ access: true, access_probes: false });
    await quiet.app.inject({ method: 'GET', url: '/health' });
    await quiet.app.inject({ method: 'GET', url: '/metrics' });
    expect(accessLines(quiet.lines)).toEqual([]);
    await quiet.app.close();
    const probes = await appWith({ access: true, access_probes: true });
    await probes.app.inject({ method: 'GET', url: '/health' });
    await probes.app.inject({ method: 'GET', url: '/metrics' });
    expect(accessLines(probes.lines).map((line) => `${line.route} ${line.status}`)).toEqual(['/health 200', '/metrics 200']);
  });

  it('writes nothing when logging.access is false', async () => {
    const { app, lines } = await appWith({ access: false, access_probes: true });
    await app.inject({ method: 'POST', url: '/api/v1/items/7', payload: {} });
    await app.inject({ method: 'GET', url: '/health' });
    expect(accessLines(lines)).toEqual([]);
    expect(lines.map((line) => line.msg)).toEqual(['handled']);
  });
});
