import { Readable } from 'node:stream';
import { HttpProblem, notFound, problemResponse, validationProblem } from '@repo/http';
import type { RunEvent, RunFeed } from '@repo/runs';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CLIENT_CLOSED, type AgentClient } from '../agent/agent-client.ts';
import { withHeartbeat } from '../agent/heartbeat.ts';
import { abortOnClientClose, configuredAgent, RUN_QUOTA_429 } from '../agent/turn-request.ts';
import { agentRunEvents } from '../chat/agent-events.ts';
import {
  UI_MESSAGE_STREAM_HEADERS,
  uiMessageChunks,
  uiMessageStreamBytes,
} from '../chat/ui-message-chunks.ts';
import type { ConversationsService } from '../conversations/conversations-service.ts';
import type { RunsService } from '../runs/runs-service.ts';
import { recordDecisions } from './run-approvals.ts';
import { RUN_ID_HEADER } from './runs.ts';

/** The agent's idempotency key format; a UI message id outside it is sent without a key. */
const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,128}$/;
const MAX_CONTENT = 32_000;

const STREAM_DESCRIPTION =
  'The AI SDK UI message stream (`x-vercel-ai-ui-message-stream: v1`): server-sent events whose ' +
  '`data:` is one chunk each — `start` (`messageId` and `messageMetadata.runId`: the run), ' +
  '`start-step`, `text-start`/`text-delta`/`text-end`, `tool-input-available` and ' +
  '`tool-output-available`/`tool-output-error`/`tool-output-denied` (dynamic tools), `finish-step`, then ' +
  '`finish` (`messageMetadata`: `runId`, `replyMessageId`, `usage`), `error` or `abort` — or, when the ' +
  'run pauses for approval, `tool-approval-request` chunks and `finish` — and `[DONE]`.';

/** A tool part of an assistant message whose approval request the user answered (useChat). */
const approvalResponse = z.object({
  toolCallId: z.string().min(1).max(256),
  state: z.literal('approval-responded'),
  approval: z.object({
    id: z.string().max(256),
    approved: z.boolean(),
    reason: z.string().trim().min(1).max(1_000).optional(),
  }),
});

const uiMessage = z.looseObject({
  id: z.string().max(256),
  role: z.enum(['system', 'user', 'assistant']),
  parts: z.array(z.looseObject({ type: z.string().max(64), text: z.string().optional() })).max(1_000),
});

/**
 * The AI SDK UI message stream protocol, so a browser's `useChat` (`DefaultChatTransport` with
 * `api: '<api>/v1/chat'`) talks to the api directly: `POST /v1/chat` sends the last user message
 * of the chat (whose id is a conversation's) and streams the run answering it; `GET
 * /v1/chat/:id/stream` (the transport's reconnect URL) replays the conversation's active run from
 * its start and follows it live, or answers 204 when none is active. The same runs as
 * `/messages`: one at a time per conversation (409), going on without their client, cancellable.
 */
