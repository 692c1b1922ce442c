/** Authentication failures: 401 for the caller's credentials, 503 when an issuer's keys cannot be had. */

export class UnauthenticatedError extends Error {
  readonly statusCode = 401;
  /** `missing`: the request carried no credentials at all (RFC 6750 §3.1: no error code then). */
  constructor(
    reason: string,
    readonly missing = false,
  ) {
    super(reason);
    this.name = 'UnauthenticatedError';
  }
}

/** An issuer's signing keys could not be fetched and none are known yet: a 503, not the caller's fault. */
export class SigningKeysUnavailableError extends Error {
  readonly statusCode = 503;
  constructor(issuer?: string) {
    super(`the identity provider's signing keys (AUTH_JWKS_URL${issuer ? ` of issuer ${issuer}` : ''}) could not be fetched; try again shortly, or sign in with a passkey`);
    this.name = 'SigningKeysUnavailableError';
  }
}

/** A passkey response that does not check out (400); the reason says which check failed. */
export class PasskeyError extends Error {
  readonly statusCode = 400;
  constructor(reason: string) {
    super(reason);
    this.name = 'PasskeyError';
  }
}

export class PasskeysDisabledError extends Error {
  readonly statusCode = 404;
  constructor() {
    super('passkeys are not configured on this service (WEBAUTHN_RP_ID, WEBAUTHN_ORIGINS)');
    this.name = 'PasskeysDisabledError';
  }
}
