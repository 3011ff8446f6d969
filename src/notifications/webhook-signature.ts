/**
 * The signature a receiver checks: `X-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes,
 * keyed with the webhook's secret>` (the form GitHub and Shopify use, hex like GitHub's).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const signatureHeader = 'x-signature';
export const deliveryIdHeader = 'x-delivery-id';
export const eventTypeHeader = 'x-event-type';

export function signatureOf(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** What a receiver runs (docs/operations.md shows the same): constant-time, on the raw body. */
export function signatureMatches(body: string, secret: string, header: string | undefined): boolean {
  if (header === undefined) return false;
  const expected = Buffer.from(signatureOf(body, secret));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
