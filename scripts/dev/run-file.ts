import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import {
  isAlive,
  processStartTime,
  runningServices,
  stopProcessGroup,
  type ServiceRecord,
} from '../../devstack/processes';

interface RunRecord {
  pid: number;
  startTime?: string;
  services: ServiceRecord[];
}

/**
 * The run file: one dev mode per data dir, and a record of what it started, so that a start
 * after a crash can stop what the crashed run left running.
 */
export function createRunFile(dataDir: string, log: (line: string) => void) {
  const path = join(dataDir, 'dev-run.json');
  let owned = false;

  function read(): RunRecord | undefined {
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as RunRecord;
    } catch {
      return undefined;
    }
  }

  return {
    /**
     * Takes the data dir for this run. Another live dev mode on it is an error; the record of a run
     * that crashed names the services it left running, which are stopped (by process group) first.
     */
    async claim(): Promise<void> {
      mkdirSync(dataDir, { recursive: true });
      for (let attempt = 0; attempt < 3; attempt += 1) {
        try {
          const fd = openSync(path, 'wx');
          writeSync(
            fd,
            `${JSON.stringify({ pid: process.pid, startTime: processStartTime(process.pid), services: [] })}\n`,
          );
          closeSync(fd);
          owned = true;
          return;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        }
        const previous = read();
        if (previous && previous.pid !== process.pid && isAlive(previous.pid, previous.startTime)) {
          throw new Error(
            `another breakglass dev (pid ${previous.pid}) is running on ${dataDir}; stop it first, or set BREAKGLASS_DATA_DIR`,
          );
        }
        const leftovers = (previous?.services ?? []).filter(
          (service) => service.startTime && isAlive(service.pid, service.startTime),
        );
        if (leftovers.length) {
          log(
            `stopping what an earlier run left running: ${leftovers.map((service) => `${service.name} (pid ${service.pid})`).join(', ')}`,
          );
          await Promise.allSettled(leftovers.map((service) => stopProcessGroup(service.pid, 10_000)));
        }
        try {
          unlinkSync(path);
        } catch {
          /* another start removed it first; try again */
        }
      }
      throw new Error(`could not take ${path}`);
    },

    /** Records the services running now (only by the run that owns the file). */
    write(): void {
      if (!owned) return;
      const record: RunRecord = {
        pid: process.pid,
        startTime: processStartTime(process.pid),
        services: runningServices(),
      };
      writeFileSync(path, `${JSON.stringify(record)}\n`);
    },

    remove(): void {
      if (!owned) return;
      try {
        unlinkSync(path);
      } catch {
        /* already gone */
      }
    },
  };
}
