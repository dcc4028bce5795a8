import { taskStatuses } from '@repo/db';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { page, pageQuery } from '../http/pagination.ts';
import { notFound } from '../http/problem.ts';
import { problemResponse, timestamp, validationProblem } from '../http/schemas.ts';
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

export const taskRoutes: FastifyPluginAsyncZod<{ tasks: TasksService }> = async (app, { tasks }) => {
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
