import { REFUSAL, type RefusalType } from '../domain/lifecycle';

/**
 * Every error a command raises for a person to act on: the error handler turns each into
 * application/problem+json by its class, with its status and detail, and nothing else.
 */
export abstract class ProblemError extends Error {
  abstract readonly statusCode: number;
  /** Extra members of the problem document. */
  problemExtras(): Record<string, unknown> {
    return {};
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
  override problemExtras() {
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

/** The same Idempotency-Key was first used with another body: 422, nothing is created. */
export class IdempotencyKeyReusedError extends ProblemError {
  readonly statusCode = 422;
  constructor() {
    super('this Idempotency-Key was already used with a different body; use a new key for a new request');
    this.name = 'IdempotencyKeyReusedError';
  }
}

export type Dependency = 'postgres' | 'temporal' | 'keyvault';

/** A dependency the service cannot do without is down; the message names it. */
export class DependencyError extends ProblemError {
  readonly statusCode = 503;
  constructor(
    readonly dependency: Dependency,
    detail: string,
    /** True when the action was handed on and may still take effect once the dependency answers. */
    readonly mayStillTakeEffect = false,
  ) {
    super(`${dependency} is unavailable: ${detail}`);
    this.name = 'DependencyError';
  }
  override problemExtras() {
    return { dependency: this.dependency, ...(this.mayStillTakeEffect ? { mayStillTakeEffect: true } : {}) };
  }
}

/** Input that passed the schema but breaks a rule across fields (for example a policy made invalid by a partial change). */
export class InvalidInputError extends ProblemError {
  readonly statusCode = 400;
  constructor(readonly errors: Array<{ path: string; message: string }>) {
    super(errors.map((e) => `${e.path}: ${e.message}`).join('; '));
    this.name = 'InvalidInputError';
  }
  override problemExtras() {
    return { errors: this.errors };
  }
}
