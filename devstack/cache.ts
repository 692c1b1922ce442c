import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Tools are cached outside the clone, keyed by version, so every clone and CI run on the machine reuses them. */
export function cacheDir(...parts: string[]): string {
  const root =
    process.env.BREAKGLASS_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'breakglass');
  const dir = join(root, ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}
