import { execFile, type ExecFileOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { waitFor } from '@repo/testing';

const run = promisify(execFile);

export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));

/** Test-only additions to the prod profile (the fake model, shorter timings): see the file. */
export const STACK_OVERRIDE = fileURLToPath(new URL('../stack.override.yaml', import.meta.url));

/**
 * Every published port of compose.yaml (and of the monitoring profile it includes) set to 0:
 * Docker picks free loopback ports, so a running dev stack (or another suite) never collides.
 */
const FREE_PORTS = Object.fromEntries(
  [
    'API_PORT',
    'POSTGRES_PORT',
    'REDIS_PORT',
    'TASK_RUNNER_PORT',
    'AGENT_PORT',
    'LB_STATS_PORT',
    'OLLAMA_PORT',
    'PROMETHEUS_PORT',
    'ALERTMANAGER_PORT',
    'GRAFANA_PORT',
    'OTLP_GRPC_PORT',
    'OTLP_HTTP_PORT',
  ].map((name) => [name, '0']),
);

export interface ProjectOptions {
  /** Compose profiles to run with (`--profile`, which replaces COMPOSE_PROFILES of .env). */
  profiles: string[];
  /** Compose files after the root compose.yaml (relative paths still resolve against the root). */
  files?: string[];
  /** The checkout to run in (default: this repository). */
  root?: string;
  /** Interpolation variables. */
  env?: Record<string, string>;
}

/**
 * A compose project of the test's own (own name, loopback ports chosen by Docker), driven through
 * the real `docker compose` CLI against the repository's compose.yaml.
 */
export class ComposeProject {
  readonly name: string;
  readonly root: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly fileArgs: string[];
  private readonly profileArgs: string[];

  constructor(name: string, options: ProjectOptions) {
    this.name = name;
    this.root = options.root ?? REPO_ROOT;
    this.env = { ...process.env, ...FREE_PORTS, ...options.env };
    this.fileArgs = ['compose.yaml', ...(options.files ?? [])].flatMap((file) => ['-f', file]);
    this.profileArgs = options.profiles.flatMap((profile) => ['--profile', profile]);
  }

  async compose(args: string[], options: ExecFileOptions = {}): Promise<string> {
    return this.raw([...this.profileArgs, ...args], options);
  }

  private async raw(args: string[], options: ExecFileOptions = {}): Promise<string> {
    const { stdout } = await run(
      'docker',
      ['compose', '--ansi', 'never', '-p', this.name, ...this.fileArgs, ...args],
      { cwd: this.root, env: this.env, maxBuffer: 64 * 1024 * 1024, ...options },
    );
    return String(stdout).trim();
  }

  /** Removes every container, network and volume of the project, whatever its profile. */
  async down(): Promise<void> {
    await this.raw(['--profile', '*', 'down', '--volumes', '--remove-orphans', '--timeout', '30']);
  }

  /** The published loopback port of a service's container port. */
  async port(service: string, containerPort: number, index = 1): Promise<number> {
    const address = await this.compose(['port', '--index', String(index), service, String(containerPort)]);
    const port = Number(address.split(':').pop());
    if (!Number.isInteger(port) || port <= 0) throw new Error(`${service}:${containerPort} is not published`);
    return port;
  }

  /** Container ids of a service, in replica order (…-1, …-2, …), running or not. */
  async containerIds(service: string): Promise<string[]> {
    const out = await this.compose(['ps', '--all', '--format', '{{.Name}} {{.ID}}', service]);
    return out
      .split('\n')
      .filter(Boolean)
      .map((line) => line.split(' ') as [string, string])
      .sort(([a], [b]) => replicaNumber(a) - replicaNumber(b))
      .map(([, id]) => id);
  }

  async containerId(service: string): Promise<string> {
    const [id] = await this.containerIds(service);
    if (!id) throw new Error(`no container for ${service}`);
    return id;
  }
}

function replicaNumber(name: string): number {
  return Number(/-(\d+)$/.exec(name)?.[1] ?? 0);
}

