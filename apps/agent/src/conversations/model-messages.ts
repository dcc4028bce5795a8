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

/** Stored messages → the AI SDK's message list (system prompts travel as `instructions`). */
export function toModelMessages(
  rows: readonly Pick<Message, 'role' | 'content' | 'toolCalls' | 'toolResults'>[],
): ModelMessage[] {
  const out: ModelMessage[] = [];
  for (const row of rows) {
    switch (row.role) {
      case 'user':
        out.push({ role: 'user', content: row.content });
        break;
      case 'assistant':
        out.push({
          role: 'assistant',
          content: [
            ...(row.content ? [{ type: 'text' as const, text: row.content }] : []),
            ...(row.toolCalls ?? []).map((call) => ({ type: 'tool-call' as const, ...call })),
          ],
        });
        break;
      case 'tool':
        out.push({
          role: 'tool',
          content: (row.toolResults ?? []).map((result) => ({
            type: 'tool-result' as const,
            toolCallId: result.toolCallId,
            toolName: result.toolName,
            output: toOutput(result),
          })),
        });
        break;
      case 'system':
        break;
    }
  }
  return out;
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
