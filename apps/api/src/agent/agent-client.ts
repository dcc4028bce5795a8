import type { Readable } from 'node:stream';
import { HttpProblem, PROBLEM_CONTENT_TYPE, serviceUnavailable } from '@repo/http';
import type * as Undici from 'undici';
import type { Dispatcher } from 'undici';
import { once } from '../startup/deferred.ts';

export interface AgentClientOptions {
  /** The agent service's base URL (AGENT_URL). */
  url: string;
  /** Sent as `Authorization: Bearer …`; the agent acts for the owner named beside it. */
  serviceToken: string;
  /** Response headers (the whole turn, for JSON) and each later chunk must come within this. */
  timeoutMs: number;
}

export interface TurnRequest {
  ownerId: string;
  conversationId: string;
  content: string;
  /** The client's Idempotency-Key: the agent stores the user message once per key. */
  idempotencyKey?: string | undefined;
  /** The api's request id, so one id follows a message through both services' logs. */
  requestId: string;
  /** Aborted when the api's client goes away: the request to the agent ends (the run goes on). */
  signal: AbortSignal;
}

/** The api's client went away before the turn was answered; there is nobody left to answer. */
export const CLIENT_CLOSED = 499;

/** Connecting failed outright: nothing reached the agent, so a retry is safe and quick to try. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

/** undici, imported once per process by the first client that needs it (startup/deferred.ts). */
export const importUndici = once(() => import('undici'));

/**
 * The api's side of the agent's turn contract (`POST /v1/conversations/:id/turns`). One undici
 * connection pool for the agent, with the timeouts of AGENT_TIMEOUT_MS set on it (undici's own
 * defaults are 300 s); connecting gets at most 5 s, so an agent that is down answers 503 quickly.
 * Every failure leaves as an HttpProblem: 503 unreachable, 504 too slow, 502 broken answer, or
 * the agent's own problem (404, 502, 503, 504) passed on.
 *
 * The api never retries a turn by itself: it is a POST with effects. A client that retries with
 * its Idempotency-Key is safe, because the agent stores the user's message once per key.
 *
 * undici (~110 modules, ~10 % of the api's start-up) is imported by the first call, or once the
 * server listens (app.ts, startup/deferred.ts).
 */
