import type * as BullMQ from 'bullmq';
import type { Queue, Telemetry } from 'bullmq';
import type { Redis } from 'ioredis';
import { fairPriority } from './fairness.ts';
import { jobs, retention, type JobName, type JobPayload } from './jobs.ts';

export interface ProducerOptions {
  /** A producer-role connection (see `createRedis`); shared by every queue of this producer. */
  connection: Redis;
  prefix: string;
  /** An enqueue that has not been acknowledged within this long fails (default 1 s). */
  timeoutMs?: number;
  /** Queue-level errors (connection lost, …); ioredis reconnects by itself, so they are only reported. */
  onError?: (error: Error) => void;
  /**
   * BullMQ's tracing integration (`queueTelemetry()` of @repo/telemetry; undefined while tracing
   * is off): each add is a span, and its context travels inside the job, so the worker that runs
   * it continues the same trace.
   */
  telemetry?: Telemetry;
}

/** The queue cannot take the job right now (Redis down or too slow); nothing was enqueued or it is unknown. */
export class QueueUnavailableError extends Error {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`queue unavailable: ${reason}`, options);
    this.name = 'QueueUnavailableError';
  }
}

export interface EnqueueOptions {
  /** The job's id. Use the task's id: enqueueing the same task again is then a no-op. */
  jobId?: string;
  /**
   * For jobs without a task: an add is dropped while a job with this id is still waiting, delayed
   * or running (BullMQ deduplication), so a burst of requests makes one job, and a later one
   * makes another.
   */
  deduplicationId?: string;
  /**
   * The job's place in its owner's line: how many jobs of this kind the owner has open (queued or
   * running), this one included (`countOpenTasks` of @repo/db). It becomes the job's priority, so
   * owners take turns on the queue (fairness.ts). Without it the job is first-in-first-out — and
   * ahead of every job that has one (BullMQ fetches unprioritized jobs first).
   */
  ownerPlace?: number;
}

export interface Producer {
  enqueue<Name extends JobName>(
    name: Name,
    payload: JobPayload<Name>,
    options: EnqueueOptions,
  ): Promise<void>;
  /** The job's BullMQ queue (created on first use, shared by later calls). */
  queue(name: JobName): Promise<Queue>;
  close(): Promise<void>;
}

/**
 * BullMQ, imported once per process, on first need. BullMQ and its dependencies are ~290 modules,
 * the largest share of an api's start-up that no probe or read needs: the api calls this once it
 * listens (server.ts), so start-up does not wait for them and the first enqueue does not pay for
 * them either; an image's compile cache is filled with it too (docker/compile-cache.mjs).
 */
let bullmq: Promise<typeof BullMQ> | undefined;
export const importBullmq = () => (bullmq ??= import('bullmq'));

/**
 * The only way code adds jobs. It validates the payload against the contract before it reaches
 * Redis and applies the job's retry policy and bounded retention, so no call site can forget them.
 */
export function createProducer(options: ProducerOptions): Producer {
  const timeoutMs = options.timeoutMs ?? 1_000;
  const queues = new Map<JobName, Queue>();
  let closed = false;

  const queue = async (name: JobName): Promise<Queue> => {
    const { Queue } = await importBullmq();
    // A queue made after close() would never be closed.
    if (closed) throw new QueueUnavailableError('the producer is closed');
    let existing = queues.get(name);
    if (!existing) {
      existing = new Queue(name, {
        connection: options.connection,
        prefix: options.prefix,
        defaultJobOptions: { ...retention, ...jobs[name].options },
        telemetry: options.telemetry,
      });
      existing.on('error', options.onError ?? (() => {}));
      queues.set(name, existing);
    }
    return existing;
  };

  return {
    queue,
    async enqueue(name, payload, { jobId, deduplicationId, ownerPlace }) {
      const data = jobs[name].payload.parse(payload);
      const priority = ownerPlace === undefined ? undefined : fairPriority(ownerPlace);
      // Fail fast instead of waiting for a reconnect: BullMQ waits for a connection that is not
      // ready yet, and the caller (an HTTP request) would hang with it.
      const status = options.connection.status;
      if (status !== 'ready') throw new QueueUnavailableError(`redis connection is ${status}`);
      // Before the timeout starts: the time to import BullMQ (once) is not Redis's answer time.
      const jobQueue = await queue(name);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new QueueUnavailableError(`no answer within ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      try {
        const add = jobQueue.add(name, data, {
          ...(jobId ? { jobId } : {}),
          ...(deduplicationId ? { deduplication: { id: deduplicationId } } : {}),
          ...(priority === undefined ? {} : { priority }),
        });
        await Promise.race([add, timeout]);
      } catch (error) {
        throw error instanceof QueueUnavailableError
          ? error
          : new QueueUnavailableError(error instanceof Error ? error.message : String(error), {
              cause: error,
            });
      } finally {
        clearTimeout(timer);
      }
    },
    async close() {
      closed = true;
      // Queues built on a caller's connection leave that connection open; its owner closes it.
      await Promise.all([...queues.values()].map((q) => q.close()));
    },
  };
}
