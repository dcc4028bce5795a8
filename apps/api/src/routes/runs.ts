import { Readable } from 'node:stream';
import { runStatuses } from '@repo/db';
import { notFound, problemResponse, timestamp, validationProblem } from '@repo/http';
import type { RunFeed } from '@repo/runs';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { withHeartbeat } from '../agent/heartbeat.ts';
import { page, pageQuery } from '../http/pagination.ts';
import type { RunsService } from '../runs/runs-service.ts';
import { conversationId } from './conversations.ts';

/** Names the run on the responses that start or follow one. */
export const RUN_ID_HEADER = 'x-keelson-run-id';

const EVENT_STREAM = 'text/event-stream';
const runId = z.object({ id: z.uuid() });
const seq = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const runView = z
  .object({
    id: z.uuid(),
    conversationId: z.uuid(),
    taskId: z.uuid().nullable().describe('The background agent-run task that started it, if one did.'),
    status: z.enum(runStatuses),
    provider: z.string(),
    model: z.string(),
    userMessageId: z.uuid().nullable().describe('The message it answers.'),
    replyMessageId: z.uuid().nullable().describe('Its answer (a cancelled run: the partial answer, if any).'),
    usage: z.object({ inputTokens: z.number().int(), outputTokens: z.number().int() }),
    steps: z.number().int().describe('Model calls so far (a tool round trip takes one more).'),
    finishReason: z.string().nullable(),
    error: z
      .object({
        code: z
          .string()
          .describe('Stable: cancelled, agent-lost, agent-shutdown, model-failed, model-timeout, …'),
        message: z.string(),
      })
      .nullable(),
    cancelRequestedAt: timestamp.nullable(),
    lastSeq: z.number().int().describe('The number of its last stored event.'),
    createdAt: timestamp,
    startedAt: timestamp.nullable(),
    finishedAt: timestamp.nullable(),
    updatedAt: timestamp,
  })
  .meta({ id: 'Run' });

export const approvalView = z
  .object({
    toolCallId: z.string(),
    approvalId: z.string().nullable(),
    toolName: z.string(),
    input: z.unknown(),
    decision: z.enum(['pending', 'approved', 'denied', 'expired']),
    reason: z.string().nullable().describe('The reason given with the decision, if any.'),
    expiresAt: timestamp
      .nullable()
      .describe('A pending call not decided by then ends the run (`approval-expired`).'),
    decidedAt: timestamp.nullable(),
  })
  .meta({ id: 'ToolApproval' });

/** A run with the tool calls that needed approval. */
export const runDetail = runView
  .extend({
    approvals: z
      .array(approvalView)
      .describe(
        'Its tool calls that needed a person’s approval; `pending` ones make it `awaiting_approval`.',
      ),
  })
  .meta({ id: 'RunDetail' });

const EVENTS_DESCRIPTION =
  'Server-sent events, each with its number as `id:` (1, 2, … per run): `text-delta`, `tool-call`, ' +
  '`tool-result`, `step-finish`, `approval-requested` (the run pauses until the calls it names are ' +
  'decided; it goes on afterwards), then exactly one of `done` (the turn), `error` (a problem with a ' +
  'stable `code`) or `cancelled`, and the stream ends. Comments (`: heartbeat`) keep it open.';

