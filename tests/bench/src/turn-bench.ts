import { readFileSync } from 'node:fs';
import { waitFor } from '@repo/testing';
import type { ApiStack } from './api-stack.ts';
import type { HttpTarget } from './load-plan.ts';
import { runLoad } from './load.ts';
import { measureRounds, type Measured, type RoundsLoad, type Subject } from './rounds.ts';
import { pairedDifferences, type Spread } from './stats.ts';

export interface TurnLoad extends RoundsLoad {
  /** Clients of the latency rows (the goal is stated for one). */
  latencyConnections: number;
  /** Clients of the throughput rows. */
  throughputConnections: number;
}

export interface TurnSection {
  subjects: Measured[];
  /** Turn p50 − the model's own p50, one client, round by round (ms the stack adds to a turn). */
  overheadP50Ms: Spread;
  /** Turns per second through the api at `throughputConnections` clients. */
  turnsPerSecond: number;
  /** Messages stored by the turns of the run: at least one reply for every turn answered 200. */
  stored: { userMessages: number; replies: number };
}

/** What a turn says: the scripted model echoes it, no tool call (the instant model). */
export const TURN_CONTENT = 'Hello! What do my documents say about the first passage?';

export const turnTarget = (stack: ApiStack): HttpTarget => ({
  kind: 'http',
  origin: stack.api.origin,
  method: 'POST',
  // One conversation after another: every conversation stays short, as a real one is, instead of
  // one conversation growing by thousands of messages (each turn reads its unsummarized history).
  paths: stack.conversationIds.map((id) => `/v1/conversations/${id}/messages`),
  headers: { ...stack.auth, 'content-type': 'application/json', accept: 'text/event-stream' },
  body: JSON.stringify({ content: TURN_CONTENT }),
});

/**
 * The model's own part of a turn: the chat request the agent sent it (the first one it received,
 * printed by servers/scripted-model.ts), sent to it directly. One turn is made first for that.
 */
async function modelTarget(stack: ApiStack): Promise<HttpTarget> {
  const turn = turnTarget(stack);
  const response = await fetch(`${turn.origin}${turn.paths[0]}`, {
    method: 'POST',
    headers: turn.headers,
    body: turn.body,
  });
  const events = await response.text();
  if (response.status !== 200 || !events.includes('event: done')) {
    throw new Error(`a turn through the api failed: ${response.status} ${events.slice(0, 1_000)}`);
  }
  const request = await waitFor(
    () =>
      readFileSync(stack.model.logFile, 'utf8')
        .split('\n')
        .filter((line) => line.startsWith('{"firstRequest"'))
        .map((line) => (JSON.parse(line) as { firstRequest: unknown }).firstRequest)[0],
    { timeoutMs: 5_000, what: "the model's first request" },
  );
  return {
    kind: 'http',
    origin: stack.model.origin,
    method: 'POST',
    paths: ['/v1/chat/completions'],
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(request),
  };
}

/** User messages and assistant replies stored so far: a turn that failed mid-stream has no reply. */
export async function storedTurns(stack: ApiStack): Promise<{ userMessages: number; replies: number }> {
  const { rows } = await stack.pool.query<{ user_messages: number; replies: number }>(
    `select count(*) filter (where role = 'user')::int as user_messages,
            count(*) filter (where role = 'assistant')::int as replies
       from messages`,
  );
  return { userMessages: rows[0]!.user_messages, replies: rows[0]!.replies };
}

export const TURN_SUBJECTS = {
  model1: 'scripted model alone, 1 client',
  turn1: 'turn through the api, 1 client',
  modelN: (n: number) => `scripted model alone, ${n} clients`,
  turnN: (n: number) => `turn through the api, ${n} clients`,
};

/**
 * An agent turn through the api (api → agent → its tools over the api's /mcp → the model,
 * streamed back as server-sent events), against the model answering the same request alone, in
 * the same rounds: with one client (latency: how many ms the stack adds) and with several
 * (throughput). A turn counts only if its reply was stored, checked in the database after the run.
 */
