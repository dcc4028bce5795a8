import {
  HttpProblem,
  MAX_RUN_DEPTH_VALUE,
  problemResponse,
  RUN_DEPTH_HEADER,
  validationProblem,
  type ProblemDetails,
} from '@repo/http';
import type { RunEvent } from '@repo/runs';
import { setTimeout as delay } from 'node:timers/promises';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RunExecutor } from '../runs/run-executor.ts';
import { problemOfEvent, type TurnView } from '../runs/run-outcomes.ts';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;

/** Names the run a turn started (or joined), on every answer: JSON, stream, or problem. */
export const RUN_ID_HEADER = 'x-keelson-run-id';
/** Set by the task-runner: the background agent-run task this turn answers. */
export const TASK_ID_HEADER = 'x-keelson-task-id';

const messageView = z.object({
  id: z.uuid(),
  role: z.enum(['user', 'assistant', 'tool', 'system']),
  content: z.string(),
  toolCalls: z
    .array(z.object({ toolCallId: z.string(), toolName: z.string(), input: z.unknown() }))
    .nullable(),
  toolResults: z
    .array(
      z.object({
        toolCallId: z.string(),
        toolName: z.string(),
        output: z.unknown(),
        isError: z.boolean().optional(),
      }),
    )
    .nullable(),
  // An ISO string: the answer is the run's stored `done` event, JSON as it was streamed.
  createdAt: z.iso.datetime({ offset: true }),
});

/** A run that paused for approvals (JSON mode answers it with 202; the stream ends with it). */
export const approvalRequested = z.object({
  runId: z.uuid(),
  status: z.literal('awaiting_approval'),
  approvals: z.array(
    z.object({
      toolCallId: z.string(),
      approvalId: z.string(),
      toolName: z.string(),
      input: z.unknown(),
      expiresAt: z.iso.datetime({ offset: true }),
    }),
  ),
});

export const turnResponse = z.object({
  runId: z.uuid().nullable(),
  userMessageId: z.uuid(),
  reply: messageView,
  messages: z.array(messageView),
  usage: z.object({ inputTokens: z.number().int(), outputTokens: z.number().int() }),
  finishReason: z.string(),
  steps: z.number().int(),
  replayed: z.boolean(),
});

/**
 * `POST /v1/conversations/:id/turns` — starts a run for the owner named by the calling service
 * and follows it: `Accept: text/event-stream` streams its events (each with its number as the SSE
 * `id:`), ending with `done`, `error` or `cancelled` — or `approval-requested` when the run
 * pauses for approvals (JSON: 202 with the calls that wait); anything else gets one JSON answer
 * when it ends; a stream silent for SSE_HEARTBEAT_MS gets a `: heartbeat` comment. The run does not depend
 * on this request: a caller that disconnects leaves it running (it can be followed again, from any
 * replica of the api, with `GET /v1/runs/:id/events`).
 */
