import { problemResponse } from '@repo/http';
import type { RunFeed } from '@repo/runs';
import type { FastifyPluginAsync, RouteOptions } from 'fastify';
import type { AgentClient } from '../agent/agent-client.ts';
import type { ApiKeysService } from '../api-keys/api-keys-service.ts';
import type { ConversationsService } from '../conversations/conversations-service.ts';
import type { CreateFromUpload } from '../documents/document-files.ts';
import type { DocumentsService } from '../documents/documents-service.ts';
import type { ObjectStorage } from '@repo/storage';
import { SERVICE_PERMISSIONS } from '../auth/permissions.ts';
import { authorize } from '../plugins/app/authentication.ts';
import type { RunsService } from '../runs/runs-service.ts';
import type { Search } from '../search/search-service.ts';
import type { TasksService } from '../tasks/tasks-service.ts';
import { chatRoutes } from './chat.ts';
import { apiKeyRoutes } from './api-keys.ts';
import { conversationRoutes } from './conversations.ts';
import { documentRoutes } from './documents.ts';
import { messageRoutes } from './messages.ts';
import { runApprovalRoutes } from './run-approvals.ts';
import { runRoutes } from './runs.ts';
import { searchRoutes } from './search.ts';
import { taskRoutes } from './tasks.ts';
import { usageRoutes } from './usage.ts';
import { quotaRoutes } from './quotas.ts';
import type { QuotasService } from '../quotas/quotas-service.ts';
import type { UsageService } from '../usage/usage-service.ts';

export interface V1Options {
  documents: DocumentsService;
  /** Multipart `POST /v1/documents`. */
  uploads: CreateFromUpload;
  /** Undefined without S3_BUCKET. */
  storage: ObjectStorage | undefined;
  maxUploadBytes: number;
  search: Search;
  tasks: TasksService;
  conversations: ConversationsService;
  apiKeys: ApiKeysService;
  /** Undefined without AGENT_URL: sending a message then answers 503. */
  agent: AgentClient | undefined;
  runs: RunsService;
  usage: UsageService;
  quotas: QuotasService;
  /** Follows runs from this replica (the feed is created on first use). */
  runFeed: () => RunFeed;
  /** SSE_HEARTBEAT_MS: a streamed answer silent this long gets a heartbeat comment. */
  heartbeatMs: number;
}

const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/**
 * The authenticated API. Authorization is applied here, once, to every route of the folder: a
 * route names its permission in `config.permission` (one without it is refused at start-up, so
 * an unprotected route cannot ship by omission), and gets
 * - the `authorize` check as its last onRequest hook, after the rate limiter, so refused
 *   requests still count against their IP's budget;
 * - its security requirements and auth errors in the OpenAPI document (routes register after
 *   @fastify/swagger, which reads the same schema object when the document is generated).
 */
export const v1Routes: FastifyPluginAsync<V1Options> = async (app, options) => {
  app.addHook('onRoute', (route) => {
    const permission = route.config?.permission;
    if (!permission)
      throw new Error(`${String(route.method)} ${route.url}: every /v1 route must set config.permission`);
    // Appended, so it runs after the rate limiter's onRequest hook (added by its own onRoute).
    route.onRequest = [...asArray(route.onRequest), authorize(permission)] as RouteOptions['onRequest'];
    if (route.schema) {
      route.schema.security = SERVICE_PERMISSIONS.has(permission)
        ? [{ bearerAuth: [] }, { apiKey: [] }, { serviceToken: [], onBehalfOf: [] }]
        : [{ bearerAuth: [] }, { apiKey: [] }];
      route.schema.response = {
        401: problemResponse('No valid bearer token (missing, malformed, invalid or expired).'),
        403: problemResponse(`The credential does not grant ${permission}.`),
        ...(route.schema.body
          ? { 413: problemResponse('The body is larger than the configured limit.') }
          : {}),
        429: problemResponse('Rate limit exceeded; retry after Retry-After seconds.'),
        503: problemResponse('Overloaded, or a dependency is unavailable; retry after Retry-After seconds.'),
        ...(route.schema.response as object),
      };
    }
  });

  await app.register(documentRoutes, {
    documents: options.documents,
    uploads: options.uploads,
    storage: options.storage,
    maxUploadBytes: options.maxUploadBytes,
  });
  await app.register(searchRoutes, { search: options.search });
  await app.register(taskRoutes, { tasks: options.tasks });
  await app.register(conversationRoutes, { conversations: options.conversations });
  await app.register(apiKeyRoutes, { apiKeys: options.apiKeys });
  await app.register(messageRoutes, {
    conversations: options.conversations,
    runs: options.runs,
    agent: options.agent,
    heartbeatMs: options.heartbeatMs,
  });
  await app.register(chatRoutes, {
    conversations: options.conversations,
    runs: options.runs,
    agent: options.agent,
    feed: options.runFeed,
    heartbeatMs: options.heartbeatMs,
  });
  await app.register(usageRoutes, { usage: options.usage });
  await app.register(quotaRoutes, { quotas: options.quotas });
  await app.register(runRoutes, {
    runs: options.runs,
    feed: options.runFeed,
    heartbeatMs: options.heartbeatMs,
  });
  await app.register(runApprovalRoutes, { runs: options.runs, agent: options.agent });
};
