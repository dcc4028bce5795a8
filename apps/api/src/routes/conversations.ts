import { messageRoles } from '@repo/db';
import { notFound, problemResponse, timestamp, validationProblem } from '@repo/http';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ConversationsService } from '../conversations/conversations-service.ts';
import { page, pageQuery } from '../http/pagination.ts';
import { pgText } from '../http/schemas.ts';

export const conversationId = z.object({ id: z.uuid() });

const title = pgText().trim().min(1).max(300);

const conversationView = z.object({
  id: z.uuid(),
  title: z.string(),
  createdAt: timestamp,
  updatedAt: timestamp.describe('Latest activity: creation, or the last reply the agent stored.'),
});

const toolCall = z.object({ toolCallId: z.string(), toolName: z.string(), input: z.unknown() });
const toolResult = z.object({
  toolCallId: z.string(),
  toolName: z.string(),
  output: z.unknown(),
  isError: z.boolean().optional(),
});

/** A stored message; the agent's turn answers list the same fields (without `seq` and tokens). */
export const messageFields = {
  id: z.uuid(),
  role: z.enum(messageRoles),
  content: z.string(),
  toolCalls: z.array(toolCall).nullable().describe('Tools the assistant called in this message.'),
  toolResults: z.array(toolResult).nullable().describe('What the tools answered (role `tool`).'),
  createdAt: timestamp,
};

const storedMessage = z.object({
  ...messageFields,
  seq: z.number().int().describe("The message's position in the conversation (strictly increasing)."),
  inputTokens: z.number().int().nullable().describe('What the turn cost, on its final message.'),
  outputTokens: z.number().int().nullable(),
});

export const conversationRoutes: FastifyPluginAsyncZod<{ conversations: ConversationsService }> = async (
  app,
  { conversations },
) => {
  app.post(
    '/v1/conversations',
    {
      config: { permission: 'conversations:write' },
      schema: {
        summary: 'Start a conversation with the agent.',
        tags: ['conversations'],
        // Required, as @fastify/swagger documents every body (send `{}` for the default title).
        body: z.object({ title: title.optional().describe('Default: "New conversation".') }),
        response: {
          201: conversationView.describe('Created; `Location` names the conversation.'),
          400: validationProblem,
        },
      },
    },
    async (request, reply) => {
      const created = await conversations.create(request.ownerId, request.body.title ?? 'New conversation');
      return reply.code(201).header('location', `/v1/conversations/${created.id}`).send(created);
    },
  );

  app.get(
    '/v1/conversations',
    {
      config: { permission: 'conversations:read' },
      schema: {
        summary: "The caller's conversations, latest activity first, with cursor pagination.",
        tags: ['conversations'],
        querystring: z.object(pageQuery),
        response: {
          200: page(conversationView).describe("A page of the caller's conversations."),
          400: validationProblem,
        },
      },
    },
    async (request) => conversations.list(request.ownerId, request.query),
  );

  app.get(
    '/v1/conversations/:id',
    {
      config: { permission: 'conversations:read' },
      schema: {
        summary: 'A conversation and its messages, oldest first, paged by `seq`.',
        tags: ['conversations'],
        params: conversationId,
        querystring: z.object({
          after: z.coerce
            .number()
            .int()
            .min(0)
            .max(Number.MAX_SAFE_INTEGER)
            .default(0)
            .describe('Messages after this `seq` (`nextAfter` of the previous page); 0 for the first.'),
          limit: z.coerce.number().int().min(1).max(200).default(50).describe('Messages per page (1-200).'),
        }),
        response: {
          200: conversationView
            .extend({
              summary: z
                .string()
                .nullable()
                .describe('Running summary of the turns that outgrew the agent’s token budget.'),
              messages: z.array(storedMessage),
              nextAfter: z
                .number()
                .int()
                .nullable()
                .describe('Pass as `after` for more; null on the last page.'),
            })
            .describe('The conversation and one page of its messages.'),
          400: validationProblem,
          404: problemResponse('No such conversation.'),
        },
      },
    },
    async (request) => {
      const conversation = await conversations.get(request.ownerId, request.params.id);
      if (!conversation) throw notFound('conversation');
      const { items, nextAfter } = await conversations.messages(conversation.id, {
        afterSeq: request.query.after,
        limit: request.query.limit,
      });
      return { ...conversation, messages: items, nextAfter };
    },
  );

  app.delete(
    '/v1/conversations/:id',
    {
      config: { permission: 'conversations:delete' },
      schema: {
        summary: 'Delete a conversation and its messages; its pending agent runs are cancelled.',
        tags: ['conversations'],
        params: conversationId,
        response: {
          204: z.null().describe('Deleted.'),
          400: validationProblem,
          404: problemResponse('No such conversation.'),
        },
      },
    },
    async (request, reply) => {
      if (!(await conversations.delete(request.ownerId, request.params.id))) {
        throw notFound('conversation');
      }
      return reply.code(204).send(null);
    },
  );
};
