/**
 * Events the service announces to webhooks, and where each goes. An event is stored in the outbox
 * (`webhook_outbox`) by the statement of the change that causes it, once per subscribed webhook;
 * the routes say which webhooks want which event type, as parallel arrays a statement `unnest`s,
 * so a service without webhooks passes empty arrays and writes no outbox row at all.
 */

export const webhookEventTypes = [
  'alert.raised', 'alert.closed', 'stock.low', 'stock.out', 'stock.back_in_stock', 'diff.found', 'rebuild.finished',
] as const;
export type WebhookEventType = (typeof webhookEventTypes)[number];

/** One entry per (event type, webhook url) subscription. */
export interface EventRoutes {
  readonly eventTypes: readonly WebhookEventType[];
  readonly urls: readonly string[];
}

export const noEventRoutes: EventRoutes = { eventTypes: [], urls: [] };

/** The shape of one configured webhook that routing needs (the secret stays with the sender). */
export interface WebhookSubscription {
  readonly url: string;
  readonly events: readonly WebhookEventType[];
}

export function eventRoutesOf(webhooks: readonly WebhookSubscription[]): EventRoutes {
  const eventTypes: WebhookEventType[] = [];
  const urls: string[] = [];
  for (const webhook of webhooks) {
    for (const eventType of new Set(webhook.events)) {
      eventTypes.push(eventType);
      urls.push(webhook.url);
    }
  }
  return { eventTypes, urls };
}

/** The routes of some event types only (a statement that can cause just those). */
export function routesFor(routes: EventRoutes, wanted: readonly WebhookEventType[]): EventRoutes {
  const eventTypes: WebhookEventType[] = [];
  const urls: string[] = [];
  routes.eventTypes.forEach((eventType, index) => {
    if (!wanted.includes(eventType)) return;
    eventTypes.push(eventType);
    urls.push(routes.urls[index]!);
  });
  return { eventTypes, urls };
}

/**
 * What a flush needs to announce stock crossings: the stock.* routes and the low-stock threshold
 * of products whose min_stock is 0 (`inventory.low_stock_threshold`, as the alert rules use it).
 */
export interface StockEventSettings {
  readonly routes: EventRoutes;
  readonly lowStockThreshold: number;
}

export const noStockEvents: StockEventSettings = { routes: noEventRoutes, lowStockThreshold: 0 };

export const stockEventTypes: readonly WebhookEventType[] = ['stock.low', 'stock.out', 'stock.back_in_stock'];

/** An event written from the application (not from inside a statement that causes it). */
export interface OutboxEvent {
  readonly type: WebhookEventType;
  /** null for an event of the whole service (rebuild.finished). */
  readonly productId: number | null;
  /** The payload's `data`: snake_case JSON, as the API answers. */
  readonly data: Record<string, unknown>;
}

/**
 * The stock event of a product whose available moved from `before` to `available`, or null: to 0
 * (`stock.out`), up from 0 (`stock.back_in_stock`), down to the low-stock threshold `low`
 * (`stock.low`). The same rule as the flush statement's `stock_events` (flush-statements.ts), for
 * writers that change stock outside a flush (order holds).
 */
export function stockCrossingOf(before: number, available: number, low: number): WebhookEventType | null {
  if (available === 0 && before > 0) return 'stock.out';
  if (available > 0 && before === 0) return 'stock.back_in_stock';
  if (available > 0 && available <= low && before > low) return 'stock.low';
  return null;
}
