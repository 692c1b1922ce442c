import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

export const GENESIS_HASH = '0'.repeat(64);

export interface AuditFields {
  seq: number;
  eventId: string;
  at: string;
  actor: string;
  action: string;
  requestId: string | null;
  accountId: string | null;
  details: Record<string, unknown>;
}

/** SHA-256 over the previous hash and the row's RFC 8785 canonical JSON. */
export function hashEvent(fields: AuditFields, prevHash: string): string {
  const canonical = canonicalize({
    seq: fields.seq,
    eventId: fields.eventId,
    at: fields.at,
    actor: fields.actor,
    action: fields.action,
    requestId: fields.requestId,
    accountId: fields.accountId,
    details: fields.details,
  });
  return createHash('sha256').update(prevHash).update('\n').update(canonical!).digest('hex');
}
