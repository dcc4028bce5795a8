import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { createLogger } from '@repo/observability';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createToolbox, type Toolbox } from '../src/tools/mcp-toolbox.ts';
import { createSchemaValidators } from '../src/tools/schema-validators.ts';
import { startTestMcpServer, type TestMcpServer } from './support/mcp-server.ts';

const logger = createLogger({ service: 'agent-test', level: 'silent' });
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function server(options: { structured?: boolean } = {}): Promise<TestMcpServer> {
  const started = await startTestMcpServer(0, options);
  cleanup.push(() => started.stop());
  return started;
}

function toolbox(
  servers: Parameters<typeof createToolbox>[0]['servers'],
  overrides: Partial<Parameters<typeof createToolbox>[0]> = {},
): Toolbox {
  const box = createToolbox({
    servers,
    timeoutMs: 1_000,
    retries: 1,
    cooldownMs: 0,
    listTtlMs: 30_000,
    logger,
    ...overrides,
  });
  cleanup.push(() => box.close());
  return box;
}

const execute = async (tools: Awaited<ReturnType<Toolbox['toolsFor']>>, name: string, input: unknown) =>
  (
    tools[name]!.execute as unknown as (
      input: unknown,
      options: { toolCallId: string; messages: [] },
    ) => Promise<unknown>
  )(input, {
    toolCallId: 'call_1',
    messages: [],
  });

