import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { expect, inject, it } from 'vitest';
import { startApiStack } from '../src/api-stack.ts';
import { FULL_RUN } from '../src/harness.ts';
import { subjectsTable } from '../src/report.ts';
import { spread, fixed } from '../src/table.ts';
import { measureTurnRows } from '../src/turn-bench.ts';
import { formatTurnWork, measureTurnWork } from '../src/turn-work.ts';

// `pnpm --filter @repo/bench bench:turns`: the turn rows of `pnpm bench` alone (the same load as
// the full run's), after counting what one turn sends to Postgres and Redis. About a minute, for
// comparing two builds of the turn path without the full run's other parts.
const RESULTS = fileURLToPath(new URL('../results/turns.json', import.meta.url));
const WORK_DIR = fileURLToPath(new URL('../results/turns-run', import.meta.url));

it('measures a turn: its Postgres and Redis work, and the turn rows against the scripted model', async () => {
  rmSync(WORK_DIR, { recursive: true, force: true });
  mkdirSync(WORK_DIR, { recursive: true });
  const loadBefore = loadavg()[0]!;
  const stack = await startApiStack({ documents: 50, conversations: 400, workDir: WORK_DIR });
  try {
    const work = await measureTurnWork(stack, inject('redisUrl'), 100);
    const turns = await measureTurnRows(stack, FULL_RUN.turns);
    const loadAfter = loadavg()[0]!;
    writeFileSync(
      RESULTS,
      `${JSON.stringify({ loadAverage: [loadBefore, loadAfter], work, turns }, null, 2)}\n`,
    );
    console.log(
      [
        `load average ${fixed(loadBefore, 2)} before, ${fixed(loadAfter, 2)} after`,
        formatTurnWork(work),
        subjectsTable('Turns', turns.subjects),
        `turn p50 − the model's own p50, 1 client: ${spread(turns.overheadP50Ms, 1, ' ms')}`,
        `turns/s, ${FULL_RUN.turns.throughputConnections} clients: ${fixed(turns.turnsPerSecond, 0)}`,
        `JSON: ${RESULTS}`,
      ].join('\n'),
    );
    for (const subject of turns.subjects) {
      expect({ non2xx: subject.non2xx, errors: subject.errors }, subject.name).toEqual({
        non2xx: 0,
        errors: 0,
      });
    }
  } finally {
    await stack.close();
  }
});
