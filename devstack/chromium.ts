import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from './cache';
import { withFileLock } from './file-lock';

/**
 * Chromium for the browser tests, from Debian's packages (no browser download by Playwright).
 * Installed with apt when missing, once per machine: parallel test files wait on one lock.
 * CHROMIUM_PATH points at another build.
 */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

const found = () => [process.env.CHROMIUM_PATH, ...CANDIDATES].find((path) => path && existsSync(path));

export async function ensureChromium(log: (line: string) => void = () => {}): Promise<string> {
  const present = found();
  if (present) return present;
  return withFileLock(
    join(cacheDir('chromium'), 'install.lock'),
    () => {
      const again = found();
      if (again) return again;
      log('installing chromium from the distribution packages (apt-get)…');
      const asRoot = process.getuid?.() === 0;
      const run = (args: string[]) => {
        const [command, ...rest] = asRoot ? args : ['sudo', '-n', ...args];
        const result = spawnSync(command!, rest, {
          stdio: ['ignore', 'ignore', 'pipe'],
          env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
        });
        if (result.status !== 0)
          throw new Error(`${args.join(' ')} failed (${result.status}): ${String(result.stderr).slice(-500)}`);
      };
      run(['apt-get', 'update']);
      run(['apt-get', 'install', '-y', '--no-install-recommends', 'chromium']);
      const installed = found();
      if (!installed) throw new Error('chromium was installed but is not at /usr/bin/chromium');
      return installed;
    },
    { staleMs: 15 * 60_000, waitMs: 20 * 60_000, pollMs: 1000 },
  );
}
