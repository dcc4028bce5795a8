import { createServer } from 'node:net';

/**
 * A loopback port nobody listens on right now, for a server a test starts as a separate process
 * (or whose URL another service must know before it starts). Another process may take it before
 * it is used; tests that can listen on port 0 themselves should.
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
