import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { MONITORING_DIR } from './paths.ts';

const run = promisify(execFile);

/** The images the monitoring profile runs here (stand-ins from seed-images on this machine). */
export const PROMETHEUS_IMAGE = 'prom/prometheus:v2.53.0';
export const ALERTMANAGER_IMAGE = 'prom/alertmanager:v0.28.1';
export const NODE_IMAGE = 'node:24-trixie-slim';

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
