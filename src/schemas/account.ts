import { z } from 'zod';
import { isoDuration, principalId, requiredText } from './common';

const members = (role: string) =>
  z
    .array(principalId)
    .min(1, `must name at least one ${role}`)
    .max(50, `must name at most 50 ${role}s`)
    .refine((list) => new Set(list).size === list.length, `must not repeat a ${role}`)
    .meta({ uniqueItems: true });

export const policySchema = z
  .object({
    requiredApprovals: z.number().int().min(1, 'must be at least 1').max(10).default(2),
    approvalTimeout: isoDuration({ what: 'approvalTimeout', maxMs: 7 * 86_400_000 }).default('PT30M'),
    releaseWindow: isoDuration({ what: 'releaseWindow', maxMs: 8 * 3_600_000 }).default('PT60M'),
    reviewDue: isoDuration({ what: 'reviewDue', maxMs: 90 * 86_400_000 }).default('PT72H'),
    reviewReminder: isoDuration({ what: 'reviewReminder', minMs: 1000, maxMs: 30 * 86_400_000 }).default('PT24H'),
    // Step-up: the reveal needs a passkey session authenticated at most this long ago (absent: no step-up).
    revealRequiresPasskey: isoDuration({ what: 'revealRequiresPasskey', minMs: 1000, maxMs: 86_400_000 }).optional(),
  })
  .strict()
  .meta({ id: 'Policy' });

/** Printable, no whitespace or control characters (PostgreSQL text cannot hold NUL). */
const upn = () =>
  z
    .string()
    .max(256)
    .regex(
      /^[^@\s\u0000-\u001F\u007F]+@[^@\s\u0000-\u001F\u007F]+\.[^@\s\u0000-\u001F\u007F]+$/,
      'must be a user principal name such as bg1@contoso.onmicrosoft.com',
    );

export const accountId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'must be 2-63 lower-case letters, digits or hyphens');

/** What the watch needs to know about the account in Entra (issue 13): optional, so accounts registered before the watch still work. */
export const watchSettingsSchema = z
  .object({
    // `excluded`: the account is excluded from every enabled Conditional Access policy; `restricted`: the deliberately restricted second account.
    conditionalAccess: z.enum(['excluded', 'restricted']).default('excluded'),
    drillInterval: isoDuration({ what: 'drillInterval', minMs: 1000, maxMs: 366 * 86_400_000 }).default('P90D'),
  })
  .strict()
  .meta({ id: 'WatchSettings' });
const entraObjectId = z
  .string()
  .regex(
    /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
    'must be the Entra object id (a GUID) of the user',
  );

/** Separation of duties holds per account: nobody approves or reviews what they may request. */
const separated = <
  T extends {
    requesters?: string[];
    approvers?: string[];
    reviewers?: string[];
    policy?: { requiredApprovals: number };
  },
>(
  value: T,
  ctx: z.RefinementCtx,
) => {
  const requesters = new Set(value.requesters ?? []);
  for (const role of ['approvers', 'reviewers'] as const) {
    (value[role] ?? []).forEach((member, index) => {
      if (requesters.has(member))
        ctx.addIssue({
          code: 'custom',
          path: [role, index],
          message: `${member} is a requester and cannot also be one of the ${role}`,
        });
    });
  }
  if (value.approvers && value.policy && value.approvers.length < value.policy.requiredApprovals) {
    ctx.addIssue({
      code: 'custom',
      path: ['approvers'],
      message: `needs at least ${value.policy.requiredApprovals} approvers for policy.requiredApprovals`,
    });
  }
};

export const createAccountBody = z
  .object({
    id: accountId,
    displayName: requiredText(200),
    upn: upn(),
    secretName: z.string().regex(/^[0-9a-zA-Z-]{1,127}$/, 'must be a Key Vault secret name (letters, digits, hyphens)'),
    requesters: members('requester'),
    approvers: members('approver'),
    reviewers: members('reviewer'),
    policy: policySchema.default(policySchema.parse({})),
    entraObjectId: entraObjectId.optional(),
    watch: watchSettingsSchema.optional(),
  })
  .strict()
  .superRefine(separated)
  .meta({ id: 'AccountCreate' });

export const patchAccountBody = z
  .object({
    displayName: requiredText(200).optional(),
    upn: upn().optional(),
    requesters: members('requester').optional(),
    approvers: members('approver').optional(),
    reviewers: members('reviewer').optional(),
    policy: policySchema.optional(),
    entraObjectId: entraObjectId.optional(),
    watch: watchSettingsSchema.optional(),
  })
  .strict()
  .refine((value) => Object.keys(value).length > 0, 'must change at least one field')
  // The refine above does not reach the OpenAPI document; this says the same there.
  .meta({ id: 'AccountPatch', minProperties: 1 });

/** The account as stored and answered with; src/db/accounts-repository.ts takes its type from here. */
export const accountSchema = z
  .object({
    id: z.string(),
    displayName: z.string(),
    upn: z.string(),
    secretName: z.string(),
    requesters: z.array(z.string()),
    approvers: z.array(z.string()),
    reviewers: z.array(z.string()),
    policy: policySchema,
    /** The user in Entra the watch reads (issue 13); null until an admin sets it. */
    entraObjectId: z.string().nullable().optional(),
    watch: watchSettingsSchema.optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Account' });

export { separated as accountSeparationCheck };
