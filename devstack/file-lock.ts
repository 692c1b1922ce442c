import { closeSync, openSync, rmSync, statSync, unlinkSync } from 'node:fs';

/**
 * Runs `work` holding an exclusive lock file, so two parallel runs on the machine (people, CI,
 * helpers) don't build or install the same cached tool at once. A lock older than `staleMs`
 * belonged to a run that died, and is taken over.
 */
export async function withFileLock<T>(
  lockPath: string,
  work: () => T,
  options: { staleMs: number; waitMs: number; pollMs?: number },
): Promise<T> {
  const deadline = Date.now() + options.waitMs;
  for (;;) {
    try {
      closeSync(openSync(lockPath, 'wx'));
      break;
    } catch {
      const age = Date.now() - (statSync(lockPath, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > options.staleMs) rmSync(lockPath, { force: true });
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockPath}`);
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 1000));
    }
  }
  try {
    return work();
  } finally {
    unlinkSync(lockPath);
  }
}
