import { Readable } from 'node:stream';
import { HttpProblem, notFound, problemResponse, validationProblem } from '@repo/http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CLIENT_CLOSED, type AgentClient } from '../agent/agent-client.ts';
import { settlesWithin, withHeartbeat } from '../agent/heartbeat.ts';
import { abortOnClientClose, configuredAgent, RUN_QUOTA_429 } from '../agent/turn-request.ts';
import type { ConversationsService } from '../conversations/conversations-service.ts';
import { pgText } from '../http/schemas.ts';
import { conversationId, messageFields } from './conversations.ts';
import { RUN_ID_HEADER } from './runs.ts';

/** The agent's key format: the api refuses others itself instead of forwarding them to a 400. */
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;

const turnMessage = z.object(messageFields);

/** The agent's answer to a turn (its `done` event): the api validates it and passes it on. */
const turnResponse = z.object({
  runId: z
    .uuid()
    .nullable()
    .describe('The run that answered (also in `x-keelson-run-id`); null for a reply older than runs.'),
  userMessageId: z.uuid().describe('Your message, stored once per Idempotency-Key.'),
  reply: turnMessage.describe("The assistant's final message: `content` is the answer."),
  messages: z.array(turnMessage).describe('Everything the turn stored after your message, in order.'),
  usage: z.object({ inputTokens: z.number().int(), outputTokens: z.number().int() }),
  finishReason: z.string(),
  steps: z.number().int().describe('Model calls in this turn (tool calls take one each).'),
  replayed: z.boolean().describe('The Idempotency-Key was answered before: this is that answer again.'),
});

const EVENT_STREAM = 'text/event-stream';

