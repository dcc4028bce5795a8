import { setTimeout as sleep } from 'node:timers/promises';
import { waitFor } from '@repo/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  docker,
  healthyAfter,
  inspect,
  ipOf,
  reportMetric,
  restartUntilHealthy,
  since,
} from '../src/compose.ts';
import { ApiClient } from '../src/http.ts';
import { tasksInto, untilEnded, type RunView, type TaskView } from '../src/runs-api.ts';
import { ProdStack } from '../src/prod-stack.ts';
import { readStream, type StreamedEvent } from '../src/sse.ts';

/**
 * Runs on the prod profile: three api replicas behind HAProxy, the agent, the task-runner's
 * reaper, and the scripted model streaming slowly ("stream slowly: …") or calling create_task
 * ("queue a task in conversation …"). A run survives the api replica that streamed it, is
 * cancelled through another replica, is never left `running` by an agent that was killed, and
 * finishes when its tool call is approved after the agent restarted. One stack for the file; each
 * scenario leaves it as it found it.
 */
let stack: ProdStack;
let token: string;

beforeAll(async () => {
  stack = await ProdStack.create('keelson-e2e-runs');
  await stack.project.down();
  await stack.project.compose(['build']);
  const started = performance.now();
  await stack.project.compose(['up', '--detach', '--wait', '--wait-timeout', '240']);
  reportMetric('runs.up_to_healthy', since(started), 'ms');
  await stack.connect();
  token = await stack.token('e2e-runs');
});

afterAll(async () => {
  if (process.env.E2E_KEEP !== '1' && stack) await stack.dispose();
});

const auth = () => ({ authorization: `Bearer ${token}` });

/** ~70 pieces of 8 characters, one every 100 ms: a turn of about 7 s. */
const SLOW_TEXT = Array.from({ length: 80 }, (_, i) => `word${i}`).join(' ');

async function conversation(): Promise<string> {
  const response = await fetch(`${stack.baseUrl}/v1/conversations`, {
    method: 'POST',
    headers: { ...auth(), 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'runs' }),
  });
  return ((await response.json()) as { id: string }).id;
}

function send(conversationId: string, content: string): Promise<Response> {
  return fetch(`${stack.baseUrl}/v1/conversations/${conversationId}/messages`, {
    method: 'POST',
    headers: { ...auth(), 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify({ content }),
  });
}

/**
 * The run's events after `lastId`, through the load balancer, as a client reconnecting would ask
 * for them: retried while the balancer still routes to a dead replica or none answers.
 */
async function resume(runId: string, lastId: string): Promise<StreamedEvent[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      const response = await fetch(`${stack.baseUrl}/v1/runs/${runId}/events`, {
        headers: { ...auth(), 'last-event-id': lastId },
      });
      if (response.status === 200) {
        const { events, broken } = await readStream(response);
        if (!broken) return events;
      }
    } catch {
      // the balancer has not noticed yet
    }
    if (Date.now() > deadline) throw new Error(`could not resume run ${runId}`);
    await sleep(500);
  }
}

/** The run's stored log, as a client receives it. */
async function storedLog(runId: string): Promise<StreamedEvent[]> {
  const [json] = await stack.sql(
    `select json_agg(json_build_object('id', seq::text, 'event', type, 'data', data) order by seq) from run_events where run_id = '${runId}'`,
  );
  return JSON.parse(json!) as StreamedEvent[];
}

async function run(runId: string): Promise<Record<string, string>> {
  const [json] = await stack.sql(`select row_to_json(r) from runs r where id = '${runId}'`);
  return JSON.parse(json!) as Record<string, string>;
}

/** The api container serving the one request in flight (HAProxy's current sessions). */
async function servingReplica(): Promise<string> {
  const busy = await waitFor(
    async () => {
      const serving = (await stack.lbServers()).filter((s) => s.backend === 'api' && s.sessions > 0);
      return serving.length === 1 ? serving[0] : undefined;
    },
    { timeoutMs: 10_000, intervalMs: 100, what: 'the api replica serving the stream' },
  );
  const ip = busy.address.split(':')[0];
  for (const id of await stack.project.containerIds('api-prod')) {
    if (ipOf(await inspect(id), 'ingress') === ip) return id;
  }
  throw new Error(`no api container at ${busy.address}`);
}

/**
 * A running, healthy api replica other than `except`: the replica the first test killed may still
 * be restarting (`docker exec` into it fails).
 */
async function runningReplica(except: string): Promise<string> {
  return waitFor(
    async () => {
      for (const id of await stack.project.containerIds('api-prod')) {
        if (id === except) continue;
        const { State } = await inspect(id);
        if (State.Running && (State.Health === undefined || State.Health.Status === 'healthy')) return id;
      }
      return undefined;
    },
    { timeoutMs: 20_000, intervalMs: 200, what: 'another running api replica' },
  );
}

