/**
 * The load generator, run as a process of its own (see load.ts): in a process that serves the
 * requests it would compete with the server for the same event loop and measure itself.
 * Input: the LoadPlan as JSON on stdin. Output: one JSON line (StepResult[], one per step) on stdout.
 */
import http from 'node:http';
import { text as readAll } from 'node:stream/consumers';
import autocannon from 'autocannon';
import pg from 'pg';
import type { HttpTarget, LoadPlan, LoadStep, SqlTarget, StepResult } from './load-plan.ts';
import { percentile } from './stats.ts';

const plan = JSON.parse(await readAll(process.stdin)) as LoadPlan;

interface Fired {
  durationS: number;
  responses2xx: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  latencies: number[];
}

/**
 * Closed loop: autocannon, as fast as the connections go. Open loop (`rate`): the same callers as
 * the SQL baseline's (see `callers`), each on a keep-alive connection of its own. autocannon's own
 * pacing (`overallRate`) is a budget per second: every connection sends back to back until its
 * share of the second is spent, then waits for the next second, so half the rate meant full load
 * for half of each second, and its latencies were those of full load.
 */
function fireHttp(target: HttpTarget, step: LoadStep, rate: number | undefined): Promise<Fired> {
  return rate === undefined ? fireAutocannon(target, step) : firePaced(target, step, rate);
}

function fireAutocannon(target: HttpTarget, step: LoadStep): Promise<Fired> {
  const latencies: number[] = [];
  let next = 0;
  const request = {
    method: target.method ?? 'GET',
    headers: target.headers,
    body: target.body,
    // One path after another, request by request (a conversation per turn, …).
    setupRequest: (req: autocannon.Request) => ({
      ...req,
      path: target.paths[next++ % target.paths.length]!,
    }),
  };
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: target.origin,
        // autocannon refuses more connections than requests.
        connections: Math.min(step.connections, step.amount ?? step.connections),
        ...(step.amount === undefined ? { duration: step.durationS } : { amount: step.amount }),
        requests: [request],
      },
      (error: Error | null, result: autocannon.Result) =>
        error
          ? reject(error)
          : resolve({
              durationS: result.duration,
              responses2xx: result['2xx'],
              non2xx: result.non2xx,
              errors: result.errors,
              timeouts: result.timeouts,
              latencies,
            }),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
}

async function firePaced(target: HttpTarget, step: LoadStep, rate: number): Promise<Fired> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: step.connections });
  let next = 0;
  const send = () =>
    new Promise<boolean>((resolve, reject) => {
      const path = target.paths[next++ % target.paths.length]!;
      const request = http.request(
        new URL(path, target.origin),
        { method: target.method ?? 'GET', headers: target.headers, agent },
        (response) => {
          response.resume();
          response.once('end', () => resolve(response.statusCode! >= 200 && response.statusCode! < 300));
          response.once('error', reject);
        },
      );
      request.once('error', reject);
      request.end(target.body);
    });
  try {
    return await callers(step, rate, send);
  } finally {
    agent.destroy();
  }
}

// One pool per SQL target for the whole plan: connected and warm, like the api's.
const pools = new Map<SqlTarget, pg.Pool>();
// Dates, times and intervals stay text, as drizzle reads them: it gives every query these type
// parsers (drizzle-orm/node-postgres/session.js), so the rows cost the same to read here.
const KEPT_AS_TEXT = new Set([1184, 1114, 1082, 1186, 1231, 1115, 1185, 1187, 1182]);
const asText = (value: string) => value;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    KEPT_AS_TEXT.has(oid)
      ? asText
      : (pg.types.getTypeParser(oid, format) as (value: string) => unknown)) as typeof pg.types.getTypeParser,
};

/** The statement through one pool of `poolMax` connections, by the callers of `callers`. */
async function fireSql(target: SqlTarget, step: LoadStep, rate: number | undefined): Promise<Fired> {
  let pool = pools.get(target);
  if (!pool) {
    pool = new pg.Pool({ connectionString: target.databaseUrl, max: target.poolMax });
    pools.set(target, pool);
  }
  const { text, values, name, rowMode } = target.statement;
  const query = { text, values, types, ...(name ? { name } : {}), ...(rowMode ? { rowMode } : {}) };
  return callers(step, rate, () => pool.query(query).then(() => true));
}

/**
 * `connections` callers, each sending again as soon as its answer came (closed loop) or at its
 * share of `rate` (open loop): caller i at its own fixed times, staggered across the interval, so
 * the requests arrive evenly spread. Latency is from sending to the whole answer.
 */
async function callers(
  step: LoadStep,
  rate: number | undefined,
  send: () => Promise<boolean>,
): Promise<Fired> {
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  let sent = 0;
  const started = performance.now();
  const endAt = started + (step.durationS ?? Number.POSITIVE_INFINITY) * 1_000;
  const more = () => (step.amount === undefined ? performance.now() < endAt : sent < step.amount);
  const interval = rate === undefined ? 0 : (1_000 * step.connections) / rate;

  await Promise.all(
    Array.from({ length: step.connections }, async (_, caller) => {
      let due = started + (interval * caller) / step.connections;
      while (more()) {
        if (interval > 0) {
          const wait = due - performance.now();
          if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
          due += interval;
          if (!more()) break;
        }
        sent++;
        const at = performance.now();
        try {
          if (await send()) latencies.push(performance.now() - at);
          else non2xx++;
        } catch {
          errors++;
        }
      }
    }),
  );
  return {
    durationS: (performance.now() - started) / 1_000,
    responses2xx: latencies.length,
    non2xx,
    errors,
    timeouts: 0,
    latencies,
  };
}

const sorted = (values: readonly number[]) => Float64Array.from(values).sort();

const results: StepResult[] = [];
for (const step of plan.steps) {
  const target = plan.targets[step.target]!;
  const rate = step.pace
    ? Math.max(1, results[step.pace.ofStep]!.requestsPerSecond * step.pace.fraction)
    : undefined;
  const fired =
    target.kind === 'http' ? await fireHttp(target, step, rate) : await fireSql(target, step, rate);
  const ordered = sorted(fired.latencies);
  results.push({
    durationS: fired.durationS,
    ...(rate === undefined ? {} : { pacedAt: rate }),
    requestsPerSecond: fired.responses2xx / fired.durationS,
    responses2xx: fired.responses2xx,
    non2xx: fired.non2xx,
    errors: fired.errors,
    timeouts: fired.timeouts,
    latencyMs: {
      p50: percentile(ordered, 50),
      p90: percentile(ordered, 90),
      p99: percentile(ordered, 99),
    },
    latencies: fired.latencies,
  });
}
await Promise.all([...pools.values()].map((pool) => pool.end()));
process.stdout.write(`${JSON.stringify(results)}\n`);