/** True when the Accept header asks for text/event-stream explicitly (and not with q=0). */
export function wantsEventStream(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((range) => {
    const [type, ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    if (type !== EVENT_STREAM) return false;
    const q = params.find((param) => param.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

const sseEvent = (event: string, data: unknown) =>
  Buffer.from(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);

export const messageRoutes: FastifyPluginAsyncZod<{
  conversations: ConversationsService;
  agent: AgentClient | undefined;
  /** A streamed answer silent this long gets a heartbeat comment (SSE_HEARTBEAT_MS). */
  heartbeatMs: number;
}> = async (app, { conversations, agent, heartbeatMs }) => {
  app.post(
    '/v1/conversations/:id/messages',
    {
      config: { permission: 'conversations:write' },
      schema: {
        summary: 'Send a message: the agent answers it (JSON, or server-sent events).',
        description:
          'Starts a run of the agent (named in `x-keelson-run-id`): it stores your message, may call tools ' +
          '(search your documents, …) and stores its reply. With `Accept: text/event-stream` the run streams ' +
          'as it happens, each event numbered (`id:`): `text-delta`, `tool-call`, `tool-result`, ' +
          '`step-finish`, then `done` (the same body as the JSON answer), `error` (a problem) or `cancelled`. ' +
          'The run does not depend on this request: if the connection drops, resume with ' +
          '`GET /v1/runs/{id}/events` and `Last-Event-ID`; stop it with `POST /v1/runs/{id}/cancel`. ' +
          'One run at a time per conversation: a message while another is active answers 409 with ' +
          '`activeRunId`. Send an `Idempotency-Key` to retry safely: your message is stored once per key, ' +
          'a retry while its run is active follows that run, and a key that was already answered returns ' +
          'that answer (`replayed: true`).',
        tags: ['conversations'],
        params: conversationId,
        headers: z.looseObject({
          'idempotency-key': z
            .string()
            .regex(IDEMPOTENCY_KEY, 'expected 1-128 of A-Z a-z 0-9 _ . : -')
            .optional()
            .describe('Retrying with the same key never stores the message twice; a UUID is a good choice.'),
        }),
        body: z.object({ content: pgText().trim().min(1).max(32_000) }),
        response: {
          200: {
            description: 'The turn: as JSON, or as server-sent events with `Accept: text/event-stream`.',
            content: {
              'application/json': { schema: turnResponse },
              [EVENT_STREAM]: {
                schema: z
                  .string()
                  .describe(
                    '`id: <seq>`, `event: text-delta|tool-call|tool-result|step-finish|done|error|cancelled`, `data:` JSON.',
                  ),
              },
            },
          },
          400: validationProblem,
          404: problemResponse('No such conversation.'),
          409: problemResponse(
            'Another run of this conversation is active (`activeRunId`): wait for it or cancel it. ' +
              'Or (JSON) this run was cancelled before it finished (`runId`).',
          ),
          429: problemResponse(RUN_QUOTA_429),
          502: problemResponse(
            'The agent or its model provider failed; retry with the same Idempotency-Key.',
          ),
          503: problemResponse(
            'No agent is configured (AGENT_URL), the agent is unreachable, or it has no model; retry later.',
          ),
          504: problemResponse(
            'The agent or its model did not answer in time; retry with the same Idempotency-Key.',
          ),
        },
      },
    },
    async (request, reply) => {
      const conversation = await conversations.get(request.ownerId, request.params.id);
      if (!conversation) throw notFound('conversation');
      const agentClient = configuredAgent(agent);
      const upstream = abortOnClientClose(reply);
      const turn = {
        ownerId: request.ownerId,
        conversationId: conversation.id,
        content: request.body.content,
        idempotencyKey: request.headers['idempotency-key'],
        requestId: request.id,
        signal: upstream.signal,
      };

      if (!wantsEventStream(request.headers.accept)) {
        const answered = await agentClient.turn(turn);
        if (answered.runId) reply.header(RUN_ID_HEADER, answered.runId);
        const parsed = turnResponse.safeParse(answered.body);
        if (!parsed.success) {
          request.log.error({ err: parsed.error }, 'the agent answered a turn with an unexpected body');
          throw new HttpProblem(502, 'The agent answered with an unexpected body.', {
            type: 'urn:keelson:problem:agent-failed',
          });
        }
        return parsed.data;
      }

      // A turn the agent refuses at once (no model, unknown conversation, agent down) gets its
      // own status code. Once the agent has kept the client waiting a whole heartbeat interval,
      // the 200 goes out instead, with heartbeats, so no proxy closes the connection as idle; a
      // later failure is then the stream's last `error` event.
      // The agent names the run in its response headers, which it sends at the first event or
      // after half a heartbeat interval: in time to pass the name on to the client here.
      const answer = agentClient.streamTurn(turn);
      if (await settlesWithin(answer, heartbeatMs)) {
        const { runId } = await answer;
        if (runId) reply.header(RUN_ID_HEADER, runId);
      }
      let streamed: Awaited<typeof answer> | undefined;
      async function* agentChunks() {
        streamed = await answer;
        for await (const chunk of streamed.events) yield chunk as Buffer;
      }
      // Relayed chunk by chunk as the agent writes them (never parsed or buffered here). If the
      // agent's stream breaks off, the client still gets a last `error` event, naming the run: it
      // is still going (or ends by itself), and `GET /v1/runs/:id/events` resumes it.
      async function* relay() {
        try {
          yield* withHeartbeat(agentChunks(), heartbeatMs);
        } catch (error) {
          const problem = agentClient.problemOf(error, upstream.signal);
          if (problem.status === CLIENT_CLOSED) return;
          request.log.warn({ err: error }, 'the agent stream broke off');
          yield sseEvent('error', { ...problem.toJSON(request.url), runId: streamed?.runId ?? null });
        } finally {
          streamed?.events.destroy();
        }
      }
      // Typed by the route's schema as the event-stream text it documents; Fastify pipes a stream.
      const body = Readable.from(relay(), { objectMode: false }) as unknown as string;
      return reply
        .type(`${EVENT_STREAM}; charset=utf-8`)
        .header('cache-control', 'no-cache')
        .header('x-accel-buffering', 'no')
        .send(body);
    },
  );
};
