/**
 * The contract test's tools: the served document's operations, request and response validation by
 * validators nobody here wrote (openapi-request-validator, openapi-response-validator), an app
 * whose services fail on demand (a bug, or a typed error such as NOT_IN_NAIVE_MODE), and requests
 * sent to a draining instance over connections opened before the drain began.
 */
import type { FastifyInstance } from 'fastify';
import { Agent, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import requestValidatorModule from 'openapi-request-validator';
import responseValidatorModule from 'openapi-response-validator';
import { buildApp } from '../../src/app.js';
import type { Services } from '../../src/services.js';

// CommonJS packages compiled from ES modules: Node's ESM loader hands over `module.exports` (which
// holds `default`), vitest's interop the class itself.
const interop = <T>(module: { default: T }): T => ('default' in module ? module.default : module as unknown as T);
const OpenAPIRequestValidator = interop(requestValidatorModule);
const OpenAPIResponseValidator = interop(responseValidatorModule);

export interface OpenApiDocument {
  paths: Record<string, Record<string, OperationObject>>;
  components: Record<string, unknown>;
}

export interface OperationObject {
  operationId: string;
  parameters?: { name: string; in: string; required?: boolean; schema: object }[];
  requestBody?: { required?: boolean; content: Record<string, { schema: object }> };
  responses: Record<string, { content?: Record<string, { schema: object }>; headers?: Record<string, unknown> }>;
  security?: unknown[];
}

export interface Operation {
  operationId: string;
  method: string;
  /** The OpenAPI path template, `{name}` for parameters. */
  path: string;
  object: OperationObject;
}

export function operationsOf(document: OpenApiDocument): Operation[] {
  return Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, object]) => ({
    operationId: object.operationId, method: method.toUpperCase(), path, object,
  })));
}

/** A request as the test writes it: typed parameter values, a JSON body or raw bytes. */
export interface Call {
  params?: Record<string, string | number>;
  query?: Record<string, string | number | boolean>;
  body?: unknown;
  /** Sent as is, with `contentType` (the body-refusal cases). */
  raw?: { payload: string | Buffer; contentType: string };
  headers?: Record<string, string>;
}

export function urlOf(operation: Operation, call: Call): string {
  const path = operation.path.replace(/\{(\w+)\}/g, (_match, name: string) => {
    const value = call.params?.[name];
    if (value === undefined) throw new Error(`${operation.operationId}: no value for path parameter ${name}`);
    return encodeURIComponent(String(value));
  });
  const query = new URLSearchParams(Object.entries(call.query ?? {}).map(([key, value]): [string, string] => [key, String(value)])).toString();
  return query === '' ? path : `${path}?${query}`;
}

/** The request's problems by the document (an empty list when it conforms). */
export function requestProblems(document: OpenApiDocument, operation: Operation, call: Call): string[] {
  const validator = new OpenAPIRequestValidator({
    parameters: (operation.object.parameters ?? []) as never,
    requestBody: operation.object.requestBody as never,
    componentSchemas: document.components.schemas as never,
  });
  const headers = { 'content-type': 'application/json', ...call.headers };
  const outcome = validator.validateRequest({ headers, body: call.body, params: call.params ?? {}, query: call.query ?? {} }) as
    { errors?: { path?: string; message: string }[] } | undefined;
  return (outcome?.errors ?? []).map((error) => `${error.path ?? ''} ${error.message}`);
}

/** The answer's problems by the document: an undocumented status, or a body that does not match. */
export function responseProblems(document: OpenApiDocument, operation: Operation, status: number, body: unknown): string[] {
  const validator = new OpenAPIResponseValidator({ responses: operation.object.responses as never, components: document.components as never });
  const outcome = validator.validateResponse(String(status), body);
  return (outcome?.errors ?? []).map((error: { path?: string; message: string }) => `${error.path ?? ''} ${error.message}`);
}

/**
 * The services with every method of the ones a route reaches failing with `fault()` once `armed`
 * is set (after the app is ready, so building it still works), as their real failures arrive: a
 * rejected promise (these APIs are asynchronous). Config, metrics and the logger stay real: the
 * request hooks use them, and they are not what a route's failure is about; the logger is silenced,
 * since every request here fails on purpose.
 */
export function failingServices(services: Services, fault: () => Error): { services: Services; arm(): void } {
  let armed = false;
  const cache = new WeakMap<object, object>();
  const wrap = <T extends object>(target: T): T => {
    const known = cache.get(target);
    if (known !== undefined) return known as T;
    const proxy = new Proxy(target, {
      get(object, key) {
        const value = Reflect.get(object, key, object) as unknown;
        if (typeof value === 'function') {
          return function (this: unknown, ...args: unknown[]) {
            if (armed) return Promise.reject(fault());
            return (value as (...a: unknown[]) => unknown).apply(object, args);
          };
        }
        return typeof value === 'object' && value !== null ? wrap(value) : value;
      },
    });
    cache.set(target, proxy);
    return proxy;
  };
  // Every service object a route may reach, a new one included, except those the hooks need.
  const kept: ReadonlySet<string> = new Set(['config', 'log', 'metrics', 'startedAt', 'close']);
  const failing = Object.fromEntries(Object.entries(services).map(([name, value]) =>
    [name, kept.has(name) || typeof value !== 'object' || value === null ? value : wrap(value as object)]));
  return {
    services: {
      ...failing, metrics: { ...services.metrics, registry: wrap(services.metrics.registry) }, log: pino({ level: 'silent' }),
    } as unknown as Services,
    arm: () => { armed = true; },
  };
}

export async function failingApp(services: Services, fault: () => Error): Promise<FastifyInstance> {
  const failing = failingServices(services, fault);
  const app = await buildApp(failing.services);
  await app.ready();
  failing.arm();
  return app;
}

export interface RawAnswer { status: number; headers: Record<string, string | string[] | undefined>; body: unknown }

/**
 * Sends each request to a second app over its own keep-alive connection, opened (one request
 * each) before `close()` begins: requests that reach an instance while it drains meet the drain's
 * answer, as a client with a pooled connection would.
 */
export async function duringDrain(services: Services, requests: { method: string; url: string; headers: Record<string, string> }[]): Promise<RawAnswer[]> {
  const app = await buildApp(services);
  // Runs after the drain's own preClose hook (registered first, in buildApp): from here on every
  // request is refused. The drain closes a connection only after 500 ms idle, long after ours are sent.
  let draining!: () => void;
  const drainBegan = new Promise<void>((resolve) => { draining = resolve; });
  app.addHook('preClose', (done) => { draining(); done(); });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  const agents = requests.map(() => new Agent({ keepAlive: true, maxSockets: 1 }));
  try {
    await Promise.all(agents.map((agent) => send(agent, port, { method: 'GET', url: '/health', headers: {} })));
    const closing = app.close();
    await drainBegan;
    const answers = await Promise.all(requests.map((request, index) => send(agents[index]!, port, request)));
    await closing;
    return answers;
  } finally {
    for (const agent of agents) agent.destroy();
  }
}

function send(agent: Agent, port: number, request: { method: string; url: string; headers: Record<string, string> }): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ host: '127.0.0.1', port, agent, method: request.method, path: request.url, headers: request.headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: text === '' ? undefined : JSON.parse(text) });
      });
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}
