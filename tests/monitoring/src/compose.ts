import { writeFile } from 'node:fs/promises';
import { docker, expectSuccess } from './docker.ts';

const ANSI_CONTROL = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*[A-Za-z]`, 'g');

/**
 * A compose project of the test's own (its own name, loopback ports chosen by Docker), driven
 * through the real `docker compose` CLI. Interpolation variables go through an env file, so the
 * test never depends on (or changes) its own process environment.
 */
export class ComposeProject {
  readonly name: string;
  private readonly args: string[];

  constructor(name: string, options: { files: string[]; envFile?: string }) {
    this.name = name;
    this.args = [
      'compose',
      // No colours or progress bars in what the tests parse.
      '--ansi',
      'never',
      '-p',
      name,
      ...(options.envFile ? ['--env-file', options.envFile] : []),
      ...options.files.flatMap((file) => ['-f', file]),
    ];
  }

  async run(args: string[], timeoutMs = 600_000): Promise<string> {
    const result = await docker([...this.args, ...args], { timeoutMs });
    return expectSuccess(result, `docker compose ${args.join(' ')}`).stdout;
  }

  /** Removes every container of the project, whatever profile it belongs to (`down` alone skips inactive ones). */
  async down(): Promise<void> {
    await this.run(['--profile', '*', 'down', '--volumes', '--remove-orphans', '--timeout', '5']);
  }

  /** The published loopback port of a service's container port. */
  async port(service: string, containerPort: number): Promise<number> {
    const address = (await this.run(['port', service, String(containerPort)])).trim();
    return Number(address.split(':').pop());
  }

  /** The service's output, without the terminal control codes compose 2.26 adds even with `--ansi never`. */
  async logs(service: string): Promise<string> {
    return (await this.run(['logs', '--no-color', '--no-log-prefix', service])).replace(ANSI_CONTROL, '');
  }
}

/** Writes KEY=value lines for `--env-file`. */
export async function writeEnvFile(path: string, variables: Record<string, string>): Promise<string> {
  await writeFile(
    path,
    Object.entries(variables)
      .map(([key, value]) => `${key}=${value}\n`)
      .join(''),
  );
  return path;
}
