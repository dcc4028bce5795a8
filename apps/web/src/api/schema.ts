/**
 * The api's paths and schemas as TypeScript types, generated from openapi.json by
 * openapi-typescript: `pnpm --filter @repo/web generate`. Do not edit; test/schema.test.ts fails
 * when this file is not what the current openapi.json generates.
 */

export interface paths {
  '/health': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Liveness: the process is up and its event loop answers. Touches no dependency. */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description The process is alive. */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              /** @enum {string} */
              status: 'ok';
            };
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/ready': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Readiness: Postgres and Redis answer and every migration is applied.
     * @description Answered from a result at most about a second old, computed once for every caller in that time. A failing check is reported as `ok: false` only; its cause is in the log.
     */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Ready to serve traffic. */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              /** @enum {string} */
              status: 'ready';
              checks: {
                postgres: {
                  ok: boolean;
                };
                migrations: {
                  ok: boolean;
                };
                redis: {
                  ok: boolean;
                };
              };
            };
          };
        };
        /** @description Not ready: `checks` says which dependency failed (the log says why). */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': {
              type: string;
              title: string;
              status: number;
              detail?: string;
              instance?: string;
              errors?: {
                location: string;
                pointer: string;
                message: string;
              }[];
              checks: {
                postgres: {
                  ok: boolean;
                };
                migrations: {
                  ok: boolean;
                };
                redis: {
                  ok: boolean;
                };
              };
            } & {
              [key: string]: unknown;
            };
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/documents': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The caller's documents, newest first, with cursor pagination. */
    get: {
      parameters: {
        query?: {
          /** @description Items per page (1-100). */
          limit?: number;
          /** @description `nextCursor` of the previous page; omit for the first page. */
          cursor?: string;
          status?: 'queued' | 'processing' | 'ready' | 'failed';
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description A page of the caller's documents. */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              items: {
                /** Format: uuid */
                id: string;
                title: string;
                /** @enum {string} */
                status: 'queued' | 'processing' | 'ready' | 'failed';
                error: string | null;
                chunkCount: number;
                /** Format: date-time */
                createdAt: string;
                /** Format: date-time */
                updatedAt: string;
              }[];
              nextCursor: string | null;
            };
          };
        };
        /** @description The request is invalid: `errors[]` lists each field (location, JSON pointer, message). */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description No valid bearer token (missing, malformed, invalid or expired). */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The credential does not grant documents:read. */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description Rate limit exceeded; retry after Retry-After seconds. */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description Overloaded, or a dependency is unavailable; retry after Retry-After seconds. */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
      };
    };
    put?: never;
    /** Store a document and queue it for ingestion (chunking and indexing). */
    post: {
      parameters: {
        query?: never;
        header?: {
          /** @description Retrying with the same key and body returns the first answer; a different body is a 409. */
          'idempotency-key'?: string;
        };
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            title: string;
            content: string;
          };
        };
      };
      responses: {
        /** @description Stored and queued for ingestion; `Location` names the document. */
        202: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              /** Format: uuid */
              id: string;
              /** @enum {string} */
              status: 'queued';
            };
          };
        };
        /** @description The request is invalid: `errors[]` lists each field (location, JSON pointer, message). */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description No valid bearer token (missing, malformed, invalid or expired). */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The credential does not grant documents:write. */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The Idempotency-Key was used before with a different body. */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The body is larger than the configured limit. */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description Rate limit exceeded; retry after Retry-After seconds. */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The job queue is unavailable; nothing was stored. Retry after Retry-After. */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/documents/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A document's ingestion status and chunk count. */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description The document. */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              /** Format: uuid */
              id: string;
              title: string;
              /** @enum {string} */
              status: 'queued' | 'processing' | 'ready' | 'failed';
              error: string | null;
              chunkCount: number;
              /** Format: date-time */
              createdAt: string;
              /** Format: date-time */
              updatedAt: string;
            };
          };
        };
        /** @description The request is invalid: `errors[]` lists each field (location, JSON pointer, message). */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description No valid bearer token (missing, malformed, invalid or expired). */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The credential does not grant documents:read. */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description No such document. */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description Rate limit exceeded; retry after Retry-After seconds. */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description Overloaded, or a dependency is unavailable; retry after Retry-After seconds. */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    /** Delete a document and its chunks; its pending ingestion is cancelled. */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Deleted. */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description The request is invalid: `errors[]` lists each field (location, JSON pointer, message). */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description No valid bearer token (missing, malformed, invalid or expired). */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The credential does not grant documents:delete. */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description No such document. */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description Rate limit exceeded; retry after Retry-After seconds. */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description Overloaded, or a dependency is unavailable; retry after Retry-After seconds. */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/search': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** The caller's best-matching chunks: full-text ranked, vector similarity joining in when embeddings exist. */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            /** @description Web-search syntax: "exact phrase", or, -exclude. */
            query: string;
            /** @default 10 */
            limit?: number;
          };
        };
      };
      responses: {
        /** @description Best matches first. */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              hits: {
                /** Format: uuid */
                chunkId: string;
                /** Format: uuid */
                documentId: string;
                documentTitle: string;
                ordinal: number;
                content: string;
                /** @description Combined score in [0, 1]; higher is better. */
                score: number;
                /** @description Full-text rank, ts_rank normalized to [0, 1); null if no text match. */
                textScore: number | null;
                /** @description Cosine similarity to the query; null without embeddings. */
                vectorScore: number | null;
              }[];
            };
          };
        };
        /** @description The request is invalid: `errors[]` lists each field (location, JSON pointer, message). */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description No valid bearer token (missing, malformed, invalid or expired). */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The credential does not grant search. */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The body is larger than the configured limit. */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description Rate limit exceeded; retry after Retry-After seconds. */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description Overloaded, or a dependency is unavailable; retry after Retry-After seconds. */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/tasks': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The caller's tasks, newest first, optionally of one status and type. */
    get: {
      parameters: {
        query?: {
          /** @description Items per page (1-100). */
          limit?: number;
          /** @description `nextCursor` of the previous page; omit for the first page. */
          cursor?: string;
          status?: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
          /** @description e.g. ingest-document */
          type?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description A page of the caller's tasks. */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              items: {
                /** Format: uuid */
                id: string;
                type: string;
                /** @enum {string} */
                status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
                /** @description What the task was asked to do (ids only). */
                input: unknown;
                result: unknown | null;
                error: string | null;
                attempts: number;
                /** Format: date-time */
                createdAt: string;
                /** Format: date-time */
                updatedAt: string;
                startedAt: string | null;
                finishedAt: string | null;
              }[];
              nextCursor: string | null;
            };
          };
        };
        /** @description The request is invalid: `errors[]` lists each field (location, JSON pointer, message). */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description No valid bearer token (missing, malformed, invalid or expired). */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The credential does not grant tasks:read. */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description Rate limit exceeded; retry after Retry-After seconds. */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description Overloaded, or a dependency is unavailable; retry after Retry-After seconds. */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
      };
    };
    put?: never;
    /**
     * Run a conversation turn in the background (the task-runner asks the agent).
     * @description The message and the reply land in the conversation; the task records the outcome. Poll `GET /v1/tasks/{id}`.
     */
    post: {
      parameters: {
        query?: never;
        header?: {
          /** @description Retrying with the same key and body returns the first task; a different body is a 409. */
          'idempotency-key'?: string;
        };
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            /** @enum {string} */
            type: 'agent-run';
            input: {
              /** Format: uuid */
              conversationId: string;
              /** @description The message the agent answers. */
              content: string;
            };
          };
        };
      };
      responses: {
        /** @description Queued; `Location` names the task. */
        202: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              /** Format: uuid */
              id: string;
              type: string;
              /** @enum {string} */
              status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
              /** @description What the task was asked to do (ids only). */
              input: unknown;
              result: unknown | null;
              error: string | null;
              attempts: number;
              /** Format: date-time */
              createdAt: string;
              /** Format: date-time */
              updatedAt: string;
              startedAt: string | null;
              finishedAt: string | null;
            };
          };
        };
        /** @description The request is invalid: `errors[]` lists each field (location, JSON pointer, message). */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description No valid bearer token (missing, malformed, invalid or expired). */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The credential does not grant tasks:write, or an agent run queued this one deeper than AGENT_RUN_MAX_DEPTH allows. */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description No such conversation. */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The Idempotency-Key was used before for another task. */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The body is larger than the configured limit. */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description Rate limit exceeded, or the owner has AGENT_RUN_MAX_OPEN_PER_OWNER agent runs queued or running already. */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The job queue is unavailable; nothing was stored. Retry after Retry-After. */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/tasks/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A task's status, attempts, result or error. */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description The task. */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              /** Format: uuid */
              id: string;
              type: string;
              /** @enum {string} */
              status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
              /** @description What the task was asked to do (ids only). */
              input: unknown;
              result: unknown | null;
              error: string | null;
              attempts: number;
              /** Format: date-time */
              createdAt: string;
              /** Format: date-time */
              updatedAt: string;
              startedAt: string | null;
              finishedAt: string | null;
            };
          };
        };
        /** @description The request is invalid: `errors[]` lists each field (location, JSON pointer, message). */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description No valid bearer token (missing, malformed, invalid or expired). */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The credential does not grant tasks:read. */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description No such task. */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description Rate limit exceeded; retry after Retry-After seconds. */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description Overloaded, or a dependency is unavailable; retry after Retry-After seconds. */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/tasks/{id}/cancel': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Cancel a queued task (removed from the queue) or a running one (its runner is signalled). */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description The task, now cancelled. */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              /** Format: uuid */
              id: string;
              type: string;
              /** @enum {string} */
              status: 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';
              /** @description What the task was asked to do (ids only). */
              input: unknown;
              result: unknown | null;
              error: string | null;
              attempts: number;
              /** Format: date-time */
              createdAt: string;
              /** Format: date-time */
              updatedAt: string;
              startedAt: string | null;
              finishedAt: string | null;
            };
          };
        };
        /** @description The request is invalid: `errors[]` lists each field (location, JSON pointer, message). */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description No valid bearer token (missing, malformed, invalid or expired). */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The credential does not grant tasks:cancel. */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description No such task. */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The task already finished (succeeded, failed or cancelled). */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description Rate limit exceeded; retry after Retry-After seconds. */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description Overloaded, or a dependency is unavailable; retry after Retry-After seconds. */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/conversations': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The caller's conversations, latest activity first, with cursor pagination. */
    get: {
      parameters: {
        query?: {
          /** @description Items per page (1-100). */
          limit?: number;
          /** @description `nextCursor` of the previous page; omit for the first page. */
          cursor?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description A page of the caller's conversations. */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              items: {
                /** Format: uuid */
                id: string;
                title: string;
                /** Format: date-time */
                createdAt: string;
                /**
                 * Format: date-time
                 * @description Latest activity: creation, or the last reply the agent stored.
                 */
                updatedAt: string;
              }[];
              nextCursor: string | null;
            };
          };
        };
        /** @description The request is invalid: `errors[]` lists each field (location, JSON pointer, message). */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description No valid bearer token (missing, malformed, invalid or expired). */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The credential does not grant conversations:read. */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description Rate limit exceeded; retry after Retry-After seconds. */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description Overloaded, or a dependency is unavailable; retry after Retry-After seconds. */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
      };
    };
    put?: never;
    /** Start a conversation with the agent. */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            /** @description Default: "New conversation". */
            title?: string;
          };
        };
      };
      responses: {
        /** @description Created; `Location` names the conversation. */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              /** Format: uuid */
              id: string;
              title: string;
              /** Format: date-time */
              createdAt: string;
              /**
               * Format: date-time
               * @description Latest activity: creation, or the last reply the agent stored.
               */
              updatedAt: string;
            };
          };
        };
        /** @description The request is invalid: `errors[]` lists each field (location, JSON pointer, message). */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description No valid bearer token (missing, malformed, invalid or expired). */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The credential does not grant conversations:write. */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The body is larger than the configured limit. */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description Rate limit exceeded; retry after Retry-After seconds. */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description Overloaded, or a dependency is unavailable; retry after Retry-After seconds. */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/conversations/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A conversation and its messages, oldest first, paged by `seq`. */
    get: {
      parameters: {
        query?: {
          /** @description Messages after this `seq` (`nextAfter` of the previous page); 0 for the first. */
          after?: number;
          /** @description Messages per page (1-200). */
          limit?: number;
        };
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description The conversation and one page of its messages. */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              /** Format: uuid */
              id: string;
              title: string;
              /** Format: date-time */
              createdAt: string;
              /**
               * Format: date-time
               * @description Latest activity: creation, or the last reply the agent stored.
               */
              updatedAt: string;
              /** @description Running summary of the turns that outgrew the agent’s token budget. */
              summary: string | null;
              messages: {
                /** Format: uuid */
                id: string;
                /** @enum {string} */
                role: 'user' | 'assistant' | 'tool' | 'system';
                content: string;
                /** @description Tools the assistant called in this message. */
                toolCalls:
                  | {
                      toolCallId: string;
                      toolName: string;
                      input: unknown;
                    }[]
                  | null;
                /** @description What the tools answered (role `tool`). */
                toolResults:
                  | {
                      toolCallId: string;
                      toolName: string;
                      output: unknown;
                      isError?: boolean;
                    }[]
                  | null;
                /** Format: date-time */
                createdAt: string;
                /** @description The message's position in the conversation (strictly increasing). */
                seq: number;
                /** @description What the turn cost, on its final message. */
                inputTokens: number | null;
                outputTokens: number | null;
              }[];
              /** @description Pass as `after` for more; null on the last page. */
              nextAfter: number | null;
            };
          };
        };
        /** @description The request is invalid: `errors[]` lists each field (location, JSON pointer, message). */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description No valid bearer token (missing, malformed, invalid or expired). */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The credential does not grant conversations:read. */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description No such conversation. */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description Rate limit exceeded; retry after Retry-After seconds. */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description Overloaded, or a dependency is unavailable; retry after Retry-After seconds. */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    /** Delete a conversation and its messages; its pending agent runs are cancelled. */
    delete: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Deleted. */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
        /** @description The request is invalid: `errors[]` lists each field (location, JSON pointer, message). */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description No valid bearer token (missing, malformed, invalid or expired). */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The credential does not grant conversations:delete. */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description No such conversation. */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description Rate limit exceeded; retry after Retry-After seconds. */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description Overloaded, or a dependency is unavailable; retry after Retry-After seconds. */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/conversations/{id}/messages': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Send a message: the agent answers it (JSON, or server-sent events).
     * @description The agent stores your message, may call tools (search your documents, …) and stores its reply. With `Accept: text/event-stream` the turn streams as it happens: `text-delta`, `tool-call`, `tool-result`, then `done` (the same body as the JSON answer) or `error` (a problem). Send an `Idempotency-Key` to retry safely: your message is stored once per key, and a key that was already answered returns that answer (`replayed: true`).
     */
    post: {
      parameters: {
        query?: never;
        header?: {
          /** @description Retrying with the same key never stores the message twice; a UUID is a good choice. */
          'idempotency-key'?: string;
        };
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            content: string;
          };
        };
      };
      responses: {
        /** @description The turn: as JSON, or as server-sent events with `Accept: text/event-stream`. */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              /**
               * Format: uuid
               * @description Your message, stored once per Idempotency-Key.
               */
              userMessageId: string;
              /** @description The assistant's final message: `content` is the answer. */
              reply: {
                /** Format: uuid */
                id: string;
                /** @enum {string} */
                role: 'user' | 'assistant' | 'tool' | 'system';
                content: string;
                /** @description Tools the assistant called in this message. */
                toolCalls:
                  | {
                      toolCallId: string;
                      toolName: string;
                      input: unknown;
                    }[]
                  | null;
                /** @description What the tools answered (role `tool`). */
                toolResults:
                  | {
                      toolCallId: string;
                      toolName: string;
                      output: unknown;
                      isError?: boolean;
                    }[]
                  | null;
                /** Format: date-time */
                createdAt: string;
              };
              /** @description Everything the turn stored after your message, in order. */
              messages: {
                /** Format: uuid */
                id: string;
                /** @enum {string} */
                role: 'user' | 'assistant' | 'tool' | 'system';
                content: string;
                /** @description Tools the assistant called in this message. */
                toolCalls:
                  | {
                      toolCallId: string;
                      toolName: string;
                      input: unknown;
                    }[]
                  | null;
                /** @description What the tools answered (role `tool`). */
                toolResults:
                  | {
                      toolCallId: string;
                      toolName: string;
                      output: unknown;
                      isError?: boolean;
                    }[]
                  | null;
                /** Format: date-time */
                createdAt: string;
              }[];
              usage: {
                inputTokens: number;
                outputTokens: number;
              };
              finishReason: string;
              /** @description Model calls in this turn (tool calls take one each). */
              steps: number;
              /** @description The Idempotency-Key was answered before: this is that answer again. */
              replayed: boolean;
            };
            'text/event-stream': string;
          };
        };
        /** @description The request is invalid: `errors[]` lists each field (location, JSON pointer, message). */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description No valid bearer token (missing, malformed, invalid or expired). */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The credential does not grant conversations:write. */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description No such conversation. */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The body is larger than the configured limit. */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description Rate limit exceeded; retry after Retry-After seconds. */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The agent or its model provider failed; retry with the same Idempotency-Key. */
        502: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description No agent is configured (AGENT_URL), the agent is unreachable, or it has no model; retry later. */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The agent or its model did not answer in time; retry with the same Idempotency-Key. */
        504: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export type webhooks = Record<string, never>;
export interface components {
  schemas: {
    ProblemInput: {
      type: string;
      title: string;
      status: number;
      detail?: string;
      instance?: string;
      errors?: {
        location: string;
        pointer: string;
        message: string;
      }[];
    } & {
      [key: string]: unknown;
    };
    Problem: {
      type: string;
      title: string;
      status: number;
      detail?: string;
      instance?: string;
      errors?: {
        location: string;
        pointer: string;
        message: string;
      }[];
    } & {
      [key: string]: unknown;
    };
  };
  responses: never;
  parameters: never;
  requestBodies: never;
  headers: never;
  pathItems: never;
}
export type $defs = Record<string, never>;
export type operations = Record<string, never>;
