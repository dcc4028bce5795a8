import { HttpProblem, serviceUnavailable } from '@repo/http';
import type { Logger } from '@repo/observability';
import type { Redis } from '@repo/queue';
import type { RunEvent, RunFeed } from '@repo/runs';
import type { AgentConfig } from '../config.ts';
import { fromResponseMessages, type OutputMessage } from '../conversations/model-messages.ts';
import { estimateTokens } from '../memory/tokens.ts';
import type { AgentMetrics } from '../metrics/agent-metrics.ts';
import { missingModelHint, type ConfiguredModel } from '../models/language-model.ts';
import {
  createTurnProgress,
  runTurn,
  type TurnDependencies,
  type TurnProgress,
  type TurnResult,
} from '../turns/run-turn.ts';
import { createRunEventSink, type RunEventSink } from './run-event-sink.ts';
import {
  errorMetricKind,
  failureOf,
  messageView,
  partialOutput,
  shutdownFailure,
  STOP,
  type Failure,
  type TurnView,
} from './run-outcomes.ts';
import { RunLostError, type RunOutcome, type RunStore } from './run-store.ts';

export interface RunExecutorOptions {
  config: AgentConfig;
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

type Ending =
  | { kind: 'succeeded'; result: TurnResult }
  | { kind: 'cancelled' }
  | { kind: 'failed'; failure: Failure; error?: unknown }
  | { kind: 'lost' };

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
    const opened = await runs.open({
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
        const context = { runId: opened.runId, ownerId: input.ownerId, userMessageId: opened.userMessageId };
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
    context: { runId: string; ownerId: string; userMessageId: string },
    conversation: { id: string; summary: string | null; summarizedThroughSeq: number },
  ): Promise<void> {
    const { runId } = context;
    const progress = createTurnProgress(runId);
    const keeper = keepLease(runId, run, progress);
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
        },
      );
      ending = { kind: 'succeeded', result };
    } catch (error) {
      const reason: unknown = run.controller.signal.aborted ? run.controller.signal.reason : undefined;
      ending =
        reason === STOP.lost
          ? { kind: 'lost' }
          : reason === STOP.cancelled
            ? { kind: 'cancelled' }
            : reason === STOP.shutdown
              ? { kind: 'failed', failure: shutdownFailure(runId) }
              : { kind: 'failed', failure: failureOf(error, runId), error };
    } finally {
      await keeper.stop();
    }
    if (ending.kind === 'lost') {
      metrics.turns.inc({ outcome: 'aborted' });
      logger.warn(
        { runId },
        'run lost: it was ended elsewhere (reaped, cancelled, or its conversation deleted)',
      );
      run.sink.abandon();
      return;
    }
    await finish(run, context, conversation.id, progress, ending);
  }

  /**
   * While the run executes: every RUN_FLUSH_INTERVAL_MS, store the events and tool calls emitted
   * since the last time (a no-op when there are none), and renew the lease at least every third
   * of RUN_LEASE_MS. Each store also answers whether a cancel was asked for, and fails when the
   * run is no longer this agent's; both abort the run.
   */
  function keepLease(runId: string, run: ActiveRun, progress: TurnProgress) {
    let chain: Promise<void> = Promise.resolve();
    let renewedAt = Date.now();
    const tick = () => {
      chain = chain.then(async () => {
        const events = run.sink.takeUnstored();
        const calls = progress.takeToolCalls();
        const due = Date.now() - renewedAt >= config.RUN_LEASE_MS / 3;
        if (events.length === 0 && calls.length === 0 && !due) return;
        try {
          const { cancelRequested } =
            events.length > 0 || calls.length > 0
              ? await runs.flush(runId, instanceId, config.RUN_LEASE_MS, events, calls)
              : await runs.renewLease(runId, instanceId, config.RUN_LEASE_MS);
          renewedAt = Date.now();
          if (cancelRequested) run.controller.abort(STOP.cancelled);
        } catch (error) {
          if (error instanceof RunLostError) {
            run.controller.abort(STOP.lost);
            return;
          }
          // Postgres may be back at the next tick; until the lease runs out, nothing is lost.
          run.sink.restoreUnstored(events);
          progress.restoreToolCalls(calls);
          logger.warn({ err: error, runId }, 'could not store run events; retrying');
        }
      });
    };
    const timer = setInterval(tick, config.RUN_FLUSH_INTERVAL_MS);
    return {
      async stop() {
        clearInterval(timer);
        await chain;
      },
    };
  }

  /** Stores the run's end (output, events, status) in one transaction, then publishes its final event. */
  async function finish(
    run: ActiveRun,
    context: { runId: string; ownerId: string; userMessageId: string },
    conversationId: string,
    progress: TurnProgress,
    ending: Exclude<Ending, { kind: 'lost' }>,
  ): Promise<void> {
    const { runId } = context;
    let output: OutputMessage[] = [];
    let outcome: RunOutcome;
    let build: (stored: ReturnType<typeof messageView>[]) => Pick<RunEvent, 'type' | 'data'>;
    switch (ending.kind) {
      case 'succeeded': {
        const { result } = ending;
        output = fromResponseMessages(result.responseMessages);
        outcome = {
          status: 'succeeded',
          usage: result.usage,
          steps: result.steps,
          finishReason: result.finishReason,
        };
        build = (stored) => {
          const reply = stored.filter((message) => message.role === 'assistant').at(-1);
          if (!reply) throw new Error('the model produced no assistant message');
          const view: TurnView = {
            runId,
            userMessageId: context.userMessageId,
            reply,
            messages: stored,
            usage: result.usage,
            finishReason: result.finishReason,
            steps: result.steps,
            replayed: false,
          };
          return { type: 'done', data: view };
        };
        break;
      }
      case 'cancelled':
        output = partialOutput(progress);
        outcome = {
          status: 'cancelled',
          errorCode: 'cancelled',
          error: 'The run was cancelled.',
          usage: progress.usage,
          steps: progress.steps,
          finishReason: 'cancelled',
        };
        build = (stored) => ({
          type: 'cancelled',
          data: {
            runId,
            status: 'cancelled',
            code: 'cancelled',
            reply: stored.filter((message) => message.role === 'assistant').at(-1) ?? null,
          },
        });
        break;
      case 'failed':
        outcome = {
          status: 'failed',
          errorCode: ending.failure.code,
          error: ending.failure.problem.detail ?? 'The turn failed.',
          usage: progress.usage,
          steps: progress.steps,
        };
        build = () => ({ type: 'error', data: { ...ending.failure.problem, code: ending.failure.code } });
        break;
    }

    const pending = { events: run.sink.takeUnstored(), toolCalls: progress.takeToolCalls() };
    try {
      const { event } = await runs.finish(
        runId,
        instanceId,
        conversationId,
        output,
        outcome,
        pending,
        (stored) => ({
          seq: run.sink.nextSeq(),
          ...build(stored.map(messageView)),
        }),
      );
      run.sink.end(event);
      count(ending, context, conversationId);
    } catch (error) {
      if (error instanceof RunLostError) {
        metrics.turns.inc({ outcome: 'aborted' });
        run.sink.abandon();
        return;
      }
      // The end could not be stored (Postgres gone, or no answer to store): the followers hear it
      // now as an error; storing it is retried until the lease would have run out.
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
    pending: { events: RunEvent[]; toolCalls: ReturnType<TurnProgress['takeToolCalls']> },
    event: RunEvent,
  ): Promise<void> {
    const outcome: RunOutcome = {
      status: 'failed',
      errorCode: failure.code,
      error: failure.problem.detail ?? 'The turn failed.',
      usage: progress.usage,
      steps: progress.steps,
    };
    // Every 250 ms: the run holds its conversation until its end is stored, so it is stored as
    // soon as Postgres answers again.
    const deadline = Date.now() + config.RUN_LEASE_MS;
    while (Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      try {
        await runs.finish(runId, instanceId, conversationId, [], outcome, pending, () => event);
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

  function count(
    ending: Exclude<Ending, { kind: 'lost' }>,
    context: { runId: string; ownerId: string },
    conversationId: string,
  ) {
    switch (ending.kind) {
      case 'succeeded':
        metrics.turns.inc({ outcome: 'ok' });
        metrics.tokens.inc({ direction: 'input' }, ending.result.usage.inputTokens);
        metrics.tokens.inc({ direction: 'output' }, ending.result.usage.outputTokens);
        if (ending.result.outgrewBudget) options.requestSummary(context.ownerId, conversationId);
        break;
      case 'cancelled':
        metrics.turns.inc({ outcome: 'aborted' });
        logger.info({ runId: context.runId }, 'run cancelled');
        break;
      case 'failed': {
        const { failure } = ending;
        const shutDown = failure.code === 'agent-shutdown';
        metrics.turns.inc({ outcome: shutDown ? 'aborted' : 'error' });
        if (!shutDown) metrics.errors.inc({ kind: errorMetricKind(failure) });
        const level = failure.unexpected ? 'error' : 'warn';
        logger[level](
          { err: ending.error, runId: context.runId, code: failure.code, conversationId },
          'run failed; the user message is kept, no reply stored',
        );
        break;
      }
    }
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
