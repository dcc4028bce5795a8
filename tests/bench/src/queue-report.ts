import { QUEUE_SUBJECTS, type QueueLoad, type QueueReport } from './queue-bench.ts';
import { fixed, spread, table } from './table.ts';

const ratio = (row: QueueReport['rows'][number]) =>
  row.baseline ? 'baseline' : spread(row.ratio.jobsPerSecond);
const cpu = (value: number | undefined) => (value === undefined ? '–' : fixed(value, 2));

/** The queue's table, what one job sends to Postgres, and splitText's times. */
export function formatQueue(report: QueueReport, load: QueueLoad): string {
  const subject = report.rows.find((row) => !row.baseline);
  const { roundTrips, transactions, sql } = report.jobSql;
  return [
    `Queue: ${load.rounds} rounds of ${load.jobs} jobs each, the baselines and the runner in turn; jobs queued while ` +
      `paused, timed from resume to the last completion. Ratio = runner ÷ the lower baseline of the same round: ` +
      `median (min–max). CPU ms/job: the subject's process (the runner's own; this process for the baselines, ` +
      `which run in it), the Postgres and the Redis container, during the timed part of each round.`,
    table(
      ['Queue', 'jobs', 'conc.', 'jobs/s', 'jobs/s ratio', 'CPU ms/job: process', 'postgres', 'redis'],
      report.rows.map((row) => [
        row.name,
        `${row.result.rounds.length} × ${row.result.jobs}`,
        String(row.result.concurrency),
        fixed(row.result.jobsPerSecond, 0),
        ratio(row),
        cpu(row.result.cpuMsPerJob.process),
        cpu(row.result.cpuMsPerJob.postgres),
        cpu(row.result.cpuMsPerJob.redis),
      ]),
    ),
    ...(subject?.ratio.vsNoop && subject.ratio.vsSql
      ? [
          `The runner ÷ each baseline: no-op worker ${spread(subject.ratio.vsNoop)}, raw pg ${spread(subject.ratio.vsSql)}.`,
        ]
      : []),
    '',
    `One ingest-document job sends ${roundTrips} statements to Postgres in ${transactions} transactions ` +
      `(captured from the code, replayed by the raw pg baseline):`,
    ...sql.map((text) => `  ${text.length > 150 ? `${text.slice(0, 147)}...` : text}`),
    '',
    'splitText on 1 MB (the runner’s CHUNK_SIZE/CHUNK_OVERLAP), this process:',
    table(
      ['input', 'chunks', 'first ms', 'median ms', 'median CPU ms'],
      report.splitText.map((timing) => [
        timing.input,
        String(timing.chunks),
        fixed(timing.firstMs, 1),
        fixed(timing.medianMs, 1),
        fixed(timing.medianCpuMs, 1),
      ]),
    ),
  ].join('\n');
}

/** The task-runner's lines under "Against the goals of issue 13". */
export function queueGoal(report: QueueReport): string[] {
  const ingest = report.rows.find((row) => row.name === QUEUE_SUBJECTS.ingest)!;
  const slowest = Math.max(...report.splitText.map((timing) => timing.medianMs));
  return [
    `  ingest-document ÷ lower of (no-op, raw pg)   ${spread(ingest.ratio.jobsPerSecond)}   goal ≥ 0.6`,
    `  splitText, slowest 1 MB input (median)      ${fixed(slowest, 0)} ms   goal ≤ 100 ms, linear`,
  ];
}
