/** Metrics of webhook deliveries (src/notifications), registered on the app's registry. */
import { Counter, Gauge, type Registry } from 'prom-client';

/** delivered: a 2xx; retried: failed, tried again later; failed: gave up (or a 4xx no retry can fix). */
export const webhookDeliveryResults = ['delivered', 'retried', 'failed'] as const;
export type WebhookDeliveryResult = (typeof webhookDeliveryResults)[number];

export interface WebhookMetrics {
  readonly deliveries: Counter<'result'>;
  readonly inFlight: Gauge;
  readonly outboxRows: Gauge<'status'>;
}

/** `outboxCounts` is read at scrape time (the outbox lives in PostgreSQL, shared by instances). */
export function createWebhookMetrics(
  registry: Registry, outboxCounts: () => Promise<{ pending: number; failed: number }>,
): WebhookMetrics {
  const metrics: WebhookMetrics = {
    deliveries: new Counter({
      name: 'inventory_webhook_deliveries_total',
      help: 'Webhook delivery attempts by result: delivered (2xx), retried (failed, tried again later), failed (gave up).',
      labelNames: ['result'], registers: [registry],
    }),
    inFlight: new Gauge({
      name: 'inventory_webhook_requests_in_flight',
      help: 'Webhook requests this instance is waiting on.',
      registers: [registry],
    }),
    outboxRows: new Gauge({
      name: 'inventory_webhook_outbox_rows',
      help: 'Webhook deliveries not delivered yet (pending) or given up (failed), all instances.',
      labelNames: ['status'], registers: [registry],
      async collect() {
        const counts = await outboxCounts().catch(() => ({ pending: Number.NaN, failed: Number.NaN }));
        this.set({ status: 'pending' }, counts.pending);
        this.set({ status: 'failed' }, counts.failed);
      },
    }),
  };
  for (const result of webhookDeliveryResults) metrics.deliveries.inc({ result }, 0);
  return metrics;
}
