import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentClient } from '../src/agent/agent-client.ts';

/**
 * The client against an HTTP server answering as the agent does: a continue is accepted with
 * 202 (the run goes on in the background), while a 202 to a turn means the run paused.
 */
describe('the agent client', () => {
  const requests: { url: string; owner: string | undefined }[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    requests.push({
      url: request.url ?? '',
      owner: request.headers['x-keelson-owner'] as string | undefined,
    });
    request.resume();
    response.writeHead(202, { 'content-type': 'application/json' });
    const continued = request.url?.endsWith('/continue') ?? false;
    response.end(
      JSON.stringify(
        continued ? { runId: 'r', continued: true } : { runId: 'r', status: 'awaiting_approval' },
      ),
    );
  });
  let client: ReturnType<typeof createAgentClient>;

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    client = createAgentClient({ url: `http://127.0.0.1:${port}`, serviceToken: 'token' });
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("takes the agent's 202 to a continue as the run continued", async () => {
    const runId = '00000000-0000-4000-8000-000000000001';
    await expect(client.continueRun({ ownerId: 'alice', runId })).resolves.toBe(true);
    expect(requests.at(-1)).toEqual({ url: `/v1/runs/${runId}/continue`, owner: 'alice' });
  });

  it('takes a 202 to a turn as a run waiting for an approval, to be retried', async () => {
    await expect(
      client.runTurn({
        ownerId: 'alice',
        conversationId: '00000000-0000-4000-8000-000000000002',
        content: 'hello',
        idempotencyKey: 'k',
        taskId: 't',
        runDepth: 0,
        signal: AbortSignal.timeout(5_000),
      }),
    ).rejects.toThrow('the run waits for a tool approval');
  });
});