export const runRoutes: FastifyPluginAsyncZod<{
  runs: RunsService;
  /** Follows runs from this replica (opens its subscriber connection on first use). */
  feed: () => RunFeed;
  heartbeatMs: number;
}> = async (app, { runs, feed, heartbeatMs }) => {
  app.get(
    '/v1/runs/:id',
    {
      config: { permission: 'runs:read' },
      schema: {
        summary:
          'A run of the agent: its status, usage, the tool calls waiting for approval and, once it ended, how.',
        tags: ['runs'],
        params: runId,
        response: { 200: runDetail, 400: validationProblem, 404: problemResponse('No such run.') },
      },
    },
    async (request) => {
      const run = await runs.detail(request.ownerId, request.params.id);
      if (!run) throw notFound('run');
      return run;
    },
  );

  app.get(
    '/v1/conversations/:id/runs',
    {
      config: { permission: 'runs:read' },
      schema: {
        summary: "A conversation's runs, newest first, with cursor pagination.",
        tags: ['runs'],
        params: conversationId,
        querystring: z.object(pageQuery),
        response: {
          200: page(runView).describe('A page of the conversation’s runs.'),
          400: validationProblem,
          404: problemResponse('No such conversation.'),
        },
      },
    },
    async (request) => {
      const listed = await runs.list(request.ownerId, request.params.id, request.query);
      if (!listed) throw notFound('conversation');
      return listed;
    },
  );

  app.get(
    '/v1/runs/:id/events',
    {
      config: { permission: 'runs:read' },
      schema: {
        summary: "A run's events: replayed from where you left off, then live until it ends.",
        description:
          `${EVENTS_DESCRIPTION} Resume with \`Last-Event-ID\` (what an EventSource sends by itself) ` +
          'or `?after=`: the events after that number follow, none twice, none missing, then the ' +
          'live ones — from any replica, whichever process runs the turn. A finished run replays ' +
          'completely and ends.',
        tags: ['runs'],
        params: runId,
        headers: z.looseObject({
          'last-event-id': seq
            .optional()
            .describe('The last event you received; takes precedence over `after`.'),
        }),
        querystring: z.object({
          after: seq.default(0).describe('Events after this number (0: from the start).'),
        }),
        response: {
          200: {
            description: 'The events, as server-sent events.',
            content: { [EVENT_STREAM]: { schema: z.string().describe(EVENTS_DESCRIPTION) } },
          },
          400: validationProblem,
          404: problemResponse('No such run.'),
        },
      },
    },
    async (request, reply) => {
      const run = await runs.get(request.ownerId, request.params.id);
      if (!run) throw notFound('run');
      const after = request.headers['last-event-id'] ?? request.query.after;
      const following = new AbortController();
      reply.raw.on('close', () => following.abort());
      const events = feed().follow(run.id, after, following.signal);
      async function* chunks() {
        for await (const event of events) {
          yield Buffer.from(
            `id: ${event.seq}\nevent: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`,
          );
        }
      }
      // Typed by the route's schema as the event-stream text it documents; Fastify pipes a stream.
      const body = Readable.from(withHeartbeat(chunks(), heartbeatMs), {
        objectMode: false,
      }) as unknown as string;
      return reply
        .type(`${EVENT_STREAM}; charset=utf-8`)
        .header('cache-control', 'no-cache')
        .header('x-accel-buffering', 'no')
        .header(RUN_ID_HEADER, run.id)
        .send(body);
    },
  );

  app.post(
    '/v1/runs/:id/cancel',
    {
      config: { permission: 'runs:write' },
      schema: {
        summary: 'Cancel a run, from any replica. Idempotent.',
        description:
          'A running run stops within about a second (the model call and any running tool), stores what it ' +
          'produced so far and ends `cancelled`: 202, follow its events for the end. A run that waits ' +
          '(queued, awaiting approval) ends at once, and a finished one answers as it is: 200.',
        tags: ['runs'],
        params: runId,
        response: {
          200: runView.describe('The run has ended (now, or before this request).'),
          202: runView.describe(
            'It was running: its agent is stopping it (`cancelRequestedAt` is set; the run as read back may already show its end).',
          ),
          400: validationProblem,
          404: problemResponse('No such run.'),
        },
      },
    },
    async (request, reply) => {
      const cancelled = await runs.cancel(request.ownerId, request.params.id);
      if (!cancelled) throw notFound('run');
      return reply.code(cancelled.accepted ? 202 : 200).send(cancelled.run);
    },
  );
};
