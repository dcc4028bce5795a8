import { setTimeout as delay } from 'node:timers/promises';
import {
  connectionFailure,
  HttpProblem,
  MAX_RUN_DEPTH_VALUE,
  RUN_DEPTH_HEADER,
  problem,
  problemResponse,
  serviceUnavailable,
  timestamp,
  validationProblem,
} from '@repo/http';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createEventQueue } from '../turns/event-queue.ts';
import { runTurn, type TurnDependencies, type TurnEvent, type TurnResult } from '../turns/run-turn.ts';

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;

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
  createdAt: timestamp,
});

export const turnResponse = z.object({
  userMessageId: z.uuid(),
  reply: messageView,
  messages: z.array(messageView),
  usage: z.object({ inputTokens: z.number().int(), outputTokens: z.number().int() }),
  finishReason: z.string(),
  steps: z.number().int(),
  replayed: z.boolean(),
});

const view = (result: TurnResult) => ({
  userMessageId: result.userMessage.id,
  reply: result.reply,
  messages: result.messages,
  usage: result.usage,
  finishReason: result.finishReason,
  steps: result.steps,
  replayed: result.replayed,
});

/**
 * `POST /v1/conversations/:id/turns` — one turn, for the owner named by the calling service.
 * `Accept: text/event-stream` streams it (text deltas, tool calls and results, then `done` with
 * the stored reply and usage, with a `: heartbeat` comment after every SSE_HEARTBEAT_MS of
 * silence); anything else gets one JSON answer. A client that disconnects aborts the model call.
 */
export const turnRoutes: FastifyPluginAsyncZod<{ turns: TurnDependencies }> = async (app, { turns }) => {
  app.post(
    '/v1/conversations/:conversationId/turns',
    {
      sse: { kind: 'dual' },
      schema: {
        summary: 'Run one conversation turn (JSON, or server-sent events with Accept: text/event-stream)',
        params: z.object({ conversationId: z.uuid() }),
        headers: z.object({
          'idempotency-key': z.string().regex(IDEMPOTENCY_KEY).optional(),
          [RUN_DEPTH_HEADER]: z.coerce.number().int().min(0).max(MAX_RUN_DEPTH_VALUE).optional(),
        }),
        body: z.object({ content: z.string().trim().min(1).max(32_000) }),
        response: {
          200: turnResponse,
          400: validationProblem,
          404: problemResponse('No such conversation for this owner.'),
          502: problemResponse('The model provider failed after retries.'),
          503: problemResponse('No model provider is configured.'),
          504: problemResponse('The model did not answer in time.'),
        },
      },
    },
    async (request, reply) => {
      // Aborted when the caller disconnects, so the upstream model call stops with it.
      const controller = new AbortController();
      reply.raw.on('close', () => {
        if (!reply.raw.writableFinished)
          controller.abort(new DOMException('client disconnected', 'AbortError'));
      });
      const input = {
        ownerId: request.ownerId,
        conversationId: request.params.conversationId,
        content: request.body.content,
        idempotencyKey: request.headers['idempotency-key'],
        signal: controller.signal,
        requestId: request.id,
        runDepth: request.headers[RUN_DEPTH_HEADER],
      };

      if (!reply.sse) return view(await runTurn(turns, input));

      // Streaming. A turn that fails before its first event (unknown conversation, no model,
      // provider down) still answers with a plain problem+json status, unless the model has been
      // silent for a whole heartbeat interval: then the 200 goes out, and with it @fastify/sse's
      // heartbeat comments, so that no proxy closes the stream as idle while the model thinks.
      // Failures after the 200 arrive as an `error` event.
      const queue = createEventQueue<TurnEvent>();
      const outcome = runTurn(turns, input, (event) => queue.push(event));
      const settled = outcome.then(
        () => queue.close(),
        () => queue.close(),
      );
      const active = await activityWithin(queue, turns.config.SSE_HEARTBEAT_MS);
      if (!active) reply.sse.sendHeaders();
      else if (queue.idle) await outcome; // finished without events: throws its problem, if any

      async function* events() {
        for await (const event of queue.drain()) yield { event: event.type, data: event };
        await settled;
        try {
          yield { event: 'done', data: view(await outcome) };
        } catch (error) {
          yield { event: 'error', data: streamedProblem(error, request) };
        }
      }
      await reply.sse.send(events());
    },
  );
};

/** Whether the turn produced an event or finished within `ms` (false: it has been silent). */
async function activityWithin(queue: { waitForActivity(): Promise<void> }, ms: number): Promise<boolean> {
  const silence = new AbortController();
  try {
    return await Promise.race([
      queue.waitForActivity().then(() => true),
      delay(ms, false, { signal: silence.signal }),
    ]);
  } finally {
    silence.abort();
  }
}

/**
 * The `error` event of a stream that already answered 200: the same problem the JSON answer would
 * have given — a dependency outage (the database gone mid-turn) is a 503 logged at warn, anything
 * unexpected a 500 logged in full.
 */
function streamedProblem(error: unknown, request: FastifyRequest) {
  if (error instanceof HttpProblem) return error.toJSON(request.url);
  const unreachable = connectionFailure(error);
  if (unreachable) {
    request.log.warn({ err: unreachable }, 'streamed turn failed: dependency unavailable');
    return serviceUnavailable('A service this turn depends on is unavailable. Retry later.').toJSON(
      request.url,
    );
  }
  request.log.error({ err: error }, 'streamed turn failed');
  return problem(500, 'The turn failed. Quote the request id when reporting it.', { requestId: request.id });
}
