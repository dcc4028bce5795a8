import { getHeapStatistics } from 'node:v8';
import underPressure from '@fastify/under-pressure';
import { serviceUnavailable } from '@repo/http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

export interface LoadSheddingOptions {
  maxEventLoopDelayMs: number;
  /** 0: 90 % of V8's heap limit, so the process sheds load before it runs out of memory. */
  maxHeapUsedBytes: number;
  sampleIntervalMs: number;
  retryAfterSeconds: number;
}

/**
 * Load shedding: when the event loop lags or the heap nears its limit, new requests get an
 * immediate 503 with Retry-After instead of queueing behind the backlog (and timing out anyway).
 * Probes are exempt: liveness must not get a busy replica restarted, and readiness reports its
 * dependencies; metrics are what shows the pressure.
 */
async function loadShedding(app: FastifyInstance, options: LoadSheddingOptions) {
  await app.register(underPressure, {
    maxEventLoopDelay: options.maxEventLoopDelayMs,
    maxHeapUsedBytes: options.maxHeapUsedBytes || Math.floor(getHeapStatistics().heap_size_limit * 0.9),
    sampleInterval: options.sampleIntervalMs,
    retryAfter: options.retryAfterSeconds,
    // A rejected promise goes to the error handler, so the answer is problem+json like any other.
    pressureHandler: async (request, _reply, type) => {
      if (request.routeOptions.config.probe) return;
      request.log.warn({ type }, 'under pressure: shedding a request');
      throw serviceUnavailable('The server is overloaded. Retry later.', options.retryAfterSeconds);
    },
  });
}

export default fp(loadShedding, { name: 'load-shedding' });
