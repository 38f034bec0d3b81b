/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): the secret is `whsec_` +
 * base64 of random bytes; a delivery carries `webhook-id`, `webhook-timestamp` (unix seconds)
 * and `webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>`, where the
 * key is the secret's base64-decoded part. Receivers verify with any Standard Webhooks library.
 */
import { createHmac, randomBytes } from 'node:crypto';

const PREFIX = 'whsec_';

/** A new signing secret: 32 random bytes (the spec asks for 24 to 64). */
export function newSecret(): string {
  return PREFIX + randomBytes(32).toString('base64');
}

export function sign(secret: string, msgId: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, 'base64');
  return `v1,${createHmac('sha256', key).update(`${msgId}.${timestampSeconds}.${body}`).digest('base64')}`;
}

/** The headers of one attempt: the id is the delivery's (stable across retries), the time this attempt's. */
export function signedHeaders(secret: string, msgId: string, body: string, now = Date.now()): Record<string, string> {
  const ts = Math.floor(now / 1000);
  return { 'webhook-id': msgId, 'webhook-timestamp': String(ts), 'webhook-signature': sign(secret, msgId, ts, body) };
}
