import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEFAULT_EMBEDDING_DIMENSIONS, embeddingResponse, type EmbeddingRequest } from './embeddings.ts';
import { ruleBasedResponder, textOf } from './responders.ts';
import type { ChatRequest, FakeReply, Responder } from './types.ts';

export interface FakeLlm {
  /** Base URL to give a provider, e.g. `http://127.0.0.1:1234/v1`. */
  url: string;
  port: number;
  /** Every chat request received, in order. */
  requests: ChatRequest[];
  /** Requests whose client went away before the answer was complete (aborted upstream calls). */
  disconnects: number;
  /** Every embeddings request received, in order. */
  embeddingRequests: EmbeddingRequest[];
  setResponder(responder: Responder): void;
  /** Every embeddings request answers this error from now on (a provider outage); undefined: answer again. */
  failEmbeddings(error: { status: number; message: string } | undefined): void;
  close(): Promise<void>;
}

export interface FakeLlmOptions {
  responder?: Responder;
  port?: number;
  host?: string;
  /** Length of the vectors `/v1/embeddings` answers when the request names none (default 1536). */
  embeddingDimensions?: number;
}

/**
 * A fake at the HTTP boundary, speaking the real OpenAI chat-completions wire format (JSON and
 * server-sent events, text and tool calls, usage, error bodies) and `/v1/embeddings` (deterministic
 * vectors, see embeddings.ts), so the production code under test runs its real provider client
 * end to end.
 */
export async function startFakeLlm(options: FakeLlmOptions = {}): Promise<FakeLlm> {
  let responder = options.responder ?? ruleBasedResponder;
  const requests: ChatRequest[] = [];
  const embeddingRequests: EmbeddingRequest[] = [];
  let embeddingFailure: { status: number; message: string } | undefined;
  const state = { disconnects: 0 };
  // Each chat request's last user message, and whether its client went away before the answer.
  const seen: { question: string; disconnected: boolean }[] = [];
  const open = new Set<ServerResponse>();
  const chatOf = new WeakMap<ServerResponse, { question: string; disconnected: boolean }>();

  const server = createServer((req, res) => {
    open.add(res);
    res.on('close', () => {
      open.delete(res);
      if (res.writableFinished) return;
      state.disconnects++;
      const record = chatOf.get(res);
      if (record) record.disconnected = true;
    });
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: String(error), type: 'server_error' } }));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    if (req.method === 'GET' && req.url === '/health') return json(res, 200, { status: 'ok' });
    // For tests that cannot reach into this process (the container suite): how many chat requests
    // mentioned a marker in their last user message, and how many of those were abandoned.
    const stats = /^\/v1\/fake\/stats(?:\?contains=([^&]*))?$/.exec(req.url ?? '');
    if (req.method === 'GET' && stats) {
      const marker = decodeURIComponent(stats[1] ?? '');
      const matching = seen.filter((record) => record.question.includes(marker));
      return json(res, 200, {
        requests: matching.length,
        disconnects: matching.filter((record) => record.disconnected).length,
      });
    }
    if (req.method === 'GET' && req.url === '/v1/models') {
      return json(res, 200, {
        object: 'list',
        data: [{ id: 'fake-model', object: 'model', owned_by: 'keelson' }],
      });
    }
    if (req.method === 'POST' && req.url === '/v1/embeddings') {
      const request = JSON.parse(await bodyOf(req)) as EmbeddingRequest;
      embeddingRequests.push(request);
      if (embeddingFailure) {
        const { status, message } = embeddingFailure;
        return json(res, status, { error: { message, type: 'server_error', param: null, code: null } });
      }
      return json(
        res,
        200,
        embeddingResponse(request, options.embeddingDimensions ?? DEFAULT_EMBEDDING_DIMENSIONS),
      );
    }
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      return json(res, 404, {
        error: { message: `no route ${req.method} ${req.url}`, type: 'invalid_request_error' },
      });
    }
    const request = JSON.parse(await bodyOf(req)) as ChatRequest;
    const index = requests.push(request) - 1;
    const record = {
      question: textOf([...request.messages].reverse().find((message) => message.role === 'user')),
      disconnected: false,
    };
    seen.push(record);
    chatOf.set(res, record);
    const reply = await responder(request, index);

    if ('hang' in reply) return; // the client's timeout or abort ends it
    if (reply.delayMs) await sleep(reply.delayMs);
    if ('error' in reply) {
      return json(res, reply.error.status, {
        error: { message: reply.error.message, type: 'server_error', param: null, code: null },
      });
    }
    const usage = usageOf(request, reply);
    const base = {
      id: `chatcmpl-${index + 1}`,
      created: Math.floor(Date.now() / 1000),
      model: request.model,
    };
    if (!request.stream) {
      const message =
        'text' in reply
          ? { role: 'assistant', content: reply.text }
          : { role: 'assistant', content: null, tool_calls: toolCalls(reply, index) };
      return json(res, 200, {
        ...base,
        object: 'chat.completion',
        choices: [{ index: 0, message, finish_reason: 'text' in reply ? 'stop' : 'tool_calls' }],
        usage,
      });
    }
    await stream(res, base, reply, index, usage);
  }

  await new Promise<void>((resolve) =>
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve),
  );
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    embeddingRequests,
    get disconnects() {
      return state.disconnects;
    },
    setResponder(next) {
      responder = next;
    },
    failEmbeddings(error) {
      embeddingFailure = error;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of open) res.destroy();
        server.close(() => resolve());
      }),
  };
}

