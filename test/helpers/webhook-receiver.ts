/**
 * A local HTTP receiver for webhook tests: it records every request, checks its signature the way
 * docs/operations.md tells a shop to, and answers with what the test asks (e.g. 500 to the first
 * attempts of each delivery). `downUrl()` is a URL where nothing listens.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signatureMatches } from '../../src/notifications/webhook-signature.js';

export interface ReceivedDelivery {
  deliveryId: string;
  event: string;
  body: string;
  json: { delivery_id: string; event: string; occurred_at: string; product_id: number | null; data: Record<string, unknown> };
  headers: IncomingHttpHeaders;
  signatureValid: boolean;
  /** What the receiver answered. */
  status: number;
}

export class WebhookReceiver {
  readonly received: ReceivedDelivery[] = [];
  /** Status to answer the n-th (1-based) request of one delivery id; 200 by default. */
  answer: (attemptOfDelivery: number) => number = () => 200;
  /** Records requests but never answers them (a receiver that hangs). */
  hold = false;

  private constructor(private readonly server: Server, readonly secret: string) {}

  static async start(secret: string): Promise<WebhookReceiver> {
    let receiver: WebhookReceiver | undefined;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => receiver!.record(Buffer.concat(chunks).toString('utf8'), request.headers, response));
    });
    receiver = new WebhookReceiver(server, secret);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  /** Requests received for a delivery id, in arrival order. */
  attemptsOf(deliveryId: string): ReceivedDelivery[] {
    return this.received.filter((delivery) => delivery.deliveryId === deliveryId);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private record(body: string, headers: IncomingHttpHeaders, response: import('node:http').ServerResponse): void {
    const deliveryId = String(headers['x-delivery-id']);
    const status = this.answer(this.attemptsOf(deliveryId).length + 1);
    this.received.push({
      deliveryId, event: String(headers['x-event-type']), body, json: JSON.parse(body), headers, status,
      signatureValid: signatureMatches(body, this.secret, headers['x-signature'] as string | undefined),
    });
    if (!this.hold) response.writeHead(status, { 'content-type': 'application/json' }).end('{"ok":true}');
  }
}

/** A URL on a port that was just free: connections to it are refused. */
export async function downUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}/hooks`;
}
