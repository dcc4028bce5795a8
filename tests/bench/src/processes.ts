import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@repo/testing';
import { inheritedPath } from './config.ts';

export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const PROFILER = fileURLToPath(new URL('./profiler-preload.ts', import.meta.url));

/**
 * The heap ceiling of the prod profile (compose.yaml `x-app-heap`, sized to the containers' 512 MB):
 * without it V8 sizes the heap from this machine's memory and collects far more lazily than the
 * deployed services do, which would make every memory number meaningless.
 */
export const PROD_NODE_OPTIONS = '--max-old-space-size=384';

export interface ServiceProcess {
  name: string;
  pid: number;
  origin: string;
  /** Where its `/metrics` answers: the api serves them on a port of their own in production. */
  metricsOrigin: string;
  /** stdout and stderr: the service's log lines, as a platform's log collector would receive them. */
  logFile: string;
  /** Resident set size now, from /proc (what `docker stats` and the OOM killer count). */
  rssBytes(): number;
  /** Starts (first call) or stops and writes (second call) a CPU profile; see profiler-preload.ts. */
  toggleProfile(): void;
  stop(): Promise<void>;
}

export interface ServiceOptions {
  name: string;
  cwd: string;
  /** Node's arguments: flags, then the script. */
  args: string[];
  env: Record<string, string>;
  port: number;
  /** The port `/metrics` is served on, when not `port` (the api's METRICS_PORT). */
  metricsPort?: number;
  /** Answers 200 once the service serves (default /health). */
  readyPath?: string;
  logDir: string;
  /** Load profiler-preload.ts, so toggleProfile() works; profiles are written to this folder. */
  profileDir?: string;
}

/** Spawns a Node service, its output appended to `<logDir>/<name>.log`, and waits until it answers. */
export async function startService(options: ServiceOptions): Promise<ServiceProcess> {
  const logFile = join(options.logDir, `${options.name}.log`);
  const log = openSync(logFile, 'a');
  const profiling = options.profileDir ? [`--import=${PROFILER}`] : [];
  const child = spawn(process.execPath, [...profiling, ...options.args], {
    cwd: options.cwd,
    // Only what the service is given: nothing of this process's environment but PATH leaks in.
    env: {
      PATH: inheritedPath(),
      ...(options.profileDir ? { BENCH_PROFILE_DIR: options.profileDir } : {}),
      ...options.env,
    },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  const origin = `http://127.0.0.1:${options.port}`;
  const tail = () => readFileSync(logFile, 'utf8').slice(-3_000);

  try {
    await waitFor(
      async () => {
        if (exitCode !== undefined) throw new Error(`${options.name} exited with ${exitCode}:\n${tail()}`);
        const response = await fetch(`${origin}${options.readyPath ?? '/health'}`).catch(() => undefined);
        return response?.ok;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: `${options.name} to answer` },
    );
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }

  return {
    name: options.name,
    pid: child.pid!,
    origin,
    metricsOrigin: options.metricsPort ? `http://127.0.0.1:${options.metricsPort}` : origin,
    logFile,
    rssBytes: () => residentBytes(child.pid!),
    toggleProfile: () => child.kill('SIGURG'),
    async stop() {
      if (exitCode !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kib === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return Number(kib) * 1024;
}

export type AppName = 'api' | 'agent' | 'task-runner';

/**
 * One of the repository's apps as its image runs it (docker/<app>/Dockerfile's CMD): the compiled
 * dist/main.js, OpenTelemetry's preload, NODE_ENV=production, info-level JSON logs written out, and
 * the prod profile's heap ceiling. `pnpm bench` builds dist/ first (see package.json).
 */
export async function startApp(
  app: AppName,
  options: {
    env: Record<string, string>;
    port: number;
    /** Set for the api: production serves `/metrics` only on METRICS_PORT, never on PORT. */
    metricsPort?: number;
    logDir: string;
    profileDir?: string;
    /** Answers 200 once the app can take load (default /health; the task-runner's leader: /ready). */
    readyPath?: string;
  },
): Promise<ServiceProcess> {
  const cwd = join(REPO_ROOT, 'apps', app);
  if (!existsSync(join(cwd, 'dist/main.js'))) {
    throw new Error(`apps/${app}/dist/main.js is missing: run \`pnpm build\` (pnpm bench does) first`);
  }
  return startService({
    name: app,
    cwd,
    args: ['--import=@repo/telemetry/register', 'dist/main.js'],
    env: {
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      NODE_OPTIONS: PROD_NODE_OPTIONS,
      HOST: '127.0.0.1',
      PORT: String(options.port),
      ...(options.metricsPort ? { METRICS_PORT: String(options.metricsPort) } : {}),
      ...options.env,
    },
    port: options.port,
    ...(options.metricsPort ? { metricsPort: options.metricsPort } : {}),
    logDir: options.logDir,
    ...(options.profileDir ? { profileDir: options.profileDir } : {}),
    ...(options.readyPath ? { readyPath: options.readyPath } : {}),
  });
}
