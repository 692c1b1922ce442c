import { z } from 'zod';
import { resourceId } from './common';

export const auditQuery = z
  .object({
    requestId: resourceId.optional(),
    accountId: resourceId.optional(),
    after: z.coerce.number().int().min(0).default(0),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

export const auditEventSchema = z
  .object({
    seq: z.number(),
    eventId: z.string(),
    at: z.string(),
    actor: z.string(),
    action: z.string(),
    requestId: z.string().nullable(),
    accountId: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    prevHash: z.string(),
    hash: z.string(),
  })
  .meta({ id: 'AuditEvent' });

export const auditListSchema = z.object({ events: z.array(auditEventSchema), nextAfter: z.number().nullable() }).meta({ id: 'AuditList' });

export const verifySchema = z.object({ ok: z.boolean(), events: z.number(), firstBrokenSeq: z.number().nullable() }).meta({ id: 'AuditVerify' });
