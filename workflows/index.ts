export { breakglassRequest } from './breakglass';
export * from './watch';