describe('the MCP toolbox', () => {
  it('discovers tools at start, prefixes extra servers, and calls them over MCP', async () => {
    const extra = await server();
    const box = toolbox([{ name: 'math', url: extra.url, headers: {} }]);
    await box.start();
    expect(box.status()).toEqual([{ name: 'math', available: true, tools: ['add', 'wait', 'whoami'] }]);

    const tools = await box.toolsFor('alice');
    expect(Object.keys(tools).sort()).toEqual(['math__add', 'math__wait', 'math__whoami']);
    expect(await execute(tools, 'math__add', { a: 2, b: 40 })).toBe('42');
  });

  it("sends the turn's owner to owner-scoped servers only", async () => {
    const scoped = await server();
    const other = await server();
    const box = toolbox([
      {
        name: 'api',
        url: scoped.url,
        headers: { authorization: 'Bearer service' },
        ownerScoped: true,
        prefix: false,
      },
      { name: 'other', url: other.url, headers: {} },
    ]);
    const [alice, bob] = await Promise.all([box.toolsFor('alice'), box.toolsFor('bob')]);
    expect(await execute(alice, 'whoami', {})).toBe('alice');
    expect(await execute(bob, 'whoami', {})).toBe('bob');
    expect(await execute(alice, 'other__whoami', {})).toBe('nobody');
  });

  it('drops the tools of a server that is down, and brings them back when it returns', async () => {
    const extra = await server();
    const port = new URL(extra.url).port;
    // Listed on every turn: the outage shows at the next listing.
    const box = toolbox([{ name: 'math', url: extra.url, headers: {} }], { listTtlMs: 0 });
    expect(Object.keys(await box.toolsFor('alice'))).toContain('math__add');

    await extra.stop();
    expect(await box.toolsFor('alice')).toEqual({});
    expect(box.status()[0]).toMatchObject({ available: false, lastError: expect.any(String) });

    const back = await startTestMcpServer(Number(port));
    cleanup.push(() => back.stop());
    expect(Object.keys(await box.toolsFor('alice'))).toContain('math__add');
  });

  it('skips a slow server for the turn instead of waiting for it', async () => {
    const slow = await server();
    slow.delayMs = 2_000;
    const box = toolbox([{ name: 'slow', url: slow.url, headers: {} }], { timeoutMs: 300 });
    const started = performance.now();
    expect(await box.toolsFor('alice')).toEqual({});
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it('surfaces a failing tool call as an error (the model sees it) and retries first', async () => {
    const extra = await server();
    const box = toolbox([{ name: 'math', url: extra.url, headers: {} }], { retries: 2 });
    const tools = await box.toolsFor('alice');
    await extra.stop();
    await expect(execute(tools, 'math__add', { a: 1, b: 1 })).rejects.toThrow(/tool add on math failed/);
    // An invalid argument is the server's answer, not an outage: an error result, no retry storm.
    const back = await startTestMcpServer(Number(new URL(extra.url).port));
    cleanup.push(() => back.stop());
    const fresh = await box.toolsFor('alice');
    await expect(execute(fresh, 'math__add', { a: 'one' })).rejects.toThrow(/validation/i);
  });
});

describe('tool lists', () => {
  it('are reused for listTtlMs instead of asked for on every turn', async () => {
    const extra = await server();
    const box = toolbox([{ name: 'math', url: extra.url, headers: {} }], { listTtlMs: 60_000 });
    const listings = vi.fn();
    const realFetch = globalThis.fetch;
    const countListings: typeof fetch = (input, init) => {
      if (typeof init?.body === 'string' && init.body.includes('"tools/list"')) listings();
      return realFetch(input, init);
    };
    vi.stubGlobal('fetch', countListings);
    try {
      for (let turn = 0; turn < 10; turn++) {
        expect(Object.keys(await box.toolsFor('alice')).sort()).toEqual([
          'math__add',
          'math__wait',
          'math__whoami',
        ]);
      }
      expect(listings).toHaveBeenCalledTimes(1);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it("drop a server's tools when a call to it fails, and list them again once it is back", async () => {
    const extra = await server();
    const port = Number(new URL(extra.url).port);
    const box = toolbox([{ name: 'math', url: extra.url, headers: {} }], { listTtlMs: 60_000 });
    const tools = await box.toolsFor('alice');
    await extra.stop();
    // The list is still fresh, so the tools are still offered; calling one finds the outage.
    await expect(execute(tools, 'math__add', { a: 1, b: 1 })).rejects.toThrow(/tool add on math failed/);
    expect(await box.toolsFor('alice')).toEqual({});
    expect(box.status()[0]).toMatchObject({ available: false, tools: [] });

    const back = await startTestMcpServer(port);
    cleanup.push(() => back.stop());
    expect(await execute(await box.toolsFor('alice'), 'math__add', { a: 2, b: 2 })).toBe('4');
  });
});

describe('tool output schemas', () => {
  it('are compiled once, not on every turn that lists the tools (the SDK default leaks them)', async () => {
    const compilations = vi.spyOn(AjvJsonSchemaValidator.prototype, 'getValidator');
    try {
      const structured = await server({ structured: true });
      const box = toolbox([{ name: 'math', url: structured.url, headers: {} }], { listTtlMs: 0 });
      for (let turn = 0; turn < 20; turn++) await box.toolsFor('alice');
      // One tool of the three has an output schema: one compilation in twenty listings.
      expect(compilations).toHaveBeenCalledTimes(1);
      // Its output is still validated against the schema, and passed on.
      const tools = await box.toolsFor('alice');
      expect(await execute(tools, 'math__stats', { values: [1, 2, 6] })).toEqual({ mean: 3, count: 3 });
    } finally {
      compilations.mockRestore();
    }
  });

  it('validate what they describe, and keep at most `max` compilations', () => {
    const validators = createSchemaValidators(2);
    const schema = () => ({
      type: 'object' as const,
      properties: { n: { type: 'number' as const } },
      required: ['n'],
    });
    const validate = validators.getValidator(schema());
    expect(validate({ n: 1 })).toMatchObject({ valid: true, data: { n: 1 } });
    expect(validate({ n: 'one' })).toMatchObject({ valid: false, errorMessage: expect.any(String) });
    // Equal content, another object (as every listing parses anew): the same compilation.
    expect(validators.getValidator(schema())).toBe(validate);
    validators.getValidator({ type: 'string' });
    validators.getValidator({ type: 'boolean' });
    // Pushed out by two newer schemas: compiled again.
    expect(validators.getValidator(schema())).not.toBe(validate);
  });
});
