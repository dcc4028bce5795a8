import { AsyncLocalStorage } from 'node:async_hooks';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { RUN_DEPTH_HEADER } from '@repo/http';
import { safeErrorMessage, type Logger } from '@repo/observability';
import { TOOL_IDEMPOTENCY_META_KEY } from '@repo/runs';
import { dynamicTool, jsonSchema, type ToolSet } from 'ai';
import { createSchemaValidators } from './schema-validators.ts';

export interface McpServerSpec {
  name: string;
  url: string;
  headers: Record<string, string>;
  /** The server serves the stack's own data: every request names the owner the turn acts for. */
  ownerScoped?: boolean;
  /** Tool names are prefixed `<name>__` unless false (the api's tools keep their plain names). */
  prefix?: boolean;
  /**
   * Which tools wait for a person's approval before they run: all (`true`), none (`false`, the
   * default), the ones named (as the server lists them), or `writes`: every tool the server does
   * not annotate `readOnlyHint: true` (MCP's default for a tool is "may write").
   */
  requireApproval?: boolean | readonly string[] | 'writes';
}

export interface ToolboxOptions {
  servers: readonly McpServerSpec[];
  timeoutMs: number;
  retries: number;
  /** A server that failed is skipped for this long before it is tried again. */
  cooldownMs?: number;
  /** A server's tool list is asked for again once it is this old (0, the default: on every turn). */
  listTtlMs?: number;
  logger: Logger;
  onToolCall?: (tool: string, outcome: 'ok' | 'error', seconds: number) => void;
}

interface ServerState {
  spec: McpServerSpec;
  client?: Client;
  tools: { name: string; description?: string; inputSchema: Record<string, unknown>; readOnly: boolean }[];
  /** When `tools` was listed (0: never, or dropped since). */
  listedAt: number;
  unavailableUntil: number;
  lastError?: string;
}

/**
 * The turn a call belongs to: the owner it acts for, and the depth of the agent run it is part
 * of. The fetch of owner-scoped servers (the api) adds both to every request, so the api scopes
 * the call to the owner and counts a run queued from here one level deeper.
 */
interface TurnScope {
  ownerId: string;
  runDepth: number;
}
const turnScope = new AsyncLocalStorage<TurnScope>();
export const OWNER_HEADER = 'x-keelson-owner';

/**
 * The agent's MCP clients: one per configured server. A turn asks a server for its tool list when
 * the list it has is older than `listTtlMs` (bounded by the timeout), so a server that went down or
 * got slow loses its tools instead of failing the turn; a failed server (listing, or a call after
 * its retries) rests for a cooldown with no tools, then is reconnected and listed again. Listing on
 * every turn was a request to the api's /mcp per turn: ~20 % of the api's CPU and a round trip on
 * every turn (tests/bench/README.md); a server's tools change when it is redeployed, and a list
 * at most `listTtlMs` old picks that up. Tools are handed to the AI SDK as dynamic tools whose calls
 * go back over MCP with a timeout and retries.
 */