const texts = (events: StreamedEvent[]) =>
  events.filter((e) => e.event === 'text-delta').map((e) => (e.data as { text: string }).text);

describe('runs on the prod profile', () => {
  it('survives the api replica that streams it: resumed through the load balancer, every event once', async () => {
    const content = `stream slowly: ${SLOW_TEXT} [resume]`;
    // An uninterrupted run first, for the events a run of this message has.
    const reference = await readStream(await send(await conversation(), content));
    expect(reference.events.at(-1)?.event).toBe('done');
    const modelCallsBefore = (await stack.modelStats('[resume]')).requests;

    const response = await send(await conversation(), content);
    expect(response.status).toBe(200);
    const runId = response.headers.get('x-keelson-run-id')!;
    let killed: Promise<string> | undefined;
    const first = await readStream(response, async (event) => {
      if (event.id === '10' && !killed) {
        killed = servingReplica().then(async (container) => {
          await stack.crash(container);
          return container;
        });
        await killed;
      }
    });
    expect(killed).toBeDefined();
    // A replica was really killed (a crash that failed would have failed readStream itself).
    await expect(killed).resolves.toMatch(/^[0-9a-f]{12,}$/);
    expect(first.broken || first.events.at(-1)?.event === 'error').toBe(true);
    // The events the agent sent before its api replica died (an `error` event the replica may
    // have written as it went is not one of them: it has no number).
    const before = first.events.filter((event) => event.id !== undefined);
    const lastId = before.at(-1)!.id!;
    const started = performance.now();
    const after = await resume(runId, lastId);
    reportMetric('runs.resume_after_replica_killed', since(started), 'ms');

    const whole = [...before, ...after];
    expect(whole.map((event) => Number(event.id))).toEqual(whole.map((_, i) => i + 1));
    expect(whole.at(-1)?.event).toBe('done');
    expect(whole).toEqual(await storedLog(runId));
    // Exactly the events of the uninterrupted run: the same kinds in the same order, the same text.
    expect(whole.map((event) => event.event)).toEqual(reference.events.map((event) => event.event));
    expect(texts(whole)).toEqual(texts(reference.events));
    // One model call per step: the interrupted run asked the model once, and has one step.
    expect((await stack.modelStats('[resume]')).requests - modelCallsBefore).toBe(1);
    expect(await run(runId)).toMatchObject({ status: 'succeeded', steps: 1 });

    await stack.waitForReadyReplicas(3, 120_000);
  });

  it('stops within a second when cancelled through another replica, keeping the partial answer', async () => {
    const conversationId = await conversation();
    const response = await send(conversationId, `stream slowly: ${SLOW_TEXT} ${SLOW_TEXT} [cancel]`);
    const runId = response.headers.get('x-keelson-run-id')!;
    let answered = 0;
    let status = 0;
    // readStream ends a stream whose handler threw as "broken": keep the reason to report it.
    let failed: unknown;
    const { events } = await readStream(response, async (event) => {
      if (event.id !== '5') return;
      try {
        const serving = await servingReplica();
        const other = await runningReplica(serving);
        // Straight to another replica's own port, from inside its container.
        const script = `fetch('http://127.0.0.1:3000/v1/runs/${runId}/cancel', { method: 'POST', headers: { authorization: 'Bearer ${token}' } }).then((r) => process.stdout.write(String(r.status)))`;
        status = Number(await docker(['exec', other, 'node', '-e', script], { timeout: 30_000 }));
        answered = performance.now();
      } catch (error) {
        failed = error;
        throw error;
      }
    });
    expect(failed).toBeUndefined();
    const heardAfterMs = since(answered);
    expect(status).toBe(202);
    expect(events.at(-1)?.event).toBe('cancelled');

    const row = await run(runId);
    expect(row).toMatchObject({ status: 'cancelled', error_code: 'cancelled' });
    const [stoppedMs] = await stack.sql(
      `select round(extract(epoch from finished_at - cancel_requested_at) * 1000) from runs where id = '${runId}'`,
    );
    reportMetric('runs.cancel_to_cancelled', Number(stoppedMs), 'ms');
    reportMetric('runs.cancel_answer_to_cancelled_event', heardAfterMs, 'ms');
    expect(Number(stoppedMs)).toBeLessThan(1_000);
    // The model call was abandoned, and what it said so far is the stored (partial) answer.
    expect(await stack.modelStats('[cancel]')).toEqual({ requests: 1, disconnects: 1 });
    const partial = texts(events).join('');
    expect(partial.length).toBeGreaterThan(0);
    // As JSON: docker() trims its output, which would cut a partial answer's trailing space.
    const [stored] = await stack.sql(
      `select to_json(content) from messages where conversation_id = '${conversationId}' and role = 'assistant'`,
    );
    expect(JSON.parse(stored!)).toBe(partial);
  });

  it('leaves no run `running` once its agent was killed: failed within RUN_LEASE_MS + RUN_REAPER_INTERVAL_MS', async () => {
    const response = await send(await conversation(), `stream slowly: ${SLOW_TEXT.repeat(4)} [killed]`);
    const runId = response.headers.get('x-keelson-run-id')!;
    let killedAt = 0;
    const { events } = await readStream(response, async (event) => {
      if (event.id === '5' && !killedAt) {
        await stack.crash(await stack.project.containerId('agent-prod'));
        killedAt = performance.now();
      }
    });
    expect(killedAt).toBeGreaterThan(0);
    // The api tells the client the agent went away, naming the run to follow.
    expect(events.at(-1)).toMatchObject({ event: 'error', data: { status: 502, runId } });

    // The defaults: a 15 s lease and a reaper pass every 5 s.
    const boundMs = 15_000 + 5_000;
    await waitFor(
      async () => (await stack.sql(`select count(*) from runs where status = 'running'`))[0] === '0',
      {
        timeoutMs: boundMs + 15_000,
        intervalMs: 250,
        what: 'no run running',
      },
    );
    const reapedAfterMs = since(killedAt);
    reportMetric('runs.killed_agent_to_failed', reapedAfterMs, 'ms');
    expect(reapedAfterMs).toBeLessThan(boundMs + 5_000);
    expect(await run(runId)).toMatchObject({ status: 'failed', error_code: 'agent-lost' });
    // A client resuming after the last event it saw gets the end.
    const lastId = events.filter((event) => event.id !== undefined).at(-1)!.id!;
    const after = await resume(runId, lastId);
    expect(after).toEqual([
      expect.objectContaining({ event: 'error', data: expect.objectContaining({ code: 'agent-lost' }) }),
    ]);
    expect(Number(after[0]!.id)).toBeGreaterThan(Number(lastId));

    // The agent is back (its restart policy), and takes turns again.
    await waitFor(
      async () =>
        (await inspect(await stack.project.containerId('agent-prod'))).State.Health?.Status === 'healthy',
      {
        timeoutMs: 120_000,
        intervalMs: 500,
        what: 'the agent healthy again',
      },
    );
    const again = await readStream(await send(await conversation(), 'Back?'));
    expect(again.events.at(-1)?.event).toBe('done');
  });
});

