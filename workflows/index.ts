export { breakglassRequest } from './breakglass';
export { auditCheckpoint } from './audit-checkpoint';
export { broadcastAlert } from './alert-broadcast';
