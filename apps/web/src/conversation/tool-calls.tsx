import type { DynamicToolUIPart } from 'ai';
import { describeOutput } from './chat-message.ts';

const progress: Record<DynamicToolUIPart['state'], string> = {
  'input-streaming': '(preparing…)',
  'input-available': '(running…)',
  'approval-requested': '(waiting for approval)',
  'approval-responded': '(running…)',
  'output-available': '(done)',
  'output-error': '(failed)',
  'output-denied': '(denied)',
};

/** Tool calls as they happen: the tool and its input at once, then its output (or that it failed). */
export function ToolCalls({ calls }: { calls: DynamicToolUIPart[] }) {
  if (calls.length === 0) return null;
  return (
    <ul className="tool-calls" aria-label="Tool calls">
      {calls.map((call) => (
        <li key={call.toolCallId}>
          <details>
            <summary>
              Tool <code>{call.toolName}</code> {progress[call.state] ?? `(${call.state})`}
            </summary>
            {call.input !== undefined && <pre>{describeOutput(call.input)}</pre>}
            {call.state === 'output-available' && <pre>{describeOutput(call.output)}</pre>}
            {call.state === 'output-error' && <pre>{call.errorText}</pre>}
          </details>
        </li>
      ))}
    </ul>
  );
}
