import type { paths } from '../api/schema.ts';

/** The JSON answer of a turn, which the stream's `done` event carries too. */
export type TurnAnswer =
  paths['/v1/conversations/{id}/messages']['post']['responses'][200]['content']['application/json'];

/** What the api streams for a turn (`event:` name → `data:` JSON), as documented in openapi.json. */
export type TurnEvent =
  | { type: 'text-delta'; text: string }
  | { type: 'tool-call'; toolCallId: string; toolName: string; input: unknown }
  | { type: 'tool-result'; toolCallId: string; toolName: string; output: unknown; isError: boolean }
  | { type: 'done'; answer: TurnAnswer }
  | { type: 'error'; title: string; detail?: string };

/** One tool call as the console shows it: its input at once, its output once it arrives. */
export interface ToolCallView {
  toolCallId: string;
  toolName: string;
  input: unknown;
  output?: unknown;
  isError?: boolean;
}

/** A turn as it streams in: the text so far and the tool calls in the order they were made. */
export interface TurnView {
  text: string;
  toolCalls: ToolCallView[];
  status: 'streaming' | 'done' | 'failed' | 'stopped';
  error?: string;
}

export const emptyTurn = (): TurnView => ({ text: '', toolCalls: [], status: 'streaming' });

/** Decodes one server-sent event; an unknown event name (a newer api) is ignored, not fatal. */
export function parseTurnEvent(name: string | undefined, data: string): TurnEvent | undefined {
  const body = JSON.parse(data) as Record<string, unknown>;
  switch (name) {
    case 'text-delta':
    case 'tool-call':
    case 'tool-result':
      return { ...body, type: name } as TurnEvent;
    case 'done':
      return { type: 'done', answer: body as TurnAnswer };
    case 'error':
      return {
        type: 'error',
        title: typeof body.title === 'string' ? body.title : 'The turn failed',
        ...(typeof body.detail === 'string' ? { detail: body.detail } : {}),
      };
    default:
      return undefined;
  }
}

/** The next view of a turn after `event`: a pure reducer, so the UI state is easy to test. */
export function applyTurnEvent(turn: TurnView, event: TurnEvent): TurnView {
  switch (event.type) {
    case 'text-delta':
      return { ...turn, text: turn.text + event.text };
    case 'tool-call':
      return {
        ...turn,
        toolCalls: [
          ...turn.toolCalls,
          { toolCallId: event.toolCallId, toolName: event.toolName, input: event.input },
        ],
      };
    case 'tool-result':
      return {
        ...turn,
        toolCalls: turn.toolCalls.map((call) =>
          call.toolCallId === event.toolCallId
            ? { ...call, output: event.output, isError: event.isError }
            : call,
        ),
      };
    case 'done':
      // The stored reply is the authority on the final text (a stream may have been relayed in part).
      return { ...turn, text: event.answer.reply.content || turn.text, status: 'done' };
    case 'error':
      return { ...turn, status: 'failed', error: [event.title, event.detail].filter(Boolean).join(': ') };
  }
}
