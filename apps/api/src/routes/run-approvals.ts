import { HttpProblem, notFound, problemResponse, validationProblem } from '@repo/http';
import type { FastifyBaseLogger } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AgentClient } from '../agent/agent-client.ts';
import type { ApprovalDecisionInput } from '../runs/approvals-service.ts';
import type { RunsService } from '../runs/runs-service.ts';
import { runDetail } from './runs.ts';

const decisions = z.object({
  decisions: z
    .array(
      z.object({
        toolCallId: z.string().min(1).max(256).describe('A call of the run waiting for approval.'),
        approved: z.boolean(),
        reason: z
          .string()
          .trim()
          .min(1)
          .max(1_000)
          .optional()
          .describe('Told to the model with a denial (and stored with either decision).'),
      }),
    )
    .min(1)
    .max(100)
    .refine((list) => new Set(list.map((d) => d.toolCallId)).size === list.length, {
      message: 'each toolCallId at most once',
    }),
});

/**
 * `POST /v1/runs/:id/approvals` — a person's decisions on the tool calls a run waits for. Stored
 * in Postgres first (all or none, one replica at a time per run), so they survive any restart;
 * once none is pending, the api asks an agent to continue the run. If no agent answers, the
 * task-runner's reaper asks again a few seconds later: the decision is never lost.
 */
export const runApprovalRoutes: FastifyPluginAsyncZod<{
  runs: RunsService;
  agent: AgentClient | undefined;
}> = async (app, { runs, agent }) => {
  app.post(
    '/v1/runs/:id/approvals',
    {
      config: { permission: 'runs:write' },
      schema: {
        summary: 'Approve or deny the tool calls a run waits for; it continues once all are decided.',
        description:
          'Each decision names a `toolCallId` of the run (GET /v1/runs/:id lists them under `approvals`). ' +
          'Approved calls run once (each carries its idempotency key); denied ones are told to the model as ' +
          'denied, with `reason`. Idempotent: the same decision again is accepted; a different one is 409. ' +
          'When no call is left pending, the run continues on an agent (follow `GET /v1/runs/:id/events`).',
        tags: ['runs'],
        params: z.object({ id: z.uuid() }),
        body: decisions,
        response: {
          200: runDetail.describe('Recorded: the run, with its approvals as they are now.'),
          // Also a `toolCallId` the run never asked about (`urn:keelson:problem:unknown-tool-call`).
          400: validationProblem,
          404: problemResponse('No such run.'),
          409: problemResponse(
            'The run is not awaiting approval (`runStatus`), or a call was decided otherwise before or expired (`toolCallId`).',
          ),
        },
      },
    },
    async (request) => {
      const { ownerId } = request;
      const runId = request.params.id;
      await recordDecisions({ runs, agent, log: request.log }, ownerId, runId, request.body.decisions);
      return (await runs.detail(ownerId, runId))!;
    },
  );
};

/**
 * Records decisions on a run's waiting tool calls (or throws the problem saying why not) and, once
 * none is pending, asks an agent to continue the run — best effort: the decisions are stored, and
 * the task-runner's reaper asks again if no agent answers now. Shared with the chat route, where
 * `useChat`'s approval responses arrive.
 */
export async function recordDecisions(
  deps: { runs: RunsService; agent: AgentClient | undefined; log: FastifyBaseLogger },
  ownerId: string,
  runId: string,
  decisions: readonly ApprovalDecisionInput[],
): Promise<void> {
  const outcome = await deps.runs.approvals.decide(ownerId, runId, decisions);
  switch (outcome.kind) {
    case 'no-run':
      throw notFound('run');
    case 'not-awaiting':
      throw new HttpProblem(409, `The run is not awaiting approval: it is ${outcome.status}.`, {
        type: 'urn:keelson:problem:run-not-awaiting-approval',
        extensions: { runId, runStatus: outcome.status },
      });
    case 'unknown-call':
      throw new HttpProblem(400, 'No call of this run waits for approval under this toolCallId.', {
        type: 'urn:keelson:problem:unknown-tool-call',
        extensions: { toolCallId: outcome.toolCallId },
      });
    case 'decided':
      throw new HttpProblem(409, `This call was ${outcome.decision} already.`, {
        type: 'urn:keelson:problem:approval-decided',
        extensions: { toolCallId: outcome.toolCallId, decision: outcome.decision },
      });
    case 'expired':
      throw new HttpProblem(409, 'This call waited too long: its approval expired.', {
        type: 'urn:keelson:problem:approval-expired',
        extensions: { toolCallId: outcome.toolCallId },
      });
    case 'recorded':
      if (outcome.remaining > 0 || !deps.agent) return;
      await deps.agent
        .continueRun(ownerId, runId)
        .catch((error: unknown) =>
          deps.log.warn({ err: error, runId }, 'could not ask an agent to continue the run; the reaper will'),
        );
  }
}
