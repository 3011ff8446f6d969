/**
 * Proves `notifications` is optional (no webhooks, delivery defaults), that a webhook's url, secret
 * and events are checked with messages naming the key, that a url may appear once, and that the
 * config's list of event types is the domain's (the two may not import each other).
 */
import { describe, expect, it } from 'vitest';
import { webhookEventTypeNames } from '../../../src/config/config-types.js';
import { loadConfig, validateConfig } from '../../../src/config/load-config.js';
import { eventRoutesOf, routesFor, stockEventTypes, webhookEventTypes } from '../../../src/domain/events.js';

const base = () => structuredClone(loadConfig({})) as unknown as Record<string, any>;
const withNotifications = (notifications: unknown) => validateConfig({ ...base(), notifications });

describe('notifications config', () => {
  it('defaults to no webhooks', () => {
    const raw = base();
    delete raw.notifications;
    expect(validateConfig(raw).notifications).toEqual({
      webhooks: [], attempts_max: 10, retry_base_ms: 1000, retry_max_ms: 600_000, request_timeout_ms: 5000, poll_interval_ms: 1000,
    });
  });

  it('takes webhooks and routes each subscribed event to its url', () => {
    const config = withNotifications({ webhooks: [
      { url: 'https://a.example/hook', secret: 's', events: ['stock.out', 'alert.raised'] },
      { url: 'http://b.example/hook', secret: 't', events: ['stock.out'] },
    ] });
    const routes = eventRoutesOf(config.notifications.webhooks);
    expect(routes).toEqual({
      eventTypes: ['stock.out', 'alert.raised', 'stock.out'], urls: ['https://a.example/hook', 'https://a.example/hook', 'http://b.example/hook'],
    });
    expect(routesFor(routes, stockEventTypes)).toEqual({ eventTypes: ['stock.out', 'stock.out'], urls: ['https://a.example/hook', 'http://b.example/hook'] });
  });

  it('refuses an unknown event, a url that is not http(s), an empty secret and a url given twice', () => {
    const hook = { url: 'https://a.example/hook', secret: 's', events: ['stock.out'] };
    expect(() => withNotifications({ webhooks: [{ ...hook, events: ['stock.gone'] }] })).toThrow(/notifications\.webhooks/);
    expect(() => withNotifications({ webhooks: [{ ...hook, url: 'ftp://a.example' }] })).toThrow(/notifications\.webhooks/);
    expect(() => withNotifications({ webhooks: [{ ...hook, secret: '' }] })).toThrow(/notifications\.webhooks/);
    expect(() => withNotifications({ webhooks: [hook, { ...hook, events: ['alert.raised'] }] })).toThrow(/lists https:\/\/a\.example\/hook twice/);
    expect(() => withNotifications({ retry_base_ms: 5000, retry_max_ms: 1000 })).toThrow(/retry_base_ms/);
  });

  it('knows the same event types as the domain and the outbox table', () => {
    expect([...webhookEventTypeNames]).toEqual([...webhookEventTypes]);
  });
});