export function createAgentClient(options: AgentClientOptions) {
  /** undici and the connection pool (no connection is opened here), made by the first caller. */
  let pool: Promise<{ undici: typeof Undici; dispatcher: Dispatcher }> | undefined;
  const connectionPool = () => (pool ??= makePool());
  const makePool = async () => {
    const undici = await importUndici();
    const dispatcher = new undici.Agent({
      connect: { timeout: Math.min(options.timeoutMs, 5_000) },
      // A backstop only: undici's timers tick coarsely (a 500 ms timeout fires after about 1 s),
      // so the deadline for the response is a timer of ours; this one bounds silence mid-stream.
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    return { undici, dispatcher };
  };
  const base = options.url.replace(/\/+$/, '');

  /**
   * Sends the turn and hands the 200 response to `consume` within the deadline: the headers
   * for a stream, the whole body for JSON. The client going away aborts the request too.
   */
  async function send<T>(
    turn: TurnRequest,
    stream: boolean,
    consume: (response: Dispatcher.ResponseData) => Promise<T>,
  ): Promise<T> {
    // Before the deadline starts: importing undici (once) is not the agent's time.
    const { undici, dispatcher } = await connectionPool();
    const controller = new AbortController();
    const deadline = setTimeout(() => controller.abort(TIMED_OUT), options.timeoutMs);
    const forward = () => controller.abort(turn.signal.reason);
    if (turn.signal.aborted) forward();
    else turn.signal.addEventListener('abort', forward, { once: true });
    try {
      const response = await undici.request(`${base}/v1/conversations/${turn.conversationId}/turns`, {
        dispatcher,
        method: 'POST',
        headers: {
          authorization: `Bearer ${options.serviceToken}`,
          'x-keelson-owner': turn.ownerId,
          'x-request-id': turn.requestId,
          'content-type': 'application/json',
          accept: stream ? 'text/event-stream' : 'application/json',
          ...(turn.idempotencyKey === undefined ? {} : { 'idempotency-key': turn.idempotencyKey }),
        },
        body: JSON.stringify({ content: turn.content }),
        signal: controller.signal,
      });
      // 202: a JSON turn whose run paused for approvals (the body names the calls that wait).
      const answered = response.statusCode === 200 || (response.statusCode === 202 && !stream);
      if (!answered) throw await agentProblem(response);
      return await consume(response);
    } catch (error) {
      throw failure(error, controller.signal);
    } finally {
      clearTimeout(deadline);
    }
  }

  return {
    /**
     * One JSON turn: the agent's `done` body, as it sent it (the route validates it), and its
     * run; `paused` when the run waits for approvals instead (the agent's 202).
     */
    turn: (turn: TurnRequest): Promise<{ body: unknown; runId: string | undefined; paused: boolean }> =>
      send(turn, false, async (response) => ({
        body: await response.body.json(),
        runId: runIdOf(response),
        paused: response.statusCode === 202,
      })),

    /**
     * Asks the agent to continue a run whose approvals are all decided. True when this request
     * started it; false when it was not waiting with every call decided (continued already).
     */
    async continueRun(ownerId: string, runId: string): Promise<boolean> {
      const { undici, dispatcher } = await connectionPool();
      const response = await undici.request(`${base}/v1/runs/${runId}/continue`, {
        dispatcher,
        method: 'POST',
        headers: { authorization: `Bearer ${options.serviceToken}`, 'x-keelson-owner': ownerId },
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      if (response.statusCode !== 202) throw await agentProblem(response);
      const body = (await response.body.json()) as { continued?: unknown };
      return body.continued === true;
    },

    /**
     * A streamed turn: the agent's server-sent events, unparsed, as they arrive, and the run they
     * belong to. A turn that fails before its first event still throws its problem here (the
     * agent answers it as a plain status), so the client gets a real status code instead of a
     * 200 with an error event.
     */
    streamTurn: (turn: TurnRequest): Promise<{ events: Readable; runId: string | undefined }> =>
      send(turn, true, async (response) => {
        const type = String(response.headers['content-type'] ?? '');
        if (!type.startsWith('text/event-stream')) {
          response.body.destroy();
          throw badGateway(`The agent answered a streamed turn with ${type || 'no content type'}.`);
        }
        return { events: response.body, runId: runIdOf(response) };
      }),

    /** What a failure in the middle of a stream becomes (a 5xx problem; 499 if the client left). */
    problemOf(error: unknown, signal: AbortSignal): HttpProblem {
      try {
        return failure(error, signal);
      } catch {
        return badGateway('The agent stream broke off.');
      }
    },

    close: async () => {
      // No pool yet: nothing to close. One whose import failed (logged where it was awaited)
      // has nothing to close either.
      const made = await pool?.catch(() => undefined);
      await made?.dispatcher.close();
    },
  };
}

export type AgentClient = ReturnType<typeof createAgentClient>;

/** The run the agent started (or joined) for a turn: its `x-keelson-run-id` header, when it is an id. */
function runIdOf(response: Dispatcher.ResponseData): string | undefined {
  const value = response.headers['x-keelson-run-id'];
  return typeof value === 'string' && RUN_ID.test(value) ? value : undefined;
}

const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const badGateway = (detail: string) =>
  new HttpProblem(502, detail, { type: 'urn:keelson:problem:agent-failed' });

/** The abort reason of a request whose deadline passed (as opposed to a client that left). */
const TIMED_OUT = new DOMException('The agent did not answer in time', 'TimeoutError');

const agentTimeout = () =>
  new HttpProblem(504, 'The agent did not answer in time. Retry with the same Idempotency-Key.', {
    type: 'urn:keelson:problem:agent-timeout',
  });

/**
 * Sorts what undici threw into the problem the client is told; anything else is rethrown (a 500).
 * `signal` is the request's: aborted by the deadline (504) or by the client leaving (499).
 * undici's errors are told by their documented `code`s, so this needs no reference to the module
 * (which is imported on first use).
 */
function failure(error: unknown, signal: AbortSignal): HttpProblem {
  if (error instanceof HttpProblem) return error;
  if (signal.aborted) {
    return signal.reason === TIMED_OUT
      ? agentTimeout()
      : new HttpProblem(CLIENT_CLOSED, 'The client closed the request.');
  }
  const code = codeOf(error) ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return agentTimeout();
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || UNREACHABLE.has(code)) {
    return serviceUnavailable('The agent service is unreachable. Retry later.');
  }
  if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET') {
    return badGateway('The connection to the agent broke off. Retry with the same Idempotency-Key.');
  }
  throw error;
}

/** A system error's code, also when it comes wrapped (happy eyeballs: AggregateError; `cause`). */
function codeOf(error: unknown): string | undefined {
  const candidate = error as { code?: unknown; cause?: unknown; errors?: unknown[] } | undefined;
  if (typeof candidate?.code === 'string') return candidate.code;
  if (candidate?.errors?.[0] !== undefined) return codeOf(candidate.errors[0]);
  if (candidate?.cause !== undefined) return codeOf(candidate.cause);
  return undefined;
}

/**
 * A non-200 answer of the agent. Its problems are passed on with their status, type, detail and
 * extensions (`instance` becomes the api's URL: the agent's is internal). A 401/403 means the
 * api's own credential was refused, which is this deployment's fault, not the client's: 502.
 */
async function agentProblem(response: Dispatcher.ResponseData): Promise<HttpProblem> {
  const status = response.statusCode;
  let body: unknown;
  try {
    const text = await response.body.text();
    body = JSON.parse(text) as unknown;
  } catch {
    body = undefined;
  }
  if (status === 401 || status === 403) {
    return badGateway('The agent refused the api’s service token: SERVICE_AUTH_TOKEN differs between them.');
  }
  const type = String(response.headers['content-type'] ?? '');
  if (
    status < 400 ||
    !(type.startsWith(PROBLEM_CONTENT_TYPE) || type.startsWith('application/json')) ||
    typeof body !== 'object' ||
    body === null
  ) {
    return badGateway(`The agent answered HTTP ${status}.`);
  }
  const {
    type: problemType,
    detail,
    title: _title,
    status: _status,
    instance: _instance,
    ...extensions
  } = body as Record<string, unknown>;
  const retryAfter = response.headers['retry-after'];
  return new HttpProblem(status, typeof detail === 'string' ? detail : `The agent answered HTTP ${status}.`, {
    type: typeof problemType === 'string' ? problemType : 'about:blank',
    extensions,
    headers: typeof retryAfter === 'string' ? { 'retry-after': retryAfter } : {},
  });
}