export function createToolbox(options: ToolboxOptions) {
  const cooldownMs = options.cooldownMs ?? 30_000;
  const states: ServerState[] = options.servers.map((spec) => ({
    spec,
    tools: [],
    listedAt: 0,
    unavailableUntil: 0,
  }));
  // Shared by the clients, so a schema listed on every turn is compiled once (see the module).
  const jsonSchemaValidator = createSchemaValidators();

  const markUnavailable = async (state: ServerState, error: unknown) => {
    state.lastError = safeErrorMessage(error);
    state.unavailableUntil = Date.now() + cooldownMs;
    state.tools = [];
    state.listedAt = 0;
    const client = state.client;
    state.client = undefined;
    await client?.close().catch(() => {});
    options.logger.warn(
      { server: state.spec.name, err: error },
      'MCP server unavailable; its tools are skipped',
    );
  };

  const connect = async (state: ServerState): Promise<Client> => {
    if (state.client) return state.client;
    const client = new Client({ name: 'keelson-agent', version: '1.0.0' }, { jsonSchemaValidator });
    const transport = new StreamableHTTPClientTransport(new URL(state.spec.url), {
      requestInit: { headers: state.spec.headers },
      fetch: state.spec.ownerScoped ? ownerFetch : undefined,
    });
    await client.connect(transport, { timeout: options.timeoutMs });
    state.client = client;
    return client;
  };

  const refresh = async (state: ServerState): Promise<void> => {
    if (Date.now() < state.unavailableUntil) return;
    if (state.listedAt > 0 && Date.now() - state.listedAt < (options.listTtlMs ?? 0)) return;
    try {
      const client = await connect(state);
      const { tools } = await client.listTools(undefined, { timeout: options.timeoutMs });
      state.tools = tools.map((tool) => ({
        name: tool.name,
        description: tool.description,
        inputSchema: tool.inputSchema,
        readOnly: tool.annotations?.readOnlyHint === true,
      }));
      state.listedAt = Date.now();
      state.lastError = undefined;
    } catch (error) {
      await markUnavailable(state, error);
    }
  };

  const call = async (
    state: ServerState,
    name: string,
    input: unknown,
    idempotencyKey: string | undefined,
    signal?: AbortSignal,
  ) => {
    let lastError: unknown;
    for (let attempt = 0; attempt <= options.retries; attempt++) {
      signal?.throwIfAborted();
      try {
        const client = await connect(state);
        const result = await client.callTool(
          {
            name,
            arguments: (input ?? {}) as Record<string, unknown>,
            // Every attempt carries the same key: a retry after a lost answer is not a second call.
            ...(idempotencyKey === undefined
              ? {}
              : { _meta: { [TOOL_IDEMPOTENCY_META_KEY]: idempotencyKey } }),
          },
          undefined,
          { timeout: options.timeoutMs, signal },
        );
        return result;
      } catch (error) {
        lastError = error;
        // The connection may be what failed: reconnect on the next attempt.
        const client = state.client;
        state.client = undefined;
        await client?.close().catch(() => {});
      }
    }
    await markUnavailable(state, lastError);
    // The model reads this, and the client sees it as the tool's result: no credential-shaped text.
    throw new Error(`tool ${name} on ${state.spec.name} failed: ${safeErrorMessage(lastError)}`, {
      cause: lastError,
    });
  };

  return {
    /**
     * Connects to every server and lists its tools; failures are logged, never fatal. Owner-scoped
     * servers (the api) authorize each request for an owner, so they are listed per turn instead.
     */
    async start(): Promise<void> {
      await Promise.all(states.filter((state) => !state.spec.ownerScoped).map(refresh));
    },

    /**
     * The tools available for one turn, acting for `ownerId`, inside an agent run `runDepth`
     * levels deep (0: a conversation turn, or a run a user queued). With `idempotencyKey`, each
     * call carries the key it gives for the call's id in its `_meta`.
     */
    async toolsFor(
      ownerId: string,
      calls: { runDepth?: number; idempotencyKey?: (toolCallId: string) => string } = {},
    ): Promise<ToolSet> {
      const scope: TurnScope = { ownerId, runDepth: calls.runDepth ?? 0 };
      await turnScope.run(scope, () => Promise.all(states.map(refresh)));
      const tools: ToolSet = {};
      for (const state of states) {
        for (const definition of state.tools) {
          const exposed =
            state.spec.prefix === false ? definition.name : `${state.spec.name}__${definition.name}`;
          tools[exposed] = dynamicTool({
            description: definition.description ?? definition.name,
            inputSchema: jsonSchema(definition.inputSchema),
            // The AI SDK then stops the loop with a tool-approval-request instead of executing it.
            needsApproval: needsApproval(state.spec, definition),
            execute: async (input, { abortSignal, toolCallId }) => {
              const started = performance.now();
              const key = calls.idempotencyKey?.(toolCallId);
              try {
                const result = await turnScope.run(scope, () =>
                  call(state, definition.name, input, key, abortSignal),
                );
                const output = toolOutput(result);
                if (result.isError)
                  throw new Error(typeof output === 'string' ? output : JSON.stringify(output));
                options.onToolCall?.(exposed, 'ok', (performance.now() - started) / 1000);
                return output;
              } catch (error) {
                options.onToolCall?.(exposed, 'error', (performance.now() - started) / 1000);
                throw error;
              }
            },
          });
        }
      }
      return tools;
    },

    status() {
      return states.map((state) => ({
        name: state.spec.name,
        available: state.client !== undefined && Date.now() >= state.unavailableUntil,
        tools: state.tools.map((tool) => tool.name),
        ...(state.lastError ? { lastError: state.lastError } : {}),
      }));
    },

    async close(): Promise<void> {
      await Promise.all(states.map(async (state) => state.client?.close().catch(() => {})));
    },
  };
}

export type Toolbox = ReturnType<typeof createToolbox>;

/** Whether a server's tool waits for a person's approval (see McpServerSpec.requireApproval). */
function needsApproval(spec: McpServerSpec, tool: { name: string; readOnly: boolean }): boolean {
  const rule = spec.requireApproval ?? false;
  if (rule === 'writes') return !tool.readOnly;
  if (typeof rule === 'boolean') return rule;
  return rule.includes(tool.name);
}

/** Adds the current turn's owner and run depth to requests of owner-scoped servers. */
const ownerFetch: typeof fetch = (input, init) => {
  const scope = turnScope.getStore();
  if (!scope) return fetch(input, init);
  const headers = new Headers(init?.headers);
  headers.set(OWNER_HEADER, scope.ownerId);
  headers.set(RUN_DEPTH_HEADER, String(scope.runDepth));
  return fetch(input, { ...init, headers });
};

/** What the model sees of a tool result: structured content when given, else the text parts. */
function toolOutput(result: Awaited<ReturnType<Client['callTool']>>): unknown {
  if (result.structuredContent) return result.structuredContent;
  const content = Array.isArray(result.content) ? result.content : [];
  const text = content
    .map((part: { type: string; text?: string }) =>
      part.type === 'text' ? (part.text ?? '') : `[${part.type}]`,
    )
    .join('\n');
  return text;
}
