import type { Redis } from '@repo/queue';
import { waitFor } from '@repo/testing';
import type { Job, Queue } from 'bullmq';

// What the fairness bench reads from the queue: the order of starts around B's job (from the
// queue's event stream) and the jobs' own timestamps once they are done.

/**
 * From the queue's event stream (one Redis stream: one order across every replica), at B's add:
 * the jobs added and not yet started, and the jobs started after it until B's own start.
 */
export async function orderAroundB(events: Redis, key: string, jobIdOfB: string) {
  const waiting = new Set<string>();
  let waitingAtArrival: number | undefined;
  let startedAheadOfB = 0;
  for (const [, fields] of await events.xrange(key, '-', '+')) {
    const event = new Map<string, string>();
    for (let i = 0; i < fields.length; i += 2) event.set(fields[i]!, fields[i + 1]!);
    const jobId = event.get('jobId');
    if (jobId === jobIdOfB && waitingAtArrival === undefined) waitingAtArrival = waiting.size;
    if (event.get('event') === 'waiting' && jobId) waiting.add(jobId);
    if (event.get('event') !== 'active' || !jobId) continue;
    if (jobId === jobIdOfB) return { waitingAtArrival: waitingAtArrival!, startedAheadOfB };
    waiting.delete(jobId);
    if (waitingAtArrival !== undefined) startedAheadOfB++;
  }
  throw new Error(`the event stream ${key} does not show job ${jobIdOfB} started`);
}

export async function completedJob(queue: Queue, jobId: string): Promise<Job> {
  let done: Job | undefined;
  await waitFor(
    async () => {
      const job = await queue.getJob(jobId);
      if (job?.failedReason) throw new Error(`${jobId} failed: ${job.failedReason}`);
      done = job?.finishedOn ? job : undefined;
      return done !== undefined;
    },
    { timeoutMs: 300_000, intervalMs: 20, what: `job ${jobId} done` },
  );
  return done!;
}

/**
 * Waits until `jobIds` are all completed, then reads them. One count per poll, whatever the mode:
 * polling each job (an HGETALL per job every 20 ms) cost as much as the runners' own work while B,
 * done early with places in line, left hundreds of A's jobs to poll, and none without — the
 * whole of the fair drain's measured "cost" (tests/bench/README.md, "Queue: fairness between owners").
 */
export async function completedJobs(queue: Queue, jobIds: string[]): Promise<Map<string, Job>> {
  const counts = () => queue.getJobCounts('completed', 'failed', 'delayed');
  await waitFor(
    async () => {
      const { completed = 0, failed = 0, delayed = 0 } = await counts();
      if (failed > 0 || delayed > 0) return true;
      return completed >= jobIds.length;
    },
    { timeoutMs: 300_000, intervalMs: 20, what: `${jobIds.length} jobs done` },
  );
  const { failed = 0, delayed = 0 } = await counts();
  if (failed > 0 || delayed > 0) {
    const [job] = await queue.getJobs(['failed', 'delayed'], 0, 0);
    throw new Error(
      `${failed} failed, ${delayed} retrying ${queue.name} jobs; e.g. ${job?.id}: ${job?.failedReason}`,
    );
  }
  const done = new Map((await queue.getJobs(['completed'], 0, -1)).map((job) => [job.id!, job]));
  const missing = jobIds.filter((id) => !done.get(id)?.finishedOn);
  if (missing.length > 0) throw new Error(`${missing.length} jobs not completed, e.g. ${missing[0]}`);
  return done;
}
