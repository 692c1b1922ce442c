const LEVELS: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

export interface OutputOptions {
  log: (line: string) => void;
  /** Every line of every service, as it is. */
  verbose: boolean;
  /** While stopping, a service's own shutdown chatter says nothing the stop lines don't. */
  stopping: () => boolean;
}

/**
 * A filter for one service's lines: JSON log lines (pino) and Temporal SDK log entries below
 * warning are dropped unless verbose; a kept JSON line is shortened to level, message and error.
 */
export function serviceOutput(name: string, { log, verbose, stopping }: OutputOptions): (line: string) => void {
  let keepEntry = true; // continuation lines of a multi-line SDK log entry follow its first line
  return (line: string) => {
    if (verbose) return log(`[${name}] ${line}`);
    if (stopping()) return;
    if (/^breakglass worker ready\b/.test(line)) return; // the ready lines say so
    if (line.startsWith('breakglass')) {
      keepEntry = true; // the process's own plain lines ("breakglass api: …")
      return log(`[${name}] ${line}`);
    }
    if (line.startsWith('{')) {
      try {
        const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
        if (typeof entry.level === 'number') {
          if (entry.level < 40) return;
          const error = entry.err?.message && entry.err.message !== entry.msg ? ` (${entry.err.message})` : '';
          return log(`[${name}] ${LEVELS[entry.level] ?? entry.level}: ${entry.msg ?? ''}${error}`);
        }
      } catch {
        /* not JSON after all */
      }
    }
    const sdk = /^\S+ \[(TRACE|DEBUG|INFO|WARN|ERROR)\] /.exec(line);
    if (sdk) keepEntry = sdk[1] === 'WARN' || sdk[1] === 'ERROR';
    if (keepEntry) log(`[${name}] ${line}`);
  };
}
