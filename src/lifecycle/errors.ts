/** The error classes live in src/errors.ts (one module); this keeps the lifecycle's imports short. */
export { DependencyError, IdempotencyKeyReusedError, InvalidInputError, NotFoundError, RefusedError } from '../errors';
