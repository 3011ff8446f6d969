/**
 * The webhook delivery worker: claims due outbox rows (migration 007_2) and POSTs each to its
 * webhook, signed, then records the outcome. At least once: a row is leased when claimed, and a
 * worker that dies before recording leaves it to be claimed again when the lease ends, by this
 * or another instance; receivers de-duplicate by `X-Delivery-Id`.
 *
 * Bounded: at most `limits.webhookInFlightMax` requests at once (rows are claimed only for free
 * slots, so none waits leased in memory), each at most `request_timeout_ms`, at most
 * `attempts_max` attempts per row, then `failed`. Delivered and failed rows are deleted after
 * `limits.webhookOutboxRetentionHours`, in bounded batches.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { NotificationsConfig, WebhookConfig } from '../config/config-types.js';
import * as limits from '../limits.js';
import type { WebhookDeliveryResult, WebhookMetrics } from '../metrics/webhook-metrics.js';
import {
  claimDeliveries, deleteExpiredDeliveries, recordDelivery, type ClaimedDelivery, type DeliveryOutcome,
} from '../store/postgres/outbox-queries.js';
import { deliveryIdHeader, eventTypeHeader, signatureHeader, signatureOf } from './webhook-signature.js';
import { retryableStatus, retryDelayMs, type RetryPolicy } from './webhook-retry.js';

export interface WebhookDispatcherDeps {
  pool: pg.Pool;
  settings: NotificationsConfig;
  metrics: WebhookMetrics;
  log: Logger;
  /** Jitter source; tests may fix it. */
  random?: () => number;
}

/** The JSON body of a delivery: the same bytes on every attempt, so a receiver can compare them. */
export function deliveryBody(row: ClaimedDelivery): string {
  return JSON.stringify({
    delivery_id: String(row.id), event: row.event_type, occurred_at: row.created_at.toISOString(),
    product_id: row.product_id, data: row.data,
  });
}

export class WebhookDispatcher {
  private readonly secrets: Map<string, string>;
  private readonly policy: RetryPolicy;
  private readonly leaseMs: number;
  private readonly sends = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private cleanupTimer: NodeJS.Timeout | null = null;
  /** Aborts the requests in flight when the service closes: a row aborted is sent again later. */
  private readonly closing = new AbortController();
  private claiming = false;
  private stopped = false;

  constructor(private readonly deps: WebhookDispatcherDeps) {
    this.secrets = new Map(deps.settings.webhooks.map((webhook: WebhookConfig) => [webhook.url, webhook.secret]));
    const { attempts_max, retry_base_ms, retry_max_ms, request_timeout_ms } = deps.settings;
    this.policy = { attemptsMax: attempts_max, baseMs: retry_base_ms, maxMs: retry_max_ms };
    this.leaseMs = limits.webhookLeaseMs(request_timeout_ms);
  }

  /** Polls every `poll_interval_ms`; does nothing when no webhook is configured. */
  start(): void {
    if (this.secrets.size === 0 || this.stopped) return;
    const tick = () => {
      this.timer = setTimeout(() => { void this.claimAndSend().finally(() => { if (!this.stopped) tick(); }); },
        this.deps.settings.poll_interval_ms);
      this.timer.unref();
    };
    tick();
    this.cleanupTimer = setInterval(() => { void this.deleteExpired(); }, limits.webhookCleanupIntervalMs);
    this.cleanupTimer.unref();
  }

  /** Deletes expired delivered and failed rows, a bounded number of batches; returns how many. */
  async deleteExpired(): Promise<number> {
    let deleted = 0;
    try {
      for (let batch = 0; batch < limits.webhookCleanupBatchesMax && !this.stopped; batch += 1) {
        const rows = await deleteExpiredDeliveries(this.deps.pool, limits.webhookOutboxRetentionHours, limits.webhookCleanupBatchRows);
        deleted += rows;
        if (rows < limits.webhookCleanupBatchRows) break;
      }
    } catch (error) {
      this.deps.log.warn({ err: error }, 'expired webhook deliveries could not be deleted; the next cleanup tries again');
    }
    return deleted;
  }

  /**
   * Stops claiming, aborts the requests in flight (a receiver that hangs must not hold up the
   * shutdown; those rows are recorded for a retry and sent again, at least once) and waits for
   * their outcomes to be recorded.
   */
  async close(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    if (this.cleanupTimer !== null) clearInterval(this.cleanupTimer);
    this.closing.abort();
    await Promise.allSettled([...this.sends]);
  }

