import { createLogger, createMetricsRegistry, type Logger, type Registry } from '@repo/observability';
import { waitFor } from '@repo/testing';
import { createTaskRunner, type TaskRunner, type TaskRunnerDependencies } from '../../src/app.ts';
import { loadConfig, type TaskRunnerConfig } from '../../src/config.ts';
import { openConnections, type Connections } from '../../src/connections.ts';
import { createTestStack, type TestStack } from './test-stack.ts';

export const silentLogger: Logger = createLogger({
  service: 'task-runner-test',
  level: process.env.TEST_LOG_LEVEL ?? 'silent',
});

/** A task-runner in this process (through its app factory), on a test stack of its own or a shared one. */
export interface TestRunner extends Omit<TestStack, 'close'> {
  runner: TaskRunner;
  config: TaskRunnerConfig;
  connections: Connections;
  metrics: Registry;
  /** Starts the runner and waits until it leads with its workers running. */
  startLeading(): Promise<void>;
  close(): Promise<void>;
}

export interface TestRunnerOptions {
  env?: Record<string, string>;
  jobs?: TaskRunnerDependencies['jobs'];
  /** Several runners on one stack (the caller closes it); default: a stack of its own. */
  stack?: TestStack;
  onFatal?: (error: Error) => void;
}

export async function createTestRunner(options: TestRunnerOptions = {}): Promise<TestRunner> {
  const stack = options.stack ?? (await createTestStack('runner'));
  const config = loadConfig({
    ...stack.env,
    SHUTDOWN_TIMEOUT_MS: '5000',
    LEADER_POLL_MS: '250',
    DATABASE_POOL_MAX: '5',
    ...options.env,
  });
  const connections = openConnections(config, silentLogger, 'runner-test');
  const metrics = createMetricsRegistry('task-runner', { defaultMetrics: false });
  const runner = createTaskRunner({
    config,
    logger: silentLogger,
    db: connections.db,
    redis: connections.redis,
    storage: connections.storage,
    metrics,
    jobs: options.jobs,
    onFatal: options.onFatal,
  });

  return {
    ...stack,
    runner,
    config,
    connections,
    metrics,
    async startLeading() {
      await runner.start();
      await waitFor(() => runner.status().phase === 'running' && runner.status().ready, {
        what: 'runner leading with its workers running',
      });
    },
    async close() {
      await runner.stop();
      await connections.close();
      if (!options.stack) await stack.close();
    },
  };
}

/** The value of one series in a registry's exposition text, whatever order its labels are in. */
export async function sample(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  for (const line of (await registry.metrics()).split('\n')) {
    const match = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map(([, key, value]) => [key, value]),
    );
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}
