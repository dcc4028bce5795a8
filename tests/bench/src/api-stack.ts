import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createDatabase, createPool, runMigrations, type Pool } from '@repo/db';
import { createLogger } from '@repo/observability';
import { createRedis } from '@repo/queue';
import { createTestDatabase, freePort, uniqueId, waitFor, type TestDatabase } from '@repo/testing';
import { inject } from 'vitest';
// The api's own token signing and fixtures, and its documents service for the statement capture.
import { signAccessToken } from '../../../apps/api/src/auth/access-tokens.ts';
import { createDocumentsService } from '../../../apps/api/src/documents/documents-service.ts';
import { insertConversation, insertDocument } from '../../../apps/api/test/support/fixtures.ts';
import type { CapturedStatement } from './load-plan.ts';
import { REPO_ROOT, startApp, startService, type ServiceProcess } from './processes.ts';
import { captureStatements } from './sql-capture.ts';

export const OWNER = 'bench-owner';

/** The api's default DATABASE_POOL_MAX (packages/config), which the api runs with here. */
export const API_POOL_MAX = 10;

export interface StackOptions {
  /** Documents of OWNER, each with two chunks: more than a page of 20, so the page is full. */
  documents: number;
  /** Conversations of OWNER; turns go to one after another, so none grows long. */
  conversations: number;
  /** Where the services' logs (and profiles) go. */
  workDir: string;
  /** Load the profiler preload into the api and the agent. */
  profile?: boolean;
  /**
   * The model's server (a file under tests/bench, run from its sources) and its environment beside
   * PORT; default: src/servers/scripted-model.ts, the rule-based responder answering at once.
   */
  model?: { script: string; env?: Record<string, string> };
}

export interface ApiStack {
  api: ServiceProcess;
  agent: ServiceProcess;
  model: ServiceProcess;
  databaseUrl: string;
  /** The owner's `Authorization` header (a user token, signed as the identity provider would). */
  auth: { authorization: string };
  conversationIds: string[];
  /** The statement `GET /v1/documents?limit=20` sends, captured from the documents service. */
  listDocuments: CapturedStatement;
  /** A direct pool to the stack's database, for checks after a run. */
  pool: Pool;
  /** What the api and the agent connect to: more processes of the stack (task-runners) get the same. */
  connections: { DATABASE_URL: string; REDIS_URL: string; QUEUE_PREFIX: string };
  /** The internal token the api, the agent and the task-runner share (SERVICE_AUTH_TOKEN). */
  serviceToken: string;
  /** An `Authorization` header for another owner, signed as OWNER's is. */
  authFor(ownerId: string): Promise<{ authorization: string }>;
  profileDir: string | undefined;
  close(): Promise<void>;
}

const silent = createLogger({ service: 'bench', level: 'silent' });
const secret = () => randomBytes(32).toString('base64url');

/**
 * The api, the agent and the scripted model, each a process of its own running what the images
 * run, on a database of their own (migrated, with fixtures) and a queue/rate-limit prefix of their
 * own on the test Redis. The api calls the agent, the agent calls the api's /mcp for tools and the
 * model for answers: the turn path of the prod profile, minus the load balancer and containers.
 */
