import { HttpProblem, serviceUnavailable } from '@repo/http';
import type { Logger } from '@repo/observability';
import type { Redis } from '@repo/queue';
import type { RunEvent, RunFeed } from '@repo/runs';
import type { AgentConfig } from '../config.ts';
import { estimateTokens } from '../memory/tokens.ts';
import type { AgentMetrics } from '../metrics/agent-metrics.ts';
import { missingModelHint, type ConfiguredModel } from '../models/language-model.ts';
import { createTurnProgress, runTurn, type TurnDependencies, type TurnProgress } from '../turns/run-turn.ts';
import { countEnd, failedOutcome, planEnd, type Ending, type StoredEnding } from './run-ending.ts';
import { createRunEventSink, type RunEventSink } from './run-event-sink.ts';
import { keepLease } from './run-lease.ts';
import {
  budgetFailure,
  errorMetricKind,
  failureOf,
  messageView,
  shutdownFailure,
  STOP,
  type Failure,
  type TurnView,
} from './run-outcomes.ts';
import type { RunConversation, RunStart } from './run-start.ts';
import { RunLostError, type RunBatch, type RunStore } from './run-store.ts';

export interface RunExecutorOptions {
  config: AgentConfig;
  /** Starting runs (the one statement of a new run, idempotency keys). */
  starts: RunStart;
  runs: RunStore;
  /** Follows runs executed by other agent instances (an idempotent retry that lands elsewhere). */
  feed: RunFeed;
  /** The live streams' connection. */
  redis: Redis;
  turns: Omit<TurnDependencies, 'model'>;
  model: ConfiguredModel | undefined;
  metrics: AgentMetrics;
  logger: Logger;
  /** Queues a background summary of the turns that no longer fit; never awaited by a run. */
  requestSummary: (ownerId: string, conversationId: string) => void;
  /** This process, as the holder of its runs' leases: unique per process start. */
  instanceId: string;
}

export interface StartRunInput {
  ownerId: string;
  conversationId: string;
  content: string;
  idempotencyKey?: string | undefined;
  /** The background agent-run task this run answers. */
  taskId?: string | undefined;
  /** The starting request's id: a failed run's problem carries it, so the client can quote it. */
  requestId?: string | undefined;
  /**
   * How deep in a chain of agent runs this one is (the task-runner says so; 0 for a conversation
   * turn): handed to the api with every tool call, so a run this one queues is one level deeper.
   */
  runDepth?: number | undefined;
}

export type StartedRun =
  /** Follow it: a new run, or the one an idempotency key already started. */
  | { kind: 'running'; runId: string }
  /** The idempotency key was answered before: the stored answer, nothing new ran. */
  | { kind: 'answered'; view: TurnView };

interface ActiveRun {
  sink: RunEventSink;
  controller: AbortController;
  settled: Promise<void>;
}

/**
 * Executes runs, detached from the HTTP request that started them: a client that goes away, or
 * an api replica that dies, leaves the run going to its end. Each run holds a lease in Postgres,
 * renewed while it runs, and stores its events in batches (every RUN_FLUSH_INTERVAL_MS while
 * there are new ones, and all the rest with its final state, in one transaction). A cancel from
 * any replica arrives on the cancel channel (or, if that message is lost, at the next flush or
 * lease renewal) and aborts the run's AbortController: the model call and a running tool stop,
 * what was produced so far is stored, and the run ends `cancelled`.
 */
