import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { uniqueId, waitFor } from '@repo/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComposeProject, docker, REPO_ROOT, reportMetric } from '../src/compose.ts';
import { slowRequest } from '../src/slow-client.ts';

/**
 * The prod profile's load balancer as compose runs it (docker/lb/haproxy.cfg, its network and
 * fixed address), in front of a scripted stand-in for the api replicas instead of the api
 * (tests/e2e/lb.override.yaml): what HAProxy retries, buffers and cuts is seen at the replica,
 * by request, without building an image. The api behind the real load balancer is the prod
 * stack's suite (prod-stack.test.ts).
 */

// Its own subnet (LB_NETWORK_PREFIX): the prod stack's default one may belong to another project.
const PREFIX = '10.203.18';
const project = new ComposeProject('keelson-e2e-lb', {
  profiles: ['prod'],
  files: [join(REPO_ROOT, 'tests/e2e/lb.override.yaml')],
  env: { LB_NETWORK_PREFIX: PREFIX },
});

/** A timeout of haproxy.cfg's `defaults`, in ms: the waits below are derived from the config. */
function haproxyTimeoutMs(name: string): number {
  const config = readFileSync(join(REPO_ROOT, 'docker/lb/haproxy.cfg'), 'utf8');
  const match = new RegExp(`^\\s*timeout ${name} (\\d+)s$`, 'm').exec(config);
  if (!match) throw new Error(`no "timeout ${name} <n>s" in docker/lb/haproxy.cfg`);
  return Number(match[1]) * 1000;
}
const HTTP_REQUEST_MS = haproxyTimeoutMs('http-request');
const CLIENT_MS = haproxyTimeoutMs('client');

let port = 0;

interface UpstreamEntry {
  id: string;
  event: 'request' | 'body' | 'aborted';
  attempt?: number;
  path?: string;
  peer?: string;
  forwardedFor?: string | null;
  bytes?: number;
}

/** What the stand-in replica logged about the request(s) with this x-test-id. */
async function seenByReplica(id: string): Promise<UpstreamEntry[]> {
  const out = await docker(['logs', await project.containerId('upstream')]);
  return out
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as UpstreamEntry)
    .filter((entry) => entry.id === id);
}
const attempts = async (id: string) => (await seenByReplica(id)).filter((e) => e.event === 'request').length;

