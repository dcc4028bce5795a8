import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** An incoming request id is kept only if it is short and plain, so it is safe to log and echo. */
const REQUEST_ID = /^[A-Za-z0-9-]{1,64}$/;

/**
 * Fastify options that give a request the id it came with (from the load balancer or the service
 * that called), when well-formed, so one id follows a request through every service; otherwise
 * a new UUID.
 */
export const requestIdOptions = {
  requestIdHeader: false,
  genReqId(request: IncomingMessage): string {
    const incoming = request.headers['x-request-id'];
    return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  },
} as const;

/**
 * Every response names its request id, so a client can quote it. A callback hook, not an async
 * one: it runs on every response, probes included, and needs no promise.
 */
async function echoRequestId(app: FastifyInstance) {
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    done(null, payload);
  });
}

export const requestIdPlugin = fp(echoRequestId, { name: 'request-id' });
