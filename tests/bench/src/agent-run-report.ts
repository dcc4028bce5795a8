import type { AgentRunResults } from './agent-run-bench.ts';
import { fixed, spread, table } from './table.ts';

const ms = (value: number | null) => (value === null ? 'n/a' : fixed(value, 1));

/** The agent-run rows as a person reads them: runs/s, speed-up, against the ideal, CPU per run. */
export function formatAgentRunResults(results: AgentRunResults): string {
  const { options, machine } = results;
  const header = [
    'task-runner replicas',
    'runs/s',
    'speed-up',
    'ideal runs/s',
    'of ideal',
    'model in flight',
    'CPU ms/run: runners',
    'agent',
    'api',
    'model',
    'Postgres',
    'Redis',
  ];
  const rows = results.rows.map((row) => [
    String(row.replicas),
    fixed(row.runsPerSecond, 1),
    spread(row.speedup),
    fixed(row.idealRunsPerSecond, 1),
    spread(row.ofIdeal),
    String(row.maxModelInFlight),
    ms(row.cpuMsPerRun.runners),
    ms(row.cpuMsPerRun.agent),
    ms(row.cpuMsPerRun.api),
    ms(row.cpuMsPerRun.model),
    ms(row.cpuMsPerRun.postgres),
    ms(row.cpuMsPerRun.redis),
  ]);
  const load = machine.loadAverage;
  return [
    `Queue: agent-run with N task-runner replicas (AGENT_RUN_CONCURRENCY ${options.concurrency}, model latency ${options.modelLatencyMs} ms; ${options.runs} runs × ${options.rounds} rounds each over ${options.owners} owners; ${machine.cpus} CPUs, load ${load.before.toFixed(1)} → ${load.after.toFixed(1)}, max ${load.max.toFixed(1)})`,
    table(header, rows),
  ].join('\n');
}
