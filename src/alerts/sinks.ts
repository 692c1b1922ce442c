import { createHash } from 'node:crypto';
import { z } from 'zod';
import { urlField } from '../config-fields';
import { ALERT_SEVERITIES } from '../domain/lifecycle';

export const SINK_FORMATS = ['generic', 'slack', 'teams', 'pagerduty'] as const;
export type SinkFormat = (typeof SINK_FORMATS)[number];

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

const httpUrl = urlField(['http:', 'https:'], 'wants an http(s) URL');

const name = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,39}$/, 'wants a short lower-case name (letters, digits, . _ -)');
const minSeverity = z.enum(ALERT_SEVERITIES, { message: 'wants info, warning, high or critical' });
// Standard Webhooks secrets are base64 bytes, conventionally prefixed `whsec_`.
const signingSecret = z
  .string()
  .regex(/^(whsec_)?[A-Za-z0-9+/]{32,}={0,2}$/, 'wants a whsec_ base64 secret of at least 24 bytes');

/** One entry of ALERT_SINKS. Every field that can carry a token (url, secret, routingKey) stays in the worker process. */
export const sinkConfigSchema = z.discriminatedUnion('format', [
  z
    .object({
      name,
      format: z.literal('generic'),
      url: httpUrl,
      minSeverity: minSeverity.default('info'),
      secret: signingSecret.optional(),
    })
    .strict(),
  z.object({ name, format: z.literal('slack'), url: httpUrl, minSeverity: minSeverity.default('warning') }).strict(),
  z.object({ name, format: z.literal('teams'), url: httpUrl, minSeverity: minSeverity.default('warning') }).strict(),
  z
    .object({
      name,
      format: z.literal('pagerduty'),
      url: httpUrl.default(PAGERDUTY_EVENTS_URL),
      minSeverity: minSeverity.default('critical'),
      routingKey: z.string().trim().min(1, 'wants the Events API v2 integration key').max(64),
    })
    .strict(),
]);
export type SinkConfig = z.infer<typeof sinkConfigSchema>;

/** A sink as the worker holds it: `id` is what workflow history carries, never the URL or a key. */
export type Sink = SinkConfig & { id: string };

/** ALERT_SINKS as JSON: a list of sinks with unique names. */
export const sinkListSchema = z
  .string()
  .transform((value, ctx) => {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      ctx.addIssue({
        code: 'custom',
        message:
          'wants a JSON array of sinks such as [{"name":"ops","format":"slack","url":"https://hooks.slack.com/..."}]',
      });
      return z.NEVER;
    }
  })
  .pipe(
    z
      .array(sinkConfigSchema, { message: 'wants a JSON array of sinks' })
      .refine((sinks) => new Set(sinks.map((sink) => sink.name)).size === sinks.length, 'wants unique sink names'),
  );

/**
 * Webhook URLs often embed a secret token (Slack, Teams), so workflows refer to the sinks of
 * ALERT_WEBHOOK_URLS by a short digest: the URL itself never enters workflow history or logs.
 */
export function sinkId(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 16);
}

/** ALERT_WEBHOOK_URLS: generic sinks, every severity, signed when ALERT_WEBHOOK_SECRET is set. */
export function sinkMap(urls: string[], secret?: string): Map<string, Sink> {
  return new Map(
    urls.map((url) => [
      sinkId(url),
      {
        id: sinkId(url),
        name: sinkId(url),
        format: 'generic',
        url,
        minSeverity: 'info',
        ...(secret ? { secret } : {}),
      },
    ]),
  );
}

/** Every configured sink by id: named sinks from ALERT_SINKS (id = name), then ALERT_WEBHOOK_URLS (id = digest). */
export function configuredSinks(config: {
  ALERT_SINKS: SinkConfig[];
  ALERT_WEBHOOK_URLS: string[];
  ALERT_WEBHOOK_SECRET?: string | undefined;
}): Map<string, Sink> {
  const sinks = new Map<string, Sink>(config.ALERT_SINKS.map((sink) => [sink.name, { ...sink, id: sink.name }]));
  for (const [id, sink] of sinkMap(config.ALERT_WEBHOOK_URLS, config.ALERT_WEBHOOK_SECRET))
    if (!sinks.has(id)) sinks.set(id, sink);
  return sinks;
}

/** The strings of a sink that must never appear in an error message, a log line or history. */
export function sinkSecrets(sink: Sink): string[] {
  const values: string[] = [sink.url];
  try {
    const url = new URL(sink.url);
    values.push(url.pathname, url.search, url.origin + url.pathname);
  } catch {
    // not a URL: the whole value is already listed
  }
  if ('secret' in sink && sink.secret) values.push(sink.secret);
  if ('routingKey' in sink) values.push(sink.routingKey);
  return values.filter((value) => value.length >= 4 && value !== '/');
}

/** Removes every secret of the sink from a message before it is thrown, logged or stored. */
export function redact(message: string, sink: Sink): string {
  let out = message;
  for (const secret of sinkSecrets(sink).sort((a, b) => b.length - a.length))
    out = out.split(secret).join('[redacted]');
  return out;
}
