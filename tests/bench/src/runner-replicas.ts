import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { freePort, waitFor } from '@repo/testing';
import { startApp } from './processes.ts';

/** One task-runner process, as its image runs it. */
export interface RunnerReplica {
  pid: number;
  /** CPU seconds (user + system) the process has used so far, from /proc. */
  cpuSeconds(): number;
  /** SIGTERM (it drains, releases its lock if it leads, exits). */
  stop(): Promise<void>;
  /** Starts or stops and writes a CPU profile (only when started with a profileDir). */
  toggleProfile(): void;
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/**
 * The task-runner as its image runs it (startApp: dist/, telemetry preload, production settings,
 * logs to a file), started and waited for until it works: `/ready` with its workers running.
 * Replicas share a database and a queue prefix; the first one leads and migrates, the others wait
 * for the schema, then every one processes jobs.
 */
export async function startRunnerReplica(
  env: Record<string, string>,
  logDir: string,
  /** Load the profiler preload; its profiles are written here. */
  profileDir?: string,
): Promise<RunnerReplica> {
  const port = await freePort();
  const service = await startApp('task-runner', {
    env: { ...env, HEALTH_PORT: String(port) },
    port,
    logDir,
    ...(profileDir ? { profileDir } : {}),
  });
  try {
    await waitFor(
      async () => {
        const response = await fetch(`${service.origin}/ready`, { signal: AbortSignal.timeout(1_000) });
        const status = (await response.json()) as { ready: boolean; workers: { running: boolean } };
        return status.ready && status.workers.running;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: 'a task-runner replica working' },
    );
  } catch (error) {
    await service.stop();
    throw error;
  }
  return {
    pid: service.pid,
    cpuSeconds() {
      // /proc/<pid>/stat: utime and stime (fields 14 and 15) after the parenthesised command name.
      const stat = readFileSync(`/proc/${service.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
    },
    stop: () => service.stop(),
    toggleProfile: () => service.toggleProfile(),
  };
}

/**
 * CPU seconds a container has used so far, from its cgroup (v1 `cpuacct.usage`, or v2 `cpu.stat`),
 * or undefined where neither is readable (another host layout).
 */
export function containerCpuSeconds(containerId: string): number | undefined {
  const v1 = `/sys/fs/cgroup/cpuacct/docker/${containerId}/cpuacct.usage`;
  if (existsSync(v1)) return Number(readFileSync(v1, 'utf8')) / 1e9;
  for (const v2 of [
    `/sys/fs/cgroup/system.slice/docker-${containerId}.scope/cpu.stat`,
    `/sys/fs/cgroup/docker/${containerId}/cpu.stat`,
  ]) {
    if (!existsSync(v2)) continue;
    const usage = /^usage_usec (\d+)$/m.exec(readFileSync(v2, 'utf8'))?.[1];
    if (usage) return Number(usage) / 1e6;
  }
  return undefined;
}

/**
 * The full id of the container that publishes the host port of `url` (the test Postgres or Redis
 * from compose.yaml), or undefined when none does (services given by DATABASE_URL/REDIS_URL).
 */
export function containerServing(url: string): string | undefined {
  const { port } = new URL(url);
  if (!port) return undefined;
  try {
    const out = execFileSync('docker', ['ps', '-q', '--no-trunc', '--filter', `publish=${port}`], {
      encoding: 'utf8',
    }).trim();
    return out.split('\n')[0] || undefined;
  } catch {
    return undefined;
  }
}
