export { breakglassRequest } from './breakglass';
export { serviceAlert } from './service-alert';