beforeAll(async () => {
  await project.down();
  await project.compose(['up', '--detach', '--no-deps', '--wait', '--wait-timeout', '120', 'lb', 'upstream']);
  port = await project.port('lb', 8080);
  // Routed once the replica's /ready passed HAProxy's checks (rise 2).
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health`)).status === 200, {
    timeoutMs: 30_000,
    intervalMs: 250,
    what: 'the stand-in replica routed by the load balancer',
  });
});

afterAll(async () => {
  if (process.env.E2E_KEEP !== '1') await project.down();
});

describe('the load balancer (docker/lb/haproxy.cfg)', () => {
  it('connects to the replicas from the one address the api trusts, and passes the client’s address on', async () => {
    const config = JSON.parse(await project.compose(['config', '--format', 'json'])) as {
      services: Record<string, { environment?: Record<string, string> }>;
    };
    const trusted = config.services['api-prod']!.environment!.TRUST_PROXY;
    expect(trusted).toBe(`${PREFIX}.2`);

    const id = uniqueId('xff');
    await fetch(`http://127.0.0.1:${port}/v1/documents`, {
      headers: { 'x-test-id': id, 'x-forwarded-for': '203.0.113.7' },
    });
    const [request] = (await seenByReplica(id)).filter((e) => e.event === 'request');
    expect(request!.peer).toBe(`::ffff:${trusted}`);
    // HAProxy appends what it saw (the published port's gateway) after what the client wrote:
    // the api, trusting only the load balancer, takes that last entry.
    const entries = request!.forwardedFor!.split(/\s*,\s*/);
    expect(entries[0]).toBe('203.0.113.7');
    expect(entries.at(-1)).toMatch(new RegExp(`^${PREFIX.replaceAll('.', '\\.')}\\.\\d+$`));
  });

  it('replays a failed POST only on the routes that honour Idempotency-Key, and only when it carries one', async () => {
    const conversation = randomUUID();
    const cases = [
      // The routes that store the key and answer a replay with the first response.
      { method: 'POST', path: '/v1/documents', key: true, fail: '503-once', replayed: true },
      { method: 'POST', path: '/v1/tasks', key: true, fail: 'close-once', replayed: true },
      {
        method: 'POST',
        path: `/v1/conversations/${conversation}/messages`,
        key: true,
        fail: '503-once',
        replayed: true,
      },
      // The same routes without a key: a replay could store twice.
      { method: 'POST', path: '/v1/documents', key: false, fail: '503-once', replayed: false },
      { method: 'POST', path: '/v1/tasks', key: false, fail: 'close-once', replayed: false },
      // Routes that ignore the header: the key proves nothing there.
      { method: 'POST', path: '/v1/conversations', key: true, fail: '503-once', replayed: false },
      { method: 'POST', path: '/v1/search', key: true, fail: '503-once', replayed: false },
      {
        method: 'POST',
        path: `/v1/tasks/${randomUUID()}/cancel`,
        key: true,
        fail: '503-once',
        replayed: false,
      },
      { method: 'POST', path: '/mcp', key: true, fail: '503-once', replayed: false },
      { method: 'POST', path: '/mcp', key: true, fail: 'close-once', replayed: false },
      // Not the exact path of an honouring route.
      { method: 'POST', path: '/v1/documents/', key: true, fail: '503-once', replayed: false },
      { method: 'POST', path: '/v1/conversations/x/messages', key: true, fail: '503-once', replayed: false },
      // Idempotent methods are replayed, key or not.
      { method: 'GET', path: '/v1/documents', key: false, fail: '503-once', replayed: true },
      {
        method: 'DELETE',
        path: `/v1/documents/${randomUUID()}`,
        key: false,
        fail: 'close-once',
        replayed: true,
      },
    ];
    const outcomes = [];
    for (const c of cases) {
      const id = uniqueId('retry');
      const response = await fetch(`http://127.0.0.1:${port}${c.path}`, {
        method: c.method,
        headers: {
          'x-test-id': id,
          'x-test-fail': c.fail,
          ...(c.key ? { 'idempotency-key': uniqueId('key') } : {}),
          ...(c.method === 'POST' ? { 'content-type': 'application/json' } : {}),
        },
        body: c.method === 'POST' ? '{}' : undefined,
      }).then(
        (r) => r.status,
        () => 'closed',
      );
      const seen = await attempts(id);
      outcomes.push({ ...c, seen, response });
    }
    // Listed, so a failure names the route.
    const wrong = outcomes.filter(
      (o) => o.seen !== (o.replayed ? 2 : 1) || (o.replayed ? o.response !== 200 : o.response === 200),
    );
    expect(wrong).toEqual([]);
  });

  it('answers Expect: 100-continue itself, so a client that waits for it (curl) sends its body', async () => {
    const id = uniqueId('continue');
    const body = JSON.stringify({ title: 'continue', content: 'x'.repeat(4096) });
    // Without the 100, the body never comes and the request ends in 408 (timeout http-request).
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/v1/documents',
        headers: {
          'x-test-id': id,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          expect: '100-continue',
        },
      });
      request.on('continue', () => request.end(body));
      request.on('response', (response) => {
        response.resume();
        resolve(response.statusCode!);
      });
      request.on('error', reject);
      request.flushHeaders();
    });
    expect(status).toBe(200);
    const received = (await seenByReplica(id)).find((entry) => entry.event === 'body');
    expect(received?.bytes).toBe(Buffer.byteLength(body));
  });

  // Each of these outlasts `timeout client`, so they run side by side.
  describe.concurrent('slow clients', () => {
    it('answers 408 to headers that trickle, before any replica sees the request', async () => {
      const id = uniqueId('slow-headers');
      const pieces = Math.ceil((6 * HTTP_REQUEST_MS) / 1000);
      const result = await slowRequest(port, {
        head: `POST /v1/documents HTTP/1.1\r\nHost: lb\r\nx-test-id: ${id}\r\nx-padding: `,
        trickle: Array.from({ length: pieces }, () => 'a'),
        gapMs: 1000,
      });
      reportMetric('lb.slow_headers_cut_after', result.ms, 'ms');
      expect(result.status).toBe(408);
      // Cut long before the client would have finished, and never forwarded.
      expect(result.written).toBeLessThan(pieces);
      expect(await seenByReplica(id)).toEqual([]);
    });

    it('answers 408 (problem+json) to a small body that trickles, which no replica ever sees', async () => {
      const id = uniqueId('slow-body');
      const pieces = Math.ceil((6 * HTTP_REQUEST_MS) / 1000);
      const result = await slowRequest(port, {
        head:
          `POST /v1/documents HTTP/1.1\r\nHost: lb\r\nx-test-id: ${id}\r\n` +
          `content-type: application/json\r\ncontent-length: ${pieces}\r\n\r\n`,
        trickle: Array.from({ length: pieces }, () => ' '),
        gapMs: 1000,
      });
      reportMetric('lb.slow_body_cut_after', result.ms, 'ms');
      expect(result.status).toBe(408);
      expect(JSON.parse(result.body)).toMatchObject({ status: 408, title: 'Request Timeout' });
      expect(result.written).toBeLessThan(pieces);
      expect(await seenByReplica(id)).toEqual([]);
    });

    it('cuts a large body that pauses longer than timeout client, at the replica too', async () => {
      const id = uniqueId('paused-body');
      // More than one buffer, so HAProxy has started forwarding it to the replica.
      const sent = 64 * 1024;
      const result = await slowRequest(port, {
        head:
          `POST /v1/documents HTTP/1.1\r\nHost: lb\r\nx-test-id: ${id}\r\n` +
          `content-type: application/json\r\ncontent-length: ${sent + 1}\r\n\r\n${' '.repeat(sent)}`,
        trickle: [' '],
        gapMs: CLIENT_MS * 3,
      });
      reportMetric('lb.paused_body_cut_after', result.ms, 'ms');
      expect(result.written).toBe(0);
      expect(result.status).toBe(400);
      expect(JSON.parse(result.body)).toMatchObject({ status: 400 });
      // The replica had the request, and lost it when the load balancer cut it: its slot is free.
      const seen = await waitFor(
        async () => {
          const entries = await seenByReplica(id);
          return entries.some((e) => e.event === 'aborted') ? entries : undefined;
        },
        { timeoutMs: 10_000, what: 'the replica to see the request aborted' },
      );
      expect(seen.find((e) => e.event === 'aborted')!.bytes).toBeLessThanOrEqual(sent);
      expect(seen.some((e) => e.event === 'body')).toBe(false);
    });

    it('waits for a slow answer longer than timeout client (a slow agent turn, as JSON)', async () => {
      const id = uniqueId('slow-answer');
      const started = performance.now();
      const response = await fetch(`http://127.0.0.1:${port}/v1/conversations/${randomUUID()}/messages`, {
        method: 'POST',
        headers: { 'x-test-id': id, 'x-test-delay-ms': String(CLIENT_MS + 10_000) },
        body: '{}',
        signal: AbortSignal.timeout(CLIENT_MS * 4),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ id });
      expect(performance.now() - started).toBeGreaterThan(CLIENT_MS);
    });

    it('keeps an SSE stream open across quiet gaps longer than timeout client', async () => {
      const id = uniqueId('quiet-stream');
      const gapMs = CLIENT_MS + 5_000;
      const started = performance.now();
      const response = await fetch(`http://127.0.0.1:${port}/v1/conversations/${randomUUID()}/messages`, {
        method: 'POST',
        headers: { 'x-test-id': id, 'x-test-sse': `2x${gapMs}`, accept: 'text/event-stream' },
        body: '{}',
        signal: AbortSignal.timeout(gapMs * 4),
      });
      expect(response.headers.get('content-type')).toBe('text/event-stream');
      const text = await response.text();
      expect(text).toContain(': heartbeat 2');
      expect(text).toContain('event: done');
      expect(performance.now() - started).toBeGreaterThan(2 * gapMs);
    });
  });
});
