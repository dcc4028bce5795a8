import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@repo/testing';

export const REPO_ROOT = fileURLToPath(new URL('../../../..', import.meta.url));

export type App = 'api' | 'agent' | 'task-runner';

/** A real service process, started as `pnpm dev` starts it (sources, telemetry preloaded). */
export interface ServiceProcess {
  app: App;
  url: string;
  /** Its stdout lines that parsed as JSON (pino's log lines). */
  lines(): Record<string, unknown>[];
  /** Everything it printed, for failure messages. */
  output(): string;
  /** SIGTERM, then the exit code (SIGKILL after 15 s). */
  stop(): Promise<number | null>;
}

/**
 * `node --conditions=@repo/source --import=@repo/telemetry/register src/main.ts` in apps/<app>:
 * the app's own main, config and shutdown, with the preload resolved from the app's
 * dependencies exactly as the images resolve it (there from dist). The environment is only what
 * a container would get: the test runner's own OTEL_* variables never leak in.
 */
export async function startService(options: {
  app: App;
  port: number;
  env: Record<string, string>;
  /** The path that answers 200 once the service is usable (`/health`, or the runner's `/ready`). */
  readyPath: string;
  timeoutMs?: number;
}): Promise<ServiceProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=@repo/source', '--import=@repo/telemetry/register', 'src/main.ts'],
    {
      cwd: `${REPO_ROOT}apps/${options.app}`,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        // V8's compile cache: three processes of the same sources start faster on the next run.
        NODE_COMPILE_CACHE: `${tmpdir()}/keelson-tracing-compile-cache`,
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const chunks: string[] = [];
  const lines: Record<string, unknown>[] = [];
  let pending = '';
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    chunks.push(chunk);
    pending += chunk;
    const complete = pending.split('\n');
    pending = complete.pop() ?? '';
    for (const line of complete) {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not a log line
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => chunks.push(chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const output = () => chunks.join('');
  const url = `http://127.0.0.1:${options.port}`;

  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
        const response = await fetch(`${url}${options.readyPath}`, { signal: AbortSignal.timeout(1_000) });
        return response.ok;
      },
      { timeoutMs: options.timeoutMs ?? 60_000, intervalMs: 100, what: `${options.app} to be ready` },
    );
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`${(error as Error).message}\n--- ${options.app} output ---\n${output().slice(-4_000)}`, {
      cause: error,
    });
  }

  return {
    app: options.app,
    url,
    lines: () => lines,
    output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
