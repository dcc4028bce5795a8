import type { Message, StoredToolCall, StoredToolResult } from '@repo/db';
import type { ModelMessage, ToolResultPart } from 'ai';

type ToolResultOutput = ToolResultPart['output'];
import { estimateTokens } from '../memory/tokens.ts';

/** A row to insert for one message of a turn's output. */
export interface OutputMessage {
  role: 'assistant' | 'tool';
  content: string;
  toolCalls: StoredToolCall[] | null;
  toolResults: StoredToolResult[] | null;
  tokenCount: number;
}

/**
 * Stored messages → the AI SDK's message list (system prompts travel as `instructions`).
 *
 * A tool call stored without a result — one that waited for approval and expired, or whose run
 * was cancelled while it waited — gets an error result saying so, right after its assistant
 * message: providers refuse a call with no answer. Calls in `awaiting` are left as they are (their
 * run is being continued with their decisions).
 */
export function toModelMessages(
  rows: readonly Pick<Message, 'role' | 'content' | 'toolCalls' | 'toolResults'>[],
  awaiting: ReadonlySet<string> = new Set(),
): ModelMessage[] {
  const out: ModelMessage[] = [];
  const answered = new Set(rows.flatMap((row) => (row.toolResults ?? []).map((result) => result.toolCallId)));
  let carried: StoredToolCall[] = [];
  for (const [index, row] of rows.entries()) {
    switch (row.role) {
      case 'user':
        out.push({ role: 'user', content: row.content });
        break;
      case 'assistant': {
        out.push({
          role: 'assistant',
          content: [
            ...(row.content ? [{ type: 'text' as const, text: row.content }] : []),
            ...(row.toolCalls ?? []).map((call) => ({ type: 'tool-call' as const, ...call })),
          ],
        });
        const missing = (row.toolCalls ?? []).filter(
          (call) => !answered.has(call.toolCallId) && !awaiting.has(call.toolCallId),
        );
        // Joined with the tool message that follows, if one does (see the `tool` case).
        if (missing.length > 0 && rows[index + 1]?.role !== 'tool') out.push(toolMessage([], missing));
        else if (missing.length > 0) carried = missing;
        break;
      }
      case 'tool':
        out.push(toolMessage(row.toolResults ?? [], carried));
        carried = [];
        break;
      case 'system':
        break;
    }
  }
  return out;
}

const NO_RESULT = 'The call never ran: it waited for an approval that did not come (expired or cancelled).';

/** A tool message: the stored results, then an error result for each call that has none. */
function toolMessage(results: readonly StoredToolResult[], missing: readonly StoredToolCall[]): ModelMessage {
  return {
    role: 'tool',
    content: [
      ...results.map((result) => ({
        type: 'tool-result' as const,
        toolCallId: result.toolCallId,
        toolName: result.toolName,
        output: toOutput(result),
      })),
      ...missing.map((call) => ({
        type: 'tool-result' as const,
        toolCallId: call.toolCallId,
        toolName: call.toolName,
        output: { type: 'error-text' as const, value: NO_RESULT },
      })),
    ],
  };
}

/** A turn's response messages (assistant and tool, every step) → rows to store. */
export function fromResponseMessages(messages: readonly ModelMessage[]): OutputMessage[] {
  const rows: OutputMessage[] = [];
  for (const message of messages) {
    if (message.role === 'assistant') {
      const parts =
        typeof message.content === 'string'
          ? [{ type: 'text' as const, text: message.content }]
          : message.content;
      const text = parts.flatMap((part) => (part.type === 'text' ? [part.text] : [])).join('');
      const toolCalls = parts.flatMap((part) =>
        part.type === 'tool-call'
          ? [{ toolCallId: part.toolCallId, toolName: part.toolName, input: part.input }]
          : [],
      );
      rows.push(row('assistant', text, toolCalls.length > 0 ? toolCalls : null, null));
    } else if (message.role === 'tool') {
      const results = message.content.flatMap((part) =>
        part.type === 'tool-result'
          ? [
              {
                toolCallId: part.toolCallId,
                toolName: part.toolName,
                output: 'value' in part.output ? part.output.value : null,
                ...(part.output.type.startsWith('error') ? { isError: true } : {}),
              },
            ]
          : [],
      );
      rows.push(row('tool', '', null, results));
    }
  }
  return rows;
}

function row(
  role: OutputMessage['role'],
  content: string,
  toolCalls: StoredToolCall[] | null,
  toolResults: StoredToolResult[] | null,
): OutputMessage {
  const size =
    content + (toolCalls ? JSON.stringify(toolCalls) : '') + (toolResults ? JSON.stringify(toolResults) : '');
  return { role, content, toolCalls, toolResults, tokenCount: estimateTokens(size) };
}

function toOutput(result: StoredToolResult): ToolResultOutput {
  if (typeof result.output === 'string') {
    return result.isError
      ? { type: 'error-text', value: result.output }
      : { type: 'text', value: result.output };
  }
  const value = (result.output ?? null) as Extract<ToolResultOutput, { type: 'json' }>['value'];
  return result.isError ? { type: 'error-json', value } : { type: 'json', value };
}
