import { ProblemError } from '../errors';

/** Authentication failures live with the other problem errors; these names keep the auth modules' imports short. */
export { SigningKeysUnavailableError, UnauthenticatedError } from '../errors';

/** A passkey response that does not check out (400); the reason says which check failed. */
export class PasskeyError extends ProblemError {
  readonly statusCode = 400;
  constructor(reason: string) {
    super(reason);
    this.name = 'PasskeyError';
  }
}

export class PasskeysDisabledError extends ProblemError {
  readonly statusCode = 404;
  constructor() {
    super('passkeys are not configured on this service (WEBAUTHN_RP_ID, WEBAUTHN_ORIGINS)');
    this.name = 'PasskeysDisabledError';
  }
}
