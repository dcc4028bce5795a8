import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { freePort, waitFor } from '@repo/testing';
import type { RunnerStatus } from '../../src/app.ts';

const APP_DIR = fileURLToPath(new URL('../..', import.meta.url));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** performance.now() when the process exited. */
  at: number;
}

/** A real task-runner process (`node src/main.ts`, as `pnpm dev` runs it), observed through its health port. */
export interface RunnerProcess {
  name: string;
  child: ChildProcess;
  port: number;
  /** Everything it printed (JSON log lines and stderr), for assertions and failure messages. */
  output(): string;
  /** Its /ready answer, or undefined while it does not answer (starting, dead). */
  status(): Promise<RunnerStatus | undefined>;
  waitForStatus(
    predicate: (status: RunnerStatus) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<RunnerStatus>;
  exited: Promise<Exit>;
  kill(signal: NodeJS.Signals): void;
}

export async function spawnRunner(name: string, env: Record<string, string>): Promise<RunnerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--conditions=@repo/source', 'src/main.ts'], {
    cwd: APP_DIR,
    // A clean environment: only what a container would get, plus PATH/HOME for node itself.
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      // V8's compile cache: the second and later processes of a run start noticeably faster.
      NODE_COMPILE_CACHE: `${tmpdir()}/keelson-task-runner-compile-cache`,
      HEALTH_PORT: String(port),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: string[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => chunks.push(chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => chunks.push(chunk));
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: performance.now() })),
  );

  const status = async (): Promise<RunnerStatus | undefined> => {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(1_000) });
      return (await response.json()) as RunnerStatus;
    } catch {
      return undefined;
    }
  };

  return {
    name,
    child,
    port,
    output: () => chunks.join(''),
    status,
    async waitForStatus(predicate, what, timeoutMs = 60_000) {
      try {
        return await waitFor(
          async () => {
            const current = await status();
            return current && predicate(current) ? current : undefined;
          },
          { timeoutMs, intervalMs: 50, what: `${name}: ${what}` },
        );
      } catch (error) {
        throw new Error(
          `${(error as Error).message}\n--- ${name} output ---\n${chunks.join('').slice(-4_000)}`,
          { cause: error },
        );
      }
    },
    exited,
    kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
  };
}

/** Kills whatever is still running (after a failed test), and waits for it to be gone. */
export async function killAll(processes: readonly RunnerProcess[]): Promise<void> {
  for (const runner of processes) runner.kill('SIGKILL');
  await Promise.all(processes.map((runner) => runner.exited));
}
