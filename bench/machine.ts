import { cpus, loadavg, totalmem } from 'node:os';
import { readFileSync } from 'node:fs';

/** What the figures were measured on: absolute numbers on shared machines are noise, ratios are not. */
export function machineInfo() {
  const cpu = cpus();
  return {
    cpuCount: cpu.length,
    cpuModel: cpu[0]?.model ?? 'unknown',
    memoryGb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadAverage: loadavg().map((value) => Math.round(value * 100) / 100),
  };
}

/** Resident memory of a process (Linux /proc), in MB; NaN where there is no /proc. */
export function rssMb(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : NaN;
  } catch {
    return NaN;
  }
}

/** CPU time a process has used (user + system, Linux /proc), in ms; NaN where there is no /proc. */
export function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}

// USER_HZ: 100 on every Linux Node runs on.
const CLOCK_TICKS = 100;