export const chatRoutes: FastifyPluginAsyncZod<{
  conversations: ConversationsService;
  runs: RunsService;
  agent: AgentClient | undefined;
  feed: () => RunFeed;
  heartbeatMs: number;
}> = async (app, { conversations, runs, agent, feed, heartbeatMs }) => {
  /** The chunks as the UI message stream's bytes, with heartbeat comments while the run is silent. */
  const uiStream = (chunks: AsyncIterable<unknown>) =>
    // Typed by the route's schema as the event-stream text it documents; Fastify pipes a stream.
    Readable.from(withHeartbeat(uiMessageStreamBytes(chunks), heartbeatMs), {
      objectMode: false,
    }) as unknown as string;

  /**
   * Answers with the run's UI message stream: its events after `afterSeq` (stored, then live, from
   * any replica) until the final one; following stops when the client goes.
   */
  const followRun = (reply: FastifyReply, runId: string, afterSeq: number, answeredThroughSeq = 0) => {
    const following = new AbortController();
    reply.raw.on('close', () => following.abort());
    const events: AsyncIterable<RunEvent> = feed().follow(runId, afterSeq, following.signal);
    return reply
      .headers(UI_MESSAGE_STREAM_HEADERS)
      .header(RUN_ID_HEADER, runId)
      .send(uiStream(uiMessageChunks(runId, events, answeredThroughSeq)));
  };

  app.post(
    '/v1/chat',
    {
      config: { permission: 'conversations:write' },
      schema: {
        summary: 'Chat with the agent over the AI SDK UI message stream protocol (useChat).',
        description:
          "The body `DefaultChatTransport` sends: `id` (the conversation's id), `messages` (only the last " +
          'one is read: a user message whose text parts are your message; the history is the ' +
          "conversation's, kept by the server), `trigger` (`submit-message`), `messageId`. The last " +
          "message's `id` is the run's idempotency key: a retry of the same message is never stored twice. " +
          'A run that pauses for approval ends its stream with `tool-approval-request` parts; send the ' +
          'assistant message back with its tool parts `approval-responded` (useChat: `addToolApprovalResponse` ' +
          'with `sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithApprovalResponses`) and the decisions ' +
          'are recorded (as POST /v1/runs/{id}/approvals; its 400/404/409 problems too) and the rest of the run streams. ' +
          `Answers ${STREAM_DESCRIPTION}`,
        tags: ['conversations'],
        body: z.looseObject({
          id: z
            .uuid()
            .describe("The chat's id: a conversation's id (create one with POST /v1/conversations)."),
          messages: z.array(uiMessage).min(1).max(10_000),
          trigger: z.enum(['submit-message', 'regenerate-message']).default('submit-message'),
          messageId: z.string().max(256).optional(),
        }),
        response: {
          200: {
            description: 'The run, as a UI message stream.',
            content: { 'text/event-stream': { schema: z.string().describe(STREAM_DESCRIPTION) } },
          },
          400: validationProblem,
          404: problemResponse('No such conversation.'),
          409: problemResponse(
            'Another run of this conversation is active (`activeRunId`); or approvals for a run no longer awaiting them.',
          ),
          429: problemResponse(RUN_QUOTA_429),
          502: problemResponse('The agent or its model provider failed.'),
          503: problemResponse('No agent is configured (AGENT_URL), it is unreachable, or it has no model.'),
          504: problemResponse('The agent or its model did not answer in time.'),
        },
      },
    },
    async (request, reply) => {
      const { id, messages, trigger } = request.body;
      if (trigger !== 'submit-message') {
        throw new HttpProblem(400, 'Only `submit-message` is supported: send a new message to ask again.', {
          type: 'urn:keelson:problem:chat-trigger-unsupported',
        });
      }
      const last = messages.at(-1)!;
      if (last.role === 'assistant') {
        // useChat sends the assistant message back once its approval requests are answered
        // (addToolApprovalResponse + sendAutomaticallyWhen): record them, and stream the rest of
        // the run — the same message (its id is the run's), from the event after the pause.
        const decisions = last.parts.flatMap((part) => {
          const parsed = approvalResponse.safeParse(part);
          if (!parsed.success) return [];
          const { toolCallId, approval } = parsed.data;
          return [{ toolCallId, approved: approval.approved, reason: approval.reason }];
        });
        const run = z.uuid().safeParse(last.id).success
          ? await runs.get(request.ownerId, last.id)
          : undefined;
        if (decisions.length === 0 || !run || run.conversationId !== id) {
          throw new HttpProblem(
            400,
            'An assistant message as the last one must be a run of this chat with tool parts in `approval-responded` state.',
            { type: 'urn:keelson:problem:chat-message-invalid' },
          );
        }
        await recordDecisions({ runs, agent, log: request.log }, request.ownerId, run.id, decisions);
        return followRun(reply, run.id, run.lastSeq);
      }
      const content = last.parts
        .flatMap((part) => (part.type === 'text' && part.text !== undefined ? [part.text] : []))
        .join('\n')
        .trim();
      if (last.role !== 'user' || content.length === 0 || content.length > MAX_CONTENT) {
        throw new HttpProblem(
          400,
          `The last message must be a user message with text parts (1–${MAX_CONTENT} characters).`,
          { type: 'urn:keelson:problem:chat-message-invalid' },
        );
      }
      const conversation = await conversations.get(request.ownerId, id);
      if (!conversation) throw notFound('conversation');
      const agentClient = configuredAgent(agent);
      const upstream = abortOnClientClose(reply);
      const key = `chat-${last.id}`;
      // A run the agent refuses at once (409 another run is active, no model, agent down) keeps
      // its status: useChat reports it as the request's error.
      const streamed = await agentClient.streamTurn({
        ownerId: request.ownerId,
        conversationId: conversation.id,
        content,
        idempotencyKey: IDEMPOTENCY_KEY.test(key) ? key : undefined,
        requestId: request.id,
        signal: upstream.signal,
      });
      const runId = streamed.runId;
      if (!runId) {
        streamed.events.destroy();
        throw new HttpProblem(502, 'The agent did not name the run it started.', {
          type: 'urn:keelson:problem:agent-failed',
        });
      }
      async function* chunks() {
        try {
          yield* uiMessageChunks(runId!, agentRunEvents(streamed.events));
        } catch (error) {
          const problem = agentClient.problemOf(error, upstream.signal);
          if (problem.status === CLIENT_CLOSED) return;
          request.log.warn({ err: error, runId }, 'the agent stream broke off');
          // The run goes on: reconnecting (GET /v1/chat/:id/stream) picks it up again.
          yield { type: 'error', errorText: `${problem.message} (resume the run ${runId})` };
        } finally {
          streamed.events.destroy();
        }
      }
      return reply.headers(UI_MESSAGE_STREAM_HEADERS).header(RUN_ID_HEADER, runId).send(uiStream(chunks()));
    },
  );

  app.get(
    '/v1/chat/:id/stream',
    {
      config: { permission: 'runs:read' },
      schema: {
        summary: "Resume a chat: its active run's UI message stream from the start, or 204.",
        description:
          'What `DefaultChatTransport.reconnectToStream` (and `useChat({ resume: true })`) asks for: the ' +
          "conversation's active run replayed from its first event and followed live until it ends " +
          `(from any replica), or 204 when no run is active. ${STREAM_DESCRIPTION}`,
        tags: ['conversations'],
        params: z.object({ id: z.uuid() }),
        response: {
          200: {
            description: 'The active run, as a UI message stream.',
            content: { 'text/event-stream': { schema: z.string().describe(STREAM_DESCRIPTION) } },
          },
          204: z.null().describe('No run of this conversation is active.'),
          400: validationProblem,
          404: problemResponse('No such conversation.'),
        },
      },
    },
    async (request, reply) => {
      const active = await runs.active(request.ownerId, request.params.id);
      if (active === undefined) throw notFound('conversation');
      if (active === null) return reply.code(204).send(null);
      return followRun(reply, active.runId, 0, active.answeredThroughSeq);
    },
  );
};