export async function startApiStack(options: StackOptions): Promise<ApiStack> {
  const cleanup: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const step of cleanup.reverse()) await step().catch(() => {});
  };
  try {
    const database: TestDatabase = await createTestDatabase(inject('databaseUrl'), 'bench', {
      privateRole: true,
    });
    cleanup.push(() => database.drop());
    await runMigrations({ connectionString: database.url, tls: { mode: 'disable' }, logger: silent });
    const pool = createPool({
      connectionString: database.url,
      applicationName: 'bench',
      // The test Postgres of compose.yaml speaks plain TCP on loopback, as the apps' default does.
      tls: { mode: 'disable' },
      max: 2,
      statementTimeoutMs: 30_000,
      connectTimeoutMs: 10_000,
      onError: () => {},
    });
    cleanup.push(() => pool.end());
    const db = createDatabase(pool);
    for (let i = 0; i < options.documents; i++) {
      await insertDocument(db, OWNER, `Document ${i}`, [
        `The first passage of document ${i}.`,
        `The second passage of document ${i}.`,
      ]);
    }
    const conversationIds: string[] = [];
    for (let i = 0; i < options.conversations; i++) {
      conversationIds.push(await insertConversation(db, OWNER, `Conversation ${i}`));
    }

    // What the route runs for `?limit=20`: the documents service's list, as the handler calls it.
    const [listDocuments, ...more] = await captureStatements(pool, (recording) =>
      createDocumentsService({ db: recording, ...notUsedByList }).list(OWNER, {
        limit: 20,
        cursor: undefined,
      }),
    );
    if (!listDocuments || more.length > 0) throw new Error('expected the list to be one statement');

    const prefix = uniqueId('bench');
    const redisUrl = inject('redisUrl');
    cleanup.push(() => deleteKeys(redisUrl, prefix));
    const jwtSecret = secret();
    const serviceToken = secret();
    const [apiPort, agentPort, modelPort] = [await freePort(), await freePort(), await freePort()];
    const logDir = join(options.workDir, 'logs');
    mkdirSync(logDir, { recursive: true });
    const profileDir = options.profile ? join(options.workDir, 'profiles') : undefined;
    const connections = { DATABASE_URL: database.url, REDIS_URL: redisUrl, QUEUE_PREFIX: prefix };

    const model = await startService({
      name: 'model',
      cwd: join(REPO_ROOT, 'tests/bench'),
      // The fake-llm's sources: it stands in for a provider, it is not one of the apps measured.
      args: ['--conditions=@repo/source', options.model?.script ?? 'src/servers/scripted-model.ts'],
      env: { ...options.model?.env, PORT: String(modelPort) },
      port: modelPort,
      logDir,
    });
    cleanup.push(() => model.stop());
    const profiled = (name: string) => (profileDir ? { profileDir: join(profileDir, name) } : {});
    if (profileDir)
      for (const name of ['api', 'agent']) mkdirSync(join(profileDir, name), { recursive: true });

    const api = await startApp('api', {
      port: apiPort,
      metricsPort: await freePort(),
      logDir,
      ...profiled('api'),
      env: {
        ...connections,
        JWT_SECRET: jwtSecret,
        API_KEY_PEPPER: secret(),
        SERVICE_AUTH_TOKEN: serviceToken,
        AGENT_URL: `http://127.0.0.1:${agentPort}`,
        // One owner sends every request of a run: its budget is set out of reach. The limiter
        // still runs, Redis round trip included, on every request.
        RATE_LIMIT_MAX: '1000000',
      },
    });
    cleanup.push(() => api.stop());
    const agent = await startApp('agent', {
      port: agentPort,
      logDir,
      ...profiled('agent'),
      env: {
        ...connections,
        SERVICE_AUTH_TOKEN: serviceToken,
        AGENT_MODEL: 'openai-compatible:fake-model',
        OPENAI_COMPATIBLE_BASE_URL: `${model.origin}/v1`,
        API_MCP_URL: `${api.origin}/mcp`,
      },
    });
    cleanup.push(() => agent.stop());

    const authFor = async (subject: string) => ({
      authorization: `Bearer ${await signAccessToken({ secret: jwtSecret, subject, expiresInSeconds: 4 * 3_600 })}`,
    });
    return {
      api,
      agent,
      model,
      databaseUrl: database.url,
      auth: await authFor(OWNER),
      authFor,
      connections,
      serviceToken,
      conversationIds,
      listDocuments,
      pool,
      profileDir,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** The list touches only the database; the service's other dependencies must never be reached. */
const notUsedByList = {
  producer: undefined as never,
  stopJob: undefined as never,
  quotas: undefined as never,
  logger: silent,
};

/** Rate-limit counters and summary jobs the run left on the shared test Redis. */
async function deleteKeys(redisUrl: string, prefix: string): Promise<void> {
  const redis = createRedis(redisUrl, 'producer', 'bench-cleanup');
  try {
    await waitFor(() => redis.status === 'ready', { what: 'redis connection' });
    for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 500 })) {
      if ((keys as string[]).length > 0) await redis.del(...(keys as string[]));
    }
  } finally {
    redis.disconnect();
  }
}
