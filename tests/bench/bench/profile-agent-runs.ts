import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { AGENT_RUN_RUN, runAgentRunBench } from '../src/agent-run-bench.ts';
import { formatAgentRunResults } from '../src/agent-run-report.ts';
import { formatSummary, readProfile, summarizeProfile } from '../src/cpu-profile.ts';

// `pnpm --filter @repo/bench bench:profile:agent-runs`: one round of 120 agent runs on 3 task-runner
// replicas (default concurrency, the 300-ms model), the agent and every runner CPU-profiled over it.
const OUT = fileURLToPath(new URL('../results/profiles', import.meta.url));
// The services' logs and the profiles themselves (`profiles/<service>/1.cpuprofile`).
const WORK_DIR = fileURLToPath(new URL('../results/profile-agent-runs', import.meta.url));

it('profiles the agent and three task-runner replicas over a round of agent runs', async () => {
  rmSync(WORK_DIR, { recursive: true, force: true });
  const results = await runAgentRunBench(
    { ...AGENT_RUN_RUN, replicas: [3], runs: 120, rounds: 1, profile: true },
    WORK_DIR,
  );
  mkdirSync(OUT, { recursive: true });
  const text = results.profiles
    .map(({ service, file }) => {
      const summary = summarizeProfile(readProfile(file), { top: 20 });
      return `## agent runs, 3 replicas: ${service}\n${file}\n${formatSummary(summary)}\n`;
    })
    .join('\n');
  writeFileSync(join(OUT, 'summary.agent-runs.txt'), `${formatAgentRunResults(results)}\n\n${text}`);
  console.log(`${formatAgentRunResults(results)}\n\n${text}`);
  expect(results.profiles.map((p) => p.service)).toEqual([
    'agent',
    'task-runner-1',
    'task-runner-2',
    'task-runner-3',
  ]);
});
