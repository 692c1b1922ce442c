export { breakglassLifecycle } from './lifecycle';
export { breakglassRequest } from './legacy/breakglass-v1';
export * from './watch';
