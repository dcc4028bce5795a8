import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { connectionFailure, HttpProblem } from '@repo/http';
import { TOOL_IDEMPOTENCY_META_KEY } from '@repo/runs';
import type { FastifyBaseLogger } from 'fastify';
import { z } from 'zod';
import { queuedRunDepth, type Permission, type Principal } from '../auth/permissions.ts';
import type { DocumentsService } from '../documents/documents-service.ts';
import { pgText } from '../http/schemas.ts';
import type { Search } from '../search/search-service.ts';
import type { TasksService } from '../tasks/tasks-service.ts';

export interface McpServices {
  search: Search;
  documents: DocumentsService;
  tasks: TasksService;
}

/** A document's text in `get_document` is cut here: a model's context is not the place for 1 MB. */
export const DOCUMENT_TEXT_LIMIT = 20_000;

const hit = z.object({
  chunkId: z.string(),
  documentId: z.string(),
  documentTitle: z.string(),
  ordinal: z.number(),
  content: z.string(),
  page: z.number().nullable().describe('The PDF page the passage comes from'),
  headings: z.array(z.string()).nullable().describe('The headings above the passage, outermost first'),
  score: z.number(),
});

/** Where a passage comes from, in words: its page, or its section's heading path. */
function locationOf(hit: { page: number | null; headings: string[] | null }): string {
  if (hit.page !== null) return `, page ${hit.page}`;
  if (hit.headings !== null && hit.headings.length > 0) return `, section "${hit.headings.join(' › ')}"`;
  return '';
}

const task = z.object({
  id: z.string(),
  type: z.string(),
  status: z.string(),
  input: z.unknown(),
  result: z.unknown(),
  error: z.string().nullable(),
  attempts: z.number(),
  createdAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
});

const document = z.object({
  id: z.string(),
  title: z.string(),
  status: z.string(),
  error: z.string().nullable(),
  chunkCount: z.number(),
  file: z
    .object({ name: z.string(), mediaType: z.string(), size: z.number() })
    .nullable()
    .describe('The uploaded file the document was made from; null for text'),
  createdAt: z.string(),
  updatedAt: z.string(),
  content: z.string(),
  truncated: z.boolean().describe(`true when the text was cut at ${DOCUMENT_TEXT_LIMIT} characters`),
});

/** What a tool handler reads of its request besides the arguments. */
interface ToolCallExtra {
  _meta?: Record<string, unknown> | undefined;
}

/**
 * The idempotency key a caller sent in the request's `_meta` (the agent sends `<run id>:<tool
 * call id>` with every call), when it is a valid key: a call sent twice (a retry after a lost
 * answer) then queues one task, not two.
 */
const callIdempotencyKey = (extra: ToolCallExtra): string | undefined => {
  const key = extra._meta?.[TOOL_IDEMPOTENCY_META_KEY];
  return typeof key === 'string' && /^[\x21-\x7e]{1,255}$/.test(key) ? key : undefined;
};

/** Structured content is JSON: dates become ISO strings, as they do in the REST API. */
const asJson = <T>(value: T) => JSON.parse(JSON.stringify(value)) as Record<string, unknown>;

const answer = (structured: object, text: string): CallToolResult => ({
  content: [{ type: 'text', text }],
  structuredContent: asJson(structured),
});

const refusal = (text: string): CallToolResult => ({ content: [{ type: 'text', text }], isError: true });

/**
 * One for every server built here. Without it each server (one per request) creates its own Ajv
 * with ajv-formats, which was a third of what building a server cost on the agent's per-turn tool
 * listing (tests/bench/README.md). A server validates with it only elicitation answers, which
 * these tools never ask for.
 */
const jsonSchemaValidator = new AjvJsonSchemaValidator();

/**
 * The stack's tools for one caller, over MCP. A new server is built for every request (the
 * endpoint is stateless), so each tool closes over the principal the authentication plugin
 * established — a user's JWT or the service token acting for an owner — with its owner and
 * permissions typed, instead of reading them back out of the SDK's untyped `authInfo.extra`.
 *
 * Each tool names its permission, the same one the matching REST route requires; a caller that
 * lacks it gets an `isError` result saying so (the tool stays listed, so the model learns why).
 * The tools call the same services as the routes: one query per operation in the codebase.
 */
