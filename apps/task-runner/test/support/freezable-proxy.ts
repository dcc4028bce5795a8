import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy that can go silent: `freeze()` stops forwarding bytes but keeps every connection
 * open, as a network partition or a frozen host does — nobody sees a close, answers just stop.
 * (@repo/testing's TcpProxy simulates the other failure: connections dropped at once.)
 */
export async function createFreezableProxy(targetUrl: string) {
  const target = new URL(targetUrl);
  const pairs = new Set<{ client: Socket; upstream: Socket }>();
  let frozen = false;

  const server = createServer((client) => {
    const upstream = connect(Number(target.port), target.hostname);
    const pair = { client, upstream };
    pairs.add(pair);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(pair);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.on('data', (data: Buffer) => frozen || upstream.write(data));
    upstream.on('data', (data: Buffer) => frozen || client.write(data));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };

  return {
    url(url: string) {
      const rewritten = new URL(url);
      rewritten.hostname = '127.0.0.1';
      rewritten.port = String(port);
      return rewritten.toString();
    },
    freeze() {
      frozen = true;
    },
    async close() {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
