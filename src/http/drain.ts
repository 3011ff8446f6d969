/**
 * Drain without resets. HTTP/1.1 has one clean way to end a keep-alive connection: answer its
 * request with `Connection: close`. Closing a connection the client believes idle races with the
 * request it may be sending at that instant, and that request meets a reset. So, once close()
 * begins:
 * - every answer carries `Connection: close` (Node ends the connection after it), and requests
 *   arriving on open connections are answered 503 SHUTTING_DOWN, with it too;
 * - a connection is closed without an answer only after it has been idle for
 *   `limits.drainIdleCloseMs` and read nothing across one more turn of the event loop (a client
 *   that sends on it keeps it busy, and gets its answer);
 * - Node's own `server.close()` would close every idle connection at once (Node ≥ 19), and fastify
 *   too (forceCloseConnections 'idle'): both go through `server.closeIdleConnections`, which is
 *   replaced here by the gentle version above.
 */
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { errors } from '../errors.js';
import * as limits from '../limits.js';

interface ConnectionState {
  /** Requests received and not yet answered on this connection. */
  busy: number;
  /** When it last finished answering (or opened), for the idle rule. */
  idleSinceMs: number;
}

export function installDrain(app: FastifyInstance): void {
  const connections = new Map<Socket, ConnectionState>();
  let closing = false;
  let sweep: NodeJS.Timeout | null = null;

  const server = app.server;
  server.on('connection', (socket: Socket) => {
    connections.set(socket, { busy: 0, idleSinceMs: performance.now() });
    socket.once('close', () => connections.delete(socket));
  });
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    const state = connections.get(request.socket);
    if (state === undefined) return;
    state.busy += 1;
    response.once('close', () => {
      state.busy -= 1;
      state.idleSinceMs = performance.now();
    });
  });

  const closeIdleConnections = () => {
    const now = performance.now();
    const candidates: [Socket, number][] = [];
    for (const [socket, state] of connections) {
      if (state.busy === 0 && now - state.idleSinceMs >= limits.drainIdleCloseMs) candidates.push([socket, socket.bytesRead]);
    }
    if (candidates.length === 0) return;
    // Timers run before the event loop reads sockets: after a stall (a busy or descheduled
    // process) a request may be waiting unread on a connection that looks idle. setImmediate runs
    // after one I/O poll; a connection that read anything meanwhile is in use, not idle.
    setImmediate(() => {
      for (const [socket, bytesRead] of candidates) {
        if (connections.get(socket)?.busy === 0 && socket.bytesRead === bytesRead) socket.end();
      }
    });
  };
  server.closeIdleConnections = closeIdleConnections;

  app.addHook('preClose', (done) => {
    closing = true;
    sweep = setInterval(closeIdleConnections, limits.idleConnectionSweepMs);
    done();
  });
  app.addHook('onClose', (_instance, done) => {
    if (sweep !== null) clearInterval(sweep);
    done();
  });
  app.addHook('onRequest', (_request, _reply, done) => done(closing ? errors.shuttingDown() : undefined));
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });
}