export async function measureTurnRows(stack: ApiStack, load: TurnLoad): Promise<TurnSection> {
  const model = await modelTarget(stack);
  const turn = turnTarget(stack);
  const n = load.throughputConnections;
  const one = load.latencyConnections;
  const subjects: Subject[] = [
    { name: TURN_SUBJECTS.model1, connections: one, target: model },
    { name: TURN_SUBJECTS.turn1, connections: one, target: turn },
    { name: TURN_SUBJECTS.modelN(n), connections: n, target: model },
    { name: TURN_SUBJECTS.turnN(n), connections: n, target: turn },
  ];
  const measured = await measureRounds(subjects, load);
  const [model1, turn1, , turnN] = measured as [Measured, Measured, Measured, Measured];
  // Every turn answered 200 stored its reply (+ 1: the turn that captured the model's request).
  // A turn can answer 200 and still fail (an `error` event in the stream); this is where it shows.
  // Turns cut off by the end of a step may have stored their user message only, or a reply too.
  const answered =
    1 + [turn1, turnN].reduce((sum, turns) => sum + turns.responses2xx + turns.warmupResponses2xx, 0);
  const stored = await storedTurns(stack);
  if (stored.replies < answered) {
    throw new Error(
      `turns: ${answered} answered 200, only ${stored.replies} replies stored (${stored.userMessages} user messages)`,
    );
  }
  return {
    subjects: measured,
    overheadP50Ms: pairedDifferences(
      turn1.rounds.map((round) => round.latencyMs.p50),
      model1.rounds.map((round) => round.latencyMs.p50),
    ),
    turnsPerSecond: turnN.requestsPerSecond,
    stored,
  };
}

export interface MemorySample {
  /** Turns stored when the sample was taken. */
  turns: number;
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
}

export interface MemorySection {
  connections: number;
  agent: MemorySample[];
  api: MemorySample[];
  /** The agent's RSS at the last checkpoint ÷ at the first (the goal: within 1.2). */
  agentRssGrowth: number;
}

/** A service's heap as its own /metrics reports it (prom-client's default metrics). */
async function heapOf(origin: string): Promise<Omit<MemorySample, 'turns' | 'rssBytes'>> {
  const text = await (await fetch(`${origin}/metrics`)).text();
  const metric = (name: string) => {
    const value = new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(text)?.[1];
    if (value === undefined) throw new Error(`${origin}/metrics has no ${name}`);
    return Number(value);
  };
  return {
    heapUsedBytes: metric('nodejs_heap_size_used_bytes'),
    heapTotalBytes: metric('nodejs_heap_size_total_bytes'),
    externalBytes: metric('nodejs_external_memory_bytes'),
  };
}

/**
 * Sustained turns until `checkpoints` turns in total have been stored (e.g. 1,000 then 10,000),
 * sampling the agent's and the api's memory at each: does RSS stay flat, or keep growing?
 */
export async function measureTurnMemory(
  stack: ApiStack,
  options: { checkpoints: number[]; connections: number },
): Promise<MemorySection> {
  const turn = turnTarget(stack);
  const agent: MemorySample[] = [];
  const api: MemorySample[] = [];
  // Replies can only grow: every turn answered 200 from here on must add one (turns cut off at the
  // end of the earlier timed steps may still store a user message now, so those are not compared).
  const repliesBefore = (await storedTurns(stack)).replies;
  let answered = 0;
  for (const checkpoint of options.checkpoints) {
    const { userMessages } = await storedTurns(stack);
    if (checkpoint > userMessages) {
      const [result] = await runLoad(
        {
          targets: [turn],
          steps: [{ target: 0, connections: options.connections, amount: checkpoint - userMessages }],
        },
        // 5 turns a second at the very least, on a machine shared with anything.
        (checkpoint - userMessages) / 5 + 60,
      );
      if (result!.non2xx > 0 || result!.errors > 0) {
        throw new Error(`sustained turns: ${result!.non2xx} non-2xx answers, ${result!.errors} errors`);
      }
      answered += result!.responses2xx;
    }
    const stored = await storedTurns(stack);
    if (stored.replies - repliesBefore < answered) {
      throw new Error(
        `sustained turns: ${answered} answered 200, ${stored.replies - repliesBefore} replies stored`,
      );
    }
    const sample = async (service: ApiStack['agent']) => ({
      turns: stored.userMessages,
      rssBytes: service.rssBytes(),
      ...(await heapOf(service.metricsOrigin)),
    });
    agent.push(await sample(stack.agent));
    api.push(await sample(stack.api));
  }
  return {
    connections: options.connections,
    agent,
    api,
    agentRssGrowth: agent.at(-1)!.rssBytes / agent[0]!.rssBytes,
  };
}
