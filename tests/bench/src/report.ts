import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BenchResults } from './harness.ts';
import { HTTP_SUBJECTS } from './http-bench.ts';
import type { Measured } from './rounds.ts';
import { formatQueue, queueGoal } from './queue-report.ts';
import { fixed, spread, table } from './table.ts';
import type { MemorySample } from './turn-bench.ts';

const mib = (bytes: number) => fixed(bytes / 1024 ** 2, 0);

export function subjectsTable(title: string, subjects: Measured[]): string {
  return table(
    [title, 'conns', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'paced at', 'non-2xx', 'errors'],
    subjects.map((subject) => {
      const paced = subject.rounds.map((round) => round.pacedAt).filter((rate) => rate !== undefined);
      return [
        subject.name,
        String(subject.connections),
        fixed(subject.requestsPerSecond, 0),
        fixed(subject.latencyMs.p50, 2),
        fixed(subject.latencyMs.p90, 2),
        fixed(subject.latencyMs.p99, 2),
        paced.length > 0 ? `${fixed(Math.min(...paced), 0)}–${fixed(Math.max(...paced), 0)}/s` : '',
        String(subject.non2xx),
        String(subject.errors),
      ];
    }),
  );
}

function memoryRows(service: string, samples: MemorySample[]): string[][] {
  return samples.map((sample) => [
    service,
    String(sample.turns),
    mib(sample.rssBytes),
    mib(sample.heapUsedBytes),
    mib(sample.heapTotalBytes),
    mib(sample.externalBytes),
  ]);
}

/** The results as a person reads them: the raw numbers, then the ratios against the baselines. */
export function formatResults(results: BenchResults): string {
  const { http, turns, memory, queue } = results;
  const { machine, options } = results;
  const ratioOf = (subject: string, baseline: string) =>
    http.comparisons.find((row) => row.subject === subject && row.baseline === baseline)!;
  const health = ratioOf(HTTP_SUBJECTS.health, HTTP_SUBJECTS.bare);
  const documents = ratioOf(HTTP_SUBJECTS.documents, HTTP_SUBJECTS.sql);
  const paced = http.subjects.find((subject) => subject.name === HTTP_SUBJECTS.documentsPaced)!;
  return [
    `Keelson benchmark, ${results.startedAt} — node ${machine.node}, ${machine.cpus} cpus (${machine.cpuModel}), ` +
      `load average ${fixed(machine.loadAverage.before, 2)} before, ${fixed(machine.loadAverage.after, 2)} after, ` +
      `${fixed(machine.loadAverage.max, 2)} at most`,
    '',
    `HTTP: ${options.http.connections} connections; each subject warmed up ${options.http.warmupS} s, then loaded ` +
      `${options.http.durationS} s in ${options.http.rounds} rounds taken in turn.`,
    subjectsTable('HTTP', http.subjects),
    '',
    'Ratios, subject ÷ baseline of the same round: median (min–max).',
    table(
      ['subject', 'baseline', 'req/s ratio', 'p50 ratio', 'p99 ratio'],
      http.comparisons.map((row) => [
        row.subject,
        row.baseline,
        spread(row.ratio.requestsPerSecond),
        spread(row.ratio.latencyP50),
        spread(row.ratio.latencyP99),
      ]),
    ),
    '',
    `Turns: ${options.turns.latencyConnections} and ${options.turns.throughputConnections} clients, ` +
      `${options.turns.durationS} s each in ${options.turns.rounds} rounds; every stored turn has its reply ` +
      `(${turns.stored.userMessages} turns, ${turns.stored.replies} replies).`,
    subjectsTable('Turns', turns.subjects),
    '',
    `Memory under sustained turns (${memory.connections} clients), MiB:`,
    table(
      ['service', 'turns', 'RSS', 'heap used', 'heap total', 'external'],
      [...memoryRows('agent', memory.agent), ...memoryRows('api', memory.api)],
    ),
    '',
    formatQueue(queue, options.queue),
    '',
    'Against the goals of issue 13:',
    `  /health ÷ bare Fastify, req/s               ${spread(health.ratio.requestsPerSecond)}   goal ≥ 0.85`,
    `  /v1/documents ÷ raw pg, req/s               ${spread(documents.ratio.requestsPerSecond)}   goal ≥ 0.6`,
    `  /v1/documents p99 at ½ its max rate         ${fixed(paced.latencyMs.p99, 1)} ms   goal < 15 ms`,
    `  turn p50 − the model's own p50, 1 client    ${spread(turns.overheadP50Ms, 1, ' ms')}   goal ≤ 15 ms`,
    `  turns/s, ${options.turns.throughputConnections} clients (one api, no load balancer)   ` +
      `${fixed(turns.turnsPerSecond, 0)}   goal ≥ 100 (through the prod profile)`,
    `  agent RSS after ${memory.agent.at(-1)!.turns} ÷ after ${memory.agent[0]!.turns} turns        ` +
      `${fixed(memory.agentRssGrowth, 2)}x   goal ≤ 1.2`,
    ...queueGoal(queue),
  ].join('\n');
}

export function writeResults(path: string, results: BenchResults): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
}
