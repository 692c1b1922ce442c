export { breakglassLifecycle } from './lifecycle';
export { breakglassRequest } from './legacy/breakglass-v1';
export { auditCheckpoint } from './audit-checkpoint';
export { broadcastAlert } from './alert-broadcast';
export * from './watch';
