import { REFUSAL, type RefusalType } from '../domain/lifecycle';

/** A decision refused by the rules: 403 when the actor may never do it, 409 when the state is wrong. */
export class RefusedError extends Error {
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
}

export class NotFoundError extends Error {
  readonly statusCode = 404;
  constructor(what: string) {
    super(`${what} not found`);
    this.name = 'NotFoundError';
  }
}

/** A dependency the service cannot do without is down; the message names it. */
export class DependencyError extends Error {
  readonly statusCode = 503;
  constructor(
    readonly dependency: 'postgres' | 'temporal' | 'keyvault',
    detail: string,
  ) {
    super(`${dependency} is unavailable: ${detail}`);
    this.name = 'DependencyError';
  }
}
