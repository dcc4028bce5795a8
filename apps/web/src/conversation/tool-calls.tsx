import type { ToolCallView } from './turn-events.ts';

const show = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value, null, 2));

/** Tool calls as they happen: the tool and its input, then its output (or that it failed). */
export function ToolCalls({ calls }: { calls: ToolCallView[] }) {
  if (calls.length === 0) return null;
  return (
    <ul className="tool-calls" aria-label="Tool calls">
      {calls.map((call) => (
        <li key={call.toolCallId}>
          <details>
            <summary>
              Tool <code>{call.toolName}</code>{' '}
              {call.output === undefined ? '(running…)' : call.isError ? '(failed)' : '(done)'}
            </summary>
            <pre>{show(call.input)}</pre>
            {call.output !== undefined && <pre>{show(call.output)}</pre>}
          </details>
        </li>
      ))}
    </ul>
  );
}
