import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startFakeLlm, type FakeLlm } from '@repo/fake-llm';
import { createTestDatabase, uniqueId, waitFor, type TestDatabase } from '@repo/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
// The receiver @repo/telemetry's own trace test uses (OTLP/HTTP, JSON encoding).
import {
  startOtlpReceiver,
  type OtlpReceiver,
  type ReceivedSpan,
} from '../../../packages/telemetry/test/support/otlp-receiver.ts';
import { freePort } from '@repo/testing';
import { REPO_ROOT, startService, type ServiceProcess } from './support/service-process.ts';

/** OTLP SpanKind. */
const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;

const JWT_SECRET = 'tracing-test-jwt-secret-'.padEnd(48, 'j');
const SERVICE_AUTH_TOKEN = 'tracing-test-service-token-'.padEnd(48, 's');

let receiver: OtlpReceiver;
let database: TestDatabase;
let fake: FakeLlm;
let api: ServiceProcess;
let agent: ServiceProcess;
let runner: ServiceProcess;
let authorization: string;
let conversationId: string;

/** An access token for `alice`, minted by the api's own `token` command with the api's secret. */
async function mintToken(owner: string): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--conditions=@repo/source', 'src/cli/mint-token.ts', owner],
    { cwd: `${REPO_ROOT}apps/api`, env: { PATH: process.env.PATH ?? '', NODE_ENV: 'test', JWT_SECRET } },
  );
  return stdout.trim();
}

