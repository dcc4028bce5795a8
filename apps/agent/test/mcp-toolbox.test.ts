import { createLogger } from '@repo/observability';
import { afterEach, describe, expect, it } from 'vitest';
import { createToolbox, type Toolbox } from '../src/tools/mcp-toolbox.ts';
import { startTestMcpServer, type TestMcpServer } from './support/mcp-server.ts';

const logger = createLogger({ service: 'agent-test', level: 'silent' });
const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

async function server(): Promise<TestMcpServer> {
  const started = await startTestMcpServer();
  cleanup.push(() => started.stop());
  return started;
}

function toolbox(
  servers: Parameters<typeof createToolbox>[0]['servers'],
  overrides: Partial<Parameters<typeof createToolbox>[0]> = {},
): Toolbox {
  const box = createToolbox({ servers, timeoutMs: 1_000, retries: 1, cooldownMs: 0, logger, ...overrides });
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
    const box = toolbox([{ name: 'math', url: extra.url, headers: {} }]);
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
