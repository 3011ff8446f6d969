/**
 * A TCP proxy in front of PostgreSQL that a test can steer byte by byte: hold the server's
 * answers back, swallow the client's requests, cut every connection, refuse new ones. It makes
 * "the connection died after COMMIT landed" and "… before it was sent" deterministic.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

interface Pair { client: Socket; server: Socket }

export class PgProxy {
  /** Answers from PostgreSQL are dropped instead of forwarded. */
  holdAnswers = false;
  /** Requests from the client are dropped instead of forwarded; `droppedBytes` counts them. */
  dropRequests = false;
  /** New connections are closed at once. */
  refuse = false;
  droppedBytes = 0;
  private readonly pairs = new Set<Pair>();

  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(target: { host: string; port: number }): Promise<PgProxy> {
    let proxy: PgProxy | undefined;
    const server = createServer((client) => proxy!.accept(client, target));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    proxy = new PgProxy(server, (server.address() as { port: number }).port);
    return proxy;
  }

  private accept(client: Socket, target: { host: string; port: number }): void {
    if (this.refuse) {
      client.destroy();
      return;
    }
    const server = connect(target.port, target.host);
    const pair = { client, server };
    this.pairs.add(pair);
    client.on('data', (data) => {
      if (this.dropRequests) this.droppedBytes += data.length;
      else server.write(data);
    });
    server.on('data', (data) => {
      if (!this.holdAnswers) client.write(data);
    });
    const end = () => {
      client.destroy();
      server.destroy();
      this.pairs.delete(pair);
    };
    client.on('close', end).on('error', end);
    server.on('close', end).on('error', end);
  }

  /** Destroys every proxied connection, both sides: the client sees its connection die. */
  cutAll(): void {
    for (const { client, server } of this.pairs) {
      client.destroy();
      server.destroy();
    }
    this.pairs.clear();
  }

  pass(): void {
    this.holdAnswers = false;
    this.dropRequests = false;
    this.refuse = false;
  }

  async stop(): Promise<void> {
    this.cutAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