export async function docker(args: string[], options: ExecFileOptions = {}): Promise<string> {
  const { stdout } = await run('docker', args, { maxBuffer: 256 * 1024 * 1024, ...options });
  return String(stdout).trim();
}

/** `docker inspect` of one container or image, parsed. */
export async function inspect<T = ContainerInspect>(id: string): Promise<T> {
  const [first] = JSON.parse(await docker(['inspect', id])) as T[];
  return first!;
}

export interface ContainerInspect {
  Id: string;
  Name: string;
  Image: string;
  RestartCount: number;
  State: {
    Status: string;
    Running: boolean;
    Paused: boolean;
    ExitCode: number;
    OOMKilled: boolean;
    StartedAt: string;
    Health?: { Status: string };
  };
  Config: { User: string; Env: string[]; Healthcheck?: { Test: string[] }; StopTimeout?: number };
  HostConfig: {
    ReadonlyRootfs: boolean;
    CapDrop: string[] | null;
    CapAdd: string[] | null;
    SecurityOpt: string[] | null;
    Memory: number;
    NanoCpus: number;
    PidsLimit: number | null;
    RestartPolicy: { Name: string };
    LogConfig: { Type: string; Config: Record<string, string> };
    PortBindings: Record<string, unknown> | null;
    Tmpfs: Record<string, string> | null;
    Privileged: boolean;
  };
  NetworkSettings: {
    Ports: Record<string, { HostIp: string; HostPort: string }[] | null> | null;
    Networks: Record<string, { IPAddress: string; Aliases: string[] | null }>;
  };
}

/**
 * `docker restart` (SIGTERM, then a new start of the same container: a deploy or a host reboot as
 * the app sees it), then waits until the new start passes its healthcheck. Returns the
 * milliseconds from the restart to healthy.
 */
export async function restartUntilHealthy(id: string, timeoutMs = 120_000): Promise<number> {
  const before = (await inspect(id)).State.StartedAt;
  const started = performance.now();
  await docker(['restart', id], { timeout: timeoutMs });
  await healthyAfter(id, before, timeoutMs);
  return since(started);
}

/**
 * Waits until the container runs a start newer than `previousStart` (its State.StartedAt then)
 * and that start passed its healthcheck: the `healthy` of the previous start does not count.
 */
export async function healthyAfter(id: string, previousStart: string, timeoutMs = 120_000): Promise<void> {
  await waitFor(
    async () => {
      const { State } = await inspect(id);
      return State.StartedAt !== previousStart && State.Running && State.Health?.Status === 'healthy';
    },
    { timeoutMs, intervalMs: 250, what: `container ${id} started again and healthy` },
  );
}

/** The value of NAME in a container's environment. */
export function envOf(container: ContainerInspect, name: string): string | undefined {
  const entry = container.Config.Env.find((line) => line.startsWith(`${name}=`));
  return entry?.slice(name.length + 1);
}

/**
 * The container's address on its only network, or on the compose network named `network` (the
 * prod api replicas have two: `default`, and `ingress`, where the load balancer reaches them).
 */
export function ipOf(container: ContainerInspect, network?: string): string {
  const networks = Object.entries(container.NetworkSettings.Networks);
  const [, found] =
    (network === undefined && networks.length === 1
      ? networks[0]
      : networks.find(([name]) => name.endsWith(`_${network}`))) ?? [];
  if (!found?.IPAddress) throw new Error(`${container.Name} has no address on ${network ?? 'its network'}`);
  return found.IPAddress;
}

/** One line per measurement, easy to grep out of CI logs: `[e2e:metric] name=value unit`. */
export function reportMetric(name: string, value: number | string, unit = ''): void {
  process.stdout.write(`[e2e:metric] ${name}=${value}${unit ? ` ${unit}` : ''}\n`);
}

/** Milliseconds since `started` (a `performance.now()`), rounded. */
export function since(started: number): number {
  return Math.round(performance.now() - started);
}
