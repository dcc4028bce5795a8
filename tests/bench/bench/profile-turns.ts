import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { startApiStack } from '../src/api-stack.ts';
import { formatSummary } from '../src/cpu-profile.ts';
import { profile, profileScenarios } from '../src/profile-run.ts';

// `pnpm --filter @repo/bench bench:profile:turns`: the turn load of `bench:profile` alone (8
// clients, the api and the agent sampled together, 10 s after a warm-up).
const OUT = fileURLToPath(new URL('../results/profiles', import.meta.url));
const WORK_DIR = fileURLToPath(new URL('../results/profile-turns', import.meta.url));

it('profiles the api and the agent under turn load', async () => {
  rmSync(WORK_DIR, { recursive: true, force: true });
  mkdirSync(WORK_DIR, { recursive: true });
  const stack = await startApiStack({ documents: 50, conversations: 400, workDir: WORK_DIR, profile: true });
  try {
    const scenarios = profileScenarios(stack).filter((scenario) => scenario.name === 'turns');
    const [turns] = await profile(stack, scenarios, { durationS: 10, warmupS: 2, outDir: OUT });
    const text = turns!.profiles
      .map(
        ({ service, file, summary }) =>
          `## turns: ${service} (${turns!.connections} clients, ${turns!.requestsPerSecond.toFixed(0)} turns/s ` +
          `while sampled)\n${file}\n${formatSummary(summary)}\n`,
      )
      .join('\n');
    writeFileSync(`${OUT}/summary.turns.txt`, text);
    console.log(text);
    expect(turns!.requestsPerSecond).toBeGreaterThan(0);
  } finally {
    await stack.close();
  }
});