/**
 * A turn whose model asks create_task (a write tool: approval needed, the prod default) to queue
 * `text` in another conversation, `target`. The stream ends with the pause.
 */
async function pausedTurn(target: string, text: string) {
  const response = await send(await conversation(), `queue a task in conversation ${target}: ${text}`);
  expect(response.status).toBe(200);
  const runId = response.headers.get('x-keelson-run-id')!;
  const { events } = await readStream(response);
  expect(events.map((event) => event.event)).toEqual(['tool-call', 'step-finish', 'approval-requested']);
  const api = new ApiClient(stack.baseUrl, token);
  const { status, body } = await api.request('GET', `/v1/runs/${runId}`);
  expect(status).toBe(200);
  const run = body as RunView;
  expect(run.status).toBe('awaiting_approval');
  expect(run.approvals).toEqual([
    expect.objectContaining({
      toolName: 'create_task',
      input: { conversationId: target, content: text },
      decision: 'pending',
    }),
  ]);
  return { api, runId, toolCallId: run.approvals![0]!.toolCallId };
}

/** The stored log's events numbered 1…n, one approval-requested, ending with `done`. */
function expectPausedThenDone(log: StreamedEvent[]) {
  expect(log.map((event) => Number(event.id))).toEqual(log.map((_, i) => i + 1));
  expect(log.filter((event) => event.event === 'approval-requested')).toHaveLength(1);
  const paused = log.findIndex((event) => event.event === 'approval-requested');
  const results = log.filter((event) => event.event === 'tool-result');
  expect(results).toHaveLength(1);
  expect(log.indexOf(results[0]!)).toBeGreaterThan(paused);
  expect(log.at(-1)?.event).toBe('done');
  return { paused: log[paused]!, result: results[0]!.data as Record<string, unknown>, done: log.at(-1)! };
}