export function createRunExecutor(options: RunExecutorOptions) {
  const { config, runs, metrics, logger, instanceId } = options;
  const active = new Map<string, ActiveRun>();
  let stopping = false;

  async function start(input: StartRunInput): Promise<StartedRun> {
    if (stopping) throw serviceUnavailable('The agent is shutting down. Retry.');
    if (!options.model) {
      metrics.errors.inc({ kind: 'no-model' });
      throw new HttpProblem(503, missingModelHint(), { type: 'urn:keelson:problem:no-model' });
    }
    const opened = await options.starts.open({
      ...input,
      tokenCount: estimateTokens(input.content),
      provider: options.model.provider,
      model: options.model.modelId,
      leaseOwner: instanceId,
      leaseMs: config.RUN_LEASE_MS,
    });
    switch (opened.kind) {
      case 'no-conversation':
        throw new HttpProblem(404, 'conversation not found');
      case 'conflict':
        throw new HttpProblem(
          409,
          'Another run of this conversation is still active: wait for it to end, or cancel it.',
          { type: 'urn:keelson:problem:run-active', extensions: { activeRunId: opened.activeRunId } },
        );
      case 'refused':
        throw opened.problem;
      case 'answered':
        metrics.turns.inc({ outcome: 'replayed' });
        return {
          kind: 'answered',
          view: {
            runId: opened.runId ?? null,
            userMessageId: opened.userMessage.id,
            reply: messageView(opened.reply),
            messages: [messageView(opened.reply)],
            usage: { inputTokens: 0, outputTokens: 0 },
            finishReason: 'replayed',
            steps: 0,
            replayed: true,
          },
        };
      case 'active':
        return { kind: 'running', runId: opened.runId };
      case 'started': {
        const controller = new AbortController();
        const sink = createRunEventSink({
          runId: opened.runId,
          lastSeq: 0,
          redis: options.redis,
          prefix: config.QUEUE_PREFIX,
          logger,
        });
        const run: ActiveRun = { sink, controller, settled: Promise.resolve() };
        active.set(opened.runId, run);
        const context = {
          runId: opened.runId,
          ownerId: input.ownerId,
          userMessageId: opened.userMessageId,
          requestId: input.requestId,
          runDepth: input.runDepth ?? 0,
        };
        // Settled once its end is stored and handed to its followers (shutdown waits for that,
        // so their responses are complete before the server closes).
        run.settled = execute(run, context, opened.conversation)
          .then(() => sink.delivered())
          .catch((error: unknown) => logger.error({ err: error, runId: opened.runId }, 'run executor failed'))
          .finally(() => active.delete(opened.runId));
        return { kind: 'running', runId: opened.runId };
      }
    }
  }

  async function execute(
    run: ActiveRun,
    context: {
      runId: string;
      ownerId: string;
      userMessageId: string;
      requestId: string | undefined;
      runDepth: number;
    },
    conversation: RunConversation,
  ): Promise<void> {
    const { runId } = context;
    const progress = createTurnProgress(runId);
    const keeper = keepLease(
      { runs, instanceId, leaseMs: config.RUN_LEASE_MS, flushMs: config.RUN_FLUSH_INTERVAL_MS, logger },
      { runId, sink: run.sink, controller: run.controller },
      progress,
    );
    let ending: Ending;
    try {
      const result = await runTurn(
        { ...options.turns, model: options.model! },
        {
          ownerId: context.ownerId,
          runId,
          conversation,
          signal: run.controller.signal,
          emit: (event) => run.sink.emit(event),
          progress,
          runDepth: context.runDepth,
        },
      );
      ending = progress.budgetExhausted
        ? { kind: 'failed', failure: budgetFailure(runId, progress.budgetExhausted) }
        : { kind: 'succeeded', result };
    } catch (error) {
      const reason: unknown = run.controller.signal.aborted ? run.controller.signal.reason : undefined;
      ending =
        reason === STOP.lost
          ? { kind: 'lost' }
          : reason === STOP.cancelled
            ? { kind: 'cancelled' }
            : reason === STOP.shutdown
              ? { kind: 'failed', failure: shutdownFailure(runId) }
              : { kind: 'failed', failure: failureOf(error, runId, context.requestId), error };
    } finally {
      await keeper.stop();
    }
    if (ending.kind === 'lost') {
      metrics.turns.inc({ outcome: 'aborted' });
      logger.warn({ runId }, 'run lost: it was ended elsewhere (reaped, or its conversation deleted)');
      run.sink.abandon();
      return;
    }
    await finish(run, context, conversation.id, progress, ending);
    if (ending.kind === 'succeeded' && ending.result.outgrewBudget) {
      options.requestSummary(context.ownerId, conversation.id);
    }
  }

  /** Stores the run's end in one statement, then publishes its final event. */
  async function finish(
    run: ActiveRun,
    context: { runId: string; userMessageId: string },
    conversationId: string,
    progress: TurnProgress,
    ending: StoredEnding,
  ): Promise<void> {
    const { runId } = context;
    const planned = planEnd(ending, context, progress);
    const pending: RunBatch = {
      events: run.sink.takeUnstored(),
      toolCalls: progress.takeToolCalls(),
      usage: progress.takeUsage(),
    };
    try {
      const { event } = await runs.finish(
        runId,
        instanceId,
        conversationId,
        planned.output,
        planned.outcome,
        pending,
        (stored) => ({ seq: run.sink.nextSeq(), ...planned.finalEvent(stored.map(messageView)) }),
      );
      run.sink.end(event);
      countEnd(metrics, logger, ending, { runId, conversationId });
    } catch (error) {
      if (error instanceof RunLostError) {
        metrics.turns.inc({ outcome: 'aborted' });
        run.sink.abandon();
        return;
      }
      // The end could not be stored (Postgres gone, or no answer to store): the followers hear it
      // now as an error, and storing it is retried until the lease would have run out.
      const failure = failureOf(error, runId);
      logger.warn({ err: error, runId }, 'could not store the end of a run');
      metrics.turns.inc({ outcome: 'error' });
      metrics.errors.inc({ kind: errorMetricKind(failure) });
      const event: RunEvent = {
        seq: run.sink.nextSeq(),
        type: 'error',
        data: { ...failure.problem, code: failure.code },
      };
      run.sink.end(event);
      void storeFailureLater(runId, conversationId, failure, progress, pending, event);
    }
  }

  async function storeFailureLater(
    runId: string,
    conversationId: string,
    failure: Failure,
    progress: TurnProgress,
    pending: RunBatch,
    event: RunEvent,
  ): Promise<void> {
    // Every 250 ms: the run holds its conversation until its end is stored, so it is stored as
    // soon as Postgres answers again.
    const deadline = Date.now() + config.RUN_LEASE_MS;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      try {
        await runs.finish(
          runId,
          instanceId,
          conversationId,
          [],
          failedOutcome(failure, progress),
          pending,
          () => event,
        );
        return;
      } catch (error) {
        if (error instanceof RunLostError) return;
      }
    }
    logger.warn(
      { runId },
      'gave up storing the end of a run; the reaper will fail it when its lease expires',
    );
  }

  return {
    start,

    /** The run's events after `afterSeq`: from memory when it runs here, else from the shared feed. */
    follow(runId: string, afterSeq: number, signal?: AbortSignal): AsyncGenerator<RunEvent> {
      const local = active.get(runId);
      return local ? local.sink.follow(afterSeq, signal) : options.feed.follow(runId, afterSeq, signal);
    },

    /** Aborts the run if this agent executes it (the cancel channel's handler). */
    cancel(runId: string): boolean {
      const run = active.get(runId);
      if (!run) return false;
      run.controller.abort(STOP.cancelled);
      return true;
    },

    /** Runs executing in this process. */
    get activeCount() {
      return active.size;
    },

    /**
     * Shutdown: no new run starts; running ones get `graceMs` to finish, then are stopped and
     * stored as failed (`agent-shutdown`), so none is left for the reaper when the agent stops
     * on purpose.
     */
    async drain(graceMs: number): Promise<void> {
      stopping = true;
      const all = () => Promise.all([...active.values()].map((run) => run.settled));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([all(), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
      for (const run of active.values()) run.controller.abort(STOP.shutdown);
      await all();
    },
  };
}

export type RunExecutor = ReturnType<typeof createRunExecutor>;
