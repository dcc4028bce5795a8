import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitFor } from '@repo/testing';

const RUNNER_DIR = fileURLToPath(new URL('../../../apps/task-runner/', import.meta.url));

/** What the task-runner's image sets (docker/task-runner/Dockerfile, compose.yaml's prod profile). */
const PRODUCTION_ENV = {
  NODE_ENV: 'production',
  LOG_LEVEL: 'info',
  NODE_OPTIONS: '--max-old-space-size=384',
} as const;

/** One task-runner process, as its image runs it. */
export interface RunnerReplica {
  pid: number;
  port: number;
  /** CPU seconds (user + system) the process has used so far, from /proc. */
  cpuSeconds(): number;
  /** SIGTERM (it drains, releases its lock if it leads, exits). */
  stop(): Promise<void>;
}

/**
 * Starts `node --import=@repo/telemetry/register dist/main.js` in apps/task-runner (the image's
 * CMD and WORKDIR) with production settings and the given connections, and waits until it is
 * working: `/ready` with its workers running. Replicas share a database and a queue prefix; the
 * first one to start leads and migrates, the others wait for the schema, then every one works.
 */
export async function startRunnerReplica(
  env: Record<string, string>,
  logFile: string,
): Promise<RunnerReplica> {
  if (!existsSync(join(RUNNER_DIR, 'dist/main.js'))) {
    throw new Error(
      'apps/task-runner/dist/main.js is missing: pnpm turbo run build --filter=@repo/task-runner...',
    );
  }
  const port = await freePort();
  const log = openSync(logFile, 'a');
  const child: ChildProcess = spawn(process.execPath, ['--import=@repo/telemetry/register', 'dist/main.js'], {
    cwd: RUNNER_DIR,
    env: { ...PRODUCTION_ENV, ...env, HEALTH_PORT: String(port) },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  try {
    await waitFor(
      async () => {
        if (gone) throw new Error(`task-runner exited during start-up (log: ${logFile})`);
        const response = await fetch(`http://127.0.0.1:${port}/ready`, {
          signal: AbortSignal.timeout(1_000),
        });
        const status = (await response.json()) as { ready: boolean; workers: { running: boolean } };
        return status.ready && status.workers.running;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: 'a task-runner replica working' },
    );
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  return {
    pid: child.pid!,
    port,
    cpuSeconds() {
      // /proc/<pid>/stat: fields 14 and 15 (utime, stime) after the parenthesised command name.
      const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(fields[11]) + Number(fields[12])) / ticks;
    },
    async stop() {
      if (!gone) child.kill('SIGTERM');
      await exited;
    },
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
