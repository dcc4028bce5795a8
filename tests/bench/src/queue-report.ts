import { formatProfile } from './cpu-profile.ts';
import type { QueueLoad, QueueReport } from './queue-bench.ts';
import { fixed, ratio, table } from './table.ts';

/** The queue's table, what one job sends to Postgres and, when profiled, where the runner's CPU went. */
export function formatQueue(report: QueueReport, load: QueueLoad): string {
  const rows = table(
    ['Queue', 'jobs', 'concurrency', 'jobs/s', 'jobs/s ratio'],
    report.rows.map((row) => [
      row.name,
      `${row.result.rounds.length} × ${row.result.jobs}`,
      String(row.result.concurrency),
      fixed(row.result.jobsPerSecond, 0),
      ratio(row.ratio.jobsPerSecond, row.baseline),
    ]),
  );
  const subject = report.rows.find((row) => !row.baseline);
  const each =
    subject?.ratio.vsNoop && subject.ratio.vsSql
      ? `The runner ÷ each baseline: no-op worker ${ratio(subject.ratio.vsNoop, false)}, ` +
        `raw pg ${ratio(subject.ratio.vsSql, false)}.`
      : '';
  const { roundTrips, transactions, sql } = report.jobSql;
  return [
    `Queue: ${load.rounds} rounds of ${load.jobs} jobs each, the baselines and the runner in turn; jobs queued while ` +
      `paused, timed from resume to the last completion. Ratio = runner ÷ the lower baseline of the same round: ` +
      `median (min–max).`,
    rows,
    each,
    '',
    `One ingest-document job sends ${roundTrips} statements to Postgres in ${transactions} transactions ` +
      `(captured from the code, replayed by the raw pg baseline):`,
    ...sql.map((text) => `  ${text.length > 160 ? `${text.slice(0, 157)}...` : text}`),
    ...(report.profile
      ? [
          '',
          `task-runner CPU profile over the ingest rounds (${report.profile.file}):`,
          formatProfile(report.profile),
        ]
      : []),
  ].join('\n');
}
