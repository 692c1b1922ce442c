import type { IncomingMessage } from 'node:http';
import { badParameter, KvError } from './errors';
import type { Attributes } from './store';

/**
 * Request bodies and Key Vault's limits on secrets (learn.microsoft.com, "Azure Key Vault service
 * limits" and "About secrets"): a value of at most 25 KB, at most 15 tags per secret version, tag
 * names up to 512 and tag values up to 256 characters, a content type up to 255 characters. Key
 * Vault answers a breach with 400 BadParameter; the wording of these messages is ours.
 */
export const LIMITS = { valueBytes: 25 * 1024, tags: 15, tagName: 512, tagValue: 256, contentType: 255 } as const;

const MAX_BODY = 1024 * 1024;
export const NAME = /^[0-9a-zA-Z-]{1,127}$/;

export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new KvError(413, 'RequestEntityTooLarge', 'The request body is too large.');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) throw badParameter('The request body is empty.');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw badParameter('The request body is not valid JSON.');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw badParameter('The request body must be a JSON object.');
  return body as Record<string, unknown>;
}

export function secretValue(body: Record<string, unknown>): string {
  if (typeof body.value !== 'string') throw badParameter("Property 'value' is required and must be a string.");
  const bytes = Buffer.byteLength(body.value, 'utf8');
  if (bytes > LIMITS.valueBytes)
    throw badParameter(`The secret value is ${bytes} bytes; the maximum is ${LIMITS.valueBytes} bytes (25 KB).`);
  return body.value;
}

export function contentType(body: Record<string, unknown>): string | undefined {
  const value = body.contentType;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badParameter("Property 'contentType' must be a string.");
  if (value.length > LIMITS.contentType)
    throw badParameter(
      `Property 'contentType' is ${value.length} characters long; the maximum is ${LIMITS.contentType}.`,
    );
  return value;
}

export function parseTags(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value) || Object.values(value).some((v) => typeof v !== 'string')) {
    throw badParameter("Property 'tags' must be an object of string values.");
  }
  const tags = { ...(value as Record<string, string>) };
  const entries = Object.entries(tags);
  if (entries.length > LIMITS.tags)
    throw badParameter(`A secret can have at most ${LIMITS.tags} tags; ${entries.length} were given.`);
  for (const [name, tagValue] of entries) {
    if (name.length > LIMITS.tagName)
      throw badParameter(
        `Tag name '${name.slice(0, 32)}…' is ${name.length} characters long; the maximum is ${LIMITS.tagName}.`,
      );
    if (tagValue.length > LIMITS.tagValue)
      throw badParameter(
        `The value of tag '${name.slice(0, 32)}' is ${tagValue.length} characters long; the maximum is ${LIMITS.tagValue}.`,
      );
  }
  return tags;
}

/** Applies attributes{enabled,nbf,exp} from a request; null clears nbf/exp. */
export function applyAttributes(target: Attributes, raw: unknown): void {
  if (raw === undefined || raw === null) return;
  if (typeof raw !== 'object' || Array.isArray(raw)) throw badParameter("Property 'attributes' must be an object.");
  const attrs = raw as Record<string, unknown>;
  if (attrs.enabled !== undefined && attrs.enabled !== null) {
    if (typeof attrs.enabled !== 'boolean') throw badParameter("Property 'attributes.enabled' must be a boolean.");
    target.enabled = attrs.enabled;
  }
  for (const field of ['nbf', 'exp'] as const) {
    const value = attrs[field];
    if (value === undefined) continue;
    if (value === null) delete target[field];
    else if (typeof value === 'number' && Number.isInteger(value)) target[field] = value;
    else throw badParameter(`Property 'attributes.${field}' must be an integer (unix seconds).`);
  }
}
