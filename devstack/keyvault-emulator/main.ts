import { runCli } from './cli';

// Entry point of the emulator's container image (bundled to one JavaScript file and run with node).
runCli();
