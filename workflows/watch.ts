/** The watch's workflows (issue 13), registered through workflows/index.ts with one line. */
export { signinWatch } from './signin-watch';
export { unexplainedSignIn } from './signin-case';
export { driftCheck } from './drift-check';