describe('tool approval on the prod profile', () => {
  it('an approval given after the agent container was restarted lets the run finish', async () => {
    const target = await conversation();
    const text = 'note that the approval came after a restart';
    const { api, runId, toolCallId } = await pausedTurn(target, text);
    // Nothing ran: no task queued.
    expect(await tasksInto(api, target)).toEqual([]);

    // The agent that paused the run goes away; the run waits in Postgres, holding no lease.
    const agent = await stack.project.containerId('agent-prod');
    reportMetric('runs.agent_restart_to_healthy', await restartUntilHealthy(agent), 'ms');
    expect((await api.request('GET', `/v1/runs/${runId}`)).body).toMatchObject({
      status: 'awaiting_approval',
    });

    const started = performance.now();
    const decided = await api.request('POST', `/v1/runs/${runId}/approvals`, {
      body: { decisions: [{ toolCallId, approved: true }] },
    });
    expect(decided.status).toBe(200);
    expect((decided.body as RunView).approvals).toEqual([
      expect.objectContaining({ toolCallId, decision: 'approved' }),
    ]);
    // Continued by the new agent (asked by the api, or by the reaper if that request failed).
    expect(await untilEnded(api, `/v1/runs/${runId}`)).toMatchObject({ status: 'succeeded' });
    reportMetric('runs.approval_to_succeeded', since(started), 'ms');

    // The task exists exactly once, and its own run (in `target`) is answered.
    const queued = await tasksInto(api, target);
    expect(queued).toHaveLength(1);
    const task = await untilEnded<TaskView>(api, `/v1/tasks/${queued[0]!.id}`);
    expect(task.status).toBe('succeeded');

    const log = await storedLog(runId);
    const { paused, result, done } = expectPausedThenDone(log);
    expect(result).toMatchObject({ toolCallId, toolName: 'create_task', isError: false });
    expect(JSON.stringify(result.output)).toContain(task.id);
    // The model was given the result and quoted it in the answer.
    expect(JSON.stringify(done.data)).toContain(task.id);
    // A client following the run after the pause gets the rest, through any replica.
    expect(await resume(runId, paused.id!)).toEqual(log.slice(log.indexOf(paused) + 1));
    await stack.waitForReadyReplicas(3, 60_000);
  });

  it('an approval given while the agent is down is carried out once it is back (the reaper asks it)', async () => {
    const target = await conversation();
    const { api, runId, toolCallId } = await pausedTurn(target, 'approved while the agent was down');
    const agent = await stack.project.containerId('agent-prod');
    const previousStart = (await inspect(agent)).State.StartedAt;
    // A deliberate stop: the restart policy leaves it stopped until `docker start`.
    await docker(['stop', agent], { timeout: 60_000 });
    let back: number;
    try {
      const decided = await api.request('POST', `/v1/runs/${runId}/approvals`, {
        body: { decisions: [{ toolCallId, approved: true }] },
      });
      // Stored although no agent could be asked to continue.
      expect(decided.status).toBe(200);
      expect((await api.request('GET', `/v1/runs/${runId}`)).body).toMatchObject({
        status: 'awaiting_approval',
        approvals: [{ toolCallId, decision: 'approved' }],
      });
      expect(await tasksInto(api, target)).toEqual([]);
    } finally {
      await docker(['start', agent], { timeout: 60_000 });
      await healthyAfter(agent, previousStart);
      back = performance.now();
    }
    // Nobody but the task-runner's reaper asks the agent now.
    expect(await untilEnded(api, `/v1/runs/${runId}`)).toMatchObject({ status: 'succeeded' });
    reportMetric('runs.agent_back_to_approved_run_succeeded', since(back), 'ms');
    const queued = await tasksInto(api, target);
    expect(queued).toHaveLength(1);
    expect(await untilEnded<TaskView>(api, `/v1/tasks/${queued[0]!.id}`)).toMatchObject({
      status: 'succeeded',
    });
    const { result } = expectPausedThenDone(await storedLog(runId));
    expect(result).toMatchObject({ toolCallId, toolName: 'create_task', isError: false });
    await stack.waitForReadyReplicas(3, 60_000);
  });

  it('a denied call runs nothing, and the run still succeeds with the model told why', async () => {
    const target = await conversation();
    const { api, runId, toolCallId } = await pausedTurn(target, 'this one will be denied');
    const decided = await api.request('POST', `/v1/runs/${runId}/approvals`, {
      body: { decisions: [{ toolCallId, approved: false, reason: 'not today, thanks' }] },
    });
    expect(decided.status).toBe(200);
    expect(await untilEnded(api, `/v1/runs/${runId}`)).toMatchObject({ status: 'succeeded' });
    expect(await tasksInto(api, target)).toEqual([]);
    const { result, done } = expectPausedThenDone(await storedLog(runId));
    expect(result).toMatchObject({ toolCallId, toolName: 'create_task', isError: true, denied: true });
    expect(JSON.stringify(done.data)).toContain('not today, thanks');
  });
});
