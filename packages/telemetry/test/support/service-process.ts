import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from '@repo/testing';

export const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));

export interface ServiceProcess {
  address: string;
  /** Every stdout line that was JSON (pino's lines and the fixture's events). */
  lines: Record<string, unknown>[];
  /** Milliseconds from spawn to the fixture's `listening` event. */
  startupMs: number;
  stop(): Promise<number | null>;
}

/**
 * Runs a fixture service in a child process, the way an image runs an app: plain `node` with
 * the register module preloaded through `--import` (or not, when `preload` is omitted).
 */
export async function startService(options: {
  script: string;
  /** Modules for `--import`, in order. */
  preload?: string | string[];
  env: Record<string, string>;
  /** Resolve workspace packages to their sources (development) instead of dist (images). */
  sources?: boolean;
}): Promise<ServiceProcess> {
  const args = [
    ...(options.sources === false ? [] : ['--conditions=@repo/source']),
    ...[options.preload ?? []].flat().flatMap((module) => ['--import', module]),
    fileURLToPath(new URL(`../fixtures/${options.script}`, import.meta.url)),
  ];
  const started = performance.now();
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: PACKAGE_DIR,
    // Only what the fixture needs: the test runner's own OTEL_* (if any) must not leak in.
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let stderr = '';
  let pending = '';
  let startupMs = 0;
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    const complete = pending.split('\n');
    pending = complete.pop() ?? '';
    for (const line of complete) {
      try {
        const parsed = JSON.parse(line) as Record<string, unknown>;
        if (parsed.event === 'listening' && !startupMs) startupMs = performance.now() - started;
        lines.push(parsed);
      } catch {
        stderr += `${line}\n`;
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  let exitSignal: NodeJS.Signals | null = null;
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code, signal) => {
      exitSignal = signal;
      resolve(code);
    }),
  );

  const listening = await waitFor(() => lines.find((line) => line.event === 'listening'), {
    timeoutMs: 20_000,
    what: `${options.script} to listen (stderr: ${stderr.slice(-2_000)})`,
  }).catch(async (error: unknown) => {
    child.kill('SIGKILL');
    await exited;
    throw error;
  });

  return {
    address: String(listening.address),
    lines,
    startupMs,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      // The signal too: one CI run saw `null` (a death by signal) within a second of the SIGTERM the
      // fixture handles, with nothing on stderr; the next failure should say which signal.
      if (code !== 0) {
        throw new Error(
          `${options.script} exited with ${code} (signal ${exitSignal ?? 'none'}): ${stderr.slice(-2_000)}`,
        );
      }
      return code;
    },
  };
}