export function createMcpServer(
  principal: Principal,
  services: McpServices,
  log: FastifyBaseLogger,
): McpServer {
  const server = new McpServer(
    { name: 'keelson', version: '0.1.0' },
    {
      instructions:
        "Keelson: the user's documents (search, read) and background tasks (queue an agent run, read a task).",
      jsonSchemaValidator,
    },
  );
  const owner = principal.ownerId;

  /**
   * Permission check, and errors as tool errors: expected ones and outages say what; others only
   * an id.
   */
  const guarded =
    <Args>(permission: Permission, run: (args: Args, extra: ToolCallExtra) => Promise<CallToolResult>) =>
    async (args: Args, extra: ToolCallExtra): Promise<CallToolResult> => {
      if (!principal.permissions.has(permission)) {
        return refusal(`This credential does not grant ${permission}.`);
      }
      try {
        return await run(args, extra);
      } catch (error) {
        if (error instanceof HttpProblem && error.status < 500) return refusal(error.message);
        if (error instanceof HttpProblem) return refusal(`${error.message} (HTTP ${error.status})`);
        const unreachable = connectionFailure(error);
        if (unreachable) {
          // As over /v1: an outage (database down) is a 503 to retry, warned about, not a bug.
          log.warn({ err: unreachable }, 'MCP tool: dependency unavailable');
          return refusal('A service this tool depends on is unavailable. Retry later. (HTTP 503)');
        }
        const reference = crypto.randomUUID();
        log.error({ err: error, reference }, 'MCP tool failed');
        return refusal(`The tool failed unexpectedly (reference ${reference}).`);
      }
    };

  server.registerTool(
    'search_documents',
    {
      title: 'Search documents',
      description:
        'Search the user\'s documents (full-text, web-search syntax: "exact phrase", or, -exclude). ' +
        'Returns the best-matching passages, best first, with the id and title of their document and, ' +
        'for an uploaded file, the page (PDF) or section heading (DOCX, HTML, Markdown) they come from.',
      inputSchema: {
        query: pgText().trim().min(1).max(1_000),
        limit: z.number().int().min(1).max(50).optional().describe('How many passages (default 5).'),
      },
      outputSchema: { hits: z.array(hit) },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    guarded('search', async ({ query, limit }: { query: string; limit?: number | undefined }) => {
      const hits = (await services.search(owner, query, limit ?? 5)).map((h) => ({
        chunkId: h.chunkId,
        documentId: h.documentId,
        documentTitle: h.documentTitle,
        ordinal: h.ordinal,
        content: h.content,
        page: h.page,
        headings: h.headings,
        score: h.score,
      }));
      const text =
        hits.length === 0
          ? `No passage matches "${query}".`
          : hits
              .map(
                (h, i) =>
                  `${i + 1}. ${h.documentTitle} (document ${h.documentId}${locationOf(h)}, passage ${h.ordinal}, score ${h.score.toFixed(3)})\n${h.content}`,
              )
              .join('\n\n');
      return answer({ hits }, text);
    }),
  );

  server.registerTool(
    'get_document',
    {
      title: 'Get a document',
      description: `A document of the user: its ingestion status and its text (the first ${DOCUMENT_TEXT_LIMIT} characters).`,
      inputSchema: { id: z.uuid().describe('The document id, e.g. from search_documents.') },
      outputSchema: document.shape,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    guarded('documents:read', async ({ id }: { id: string }) => {
      const found = await services.documents.getWithContent(owner, id);
      if (!found) return refusal(`No document ${id}.`);
      const { content, ...rest } = found;
      const truncated = content.length > DOCUMENT_TEXT_LIMIT;
      const text = truncated ? content.slice(0, DOCUMENT_TEXT_LIMIT) : content;
      return answer(
        { ...rest, content: text, truncated },
        `# ${found.title}\nstatus: ${found.status}, ${found.chunkCount} chunks${truncated ? ', text truncated' : ''}\n\n${text}`,
      );
    }),
  );

  server.registerTool(
    'create_task',
    {
      title: 'Queue an agent run',
      description:
        "Queue a message for the agent in one of the user's conversations, answered in the background. " +
        'Returns the task; poll it with get_task. Pass an idempotencyKey to make a retry safe (without one, ' +
        "the request's _meta['io.keelson/idempotency-key'] is used, which the agent sends with every call).",
      inputSchema: {
        conversationId: z.uuid(),
        content: pgText().trim().min(1).max(32_000).describe('The message to answer.'),
        idempotencyKey: z
          .string()
          .regex(/^[\x21-\x7e]{1,255}$/)
          .optional()
          .describe('The same key again returns the first task instead of queueing another.'),
      },
      outputSchema: task.shape,
      annotations: { readOnlyHint: false, idempotentHint: false, openWorldHint: false },
    },
    guarded(
      'tasks:write',
      async (
        args: { conversationId: string; content: string; idempotencyKey?: string | undefined },
        extra,
      ) => {
        const { task: created, replayed } = await services.tasks.createAgentRun(
          owner,
          { conversationId: args.conversationId, content: args.content },
          args.idempotencyKey ?? callIdempotencyKey(extra),
          // Called by the agent inside a run: one level deeper than that run (and refused past
          // AGENT_RUN_MAX_DEPTH); called by a user's own MCP client: depth 0.
          queuedRunDepth(principal),
        );
        return answer(
          created,
          `${replayed ? 'Already queued' : 'Queued'}: task ${created.id} (agent-run, ${created.status}).`,
        );
      },
    ),
  );

  server.registerTool(
    'get_task',
    {
      title: 'Get a task',
      description: 'A background task of the user: status, attempts, and its result or error once finished.',
      inputSchema: { id: z.uuid() },
      outputSchema: task.shape,
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    guarded('tasks:read', async ({ id }: { id: string }) => {
      const found = await services.tasks.get(owner, id);
      if (!found) return refusal(`No task ${id}.`);
      const outcome =
        found.error !== null
          ? `\nerror: ${found.error}`
          : found.result !== null
            ? `\nresult: ${JSON.stringify(found.result)}`
            : '';
      return answer(found, `Task ${found.id} (${found.type}): ${found.status}${outcome}`);
    }),
  );

  return server;
}
