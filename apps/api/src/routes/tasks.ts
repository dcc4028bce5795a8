import { taskStatuses } from '@repo/db';
import { notFound, problemResponse, timestamp, validationProblem } from '@repo/http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { page, pageQuery } from '../http/pagination.ts';
import { pgText } from '../http/schemas.ts';
import { queuedRunDepth } from '../auth/permissions.ts';
import type { TasksService } from '../tasks/tasks-service.ts';

const taskId = z.object({ id: z.uuid() });

const taskView = z.object({
  id: z.uuid(),
  type: z.string(),
  status: z.enum(taskStatuses),
  input: z.unknown().describe('What the task was asked to do (ids only).'),
  result: z.unknown().nullable(),
  error: z.string().nullable(),
  attempts: z.number().int(),
  createdAt: timestamp,
  updatedAt: timestamp,
  startedAt: timestamp.nullable(),
  finishedAt: timestamp.nullable(),
});

/** One member per task type a client may start; ingestion tasks come with their document. */
const newTask = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('agent-run'),
    input: z.object({
      conversationId: z.uuid(),
      content: pgText().trim().min(1).max(32_000).describe('The message the agent answers.'),
    }),
  }),
]);

const idempotencyHeaders = z.looseObject({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, 'expected 1-255 printable ASCII characters')
    .optional()
    .describe('Retrying with the same key and body returns the first task; a different body is a 409.'),
});

export const taskRoutes: FastifyPluginAsyncZod<{ tasks: TasksService }> = async (app, { tasks }) => {
  app.post(
    '/v1/tasks',
    {
      config: { permission: 'tasks:write' },
      schema: {
        summary: 'Run a conversation turn in the background (the task-runner asks the agent).',
        description:
          'The message and the reply land in the conversation; the task records the outcome. ' +
          'Poll `GET /v1/tasks/{id}`.',
        tags: ['tasks'],
        headers: idempotencyHeaders,
        body: newTask,
        response: {
          202: taskView.describe('Queued; `Location` names the task.'),
          400: validationProblem,
          404: problemResponse('No such conversation.'),
          403: problemResponse(
            'The credential does not grant tasks:write, or an agent run queued this one deeper than AGENT_RUN_MAX_DEPTH allows.',
          ),
          409: problemResponse('The Idempotency-Key was used before for another task.'),
          429: problemResponse(
            'Rate limit exceeded, or the owner has as many agent runs queued or running as its quota allows (AGENT_RUN_MAX_OPEN_PER_OWNER or its override): `quota-exceeded`, `quota: open-agent-runs`.',
          ),
          503: problemResponse('The job queue is unavailable; nothing was stored. Retry after Retry-After.'),
        },
      },
    },
    async (request, reply) => {
      const { task, replayed } = await tasks.createAgentRun(
        request.ownerId,
        request.body.input,
        request.headers['idempotency-key'],
        queuedRunDepth(request.principal!),
      );
      if (replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(202).header('location', `/v1/tasks/${task.id}`).send(task);
    },
  );

  app.get(
    '/v1/tasks',
    {
      config: { permission: 'tasks:read' },
      schema: {
        summary: "The caller's tasks, newest first, optionally of one status and type.",
        tags: ['tasks'],
        querystring: z.object({
          ...pageQuery,
          status: z.enum(taskStatuses).optional(),
          type: z
            .string()
            .regex(/^[a-z0-9-]{1,64}$/)
            .optional()
            .describe('e.g. ingest-document'),
        }),
        response: { 200: page(taskView).describe("A page of the caller's tasks."), 400: validationProblem },
      },
    },
    async (request) => tasks.list(request.ownerId, request.query),
  );

  app.get(
    '/v1/tasks/:id',
    {
      config: { permission: 'tasks:read' },
      schema: {
        summary: "A task's status, attempts, result or error.",
        tags: ['tasks'],
        params: taskId,
        response: {
          200: taskView.describe('The task.'),
          400: validationProblem,
          404: problemResponse('No such task.'),
        },
      },
    },
    async (request) => {
      const task = await tasks.get(request.ownerId, request.params.id);
      if (!task) throw notFound('task');
      return task;
    },
  );

  app.post(
    '/v1/tasks/:id/cancel',
    {
      config: { permission: 'tasks:cancel' },
      schema: {
        summary: 'Cancel a queued task (removed from the queue) or a running one (its runner is signalled).',
        tags: ['tasks'],
        params: taskId,
        response: {
          200: taskView.describe('The task, now cancelled.'),
          400: validationProblem,
          404: problemResponse('No such task.'),
          409: problemResponse('The task already finished (succeeded, failed or cancelled).'),
        },
      },
    },
    async (request) => (await tasks.cancel(request.ownerId, request.params.id)).task,
  );
};
