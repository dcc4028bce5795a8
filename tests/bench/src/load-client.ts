/**
 * The load generator, run as a process of its own (see http-bench.ts): in the process that serves
 * the requests it would compete with the server for the same event loop and measure itself.
 * Input: one JSON argument (LoadPlan). Output: one JSON line (TargetLoad[], one per target) on stdout.
 */
import autocannon from 'autocannon';
import type { LoadPlan, RoundLoad, TargetLoad } from './http-bench.ts';
import { percentile } from './stats.ts';

const plan = JSON.parse(process.argv[2] ?? '') as LoadPlan;

interface Fired {
  result: autocannon.Result;
  /** Latency of every 2xx response in ms, at hrtime precision (autocannon's histogram keeps whole ms). */
  latencies: number[];
}

function fire(target: LoadPlan['targets'][number], durationS: number): Promise<Fired> {
  const latencies: number[] = [];
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      { url: target.url, connections: plan.connections, duration: durationS, headers: target.headers },
      (error: Error | null, result: autocannon.Result) =>
        error ? reject(error) : resolve({ result, latencies }),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
}

const sorted = (values: readonly number[]) => Float64Array.from(values).sort();

// Warm-up of every target first (JIT, connection pools, caches on both ends); its numbers are dropped.
if (plan.warmupS > 0) for (const target of plan.targets) await fire(target, plan.warmupS);

// Then round by round, every target in turn: a burst of load from elsewhere on the machine hits
// the rounds it overlaps, and a target and its baseline within the same round alike.
const rounds: RoundLoad[][] = plan.targets.map(() => []);
const pooled: number[][] = plan.targets.map(() => []);
for (let round = 0; round < plan.rounds; round++) {
  for (const [index, target] of plan.targets.entries()) {
    const { result, latencies } = await fire(target, plan.roundS);
    const ordered = sorted(latencies);
    rounds[index]!.push({
      durationS: result.duration,
      requestsPerSecond: result['2xx'] / result.duration,
      responses2xx: result['2xx'],
      non2xx: result.non2xx,
      errors: result.errors,
      timeouts: result.timeouts,
      latencyMs: { p50: percentile(ordered, 50), p99: percentile(ordered, 99) },
    });
    pooled[index]!.push(...latencies);
  }
}

const output: TargetLoad[] = plan.targets.map((_, index) => {
  const all = sorted(pooled[index]!);
  return { rounds: rounds[index]!, latencyMs: { p50: percentile(all, 50), p99: percentile(all, 99) } };
});
process.stdout.write(`${JSON.stringify(output)}\n`);
