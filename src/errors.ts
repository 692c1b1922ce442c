import { REFUSAL, type RefusalType } from './domain/lifecycle';

/**
 * The service's own errors: each class knows its HTTP status and the extra members of its
 * problem document, and the error handler (src/plugins/app/errors.ts) matches the base class.
 * A different answer is a different class, never a status changed on an error after the fact.
 */
export abstract class ProblemError extends Error {
  abstract readonly statusCode: number;

  /** Members of the problem document beside type, title, status and detail. */
  get extensions(): Record<string, unknown> {
    return {};
  }
}

export interface FieldError {
  path: string;
  message: string;
}

/** 400: input that passed the schema but breaks a rule across fields (or an opaque value we did not issue). */
export class InvalidInputError extends ProblemError {
  readonly statusCode = 400;
  constructor(readonly errors: FieldError[]) {
    super(errors.map((error) => `${error.path}: ${error.message}`).join('; '));
    this.name = 'InvalidInputError';
  }

  override get extensions() {
    return { errors: this.errors };
  }
}

/** 401. `missing`: the request carried no credentials at all (RFC 6750 §3.1: no error code then). */
export class UnauthenticatedError extends ProblemError {
  readonly statusCode = 401;
  constructor(
    reason: string,
    readonly missing = false,
  ) {
    super(reason);
    this.name = 'UnauthenticatedError';
  }
}

/** A decision refused by the rules: 403 when the actor may never do it, 409 when the state is wrong. */
export class RefusedError extends ProblemError {
  readonly statusCode: 403 | 409;
  constructor(
    readonly type: RefusalType,
    readonly reason: string,
    readonly currentStatus?: string,
  ) {
    super(reason);
    this.name = 'RefusedError';
    this.statusCode = type === REFUSAL.forbidden ? 403 : 409;
  }

  override get extensions() {
    return this.currentStatus ? { currentStatus: this.currentStatus } : {};
  }
}

export class NotFoundError extends ProblemError {
  readonly statusCode = 404;
  constructor(what: string) {
    super(`${what} not found`);
    this.name = 'NotFoundError';
  }
}

/** 422: an Idempotency-Key reused with a different body (the first body's request stands). */
export class IdempotencyKeyReusedError extends ProblemError {
  readonly statusCode = 422;
  constructor() {
    super('this Idempotency-Key was already used with a different body; use a new key for a new request');
    this.name = 'IdempotencyKeyReusedError';
  }
}

/** A dependency the service cannot do without is down; the message and the problem name it. */
export class DependencyError extends ProblemError {
  readonly statusCode = 503;
  constructor(
    readonly dependency: 'postgres' | 'temporal' | 'keyvault' | 'identity',
    detail: string,
    /** True when the action was handed on and may still take effect once the dependency answers. */
    readonly mayStillTakeEffect = false,
  ) {
    super(`${dependency} is unavailable: ${detail}`);
    this.name = 'DependencyError';
  }

  override get extensions() {
    return { dependency: this.dependency, ...(this.mayStillTakeEffect ? { mayStillTakeEffect: true } : {}) };
  }
}

/** The issuer's signing keys could not be fetched and none are known yet: a 503, not the caller's fault. */
export class SigningKeysUnavailableError extends DependencyError {
  constructor(issuer?: string) {
    super(
      'identity',
      `the identity provider's signing keys (AUTH_JWKS_URL${issuer ? ` of issuer ${issuer}` : ''}) could not be fetched; try again shortly, or sign in with a passkey`,
    );
    this.name = 'SigningKeysUnavailableError';
  }
}
