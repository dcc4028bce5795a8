import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * CPU time used so far, in ms, by something the benchmark does not run itself. Read before and
 * after a round, it gives CPU per job — which, unlike jobs/s, barely moves when other work on the
 * machine takes the cores away: the cost of a job, not how long it waited for a core.
 */
export type CpuClock = () => number | undefined;

/** Linux's clock ticks per second for /proc/<pid>/stat (USER_HZ, 100 on every common kernel). */
const CLOCK_TICKS_PER_S = 100;

/** A process's user + system CPU time, from /proc/<pid>/stat (Linux; undefined elsewhere or once it exited). */
export function processCpu(pid: number): CpuClock {
  return () => {
    try {
      // The command name (field 2) may contain spaces; utime and stime are fields 14 and 15.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return ((Number(fields[11]) + Number(fields[12])) * 1_000) / CLOCK_TICKS_PER_S;
    } catch {
      return undefined;
    }
  };
}

/** This process's CPU time (every thread: the event loop, GC, libuv). */
export const ownCpu: CpuClock = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1_000;
};

/** The cgroup files a container's CPU time can be read from: cgroup v1, v2 with or without systemd. */
function cgroupCpuFiles(id: string): Array<{ path: string; toMs: (text: string) => number }> {
  const usec = (text: string) => Number(/usage_usec (\d+)/.exec(text)?.[1] ?? Number.NaN) / 1_000;
  return [
    { path: `/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`, toMs: (text) => Number(text) / 1e6 },
    { path: `/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`, toMs: usec },
    { path: `/sys/fs/cgroup/docker/${id}/cpu.stat`, toMs: usec },
  ];
}

/**
 * The CPU time of the container publishing this loopback port (Postgres, Redis of the test
 * services), read from its cgroup. Undefined when there is no such container or its cgroup is
 * not readable from here (a remote server, another OS).
 */
export async function containerCpu(port: string | number): Promise<CpuClock> {
  let id: string | undefined;
  try {
    const { stdout } = await run('docker', ['ps', '--no-trunc', '-q', '--filter', `publish=${port}`]);
    id = stdout.trim().split('\n')[0] || undefined;
  } catch {
    id = undefined;
  }
  const file = id
    ? cgroupCpuFiles(id).find(({ path }) => {
        try {
          readFileSync(path);
          return true;
        } catch {
          return false;
        }
      })
    : undefined;
  return () => {
    if (!file) return undefined;
    try {
      const ms = file.toMs(readFileSync(file.path, 'utf8'));
      return Number.isFinite(ms) ? ms : undefined;
    } catch {
      return undefined;
    }
  };
}

export interface CpuPerJob {
  /** The subject's own process (the runner; the benchmark's process for the in-process baselines). */
  process?: number;
  postgres?: number;
  redis?: number;
}

export interface CpuClocks {
  process: CpuClock;
  postgres: CpuClock;
  redis: CpuClock;
}

/** Starts measuring; the returned function gives CPU ms per job since then. */
export function startCpuMeasure(clocks: CpuClocks): (jobs: number) => CpuPerJob {
  const read = () => ({ process: clocks.process(), postgres: clocks.postgres(), redis: clocks.redis() });
  const before = read();
  return (jobs) => {
    const after = read();
    const per = (key: keyof CpuPerJob) => {
      const start = before[key];
      const end = after[key];
      return start === undefined || end === undefined ? undefined : (end - start) / jobs;
    };
    const result: CpuPerJob = {};
    for (const key of ['process', 'postgres', 'redis'] as const) {
      const value = per(key);
      if (value !== undefined) result[key] = value;
    }
    return result;
  };
}
