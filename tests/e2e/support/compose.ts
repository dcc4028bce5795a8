import { execFile, type ExecFileOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export interface ContainerState {
  Service: string;
  Name: string;
  State: string;
  Health: string;
  ExitCode: number;
}

/**
 * A compose project of the test's own (own name, loopback ports chosen by Docker), driven through
 * the real `docker compose` CLI against the repository's compose.yaml.
 */
export class ComposeProject {
  readonly name: string;
  private readonly env: NodeJS.ProcessEnv;

  constructor(name: string, env: Record<string, string> = {}) {
    this.name = name;
    // Port 0 everywhere: Docker picks free loopback ports, so a running dev stack never collides.
    this.env = { ...process.env, API_PORT: '0', POSTGRES_PORT: '0', REDIS_PORT: '0', ...env };
  }

  async compose(args: string[], options: ExecFileOptions = {}): Promise<string> {
    const { stdout } = await run('docker', ['compose', '-p', this.name, ...args], {
      cwd: REPO_ROOT,
      env: this.env,
      maxBuffer: 64 * 1024 * 1024,
      ...options,
    });
    return String(stdout).trim();
  }

  async down(): Promise<void> {
    await this.compose(['down', '--volumes', '--remove-orphans', '--timeout', '30']);
  }

  /** The published loopback port of a service's container port. */
  async port(service: string, containerPort: number, index = 1): Promise<number> {
    const address = await this.compose(['port', '--index', String(index), service, String(containerPort)]);
    return Number(address.split(':').pop());
  }

  async ps(): Promise<ContainerState[]> {
    const out = await this.compose(['ps', '--all', '--format', 'json']);
    // Compose prints one JSON object per line (or one array, depending on version).
    const trimmed = out.trim();
    if (trimmed === '') return [];
    if (trimmed.startsWith('[')) return JSON.parse(trimmed) as ContainerState[];
    return trimmed.split('\n').map((line) => JSON.parse(line) as ContainerState);
  }

  async containerIds(service: string): Promise<string[]> {
    return (await this.compose(['ps', '--all', '--quiet', service])).split('\n').filter(Boolean);
  }

  async logs(service?: string): Promise<string> {
    return this.compose(['logs', '--no-color', '--no-log-prefix', ...(service ? [service] : [])]);
  }
}

export async function docker(args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { maxBuffer: 64 * 1024 * 1024 });
  return String(stdout).trim();
}

/** One line per measurement, easy to grep out of CI logs: `[e2e:metric] name=value unit`. */
export function reportMetric(name: string, value: number | string, unit = ''): void {
  process.stdout.write(`[e2e:metric] ${name}=${value}${unit ? ` ${unit}` : ''}\n`);
}
