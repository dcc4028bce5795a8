import { waitFor } from '@repo/testing';
import type { ApiClient } from './http.ts';

/** The parts of the api's run and task views the run scenarios read. */
export interface Approval {
  toolCallId: string;
  toolName: string;
  input: unknown;
  decision: string;
}

export interface RunView {
  status: string;
  approvals?: Approval[];
}

export interface TaskView {
  id: string;
  status: string;
  input: { conversationId?: string };
}

const FINAL = ['succeeded', 'failed', 'cancelled'];

async function read<T>(api: ApiClient, path: string): Promise<T> {
  const { status, body } = await api.request('GET', path);
  if (status !== 200) throw new Error(`GET ${path}: ${status} ${JSON.stringify(body)}`);
  return body as T;
}

/** The agent-run tasks queued into `conversationId`, among the owner's newest 100 (plenty here). */
export async function tasksInto(api: ApiClient, conversationId: string): Promise<TaskView[]> {
  const page = await read<{ items: TaskView[] }>(api, '/v1/tasks?type=agent-run&limit=100');
  return page.items.filter((task) => task.input.conversationId === conversationId);
}

/**
 * Polls `GET /v1/runs/:id` or `GET /v1/tasks/:id` (through the load balancer) until it reports a
 * final status, and returns that view.
 */
export function untilEnded<T extends { status: string }>(
  api: ApiClient,
  path: `/v1/runs/${string}` | `/v1/tasks/${string}`,
  timeoutMs = 60_000,
): Promise<T> {
  return waitFor(
    async () => {
      const view = await read<T>(api, path);
      return FINAL.includes(view.status) ? view : undefined;
    },
    { timeoutMs, intervalMs: 250, what: `${path} to end` },
  );
}
