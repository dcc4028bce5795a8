import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBenchmark, type BenchOptions, type BenchResults } from '../src/harness.ts';
import { formatResults, writeResults } from '../src/report.ts';
import type { Spread } from '../src/stats.ts';

// The harness of `pnpm bench` with tiny counts, so it cannot rot unnoticed: it must still start
// every target and measure something real. No timing is asserted — only that it was measured.
const TINY: BenchOptions = {
  http: { connections: 4, warmupS: 0, durationS: 1, rounds: 2 },
  queue: { jobs: 20, rounds: 2 },
};

let results: BenchResults;
beforeAll(async () => {
  results = await runBenchmark(TINY);
}, 120_000);

const positive = expect.toSatisfy((value: number) => Number.isFinite(value) && value > 0, 'finite and > 0');
const ordered = (spread: Spread) => {
  expect(spread).toEqual({ median: positive, min: positive, max: positive });
  expect(spread.min).toBeLessThanOrEqual(spread.median);
  expect(spread.median).toBeLessThanOrEqual(spread.max);
};

describe('a benchmark run', () => {
  it('loads the bare baseline and the api routes in every round, all answering 2xx', () => {
    expect(results.http.map((row) => [row.name, row.baseline])).toEqual([
      ['bare Fastify GET /x', true],
      ['api GET /health', false],
      ['api GET /v1/documents?limit=20 (authenticated)', false],
    ]);
    for (const { name, result, ratio } of results.http) {
      const round = {
        durationS: positive,
        requestsPerSecond: positive,
        responses2xx: positive,
        non2xx: 0,
        errors: 0,
        timeouts: 0,
        latencyMs: { p50: positive, p99: positive },
      };
      expect({ name, ...result }).toEqual({ name, ...round, rounds: [round, round] });
      expect(result.latencyMs.p99).toBeGreaterThanOrEqual(result.latencyMs.p50);
      expect(result.responses2xx).toBe(result.rounds[0]!.responses2xx + result.rounds[1]!.responses2xx);
      ordered(ratio.requestsPerSecond);
      ordered(ratio.latencyP50);
      ordered(ratio.latencyP99);
    }
    const one = { median: 1, min: 1, max: 1 };
    expect(results.http[0]!.ratio).toEqual({ requestsPerSecond: one, latencyP50: one, latencyP99: one });
  });

  it('processes every queued job through both baselines and the real task-runner process', () => {
    const { rows } = results.queue;
    expect(rows.map((row) => [row.name, row.baseline])).toEqual([
      ['no-op BullMQ worker', true],
      ["raw pg: the job's statements", true],
      ['task-runner ingest-document', false],
    ]);
    for (const { result, ratio } of rows) {
      const round = { elapsedMs: positive, jobsPerSecond: positive };
      expect(result).toEqual({
        jobs: TINY.queue.jobs,
        concurrency: positive,
        jobsPerSecond: positive,
        rounds: [round, round],
      });
      for (const { elapsedMs, jobsPerSecond } of result.rounds) {
        expect(jobsPerSecond).toBeCloseTo((TINY.queue.jobs * 1_000) / elapsedMs);
      }
      ordered(ratio.jobsPerSecond);
    }
    const one = { median: 1, min: 1, max: 1 };
    expect(rows[0]!.ratio).toEqual({ jobsPerSecond: one });
    expect(rows[1]!.ratio).toEqual({ jobsPerSecond: one });
    // The runner against the lower of the two baselines of each round, and against each.
    const [noop, sql, ingest] = rows.map((row) => row.result.rounds.map((round) => round.jobsPerSecond));
    const lower = ingest!.map((rate, i) => rate / Math.min(noop![i]!, sql![i]!)).sort((a, b) => a - b);
    expect(rows[2]!.ratio.jobsPerSecond).toEqual({
      median: (lower[0]! + lower[1]!) / 2,
      min: lower[0],
      max: lower[1],
    });
    ordered(rows[2]!.ratio.vsNoop!);
    ordered(rows[2]!.ratio.vsSql!);
  });

  it('replays the statements captured from one real job: the row lock, the chunks, the task state', () => {
    const { roundTrips, transactions, sql } = results.queue.jobSql;
    expect(sql).toHaveLength(roundTrips);
    expect(transactions).toBeGreaterThanOrEqual(1);
    expect(transactions).toBeLessThanOrEqual(roundTrips);
    const statements = sql.join('\n');
    expect(statements).toMatch(/for update/i);
    expect(statements).toMatch(/insert into "chunks"/i);
    expect(statements).toMatch(/update "tasks"/i);
    expect(results.queue.profile).toBeUndefined();
  });

  it('records what it ran with and where', () => {
    expect(results.options).toEqual(TINY);
    expect(new Date(results.startedAt).getTime()).not.toBeNaN();
    expect(results.machine).toEqual({
      node: process.version,
      cpus: positive,
      cpuModel: expect.any(String),
      loadAverage: { before: expect.any(Number), after: expect.any(Number) },
    });
  });
});

describe('the report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keelson-bench-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is a table naming every scenario with its ratio', () => {
    const text = formatResults(results);
    for (const row of [...results.http, ...results.queue.rows]) expect(text).toContain(row.name);
    expect(text).toContain('baseline');
    expect(text).toMatch(/\d+\.\d\dx/);
  });

  it('is JSON that reads back as the results', () => {
    const path = join(dir, 'nested', 'latest.json');
    writeResults(path, results);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(results);
  });
});