async function call(path: string, init: { method?: string; body?: unknown } = {}) {
  const response = await fetch(`${api.url}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  database = await createTestDatabase(inject('databaseUrl'), 'tracing');
  fake = await startFakeLlm(); // the rule-based model: echoes the user's message
  const [apiPort, agentPort, runnerPort] = [await freePort(), await freePort(), await freePort()];
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const agentUrl = `http://127.0.0.1:${agentPort}`;
  const common = {
    DATABASE_URL: database.url,
    REDIS_URL: inject('redisUrl'),
    QUEUE_PREFIX: uniqueId('tracing'),
    SERVICE_AUTH_TOKEN,
    // Tracing on, as the monitoring profile turns it on, but exporting to this test.
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    // Export every 100 ms instead of every 5 s (spans) and 1 s (log records).
    OTEL_BSP_SCHEDULE_DELAY: '100',
    OTEL_BLRP_SCHEDULE_DELAY: '100',
  };

  // The task-runner first: as the leader it applies the migrations the other two rely on.
  runner = await startService({
    app: 'task-runner',
    port: runnerPort,
    readyPath: '/ready',
    env: {
      ...common,
      OTEL_SERVICE_NAME: 'task-runner',
      HEALTH_PORT: String(runnerPort),
      AGENT_URL: agentUrl,
    },
  });
  [agent, api] = await Promise.all([
    startService({
      app: 'agent',
      port: agentPort,
      readyPath: '/health',
      env: {
        ...common,
        OTEL_SERVICE_NAME: 'agent',
        HOST: '127.0.0.1',
        PORT: String(agentPort),
        AGENT_MODEL: 'openai-compatible:fake-model',
        OPENAI_COMPATIBLE_BASE_URL: fake.url,
        AGENT_MODEL_RETRIES: '0',
        API_MCP_URL: `${apiUrl}/mcp`,
      },
    }),
    startService({
      app: 'api',
      port: apiPort,
      readyPath: '/ready',
      env: {
        ...common,
        OTEL_SERVICE_NAME: 'api',
        HOST: '127.0.0.1',
        PORT: String(apiPort),
        JWT_SECRET,
        AGENT_URL: agentUrl,
      },
    }),
  ]);
  authorization = `Bearer ${await mintToken('alice')}`;
  const created = await call('/v1/conversations', { method: 'POST', body: { title: 'traced' } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  conversationId = String(created.body.id);
}, 150_000);

afterAll(async () => {
  // Each exits 0 through its own shutdown path, telemetry flush included.
  const codes = await Promise.all([api, agent, runner].map((service) => service?.stop()));
  await fake?.close();
  await receiver?.close();
  await database?.drop();
  expect(codes.filter((code) => code !== undefined)).toEqual([0, 0, 0]);
});

const spansOf = (traceId: string) => receiver.spans.filter((span) => span.traceId === traceId);

/** The span's ancestors, nearest first, as far as the received spans reach. */
function ancestors(span: ReceivedSpan): ReceivedSpan[] {
  const byId = new Map(spansOf(span.traceId).map((s) => [s.spanId, s]));
  const chain: ReceivedSpan[] = [];
  for (let parent = byId.get(span.parentSpanId); parent; parent = byId.get(parent.parentSpanId)) {
    chain.push(parent);
  }
  return chain;
}

/** The api's http server span of one request, found by its route (the test sends no traceparent). */
function apiRequestSpan(method: string, route: string): Promise<ReceivedSpan> {
  return waitFor(
    () =>
      receiver.spans.find(
        (s) =>
          s.service === 'api' &&
          s.kind === SERVER &&
          s.attributes['http.route'] === route &&
          s.attributes['http.request.method'] === method,
      ),
    { what: `the api's ${method} ${route} server span` },
  );
}

function findIn(traceId: string, what: string, predicate: (span: ReceivedSpan) => boolean) {
  return waitFor(() => spansOf(traceId).find(predicate), {
    what: `${what} in trace ${traceId} (has: ${JSON.stringify(
      spansOf(traceId).map((s) => `${s.service}/${s.scope}:${s.name}`),
    )})`,
  });
}

/** Log lines a service wrote inside the trace, as the pino instrumentation stamps them. */
const logsIn = (service: ServiceProcess, traceId: string) =>
  service.lines().filter((line) => line.trace_id === traceId);

describe('one conversation message', () => {
  let root: ReceivedSpan;

  beforeAll(async () => {
    const turn = await call(`/v1/conversations/${conversationId}/messages`, {
      method: 'POST',
      body: { content: 'hello through every service' },
    });
    expect(turn.status, JSON.stringify(turn.body)).toBe(200);
    root = await apiRequestSpan('POST', '/v1/conversations/:id/messages');
  });

  it('starts one trace at the api: its server span is the root', () => {
    expect(root.parentSpanId).toBe('');
    expect(receiver.rejected).toEqual([]);
  });

  // Redis is the task's (its enqueue, below): the rate limiter leases requests ahead, so a
  // message need not touch Redis in the api at all.
  it("has the api's Fastify and pg spans inside the request", async () => {
    for (const [scope, what] of [
      ['@fastify/otel', 'Fastify'],
      ['@opentelemetry/instrumentation-pg', 'pg'],
    ] as const) {
      const span = await findIn(
        root.traceId,
        `an api ${what} span`,
        (s) => s.service === 'api' && s.scope === scope,
      );
      expect(ancestors(span), what).toContain(root);
    }
  });

  it("continues in the agent: its server span descends from the api's client call", async () => {
    const agentServer = await findIn(
      root.traceId,
      "the agent's server span",
      (s) => s.service === 'agent' && s.kind === SERVER,
    );
    const chain = ancestors(agentServer);
    const apiClient = chain[0];
    expect(apiClient).toMatchObject({ service: 'api', kind: CLIENT });
    expect(chain).toContain(root);
    // …and on to the model provider, called by the agent inside the same turn.
    const modelCall = await findIn(
      root.traceId,
      "the agent's model call",
      (s) =>
        s.service === 'agent' && s.kind === CLIENT && String(s.attributes['url.full']).startsWith(fake.url),
    );
    expect(ancestors(modelCall)).toContain(agentServer);
  });

  it('stamps trace_id and span_id of the trace on the log lines of both services', async () => {
    for (const service of [api, agent]) {
      const lines = await waitFor(
        () => logsIn(service, root.traceId).length > 0 && logsIn(service, root.traceId),
        {
          what: `${service.app} log lines in the trace`,
        },
      );
      const ids = new Set(spansOf(root.traceId).map((span) => span.spanId));
      for (const line of lines)
        expect(ids.has(String(line.span_id)), `${service.app}: ${String(line.msg)}`).toBe(true);
    }
  });
});

describe('one agent-run task', () => {
  let root: ReceivedSpan;

  beforeAll(async () => {
    const task = await call('/v1/tasks', {
      method: 'POST',
      body: { type: 'agent-run', input: { conversationId, content: 'run this in the background' } },
    });
    expect(task.status, JSON.stringify(task.body)).toBe(202);
    const done = await waitFor(
      async () => {
        const current = await call(`/v1/tasks/${String(task.body.id)}`);
        return ['succeeded', 'failed', 'cancelled'].includes(String(current.body.status)) && current.body;
      },
      { timeoutMs: 30_000, what: 'the agent-run task to finish' },
    );
    expect(done.status, JSON.stringify(done)).toBe('succeeded');
    root = await apiRequestSpan('POST', '/v1/tasks');
  });

  it("has the api's Redis spans inside the request: the job's enqueue", async () => {
    const span = await findIn(
      root.traceId,
      'an api Redis span',
      (s) => s.service === 'api' && s.scope === '@opentelemetry/instrumentation-ioredis',
    );
    expect(ancestors(span)).toContain(root);
  });

  it('carries the trace from the api through the queue into the task-runner’s job', async () => {
    const producer = await findIn(
      root.traceId,
      "the api's BullMQ add",
      (s) => s.service === 'api' && s.scope === 'bullmq' && s.kind === PRODUCER,
    );
    const consumer = await findIn(
      root.traceId,
      "the task-runner's BullMQ process",
      (s) => s.service === 'task-runner' && s.scope === 'bullmq' && s.kind === CONSUMER,
    );
    expect(ancestors(producer)).toContain(root);
    expect(consumer.parentSpanId).toBe(producer.spanId);
  });

  it("reaches the agent from the job: the agent's server span descends from the task-runner's call", async () => {
    const consumer = await findIn(
      root.traceId,
      "the task-runner's BullMQ process",
      (s) => s.service === 'task-runner' && s.scope === 'bullmq' && s.kind === CONSUMER,
    );
    const agentServer = await findIn(
      root.traceId,
      "the agent's server span",
      (s) => s.service === 'agent' && s.kind === SERVER,
    );
    const chain = ancestors(agentServer);
    expect(chain[0]).toMatchObject({ service: 'task-runner', kind: CLIENT });
    expect(chain).toContain(consumer);
    expect(chain).toContain(root);
  });

  it('stamps the trace on the task-runner’s log line of the job', async () => {
    const line = await waitFor(
      () => logsIn(runner, root.traceId).find((l) => l.msg === 'job completed' && l.queue === 'agent-run'),
      { what: "the task-runner's 'job completed' line in the trace" },
    );
    const ids = new Set(spansOf(root.traceId).map((span) => span.spanId));
    expect(line).toMatchObject({ trace_id: root.traceId, trace_flags: '01' });
    expect(ids.has(String(line.span_id))).toBe(true);
  });
});
