export { breakglassRequest } from './breakglass';
