import { z } from 'zod';
import { principalId, text } from './common';

/** Shapes of the sign-in, session, passkey and identity-mapping routes. */

const b64url = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[A-Za-z0-9_-]+$/, 'must be base64url');

// What a browser's navigator.credentials.create()/get() returns, as @simplewebauthn/browser serialises it.
// Unknown fields (browsers add a few) are dropped, not refused.
export const registrationResponse = z
  .object({
    id: b64url(1400),
    rawId: b64url(1400),
    type: z.literal('public-key'),
    response: z.object({
      clientDataJSON: b64url(4096),
      attestationObject: b64url(16384),
      transports: z.array(z.string().max(32)).max(10).optional(),
    }),
    clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
    authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  })
  .meta({ id: 'RegistrationResponse' });

export const authenticationResponse = z
  .object({
    id: b64url(1400),
    rawId: b64url(1400),
    type: z.literal('public-key'),
    response: z.object({
      clientDataJSON: b64url(4096),
      authenticatorData: b64url(4096),
      signature: b64url(1024),
      userHandle: b64url(128).optional(),
    }),
    clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
    authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  })
  .meta({ id: 'AuthenticationResponse' });

export const enrolBody = z
  .object({ name: text(64).trim().min(1).default('passkey'), response: registrationResponse })
  .strict();
export const signInBody = z.object({ response: authenticationResponse }).strict();

/** Options handed to the browser as they are; described loosely here, they are WebAuthn's own JSON. */
export const webauthnOptions = z.record(z.string(), z.unknown()).meta({
  id: 'WebAuthnOptions',
  description: 'PublicKeyCredentialCreationOptionsJSON or PublicKeyCredentialRequestOptionsJSON',
});

export const passkeySchema = z
  .object({
    id: z.string(),
    principal: z.string(),
    name: z.string(),
    aaguid: z.string(),
    deviceType: z.string(),
    backedUp: z.boolean(),
    status: z.enum(['pending', 'active', 'revoked']),
    createdAt: z.string(),
    confirmedBy: z.string().nullable(),
    confirmedAt: z.string().nullable(),
    revokedBy: z.string().nullable(),
    revokedAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
  })
  .meta({ id: 'Passkey' });

export const passkeyQuery = z
  .object({
    principal: principalId.optional(),
    status: z.enum(['pending', 'active', 'revoked']).optional(),
  })
  .strict();

export const sessionSchema = z
  .object({
    id: z.string(),
    principal: z.string(),
    amr: z.array(z.string()),
    authTime: z.string(),
    passkeyId: z.string().nullable(),
    createdAt: z.string(),
    lastSeenAt: z.string(),
    expiresAt: z.string(),
    idleExpiresAt: z.string(),
    revokedAt: z.string().nullable(),
    current: z.boolean(),
  })
  .meta({ id: 'Session' });

export const signedInSchema = z
  .object({
    token: z
      .string()
      .meta({ description: 'Send as Authorization: Bearer <token>. Shown once; the service keeps only its hash.' }),
    session: sessionSchema,
  })
  .meta({ id: 'SignedIn' });

export const sessionQuery = z.object({ principal: principalId.optional() }).strict();

// Issuers and subjects are printable (PostgreSQL text cannot hold NUL, and a claim never has control characters).
const issuerText = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[^\s\u0000-\u001F\u007F]+$/, 'must be an issuer (printable, no whitespace)');
const subjectText = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[^\s\u0000-\u001F\u007F]+$/, 'must be a subject (printable, no whitespace)');

export const identityMappingBody = z
  .object({
    issuer: issuerText,
    subject: subjectText,
    principal: principalId,
  })
  .strict()
  .meta({ id: 'IdentityMappingCreate' });

export const identityMappingSchema = z
  .object({
    issuer: z.string(),
    subject: z.string(),
    principal: z.string(),
    createdBy: z.string(),
    createdAt: z.string(),
  })
  .meta({ id: 'IdentityMapping' });

export const identityMappingKey = z.object({ issuer: issuerText, subject: subjectText }).strict();
