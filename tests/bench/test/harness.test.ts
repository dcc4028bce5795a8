import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBenchmark, type BenchOptions, type BenchResults } from '../src/harness.ts';
import { HTTP_SUBJECTS } from '../src/http-bench.ts';
import { formatResults, writeResults } from '../src/report.ts';
import type { Measured } from '../src/rounds.ts';
import type { Spread } from '../src/stats.ts';
import { TURN_SUBJECTS } from '../src/turn-bench.ts';

// The harness of `pnpm bench` with tiny counts, so it cannot rot unnoticed: it must still start
// every process and measure something real. No timing is asserted — only that it was measured.
const TINY: BenchOptions = {
  http: { connections: 4, warmupS: 0, durationS: 1, rounds: 2 },
  turns: { latencyConnections: 1, throughputConnections: 2, warmupS: 0, durationS: 1, rounds: 2 },
  memory: { checkpoints: [40, 60], connections: 2 },
  queue: { jobs: 20, rounds: 2 },
};

const workDir = mkdtempSync(join(tmpdir(), 'keelson-bench-'));
let results: BenchResults;
beforeAll(async () => {
  results = await runBenchmark(TINY, workDir);
}, 240_000);
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

const positive = expect.toSatisfy((value: number) => Number.isFinite(value) && value > 0, 'finite and > 0');
const ordered = (spread: Spread) => {
  expect(spread).toEqual({ median: positive, min: positive, max: positive });
  expect(spread.min).toBeLessThanOrEqual(spread.median);
  expect(spread.median).toBeLessThanOrEqual(spread.max);
};

/** Every round answered only 2xx and measured a rate and latencies. */
function wellMeasured(subject: Measured, rounds: number) {
  const latency = { p50: positive, p90: positive, p99: positive };
  const round: unknown = expect.objectContaining({
    durationS: positive,
    requestsPerSecond: positive,
    responses2xx: positive,
    non2xx: 0,
    errors: 0,
    timeouts: 0,
    latencyMs: latency,
  });
  expect(subject).toEqual({
    name: subject.name,
    connections: positive,
    requestsPerSecond: positive,
    responses2xx: positive,
    non2xx: 0,
    errors: 0,
    timeouts: 0,
    durationS: positive,
    latencyMs: latency,
    rounds: Array.from({ length: rounds }, () => round),
    warmupResponses2xx: expect.any(Number),
  });
  expect(subject.latencyMs.p99).toBeGreaterThanOrEqual(subject.latencyMs.p50);
  expect(subject.responses2xx).toBe(subject.rounds.reduce((sum, r) => sum + r.responses2xx, 0));
}