export const turnRoutes: FastifyPluginAsyncZod<{ executor: RunExecutor; heartbeatMs: number }> = async (
  app,
  { executor, heartbeatMs },
) => {
  app.post(
    '/v1/conversations/:conversationId/turns',
    {
      sse: { kind: 'dual' },
      schema: {
        summary: 'Run one conversation turn (JSON, or server-sent events with Accept: text/event-stream)',
        params: z.object({ conversationId: z.uuid() }),
        headers: z.object({
          'idempotency-key': z.string().regex(IDEMPOTENCY_KEY).optional(),
          [TASK_ID_HEADER]: z.uuid().optional(),
          [RUN_DEPTH_HEADER]: z.coerce.number().int().min(0).max(MAX_RUN_DEPTH_VALUE).optional(),
        }),
        body: z.object({ content: z.string().trim().min(1).max(32_000) }),
        response: {
          200: turnResponse,
          202: approvalRequested.describe(
            'The run paused: tool calls wait for approval (POST /v1/runs/:id/approvals at the api).',
          ),
          400: validationProblem,
          404: problemResponse('No such conversation for this owner.'),
          409: problemResponse(
            'Another run of the conversation is active (`activeRunId`), or this one was cancelled.',
          ),
          502: problemResponse('The model provider failed after retries.'),
          503: problemResponse('No model provider is configured.'),
          504: problemResponse('The model did not answer in time.'),
        },
      },
    },
    async (request, reply) => {
      const started = await executor.start({
        ownerId: request.ownerId,
        conversationId: request.params.conversationId,
        content: request.body.content,
        idempotencyKey: request.headers['idempotency-key'],
        taskId: request.headers[TASK_ID_HEADER],
        requestId: request.id,
        runDepth: request.headers[RUN_DEPTH_HEADER],
      });
      if (started.kind === 'answered') {
        if (started.view.runId) reply.header(RUN_ID_HEADER, started.view.runId);
        if (!reply.sse) return started.view;
        await reply.sse.send({ event: 'done', data: started.view });
        return;
      }

      const { runId } = started;
      reply.header(RUN_ID_HEADER, runId);
      // Following ends when the caller goes away; the run goes on.
      const following = new AbortController();
      reply.raw.on('close', () => following.abort());
      const events = executor.follow(runId, 0, following.signal)[Symbol.asyncIterator]();

      if (!reply.sse) {
        for (let next = await events.next(); !next.done; next = await events.next()) {
          // A pause ends the run's first execution; a joined run's replay may show one it has
          // gone past since, so a joined request waits for the run's end instead.
          if (next.value.type === 'approval-requested' && !started.joined) {
            return reply.code(202).send(next.value.data as never);
          }
          const answer = answerOf(next.value, runId);
          if (answer) return answer;
        }
        throw lostRun(runId);
      }

      // A run that fails before its first event (the provider down, the model timing out) still
      // answers with a plain problem status, unless the model has been silent for half a
      // heartbeat interval: then the 200 goes out (naming the run), and with it @fastify/sse's
      // heartbeat comments, so that no proxy closes the stream as idle while the model thinks.
      // Half: the api relaying this stream sends its own 200 after a whole interval without this
      // one, and then could not pass the run's id on to its client. Failures after the 200
      // arrive as an `error` event.
      const pending = events.next();
      const first = await within(pending, heartbeatMs / 2);
      if (first === SILENT) reply.sse.sendHeaders();
      else if (!first.done && first.value.type === 'error')
        throw problemOfEvent(first.value.data as ProblemDetails);
      async function* stream() {
        for (let next = first === SILENT ? await pending : first; !next.done; next = await events.next()) {
          yield { id: String(next.value.seq), event: next.value.type, data: next.value.data };
        }
      }
      await reply.sse.send(stream());
    },
  );
};

/** The JSON answer a final event stands for: the turn, or the problem to throw. */
function answerOf(event: RunEvent, runId: string): TurnView | undefined {
  switch (event.type) {
    case 'done':
      return event.data as TurnView;
    case 'error':
      throw problemOfEvent(event.data as ProblemDetails);
    case 'cancelled':
      throw new HttpProblem(
        409,
        'The run was cancelled before it finished; what it produced so far is stored.',
        {
          type: 'urn:keelson:problem:run-cancelled',
          extensions: { runId },
        },
      );
    default:
      return undefined;
  }
}

const lostRun = (runId: string) =>
  new HttpProblem(409, 'The run was ended by another process; GET /v1/runs/:id says how.', {
    type: 'urn:keelson:problem:run-ended',
    extensions: { runId },
  });

const SILENT = Symbol('silent');

/** `promise`'s value, or SILENT when it takes longer than `ms`. */
async function within<T>(promise: Promise<T>, ms: number): Promise<T | typeof SILENT> {
  const silence = new AbortController();
  try {
    return await Promise.race([promise, delay(ms, SILENT, { signal: silence.signal })]);
  } finally {
    silence.abort();
  }
}