  /** Claims rows for the free slots and starts sending them; returns how many it claimed. */
  async claimAndSend(): Promise<number> {
    // One claim at a time per instance: two overlapping claims could lease more than the free slots.
    if (this.claiming || this.stopped) return 0;
    this.claiming = true;
    let claimed = 0;
    try {
      for (;;) {
        const free = Math.min(limits.webhookInFlightMax - this.sends.size, limits.webhookClaimBatchMax);
        if (free <= 0 || this.stopped) break;
        const rows = await claimDeliveries(this.deps.pool, [...this.secrets.keys()], free, this.leaseMs);
        for (const row of rows) this.launch(row);
        claimed += rows.length;
        if (rows.length < free) break;
      }
    } catch (error) {
      this.deps.log.warn({ err: error }, 'webhook deliveries could not be claimed; the next poll tries again');
    } finally {
      this.claiming = false;
    }
    return claimed;
  }

  private launch(row: ClaimedDelivery): void {
    this.deps.metrics.inFlight.inc();
    const send = this.send(row).finally(() => {
      this.sends.delete(send);
      this.deps.metrics.inFlight.dec();
      // A slot came free: more rows may be due (a backlog drains without waiting for the poll).
      if (!this.stopped) void this.claimAndSend();
    });
    this.sends.add(send);
  }

  private async send(row: ClaimedDelivery): Promise<void> {
    const outcome = await this.attempt(row);
    const result: WebhookDeliveryResult = outcome.kind === 'delivered' ? 'delivered' : outcome.kind === 'retry' ? 'retried' : 'failed';
    this.deps.metrics.deliveries.inc({ result });
    const context = { delivery_id: row.id, event: row.event_type, url: row.webhook_url, attempts: row.attempts };
    if (outcome.kind === 'failed') this.deps.log.error({ ...context, error: outcome.error }, 'webhook delivery failed; it is not tried again');
    else if (outcome.kind === 'retry') this.deps.log.warn({ ...context, error: outcome.error, retry_in_ms: outcome.retryInMs }, 'webhook delivery failed; it will be tried again');
    try {
      await recordDelivery(this.deps.pool, row.id, outcome);
    } catch (error) {
      // Unrecorded, the row is claimed again when its lease ends: sent twice at worst, never lost.
      this.deps.log.warn({ ...context, err: error }, 'webhook delivery outcome could not be recorded; it will be sent again');
    }
  }

  private async attempt(row: ClaimedDelivery): Promise<DeliveryOutcome> {
    const secret = this.secrets.get(row.webhook_url)!;
    const body = deliveryBody(row);
    try {
      const response = await fetch(row.webhook_url, {
        method: 'POST', body, redirect: 'manual',
        signal: AbortSignal.any([AbortSignal.timeout(this.deps.settings.request_timeout_ms), this.closing.signal]),
        headers: {
          'content-type': 'application/json', [signatureHeader]: signatureOf(body, secret),
          [deliveryIdHeader]: String(row.id), [eventTypeHeader]: row.event_type,
        },
      });
      // The answer's body means nothing to us; dropping it frees the connection for the next request.
      await response.body?.cancel().catch(() => {});
      if (response.status >= 200 && response.status < 300) return { kind: 'delivered', httpStatus: response.status };
      const error = `the webhook answered ${response.status}`;
      return retryableStatus(response.status) ? this.retryOrFail(row, response.status, error) : { kind: 'failed', httpStatus: response.status, error };
    } catch (error) {
      // Cut short by the shutdown, not by the receiver: it does not use up the row's attempts budget.
      if (this.closing.signal.aborted) return { kind: 'retry', httpStatus: null, error: 'the service shut down mid-request', retryInMs: 0 };
      return this.retryOrFail(row, null, errorText(error));
    }
  }

  private retryOrFail(row: ClaimedDelivery, httpStatus: number | null, error: string): DeliveryOutcome {
    const retryInMs = retryDelayMs(this.policy, row.attempts, (this.deps.random ?? Math.random)());
    return retryInMs === null ? { kind: 'failed', httpStatus, error } : { kind: 'retry', httpStatus, error, retryInMs };
  }
}

function errorText(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const text = [(error as Error).message ?? String(error), cause?.code ?? cause?.message].filter(Boolean).join(': ');
  return text.slice(0, limits.webhookErrorLengthMax);
}
