import { z } from 'zod';

/**
 * What a run streams, in order. Every event has a number (`seq`: 1, 2, … per run, the SSE `id:`)
 * and a type (the SSE `event:`); `data` is the JSON the client receives. The same events are
 * stored in `run_events`, appended to the run's Redis Stream, and written to the client, so a
 * resumed stream and a replay from Postgres are byte for byte what a live client saw.
 */
export interface RunEvent {
  seq: number;
  type: RunEventType;
  data: unknown;
}

/** An event before the executor numbers it. */
export type RunEventInput = Omit<RunEvent, 'seq'>;

export const runEventTypes = [
  /** `{type, text}`: a piece of the answer. */
  'text-delta',
  /** `{type, toolCallId, toolName, input}`: the model called a tool. */
  'tool-call',
  /** `{type, toolCallId, toolName, output, isError}`: the tool's answer (or its failure). */
  'tool-result',
  /** `{type, step, finishReason, usage}`: one model call ended (a step; tool calls take one each). */
  'step-finish',
  /** Terminal: the run succeeded. `data` is the turn's answer (what the JSON mode returns) and `runId`. */
  'done',
  /** Terminal: the run failed. `data` is a problem (RFC 9457) with `runId` and a stable `code`. */
  'error',
  /** Terminal: the run was cancelled. `data`: `{runId, reason, reply}` (the partial answer stored, or null). */
  'cancelled',
] as const;
export type RunEventType = (typeof runEventTypes)[number];

/** A run's stream ends with exactly one of these. */
export const terminalEventTypes: ReadonlySet<string> = new Set(['done', 'error', 'cancelled']);
export const isTerminalEvent = (type: string) => terminalEventTypes.has(type);

/**
 * Stable codes of a run that did not succeed (`runs.error_code`, and `code` in its `error` or
 * `cancelled` event). Clients may switch on them; the message beside them is for people.
 */
export const runErrorCodes = [
  'cancelled',
  'agent-lost',
  'agent-shutdown',
  'model-failed',
  'model-timeout',
  /**
   * The owner's monthly token budget ran out while the run was going: its last model call
   * finished, what it produced is stored, and it stopped before the next one.
   */
  'budget-exhausted',
  /** A dependency (Postgres) could not be reached. */
  'unavailable',
  'internal',
] as const;
export type RunErrorCode = (typeof runErrorCodes)[number];

/** The shape of a stored event row read back (validated where it crosses a process boundary). */
export const storedEvent = z.object({
  seq: z.number().int().positive(),
  type: z.enum(runEventTypes),
  data: z.unknown(),
});