async function bodyOf(req: IncomingMessage): Promise<string> {
  let raw = '';
  for await (const chunk of req) raw += String(chunk);
  return raw;
}

function json(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function toolCalls(reply: Extract<FakeReply, { toolCalls: unknown }>, index: number) {
  return reply.toolCalls.map((call, i) => ({
    id: `call_${index + 1}_${i}`,
    type: 'function' as const,
    function: { name: call.name, arguments: JSON.stringify(call.arguments) },
  }));
}

/** Rough token counts (4 characters a token): enough for budget and usage accounting tests. */
function usageOf(request: ChatRequest, reply: FakeReply) {
  const prompt = Math.ceil(JSON.stringify(request.messages).length / 4);
  const completion = Math.ceil(JSON.stringify(reply).length / 4);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

async function stream(
  res: ServerResponse,
  base: Record<string, unknown>,
  reply: Extract<FakeReply, { text: string }> | Extract<FakeReply, { toolCalls: unknown }>,
  index: number,
  usage: ReturnType<typeof usageOf>,
) {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  const send = (body: unknown) => res.write(`data: ${JSON.stringify(body)}\n\n`);
  const chunk = (delta: unknown, finishReason: string | null = null) =>
    send({
      ...base,
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta, finish_reason: finishReason }],
    });

  if ('text' in reply) {
    chunk({ role: 'assistant', content: '' });
    for (const piece of reply.text.match(/.{1,8}/gs) ?? []) {
      if (res.destroyed) return;
      if (reply.chunkDelayMs) await sleep(reply.chunkDelayMs);
      chunk({ content: piece });
    }
    chunk({}, 'stop');
  } else {
    toolCalls(reply, index).forEach((call, i) => {
      chunk({
        role: 'assistant',
        content: null,
        tool_calls: [
          { index: i, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } },
        ],
      });
      for (const fragment of call.function.arguments.match(/.{1,8}/gs) ?? []) {
        chunk({ tool_calls: [{ index: i, function: { arguments: fragment } }] });
      }
    });
    chunk({}, 'tool_calls');
  }
  // Sent because providers ask for it with stream_options.include_usage.
  send({ ...base, object: 'chat.completion.chunk', choices: [], usage });
  res.write('data: [DONE]\n\n');
  res.end();
}
