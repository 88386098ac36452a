/**
 * Reads a process's CPU time and memory from Linux `/proc`, so the bench can
 * measure a server running as a separate process.
 *
 * @module
 */

/** Clock ticks per second for `/proc/<pid>/stat` times (`getconf CLK_TCK`; 100 on Linux). */
export const CLOCK_TICKS_PER_SECOND = 100;

/** CPU time and memory of one process at one moment. */
export interface ProcSample {
  /** User plus system CPU time of every thread so far, in seconds. */
  cpuSeconds: number;
  /**
   * User plus system CPU time of the main thread alone (the one whose id is
   * the PID) so far, in seconds: for tertulia, the thread that runs the chat,
   * as opposed to workers and V8's helper threads.
   */
  mainThreadCpuSeconds: number;
  /** Resident set size now, in KiB (`VmRSS`). */
  rssKiB: number;
  /** Peak resident set size so far, in KiB (`VmHWM`). */
  peakRssKiB: number;
}

/**
 * Parses the CPU seconds (utime + stime) out of a `/proc/<pid>/stat` line.
 * The command name in parentheses may hold spaces, so fields are counted from
 * the last `)`.
 */
export function parseStatCpuSeconds(stat: string): number {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After the name: state is field 3, utime field 14, stime field 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new Error(`Unreadable /proc stat line: ${stat}`);
  }
  return (utime + stime) / CLOCK_TICKS_PER_SECOND;
}

/** Parses one `Name:   1234 kB` field out of a `/proc/<pid>/status` text, in KiB. */
export function parseStatusKiB(status: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status);
  if (match === null) throw new Error(`No ${field} in /proc status`);
  return Number(match[1]);
}

/** Samples the CPU time and memory of process `pid`; throws if it is gone. */
export async function sampleProcess(pid: number): Promise<ProcSample> {
  const [stat, mainStat, status] = await Promise.all([
    Deno.readTextFile(`/proc/${pid}/stat`),
    Deno.readTextFile(`/proc/${pid}/task/${pid}/stat`),
    Deno.readTextFile(`/proc/${pid}/status`),
  ]);
  return {
    cpuSeconds: parseStatCpuSeconds(stat),
    mainThreadCpuSeconds: parseStatCpuSeconds(mainStat),
    rssKiB: parseStatusKiB(status, "VmRSS"),
    peakRssKiB: parseStatusKiB(status, "VmHWM"),
  };
}

/** The soft limit on open files of this process, from `/proc/self/limits`. */
export async function openFileLimit(): Promise<number> {
  const limits = await Deno.readTextFile("/proc/self/limits");
  const match = /^Max open files\s+(\d+|unlimited)/m.exec(limits);
  if (match === null) return 1024;
  return match[1] === "unlimited" ? Infinity : Number(match[1]);
}
