/** The error classes live in src/errors.ts (one module); this keeps the lifecycle's imports working. */
export { DependencyError, NotFoundError, RefusedError } from '../errors';