describe('a benchmark run', () => {
  it('loads the baselines and the api routes in every round, all answering 2xx', () => {
    expect(results.http.subjects.map((subject) => subject.name)).toEqual(Object.values(HTTP_SUBJECTS));
    for (const subject of results.http.subjects) wellMeasured(subject, TINY.http.rounds);
    // The paced rounds ran at half the closed-loop rate of the same round.
    const documents = results.http.subjects.find((s) => s.name === HTTP_SUBJECTS.documents)!;
    const paced = results.http.subjects.find((s) => s.name === HTTP_SUBJECTS.documentsPaced)!;
    paced.rounds.forEach((round, i) => {
      expect(round.pacedAt).toBeCloseTo(documents.rounds[i]!.requestsPerSecond / 2);
    });
    expect(results.http.comparisons.map((row) => [row.subject, row.baseline])).toEqual([
      [HTTP_SUBJECTS.health, HTTP_SUBJECTS.bare],
      [HTTP_SUBJECTS.documents, HTTP_SUBJECTS.sql],
      [HTTP_SUBJECTS.documents, HTTP_SUBJECTS.floor],
      [HTTP_SUBJECTS.floor, HTTP_SUBJECTS.sql],
      [HTTP_SUBJECTS.documents, HTTP_SUBJECTS.bare],
      [HTTP_SUBJECTS.documentsPaced, HTTP_SUBJECTS.sqlPaced],
    ]);
    for (const { ratio } of results.http.comparisons) {
      ordered(ratio.requestsPerSecond);
      ordered(ratio.latencyP50);
      ordered(ratio.latencyP99);
    }
  });

  it('runs turns through the api, the agent and the model, each stored with its reply', () => {
    expect(results.turns.subjects.map((subject) => subject.name)).toEqual([
      TURN_SUBJECTS.model1,
      TURN_SUBJECTS.turn1,
      TURN_SUBJECTS.modelN(2),
      TURN_SUBJECTS.turnN(2),
    ]);
    for (const subject of results.turns.subjects) wellMeasured(subject, TINY.turns.rounds);
    expect(results.turns.overheadP50Ms).toEqual({
      median: expect.any(Number),
      min: expect.any(Number),
      max: expect.any(Number),
    });
    expect(results.turns.turnsPerSecond).toEqual(positive);
    // Every turn answered 200 has its reply (the one before the rows captured the model's request);
    // a turn cut off when a timed step ended may have stored its user message alone.
    const answered = results.turns.subjects
      .filter((subject) => subject.name.startsWith('turn'))
      .reduce((sum, subject) => sum + subject.responses2xx + subject.warmupResponses2xx, 1);
    expect(results.turns.stored.replies).toBeGreaterThanOrEqual(answered);
    expect(results.turns.stored.userMessages).toBeGreaterThanOrEqual(results.turns.stored.replies);
  });

  it("samples the agent's and the api's memory at each checkpoint of sustained turns", () => {
    const sample = (turns: number) => ({
      turns,
      rssBytes: positive,
      heapUsedBytes: positive,
      heapTotalBytes: positive,
      externalBytes: positive,
    });
    // The turns of the earlier rows count too: the first checkpoint is at least 40.
    expect(results.memory.agent).toEqual([
      sample(expect.toSatisfy((n: number) => n >= 40)),
      sample(expect.toSatisfy((n: number) => n >= 60)),
    ]);
    expect(results.memory.api.map((s) => s.turns)).toEqual(results.memory.agent.map((s) => s.turns));
    expect(results.memory.agentRssGrowth).toEqual(positive);
  });

  it('processes every queued job through both baselines and the task-runner process', () => {
    const { rows } = results.queue;
    expect(rows.map((row) => [row.name, row.baseline])).toEqual([
      ['no-op BullMQ worker', true],
      ["raw pg: the job's statements", true],
      ['task-runner ingest-document', false],
    ]);
    for (const { result, ratio } of rows) {
      const round = { elapsedMs: positive, jobsPerSecond: positive, cpuMsPerJob: expect.any(Object) };
      expect(result).toEqual({
        jobs: TINY.queue.jobs,
        concurrency: positive,
        jobsPerSecond: positive,
        cpuMsPerJob: expect.any(Object),
        rounds: [round, round],
      });
      for (const { elapsedMs, jobsPerSecond } of result.rounds) {
        expect(jobsPerSecond).toBeCloseTo((TINY.queue.jobs * 1_000) / elapsedMs);
      }
      ordered(ratio.jobsPerSecond);
    }
    // The runner's (and the benchmark's) own CPU time per job is read from /proc on Linux.
    for (const { result } of rows) expect(result.cpuMsPerJob.process).toEqual(positive);
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

  it("replays the statements captured from one real job: the row lock, the chunks, the task's outcome", () => {
    const { roundTrips, transactions, sql } = results.queue.jobSql;
    expect(sql).toHaveLength(roundTrips);
    expect(transactions).toBeGreaterThanOrEqual(1);
    expect(transactions).toBeLessThan(roundTrips);
    const statements = sql.join('\n');
    expect(statements).toMatch(/for update/i);
    expect(statements).toMatch(/insert into "chunks"/i);
    expect(statements).toMatch(/update "tasks"/i);
  });

  it('ran the task-runner as production runs it, writing its info-level job lines', () => {
    const log = readFileSync(join(workDir, 'logs', 'task-runner.log'), 'utf8');
    const lines = log
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { service?: string; msg?: string; level?: string });
    const completed = lines.filter((line) => line.service === 'task-runner' && line.msg === 'job completed');
    expect(completed.length).toBeGreaterThanOrEqual(TINY.queue.jobs * TINY.queue.rounds);
    expect(lines.every((line) => line.level !== 'debug')).toBe(true);
  });

  it('times splitText on 1 MB of every input shape', () => {
    expect(results.queue.splitText.map((timing) => timing.input)).toEqual([
      'prose',
      "'a ' repeated",
      "'a\\n' repeated",
      "'a. ' repeated",
      "'ab' + no-break space",
      'paragraphs of one word',
      'one word, no separator',
      'mixed whitespace',
    ]);
    for (const timing of results.queue.splitText) {
      expect(timing).toEqual({
        input: expect.any(String),
        bytes: 1 << 20,
        chunks: positive,
        firstMs: positive,
        medianMs: positive,
        medianCpuMs: expect.toSatisfy((ms: number) => ms >= 0),
      });
    }
  });

  it('ran the apps as production runs them, writing their info-level request logs', () => {
    const log = readFileSync(join(workDir, 'logs', 'api.log'), 'utf8');
    const lines = log
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as { service?: string; msg?: string; level?: string });
    expect(lines.some((line) => line.service === 'api' && line.msg === 'request completed')).toBe(true);
    expect(lines.every((line) => line.level !== 'debug')).toBe(true);
  });

  it('records what it ran with and where', () => {
    expect(results.options).toEqual(TINY);
    expect(new Date(results.startedAt).getTime()).not.toBeNaN();
    expect(results.machine).toEqual({
      node: process.version,
      cpus: positive,
      cpuModel: expect.any(String),
      loadAverage: {
        before: expect.any(Number),
        after: expect.any(Number),
        max: expect.any(Number),
        samples: expect.any(Array),
      },
    });
  });
});

describe('the report', () => {
  const dir = mkdtempSync(join(tmpdir(), 'keelson-bench-report-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is a table naming every subject, the ratios and the goals', () => {
    const text = formatResults(results);
    for (const subject of [...results.http.subjects, ...results.turns.subjects]) {
      expect(text).toContain(subject.name);
    }
    for (const row of results.queue.rows) expect(text).toContain(row.name);
    expect(text).toContain('splitText, slowest 1 MB input');
    expect(text).toMatch(/\d+\.\d\dx/);
    expect(text).toContain('goal ≥ 0.85');
  });

  it('is JSON that reads back as the results', () => {
    const path = join(dir, 'nested', 'latest.json');
    writeResults(path, results);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(results);
  });
});
