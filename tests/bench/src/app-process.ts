import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@repo/testing';

const APPS_DIR = fileURLToPath(new URL('../../../apps/', import.meta.url));

/**
 * What every production image sets (docker/<app>/Dockerfile and the prod profile of compose.yaml):
 * the production mode, info-level logs and the heap ceiling sized to the container's memory limit.
 */
export const PRODUCTION_ENV = {
  NODE_ENV: 'production',
  LOG_LEVEL: 'info',
  NODE_OPTIONS: '--max-old-space-size=384',
} as const;

export interface AppProcessOptions {
  /** The folder under apps/ (`api`, `task-runner`, `agent`). */
  app: string;
  /** The app's own variables (connections, ports), on top of PRODUCTION_ENV. */
  env: Record<string, string>;
  /** Polled until it answers 2xx: the process is ready for load. */
  readyUrl: string;
  /** Its stdout (one JSON log line per event) goes to this file, as a platform's log collector reads it. */
  logFile: string;
  /** When set, V8 writes a CPU profile (`.cpuprofile`) of the whole process into this folder at exit. */
  cpuProfileDir?: string;
  readyTimeoutMs?: number;
}

export interface AppExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The CPU profile written at exit, when one was asked for. */
  cpuProfile?: string;
}

export interface AppProcess {
  pid: number;
  /** What it wrote to stderr (start-up refusals, crashes), for error messages. */
  stderr(): string;
  /** SIGTERM, as a platform stops a container, and waits for the exit (and its profile). */
  stop(): Promise<AppExit>;
}

/**
 * An app as its image runs it: `node --import=@repo/telemetry/register dist/main.js` from the
 * app's folder (the image's CMD and WORKDIR), the compiled build, a clean environment, in a process
 * of its own — not the sources through a test runner, not sharing the benchmark's event loop.
 * The build must exist (`turbo run build`; `pnpm bench` runs it first).
 */
export async function startAppProcess(options: AppProcessOptions): Promise<AppProcess> {
  const cwd = join(APPS_DIR, options.app);
  if (!existsSync(join(cwd, 'dist/main.js'))) {
    throw new Error(
      `apps/${options.app}/dist/main.js is missing: build it first (pnpm turbo run build --filter=@repo/${options.app}...)`,
    );
  }
  const profile = options.cpuProfileDir;
  if (profile) mkdirSync(profile, { recursive: true });
  const before = new Set(profile ? readdirSync(profile) : []);
  const log = openSync(options.logFile, 'w');
  const child = spawn(
    process.execPath,
    [
      '--import=@repo/telemetry/register',
      ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []),
      'dist/main.js',
    ],
    {
      cwd,
      // Only what a container gets: nothing of the benchmark's own environment leaks in.
      env: { ...PRODUCTION_ENV, ...options.env },
      stdio: ['ignore', log, 'pipe'],
    },
  );
  closeSync(log);
  const stderr: string[] = [];
  // stdio[2] is 'pipe', so the stream exists.
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => stderr.push(chunk));
  const exited = new Promise<Pick<AppExit, 'code' | 'signal'>>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let gone = false;
  void exited.then(() => (gone = true));

  try {
    await waitFor(
      async () => {
        if (gone) throw new Error(`exited during start-up`);
        const response = await fetch(options.readyUrl, { signal: AbortSignal.timeout(1_000) });
        return response.ok;
      },
      { timeoutMs: options.readyTimeoutMs ?? 60_000, intervalMs: 100, what: `${options.app} ready` },
    );
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw new Error(`${options.app} did not become ready (log: ${options.logFile})\n${stderr.join('')}`, {
      cause: error,
    });
  }

  return {
    pid: child.pid!,
    stderr: () => stderr.join(''),
    async stop() {
      if (!gone) child.kill('SIGTERM');
      const exit = await exited;
      const written = profile ? readdirSync(profile).filter((name) => !before.has(name)) : [];
      const cpuProfile = written.find((name) => name.endsWith('.cpuprofile'));
      return { ...exit, ...(profile && cpuProfile ? { cpuProfile: join(profile, cpuProfile) } : {}) };
    },
  };
}
