import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { z } from 'zod';

export interface TestMcpServer {
  url: string;
  /** Every call, with its owner header and the idempotency key its `_meta` carried. */
  calls: { tool: string; owner: string | undefined; idempotencyKey?: string | undefined }[];
  /** `wait` calls that ended because the caller cancelled them. */
  cancelledWaits: number;
  /** Delay every answer (to simulate a slow server). */
  delayMs: number;
  stop(): Promise<void>;
}

/**
 * A real MCP server (the official SDK, stateless streamable HTTP) for tests: `add`, `wait` (which
 * stops when the caller cancels) and `whoami` tools, and a record of which owner header and which
 * idempotency key (`_meta`) each call carried. `structured` adds `stats`, a tool with an output
 * schema (as the api's tools have), answering `{mean, count}`.
 */
export async function startTestMcpServer(
  port = 0,
  options: { structured?: boolean } = {},
): Promise<TestMcpServer> {
  const calls: TestMcpServer['calls'] = [];
  const state = { delayMs: 0, cancelledWaits: 0 };
  const keyOf = (meta: Record<string, unknown> | undefined) =>
    typeof meta?.['io.keelson/idempotency-key'] === 'string' ? meta['io.keelson/idempotency-key'] : undefined;

  const build = (request: IncomingMessage) => {
    const owner = request.headers['x-keelson-owner'] as string | undefined;
    const server = new McpServer({ name: 'test-tools', version: '1.0.0' });
    server.registerTool(
      'add',
      { description: 'Add two numbers', inputSchema: { a: z.number(), b: z.number() } },
      async ({ a, b }, extra) => {
        calls.push({ tool: 'add', owner, idempotencyKey: keyOf(extra._meta) });
        return { content: [{ type: 'text', text: String(a + b) }] };
      },
    );
    server.registerTool(
      'wait',
      { description: 'Wait this many milliseconds', inputSchema: { ms: z.number() } },
      async ({ ms }, extra) => {
        calls.push({ tool: 'wait', owner, idempotencyKey: keyOf(extra._meta) });
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ms);
          extra.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            state.cancelledWaits++;
            resolve();
          });
        });
        return { content: [{ type: 'text', text: `waited ${ms} ms` }] };
      },
    );
    server.registerTool('whoami', { description: 'The owner this call acts for' }, async () => {
      calls.push({ tool: 'whoami', owner });
      return { content: [{ type: 'text', text: owner ?? 'nobody' }] };
    });
    if (options.structured) {
      server.registerTool(
        'stats',
        {
          description: 'Mean and count of numbers',
          inputSchema: { values: z.array(z.number()).min(1) },
          outputSchema: { mean: z.number(), count: z.number().int() },
        },
        async ({ values }) => {
          calls.push({ tool: 'stats', owner });
          const stats = { mean: values.reduce((a, b) => a + b, 0) / values.length, count: values.length };
          return { content: [{ type: 'text', text: JSON.stringify(stats) }], structuredContent: stats };
        },
      );
    }
    return server;
  };

  const http: Server = createServer((request, response) => {
    void (async () => {
      let raw = '';
      for await (const chunk of request) raw += String(chunk);
      if (state.delayMs) await new Promise((resolve) => setTimeout(resolve, state.delayMs));
      const server = build(request);
      const transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
      });
      response.on('close', () => {
        void transport.close();
        void server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(request, response, raw ? (JSON.parse(raw) as unknown) : undefined);
    })();
  });
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
  const { port: bound } = http.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}/mcp`,
    calls,
    get cancelledWaits() {
      return state.cancelledWaits;
    },
    get delayMs() {
      return state.delayMs;
    },
    set delayMs(value) {
      state.delayMs = value;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
