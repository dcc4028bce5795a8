import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { readYaml } from './files.ts';
import { MONITORING_DIR } from './paths.ts';

const run = promisify(execFile);

/** The image compose.yaml pins for a service of the monitoring profile. */
const pinned = (service: string) =>
  readYaml<{ services: Record<string, { image: string }> }>('compose.yaml').services[service]!.image;

/**
 * The pinned Prometheus, Alertmanager and Node.js images. Without a registry (this project's CI
 * machine) the first two are seed-images stand-ins: Prometheus 2.53 and Alertmanager 0.28 under
 * the pinned tag (unstable-images.ts adds Prometheus 3 and a newer Alertmanager).
 */
export const PROMETHEUS_IMAGE = pinned('prometheus');
export const ALERTMANAGER_IMAGE = pinned('alertmanager');
export const NODE_IMAGE = pinned('alert-sink');

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `docker …`; a non-zero exit is returned, not thrown (tests assert on the output). */
export async function docker(args: string[], options: { timeoutMs?: number } = {}): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await run('docker', args, {
      maxBuffer: 32 * 1024 * 1024,
      timeout: options.timeoutMs ?? 120_000,
    });
    return { code: 0, stdout: String(stdout), stderr: String(stderr) };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : 1,
      stdout: failed.stdout ?? '',
      stderr: failed.stderr ?? '',
    };
  }
}

/** Runs a tool of an image with the monitoring folder mounted read-only at `mountPoint`. */
export function runTool(
  image: string,
  tool: string,
  args: string[],
  mountPoint: string,
  source = MONITORING_DIR,
): Promise<CommandResult> {
  return docker([
    'run',
    '--rm',
    '--network',
    'none',
    '-v',
    `${source}:${mountPoint}:ro`,
    '--entrypoint',
    tool,
    image,
    ...args,
  ]);
}

export const promtool = (args: string[]) => runTool(PROMETHEUS_IMAGE, 'promtool', args, '/monitoring');
export const amtool = (args: string[]) => runTool(ALERTMANAGER_IMAGE, 'amtool', args, '/monitoring');

export const uniqueName = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

/** Throws with the command's output when it failed. */
export function expectSuccess(result: CommandResult, what: string): CommandResult {
  if (result.code !== 0)
    throw new Error(`${what} failed (${result.code}):\n${result.stdout}\n${result.stderr}`);
  return result;
}
