import { createHmac } from 'node:crypto';

/**
 * Standard Webhooks (https://www.standardwebhooks.com/): HMAC-SHA256 over `id.timestamp.body`
 * with the base64-decoded secret, sent as `v1,<base64>`. Written here in a few lines so the
 * tests can check it against the independent `standardwebhooks` package.
 */
export function standardWebhookHeaders(
  secret: string,
  messageId: string,
  now: Date,
  payload: string,
): Record<string, string> {
  const timestamp = Math.floor(now.getTime() / 1000).toString();
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const signature = createHmac('sha256', key).update(`${messageId}.${timestamp}.${payload}`).digest('base64');
  return { 'webhook-id': messageId, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}
