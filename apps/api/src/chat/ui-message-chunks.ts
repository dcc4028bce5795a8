import type { RunEvent } from '@repo/runs';
import type { FinishReason, UIMessageChunk } from 'ai';

/** What the assistant message of a chat carries besides its parts (`message.metadata`). */
export interface ChatMessageMetadata {
  /** The run this message is the answer of (`GET /v1/runs/:id`, cancel, events). */
  runId: string;
  /** Once it ended well: the stored reply's id and what the run cost. */
  replyMessageId?: string;
  usage?: { inputTokens: number; outputTokens: number };
}

type Chunk = UIMessageChunk<ChatMessageMetadata>;

/*
 * The framing and headers of the AI SDK's UI message stream (its JsonToSseTransformStream and
 * UI_MESSAGE_STREAM_HEADERS, which test/chat.test.ts compares with these). Written here rather
 * than imported: loading the `ai` package costs the api ~0.5 s of CPU at start-up and ~30 MB of
 * RSS per replica, for two constants; its types are all the api takes from it.
 */
export const UI_MESSAGE_STREAM_HEADERS = {
  'content-type': 'text/event-stream',
  'cache-control': 'no-cache',
  connection: 'keep-alive',
  'x-vercel-ai-ui-message-stream': 'v1',
  'x-accel-buffering': 'no',
} as const;

/** Each chunk as one server-sent event (`data: <json>`), and `data: [DONE]` at the end. */
export async function* uiMessageStreamBytes(chunks: AsyncIterable<unknown>): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) yield Buffer.from(`data: ${JSON.stringify(chunk)}\n\n`);
  yield Buffer.from('data: [DONE]\n\n');
}

const asText = (value: unknown, otherwise: string) => (typeof value === 'string' ? value : otherwise);

const FINISH_REASONS: ReadonlySet<string> = new Set<FinishReason>([
  'stop',
  'length',
  'content-filter',
  'tool-calls',
  'error',
  'other',
]);

/**
 * A run's events as the AI SDK's UI message stream (what `useChat` reads): one assistant message
 * whose id is the run's, so a stream resumed from the start (the reconnect route) rebuilds the same
 * message. Steps become `start-step`/`finish-step`, runs of `text-delta` a text part, the agent's
 * tool calls and results `dynamic-tool` parts (its tools come from MCP servers, unknown to the
 * client's types); the final event is `finish`, `error` or `abort` — or, for a run that pauses for
 * approvals, `tool-approval-request` parts and a `finish` (the stream of its continuation goes on
 * with the same message id, so useChat appends to the same assistant message).
 */
export async function* uiMessageChunks(
  runId: string,
  events: AsyncIterable<RunEvent>,
  /**
   * A replay's pauses the run already came back from: their `approval-requested` events up to
   * this seq are passed over (the stream goes on with what followed the decision), so a resumed
   * run that was approved meanwhile neither asks again nor stops there.
   */
  answeredThroughSeq = 0,
): AsyncGenerator<Chunk> {
  yield { type: 'start', messageId: runId, messageMetadata: { runId } };
  let inStep = false;
  let textId: string | undefined;
  const endText = function* (): Generator<Chunk> {
    if (textId !== undefined) yield { type: 'text-end', id: textId };
    textId = undefined;
  };
  const startStep = function* (): Generator<Chunk> {
    if (!inStep) yield { type: 'start-step' };
    inStep = true;
  };
  const endStep = function* (): Generator<Chunk> {
    yield* endText();
    if (inStep) yield { type: 'finish-step' };
    inStep = false;
  };

  for await (const event of events) {
    const data = event.data as Record<string, unknown>;
    switch (event.type) {
      case 'text-delta':
        yield* startStep();
        if (textId === undefined) {
          textId = `${runId}:${event.seq}`;
          yield { type: 'text-start', id: textId };
        }
        yield { type: 'text-delta', id: textId, delta: asText(data.text, '') };
        break;
      case 'tool-call':
        yield* startStep();
        yield* endText();
        yield {
          type: 'tool-input-available',
          toolCallId: asText(data.toolCallId, ''),
          toolName: asText(data.toolName, ''),
          input: data.input,
          dynamic: true,
        };
        break;
      case 'tool-result':
        yield* startStep();
        yield* endText();
        if (data.denied === true) {
          yield { type: 'tool-output-denied', toolCallId: asText(data.toolCallId, '') };
          break;
        }
        yield data.isError === true
          ? {
              type: 'tool-output-error',
              toolCallId: asText(data.toolCallId, ''),
              errorText: typeof data.output === 'string' ? data.output : JSON.stringify(data.output),
              dynamic: true,
            }
          : {
              type: 'tool-output-available',
              toolCallId: asText(data.toolCallId, ''),
              output: data.output,
              dynamic: true,
            };
        break;
      case 'step-finish':
        yield* endStep();
        break;
      case 'done': {
        yield* endStep();
        const reply = data.reply as { id?: unknown } | undefined;
        const usage = data.usage as ChatMessageMetadata['usage'];
        const finishReason = asText(data.finishReason, 'other');
        yield {
          type: 'finish',
          finishReason: FINISH_REASONS.has(finishReason) ? (finishReason as FinishReason) : 'other',
          messageMetadata: {
            runId,
            ...(typeof reply?.id === 'string' ? { replyMessageId: reply.id } : {}),
            ...(usage ? { usage } : {}),
          },
        };
        return;
      }
      case 'error':
        yield* endStep();
        // The problem's detail: the agent's own words (never a provider's), with the code to act on.
        yield {
          type: 'error',
          errorText: `${asText(data.detail, 'The run failed.')} (${asText(data.code, 'internal')})`,
        };
        return;
      case 'cancelled':
        yield* endStep();
        yield { type: 'abort', reason: 'cancelled' };
        return;
      case 'approval-requested': {
        if (event.seq <= answeredThroughSeq) break;
        // The run pauses: the calls that wait become the SDK's approval requests, and this
        // stream ends. useChat's addToolApprovalResponse answers them in the next POST /v1/chat.
        yield* endStep();
        const approvals = Array.isArray(data.approvals) ? (data.approvals as Record<string, unknown>[]) : [];
        for (const approval of approvals) {
          yield {
            type: 'tool-approval-request',
            approvalId: asText(approval.approvalId, ''),
            toolCallId: asText(approval.toolCallId, ''),
          };
        }
        yield { type: 'finish', finishReason: 'tool-calls', messageMetadata: { runId } };
        return;
      }
    }
  }
}
