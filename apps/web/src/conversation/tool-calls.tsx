import type { DynamicToolUIPart } from 'ai';
import { useId, useState, type FormEvent } from 'react';
import { describeOutput } from './chat-message.ts';

/** A person's answer to a tool call waiting for approval (useChat's `addToolApprovalResponse`). */
export interface ApprovalDecision {
  approvalId: string;
  approved: boolean;
  reason?: string;
}

/**
 * Where a call stands, in words. An approved call runs, then is done; a denied one says why.
 * `notRecorded`: the request carrying the decision failed (the api answered 409: the approval
 * expired or was decided elsewhere), so "running…" would be untrue.
 */
export function progressOf(call: DynamicToolUIPart, notRecorded = false): string {
  const approved = call.approval?.approved === true;
  switch (call.state) {
    case 'input-streaming':
      return '(preparing…)';
    case 'input-available':
      return '(running…)';
    case 'approval-requested':
      return '(waiting for approval)';
    case 'approval-responded':
      if (notRecorded) return '(decision not recorded)';
      return approved ? '(approved, running…)' : '(denied, telling the agent…)';
    case 'output-available':
      return approved ? '(approved, done)' : '(done)';
    case 'output-error':
      return approved ? '(approved, failed)' : '(failed)';
    case 'output-denied':
      return call.approval?.reason ? `(denied: ${call.approval.reason})` : '(denied)';
  }
}

/**
 * Tool calls as they happen: the tool and its input at once, then its output (or that it failed).
 * A call waiting for a person's approval shows its input openly with Approve and Deny (an optional
 * reason goes with a denial); `onDecide` answers it.
 */
export function ToolCalls({
  calls,
  onDecide,
  canDecide,
  decisionFailed,
}: {
  calls: DynamicToolUIPart[];
  onDecide: (decision: ApprovalDecision) => void;
  /** False while a request is under way: a decision is sent once the stream has ended. */
  canDecide: boolean;
  decisionFailed: boolean;
}) {
  if (calls.length === 0) return null;
  return (
    <ul className="tool-calls" aria-label="Tool calls">
      {calls.map((call) => (
        <li key={call.toolCallId}>
          {call.state === 'approval-requested' ? (
            <ApprovalRequest call={call} onDecide={onDecide} disabled={!canDecide} />
          ) : (
            <details>
              <summary>
                Tool <code>{call.toolName}</code> {progressOf(call, decisionFailed)}
              </summary>
              {call.input !== undefined && <pre>{describeOutput(call.input)}</pre>}
              {call.state === 'output-available' && <pre>{describeOutput(call.output)}</pre>}
              {call.state === 'output-error' && <pre>{call.errorText}</pre>}
            </details>
          )}
        </li>
      ))}
    </ul>
  );
}

function ApprovalRequest({
  call,
  onDecide,
  disabled,
}: {
  call: DynamicToolUIPart & { state: 'approval-requested' };
  onDecide: (decision: ApprovalDecision) => void;
  disabled: boolean;
}) {
  const [reason, setReason] = useState('');
  const id = useId();
  const approvalId = call.approval.id;

  function deny(event: FormEvent) {
    event.preventDefault();
    const given = reason.trim();
    onDecide({ approvalId, approved: false, ...(given === '' ? {} : { reason: given }) });
  }

  return (
    // A form, so Enter in the reason field denies with it; Approve is its own (non-submit) button.
    <form
      className="approval"
      onSubmit={deny}
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-input`}
    >
      <p id={`${id}-title`}>
        Tool <code>{call.toolName}</code> {progressOf(call)}
      </p>
      <pre id={`${id}-input`}>{describeOutput(call.input)}</pre>
      <div className="approval-actions">
        <button
          type="button"
          aria-label={`Approve ${call.toolName}`}
          disabled={disabled}
          onClick={() => onDecide({ approvalId, approved: true })}
        >
          Approve
        </button>
        <label htmlFor={`${id}-reason`}>Reason (optional)</label>
        <input
          id={`${id}-reason`}
          value={reason}
          maxLength={1_000}
          onChange={(event) => setReason(event.target.value)}
          disabled={disabled}
        />
        <button type="submit" className="secondary" aria-label={`Deny ${call.toolName}`} disabled={disabled}>
          Deny
        </button>
      </div>
    </form>
  );
}
