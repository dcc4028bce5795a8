import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter } from '@bull-board/fastify';
import type { Queue } from 'bullmq';
import type { FastifyPluginAsync } from 'fastify';

export const BULL_BOARD_PATH = '/queues';

/**
 * bull-board, the maintained web UI for BullMQ queues: jobs by state, their data, errors and
 * logs, with retry/remove actions. Mounted on the internal health port and never in production
 * (the caller decides): it can change queues and shows job payloads, and the port has no auth.
 */
export function bullBoard(queues: readonly Queue[]): FastifyPluginAsync {
  return async (scope) => {
    const serverAdapter = new FastifyAdapter();
    serverAdapter.setBasePath(BULL_BOARD_PATH);
    createBullBoard({ queues: queues.map((queue) => new BullMQAdapter(queue)), serverAdapter });
    await scope.register(serverAdapter.registerPlugin(), { prefix: BULL_BOARD_PATH });
  };
}
