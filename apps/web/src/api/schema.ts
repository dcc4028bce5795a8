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
                /** @description The uploaded file the document was made from (GET …/file); null for text sent as JSON. */
                file: {
                  name: string;
                  mediaType: string;
                  size: number;
                } | null;
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
    /**
     * Store a document and queue it for ingestion (conversion, chunking and indexing).
     * @description As JSON, a text document. As `multipart/form-data`, a file (`file`, optional `title`) streamed to object storage: PDF, DOCX, Markdown, HTML or plain text (UTF-8), recognized by the file's content, not its name or declared type. The task-runner converts it to text; a file it cannot read ends as a `failed` document whose `error` says why.
     */
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
          'multipart/form-data': {
            /**
             * Format: binary
             * @description The file: PDF, DOCX, Markdown, HTML or plain text (UTF-8), recognized by its content. At most UPLOAD_MAX_BYTES.
             */
            file: string;
            /** @description Defaults to the file name. */
            title?: string;
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
        /** @description The body (JSON) or the file (multipart) is larger than the configured limit. */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The file's content is none of the accepted types (PDF, DOCX, Markdown, HTML or plain text (UTF-8)). */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description Rate limit exceeded, or a quota is used up: `urn:keelson:problem:quota-exceeded` names it (`quota`: documents or stored-bytes), its `limit` and what is `used`. */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The job queue or file storage is unavailable (nothing was stored; retry after Retry-After), or uploads are not configured. */
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
              /** @description The uploaded file the document was made from (GET …/file); null for text sent as JSON. */
              file: {
                name: string;
                mediaType: string;
                size: number;
              } | null;
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
    /** Delete a document, its chunks and its stored file; its pending ingestion is cancelled. */
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
  '/v1/documents/{id}/file': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The original file of an uploaded document, streamed from object storage.
     * @description Streamed through the api rather than redirected to a presigned URL: the storage server often has no address clients can reach (a private network), and every read stays behind the same owner check as the rest of the API. Sent as an attachment, with the type recognized at upload.
     */
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
        /** @description The file, as uploaded. */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/octet-stream': string;
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
        /** @description No such document, or it was stored as text and has no file. */
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
                /** @description The page of the PDF the passage comes from; null for other sources. */
                page: number | null;
                /** @description The headings above the passage in its DOCX, HTML or Markdown file, outermost first; null otherwise. */
                headings: string[] | null;
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
        /** @description Rate limit exceeded, or the owner has as many agent runs queued or running as its quota allows (AGENT_RUN_MAX_OPEN_PER_OWNER or its override): `quota-exceeded`, `quota: open-agent-runs`. */
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
  '/v1/api-keys': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The owner's API keys that are not revoked (never the keys themselves), newest first.
     * @description An owner holds at most 100 keys, so one page holds them all.
     */
    get: {
      parameters: {
        query?: {
          limit?: number;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              items: {
                /** Format: uuid */
                id: string;
                name: string;
                /** @description The visible part of the key (`kls_<prefix>_…`), to recognize it by. */
                prefix: string;
                scopes: ('read' | 'write' | 'agent' | 'keys')[];
                /** Format: date-time */
                createdAt: string;
                /** @description Updated at most once a minute. */
                lastUsedAt: string | null;
                expiresAt: string | null;
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
        /** @description The credential does not grant api-keys:manage. */
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
     * Create an API key for a machine client; the key is in this answer only.
     * @description A key is sent like a token (`Authorization: Bearer kls_…`) and acts as its owner limited to its scopes, on /v1 and /mcp. Only a keyed hash of it is stored: keep it, it cannot be shown again. An API key can create keys only with the `keys` scope, and only with scopes it holds itself.
     */
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
            /** @description What the key is for, e.g. "nightly import". */
            name: string;
            /** @description read, write, agent (runs the agent: spends tokens), keys (manages API keys). */
            scopes: ('read' | 'write' | 'agent' | 'keys')[];
            /**
             * Format: date-time
             * @description When the key stops working; omitted: when it is revoked.
             */
            expiresAt?: string;
          };
        };
      };
      responses: {
        /** @description Default Response */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              /** Format: uuid */
              id: string;
              name: string;
              /** @description The visible part of the key (`kls_<prefix>_…`), to recognize it by. */
              prefix: string;
              scopes: ('read' | 'write' | 'agent' | 'keys')[];
              /** Format: date-time */
              createdAt: string;
              /** @description Updated at most once a minute. */
              lastUsedAt: string | null;
              expiresAt: string | null;
              /** @description The key. Shown once. */
              key: string;
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
        /** @description The credential does not grant api-keys:manage, or a requested scope. */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The owner holds the maximum number of keys already. */
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
  '/v1/api-keys/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    post?: never;
    /** Revoke an API key: refused on every replica within a second. */
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
        /** @description Revoked. */
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
        /** @description The credential does not grant api-keys:manage. */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description No such key, or revoked already. */
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
     * @description Starts a run of the agent (named in `x-keelson-run-id`): it stores your message, may call tools (search your documents, …) and stores its reply. With `Accept: text/event-stream` the run streams as it happens, each event numbered (`id:`): `text-delta`, `tool-call`, `tool-result`, `step-finish`, then `done` (the same body as the JSON answer), `error` (a problem) or `cancelled`. A tool that needs approval (the api’s write tools, such as `create_task`) pauses the run: the stream ends with `approval-requested` (JSON: 202 with the run), and `POST /v1/runs/{id}/approvals` continues it. The run does not depend on this request: if the connection drops, resume with `GET /v1/runs/{id}/events` and `Last-Event-ID`; stop it with `POST /v1/runs/{id}/cancel`. One run at a time per conversation: a message while another is active answers 409 with `activeRunId`. Send an `Idempotency-Key` to retry safely: your message is stored once per key, a retry while its run is active follows that run, and a key that was already answered returns that answer (`replayed: true`).
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
              /** @description The run that answered (also in `x-keelson-run-id`); null for a reply older than runs. */
              runId: string | null;
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
        /** @description (JSON) The run paused: tool calls wait for approval (`approvals`); decide with POST /v1/runs/{id}/approvals. */
        202: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['RunDetail'];
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
        /** @description Another run of this conversation is active (`activeRunId`): wait for it or cancel it. Or (JSON) this run was cancelled before it finished (`runId`). */
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
        /** @description Rate limit exceeded, or a run quota is used up: `urn:keelson:problem:quota-exceeded` names it (`quota`: monthly-tokens or concurrent-runs), its `limit`, what is `used` (and, for monthly-tokens, what the runs going `reserved`) and `resetsAt` (the first of next month, UTC, for monthly-tokens; Retry-After only when that is within an hour; null for concurrent-runs). */
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
  '/v1/chat': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Chat with the agent over the AI SDK UI message stream protocol (useChat).
     * @description The body `DefaultChatTransport` sends: `id` (the conversation's id), `messages` (only the last one is read: a user message whose text parts are your message; the history is the conversation's, kept by the server), `trigger` (`submit-message`), `messageId`. The last message's `id` is the run's idempotency key: a retry of the same message is never stored twice. A run that pauses for approval ends its stream with `tool-approval-request` parts; send the assistant message back with its tool parts `approval-responded` (useChat: `addToolApprovalResponse` with `sendAutomaticallyWhen: lastAssistantMessageIsCompleteWithApprovalResponses`) and the decisions are recorded (as POST /v1/runs/{id}/approvals; its 400/404/409 problems too) and the rest of the run streams. Answers The AI SDK UI message stream (`x-vercel-ai-ui-message-stream: v1`): server-sent events whose `data:` is one chunk each — `start` (`messageId` and `messageMetadata.runId`: the run), `start-step`, `text-start`/`text-delta`/`text-end`, `tool-input-available` and `tool-output-available`/`tool-output-error`/`tool-output-denied` (dynamic tools), `finish-step`, then `finish` (`messageMetadata`: `runId`, `replyMessageId`, `usage`), `error` or `abort` — or, when the run pauses for approval, `tool-approval-request` chunks and `finish` — and `[DONE]`.
     */
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
            /**
             * Format: uuid
             * @description The chat's id: a conversation's id (create one with POST /v1/conversations).
             */
            id: string;
            messages: ({
              id: string;
              /** @enum {string} */
              role: 'system' | 'user' | 'assistant';
              parts: ({
                type: string;
                text?: string;
              } & {
                [key: string]: unknown;
              })[];
            } & {
              [key: string]: unknown;
            })[];
            /**
             * @default submit-message
             * @enum {string}
             */
            trigger?: 'submit-message' | 'regenerate-message';
            messageId?: string;
          } & {
            [key: string]: unknown;
          };
        };
      };
      responses: {
        /** @description The run, as a UI message stream. */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
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
        /** @description Another run of this conversation is active (`activeRunId`); or approvals for a run no longer awaiting them. */
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
        /** @description Rate limit exceeded, or a run quota is used up: `urn:keelson:problem:quota-exceeded` names it (`quota`: monthly-tokens or concurrent-runs), its `limit`, what is `used` (and, for monthly-tokens, what the runs going `reserved`) and `resetsAt` (the first of next month, UTC, for monthly-tokens; Retry-After only when that is within an hour; null for concurrent-runs). */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The agent or its model provider failed. */
        502: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description No agent is configured (AGENT_URL), it is unreachable, or it has no model. */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The agent or its model did not answer in time. */
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
  '/v1/chat/{id}/stream': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * Resume a chat: its active run's UI message stream from the start, or 204.
     * @description What `DefaultChatTransport.reconnectToStream` (and `useChat({ resume: true })`) asks for: the conversation's active run replayed from its first event and followed live until it ends (from any replica), or 204 when no run is active. The AI SDK UI message stream (`x-vercel-ai-ui-message-stream: v1`): server-sent events whose `data:` is one chunk each — `start` (`messageId` and `messageMetadata.runId`: the run), `start-step`, `text-start`/`text-delta`/`text-end`, `tool-input-available` and `tool-output-available`/`tool-output-error`/`tool-output-denied` (dynamic tools), `finish-step`, then `finish` (`messageMetadata`: `runId`, `replyMessageId`, `usage`), `error` or `abort` — or, when the run pauses for approval, `tool-approval-request` chunks and `finish` — and `[DONE]`.
     */
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
        /** @description The active run, as a UI message stream. */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'text/event-stream': string;
          };
        };
        /** @description No run of this conversation is active. */
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
        /** @description The credential does not grant runs:read. */
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
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/usage': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The caller's model usage and cost in a time range, by day or by model.
     * @description Every model call of the owner (each step of an agent run, conversation summaries, embeddings of its documents and search queries) with its tokens and, when its model has a price in MODEL_PRICES, its cost in USD at the price of that moment. The range is [from, to), at most 366 days.
     */
    get: {
      parameters: {
        query?: {
          /** @description Inclusive; default: the start of the current month (UTC). */
          from?: string;
          /** @description Exclusive; default: now. */
          to?: string;
          groupBy?: 'day' | 'model';
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Usage'];
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
        /** @description The credential does not grant usage:read. */
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
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/quotas': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The caller's quotas: each limit in force and what is used now.
     * @description The limits a write is refused against (429 `quota-exceeded`): documents and stored bytes (QUOTA_DOCUMENTS, QUOTA_STORED_BYTES), agent runs queued or running at once (AGENT_RUN_MAX_OPEN_PER_OWNER) — these free up when something is deleted or finishes, not with time — and the agent's run quotas: model tokens this month (QUOTA_MONTHLY_TOKENS; resets on the 1st, UTC) and runs going at once (QUOTA_CONCURRENT_RUNS). Each is overridden by the owner's row in owner_quotas.
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
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Quotas'];
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
        /** @description The credential does not grant usage:read. */
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
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/runs/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A run of the agent: its status, usage, the tool calls waiting for approval and, once it ended, how. */
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
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['RunDetail'];
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
        /** @description The credential does not grant runs:read. */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description No such run. */
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
  '/v1/conversations/{id}/runs': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** A conversation's runs, newest first, with cursor pagination. */
    get: {
      parameters: {
        query?: {
          /** @description Items per page (1-100). */
          limit?: number;
          /** @description `nextCursor` of the previous page; omit for the first page. */
          cursor?: string;
        };
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description A page of the conversation’s runs. */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              items: components['schemas']['Run'][];
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
        /** @description The credential does not grant runs:read. */
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
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/runs/{id}/events': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * A run's events: replayed from where you left off, then live until it ends.
     * @description Server-sent events, each with its number as `id:` (1, 2, … per run): `text-delta`, `tool-call`, `tool-result`, `step-finish`, `approval-requested` (the run pauses until the calls it names are decided; it goes on afterwards), then exactly one of `done` (the turn), `error` (a problem with a stable `code`) or `cancelled`, and the stream ends. Comments (`: heartbeat`) keep it open. Resume with `Last-Event-ID` (what an EventSource sends by itself) or `?after=`: the events after that number follow, none twice, none missing, then the live ones — from any replica, whichever process runs the turn. A finished run replays completely and ends.
     */
    get: {
      parameters: {
        query?: {
          /** @description Events after this number (0: from the start). */
          after?: number;
        };
        header?: {
          /** @description The last event you received; takes precedence over `after`. */
          'last-event-id'?: number;
        };
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description The events, as server-sent events. */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
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
        /** @description The credential does not grant runs:read. */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description No such run. */
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
  '/v1/runs/{id}/cancel': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Cancel a run, from any replica. Idempotent.
     * @description A running run stops within about a second (the model call and any running tool), stores what it produced so far and ends `cancelled`: 202, follow its events for the end. A run that waits (queued, awaiting approval) ends at once, and a finished one answers as it is: 200.
     */
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
        /** @description The run has ended (now, or before this request). */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Run'];
          };
        };
        /** @description It was running: its agent is stopping it (`cancelRequestedAt` is set; the run as read back may already show its end). */
        202: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Run'];
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
        /** @description The credential does not grant runs:write. */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description No such run. */
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
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/runs/{id}/approvals': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Approve or deny the tool calls a run waits for; it continues once all are decided.
     * @description Each decision names a `toolCallId` of the run (GET /v1/runs/:id lists them under `approvals`). Approved calls run once (each carries its idempotency key); denied ones are told to the model as denied, with `reason`. Idempotent: the same decision again is accepted; a different one is 409. When no call is left pending, the run continues on an agent (follow `GET /v1/runs/:id/events`).
     */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            decisions: {
              /** @description A call of the run waiting for approval. */
              toolCallId: string;
              approved: boolean;
              /** @description Told to the model with a denial (and stored with either decision). */
              reason?: string;
            }[];
          };
        };
      };
      responses: {
        /** @description Recorded: the run, with its approvals as they are now. */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['RunDetail'];
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
        /** @description The credential does not grant runs:write. */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description No such run. */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description The run is not awaiting approval (`runStatus`), or a call was decided otherwise before or expired (`toolCallId`). */
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
  '/v1/console/config': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The web console's sign-in settings (public, no authentication).
     * @description Read by the console before sign-in, so one console image serves every deployment: the OpenID Connect provider and public client id from `JWT_ISSUER` and `CONSOLE_OIDC_CLIENT_ID`, and whether the development sign-in exists.
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
        /** @description How the console signs in. */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              /** @description OpenID Connect sign-in (authorization code + PKCE); null when not configured. */
              oidc: {
                /** @description The provider's issuer URL (discovery at `<issuer>/.well-known/openid-configuration`). */
                issuer: string;
                /** @description The console's public client id at the provider. */
                clientId: string;
                /** @description The scopes the console asks for. */
                scopes: string[];
              } | null;
              /** @description Whether `POST /dev/token` exists (a development stack signing with the public development secret). */
              devSignIn: boolean;
            };
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
    RunInput: {
      /** Format: uuid */
      id: string;
      /** Format: uuid */
      conversationId: string;
      /** @description The background agent-run task that started it, if one did. */
      taskId: string | null;
      /** @enum {string} */
      status: 'queued' | 'running' | 'awaiting_approval' | 'succeeded' | 'failed' | 'cancelled';
      provider: string;
      model: string;
      /** @description The message it answers. */
      userMessageId: string | null;
      /** @description Its answer (a cancelled run: the partial answer, if any). */
      replyMessageId: string | null;
      usage: {
        inputTokens: number;
        outputTokens: number;
      };
      /** @description Model calls so far (a tool round trip takes one more). */
      steps: number;
      finishReason: string | null;
      error: {
        /** @description Stable: cancelled, agent-lost, agent-shutdown, model-failed, model-timeout, … */
        code: string;
        message: string;
      } | null;
      cancelRequestedAt: string | null;
      /** @description The number of its last stored event. */
      lastSeq: number;
      /** Format: date-time */
      createdAt: string;
      startedAt: string | null;
      finishedAt: string | null;
      /** Format: date-time */
      updatedAt: string;
    };
    ToolApprovalInput: {
      toolCallId: string;
      approvalId: string | null;
      toolName: string;
      input: unknown;
      /** @enum {string} */
      decision: 'pending' | 'approved' | 'denied' | 'expired';
      /** @description The reason given with the decision, if any. */
      reason: string | null;
      /** @description A pending call not decided by then ends the run (`approval-expired`). */
      expiresAt: string | null;
      decidedAt: string | null;
    };
    RunDetailInput: {
      /** Format: uuid */
      id: string;
      /** Format: uuid */
      conversationId: string;
      /** @description The background agent-run task that started it, if one did. */
      taskId: string | null;
      /** @enum {string} */
      status: 'queued' | 'running' | 'awaiting_approval' | 'succeeded' | 'failed' | 'cancelled';
      provider: string;
      model: string;
      /** @description The message it answers. */
      userMessageId: string | null;
      /** @description Its answer (a cancelled run: the partial answer, if any). */
      replyMessageId: string | null;
      usage: {
        inputTokens: number;
        outputTokens: number;
      };
      /** @description Model calls so far (a tool round trip takes one more). */
      steps: number;
      finishReason: string | null;
      error: {
        /** @description Stable: cancelled, agent-lost, agent-shutdown, model-failed, model-timeout, … */
        code: string;
        message: string;
      } | null;
      cancelRequestedAt: string | null;
      /** @description The number of its last stored event. */
      lastSeq: number;
      /** Format: date-time */
      createdAt: string;
      startedAt: string | null;
      finishedAt: string | null;
      /** Format: date-time */
      updatedAt: string;
      /** @description Its tool calls that needed a person’s approval; `pending` ones make it `awaiting_approval`. */
      approvals: components['schemas']['ToolApprovalInput'][];
    };
    UsageInput: {
      /** Format: date-time */
      from: string;
      /** Format: date-time */
      to: string;
      /** @enum {string} */
      groupBy: 'day' | 'model';
      totals: {
        inputTokens: number;
        outputTokens: number;
        /** @description Model calls (each step of a run is one, a summary one). */
        calls: number;
        /** @description USD of the priced calls (MODEL_PRICES when each call was made); null when none is priced. */
        cost: number | null;
        /** @description Calls of a model without a price: not included in cost. */
        unpricedCalls: number;
      };
      /** @description Only the days or models with usage, in order. */
      groups: {
        inputTokens: number;
        outputTokens: number;
        /** @description Model calls (each step of a run is one, a summary one). */
        calls: number;
        /** @description USD of the priced calls (MODEL_PRICES when each call was made); null when none is priced. */
        cost: number | null;
        /** @description Calls of a model without a price: not included in cost. */
        unpricedCalls: number;
        /**
         * Format: date
         * @description groupBy=day: the calendar day, UTC.
         */
        day?: string;
        /** @description groupBy=model. */
        provider?: string;
        /** @description groupBy=model. */
        model?: string;
      }[];
    };
    QuotasInput: {
      documents: {
        /** @description The most documents allowed: the configured default or the owner's override. */
        limit: number;
        /** @description The documents held now. */
        used: number;
      };
      storedBytes: {
        /** @description The most bytes stored (uploaded files at their size, text documents at their length) allowed: the configured default or the owner's override. */
        limit: number;
        /** @description The bytes stored (uploaded files at their size, text documents at their length) held now. */
        used: number;
      };
      openAgentRuns: {
        /** @description The most agent runs queued or running allowed: the configured default or the owner's override. */
        limit: number;
        /** @description The agent runs queued or running held now. */
        used: number;
      };
      monthlyTokens: {
        /** @description The most model tokens (input + output, every call: run steps, summaries, embeddings) this calendar month, UTC (it resets on the 1st) allowed: the configured default or the owner's override. */
        limit: number;
        /** @description The model tokens (input + output, every call: run steps, summaries, embeddings) this calendar month, UTC (it resets on the 1st) held now. */
        used: number;
      };
      concurrentRuns: {
        /** @description The most runs of any kind going at once (queued, running or awaiting an approval) allowed: the configured default or the owner's override. */
        limit: number;
        /** @description The runs of any kind going at once (queued, running or awaiting an approval) held now. */
        used: number;
      };
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
    Run: {
      /** Format: uuid */
      id: string;
      /** Format: uuid */
      conversationId: string;
      /** @description The background agent-run task that started it, if one did. */
      taskId: string | null;
      /** @enum {string} */
      status: 'queued' | 'running' | 'awaiting_approval' | 'succeeded' | 'failed' | 'cancelled';
      provider: string;
      model: string;
      /** @description The message it answers. */
      userMessageId: string | null;
      /** @description Its answer (a cancelled run: the partial answer, if any). */
      replyMessageId: string | null;
      usage: {
        inputTokens: number;
        outputTokens: number;
      };
      /** @description Model calls so far (a tool round trip takes one more). */
      steps: number;
      finishReason: string | null;
      error: {
        /** @description Stable: cancelled, agent-lost, agent-shutdown, model-failed, model-timeout, … */
        code: string;
        message: string;
      } | null;
      cancelRequestedAt: string | null;
      /** @description The number of its last stored event. */
      lastSeq: number;
      /** Format: date-time */
      createdAt: string;
      startedAt: string | null;
      finishedAt: string | null;
      /** Format: date-time */
      updatedAt: string;
    };
    ToolApproval: {
      toolCallId: string;
      approvalId: string | null;
      toolName: string;
      input: unknown;
      /** @enum {string} */
      decision: 'pending' | 'approved' | 'denied' | 'expired';
      /** @description The reason given with the decision, if any. */
      reason: string | null;
      /** @description A pending call not decided by then ends the run (`approval-expired`). */
      expiresAt: string | null;
      decidedAt: string | null;
    };
    RunDetail: {
      /** Format: uuid */
      id: string;
      /** Format: uuid */
      conversationId: string;
      /** @description The background agent-run task that started it, if one did. */
      taskId: string | null;
      /** @enum {string} */
      status: 'queued' | 'running' | 'awaiting_approval' | 'succeeded' | 'failed' | 'cancelled';
      provider: string;
      model: string;
      /** @description The message it answers. */
      userMessageId: string | null;
      /** @description Its answer (a cancelled run: the partial answer, if any). */
      replyMessageId: string | null;
      usage: {
        inputTokens: number;
        outputTokens: number;
      };
      /** @description Model calls so far (a tool round trip takes one more). */
      steps: number;
      finishReason: string | null;
      error: {
        /** @description Stable: cancelled, agent-lost, agent-shutdown, model-failed, model-timeout, … */
        code: string;
        message: string;
      } | null;
      cancelRequestedAt: string | null;
      /** @description The number of its last stored event. */
      lastSeq: number;
      /** Format: date-time */
      createdAt: string;
      startedAt: string | null;
      finishedAt: string | null;
      /** Format: date-time */
      updatedAt: string;
      /** @description Its tool calls that needed a person’s approval; `pending` ones make it `awaiting_approval`. */
      approvals: components['schemas']['ToolApproval'][];
    };
    Usage: {
      /** Format: date-time */
      from: string;
      /** Format: date-time */
      to: string;
      /** @enum {string} */
      groupBy: 'day' | 'model';
      totals: {
        inputTokens: number;
        outputTokens: number;
        /** @description Model calls (each step of a run is one, a summary one). */
        calls: number;
        /** @description USD of the priced calls (MODEL_PRICES when each call was made); null when none is priced. */
        cost: number | null;
        /** @description Calls of a model without a price: not included in cost. */
        unpricedCalls: number;
      };
      /** @description Only the days or models with usage, in order. */
      groups: {
        inputTokens: number;
        outputTokens: number;
        /** @description Model calls (each step of a run is one, a summary one). */
        calls: number;
        /** @description USD of the priced calls (MODEL_PRICES when each call was made); null when none is priced. */
        cost: number | null;
        /** @description Calls of a model without a price: not included in cost. */
        unpricedCalls: number;
        /**
         * Format: date
         * @description groupBy=day: the calendar day, UTC.
         */
        day?: string;
        /** @description groupBy=model. */
        provider?: string;
        /** @description groupBy=model. */
        model?: string;
      }[];
    };
    Quotas: {
      documents: {
        /** @description The most documents allowed: the configured default or the owner's override. */
        limit: number;
        /** @description The documents held now. */
        used: number;
      };
      storedBytes: {
        /** @description The most bytes stored (uploaded files at their size, text documents at their length) allowed: the configured default or the owner's override. */
        limit: number;
        /** @description The bytes stored (uploaded files at their size, text documents at their length) held now. */
        used: number;
      };
      openAgentRuns: {
        /** @description The most agent runs queued or running allowed: the configured default or the owner's override. */
        limit: number;
        /** @description The agent runs queued or running held now. */
        used: number;
      };
      monthlyTokens: {
        /** @description The most model tokens (input + output, every call: run steps, summaries, embeddings) this calendar month, UTC (it resets on the 1st) allowed: the configured default or the owner's override. */
        limit: number;
        /** @description The model tokens (input + output, every call: run steps, summaries, embeddings) this calendar month, UTC (it resets on the 1st) held now. */
        used: number;
      };
      concurrentRuns: {
        /** @description The most runs of any kind going at once (queued, running or awaiting an approval) allowed: the configured default or the owner's override. */
        limit: number;
        /** @description The runs of any kind going at once (queued, running or awaiting an approval) held now. */
        used: number;
      };
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
