/**
 * The environment the bench's own processes read: the harness sets it for the servers and the
 * preload it spawns. Nothing else of the bench reads process.env; a bad value is named here.
 */

/** The harness's PATH, handed on to the services it spawns (and nothing else of its environment). */
export const inheritedPath = (): string => process.env.PATH ?? '';

/** PORT of a server process the harness started (bare Fastify, the scripted model). */
export function serverPort(): number {
  const port = Number(process.env.PORT);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new Error(`PORT must be a TCP port, got ${process.env.PORT}`);
  }
  return port;
}

/** Where profiler-preload.ts writes its profiles. */
export function profileDir(): string {
  const dir = process.env.BENCH_PROFILE_DIR;
  if (!dir) throw new Error('profiler-preload needs BENCH_PROFILE_DIR');
  return dir;
}

/** A port given by name (the latency model's STATS_PORT). */
function portNamed(name: string): number {
  const port = Number(process.env[name]);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new Error(`${name} must be a TCP port, got ${process.env[name]}`);
  }
  return port;
}

/** The latency model's settings: how long each chat reply waits, and where it reports what it saw. */
export function latencyModelConfig(): { latencyMs: number; statsPort: number } {
  const latencyMs = Number(process.env.MODEL_LATENCY_MS);
  if (!Number.isInteger(latencyMs) || latencyMs < 0 || latencyMs > 60_000) {
    throw new Error(
      `MODEL_LATENCY_MS must be whole milliseconds from 0 to 60000, got ${process.env.MODEL_LATENCY_MS}`,
    );
  }
  return { latencyMs, statsPort: portNamed('STATS_PORT') };
}

/** The Fastify + pg floor server's settings (src/servers/fastify-pg.ts). */
export function fastifyPgConfig(): {
  port: number;
  databaseUrl: string;
  poolMax: number;
  statement: { name?: string; text: string; values: unknown[]; rowMode?: 'array' };
} {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('fastify-pg needs DATABASE_URL');
  const poolMax = Number(process.env.POOL_MAX);
  if (!Number.isInteger(poolMax) || poolMax < 1)
    throw new Error(`POOL_MAX must be a count, got ${process.env.POOL_MAX}`);
  const statement = JSON.parse(process.env.STATEMENT ?? 'null') as
    ReturnType<typeof fastifyPgConfig>['statement'] | null;
  if (!statement?.text || !Array.isArray(statement.values))
    throw new Error('STATEMENT must be a captured statement as JSON');
  return { port: serverPort(), databaseUrl, poolMax, statement };
}
