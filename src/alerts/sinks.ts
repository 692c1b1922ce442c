import { createHash } from 'node:crypto';

/**
 * Webhook URLs often embed a secret token (Slack, Teams), so workflows refer to sinks by a
 * short digest: the URL itself never enters workflow history or logs.
 */
export function sinkId(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 16);
}

export function sinkMap(urls: string[]): Map<string, string> {
  return new Map(urls.map((url) => [sinkId(url), url]));
}
