import { join } from 'node:path';
import { freePort } from '@repo/testing';
import type { ApiStack } from './api-stack.ts';
import { API_POOL_MAX } from './api-stack.ts';
import { REPO_ROOT, startService } from './processes.ts';
import { measureRounds, type Measured, type RoundsLoad, type Subject } from './rounds.ts';
import { pairedRatios, type Spread } from './stats.ts';

export const BARE_PATH = '/x';

export interface HttpLoad extends RoundsLoad {
  /** Concurrent keep-alive connections, and concurrent callers of the SQL baseline's pool. */
  connections: number;
}

/** Subject ÷ baseline, round by round, summarised over the rounds (median, min, max). */
export interface Comparison {
  subject: string;
  baseline: string;
  ratio: { requestsPerSecond: Spread; latencyP50: Spread; latencyP99: Spread };
}

export interface HttpSection {
  subjects: Measured[];
  comparisons: Comparison[];
}

export const HTTP_SUBJECTS = {
  bare: `bare Fastify GET ${BARE_PATH}`,
  health: 'api GET /health',
  documents: 'api GET /v1/documents?limit=20 (authenticated)',
  floor: 'Fastify + pg: the same statement as JSON',
  sql: 'raw pg: the same statement',
  documentsPaced: 'api GET /v1/documents?limit=20 at ½ its max rate',
  sqlPaced: 'raw pg: the same statement at that rate',
} as const;

export function compare(subjects: Measured[], subject: string, baseline: string): Comparison {
  const find = (name: string) => {
    const found = subjects.find((measured) => measured.name === name);
    if (!found) throw new Error(`no subject ${name}`);
    return found.rounds;
  };
  const [of, base] = [find(subject), find(baseline)];
  const paired = (pick: (round: (typeof of)[number]) => number) => pairedRatios(of.map(pick), base.map(pick));
  return {
    subject,
    baseline,
    ratio: {
      requestsPerSecond: paired((round) => round.requestsPerSecond),
      latencyP50: paired((round) => round.latencyMs.p50),
      latencyP99: paired((round) => round.latencyMs.p99),
    },
  };
}

/**
 * The HTTP rows. Baselines, measured in the same rounds:
 * - bare Fastify (a process of its own) for `/health`: the cost of everything the api registers;
 * - the documents route's own statement sent with `pg` from a pool of the api's size by as many
 *   callers as there are connections: the cost of everything but the database work;
 * - the floor: Fastify answering that statement's rows as JSON, nothing else registered
 *   (src/servers/fastify-pg.ts): what any HTTP service over `pg` costs here, so the api ÷ floor
 *   is what the api's own features cost, and floor ÷ raw pg what HTTP and JSON cost;
 * - then both at half the api's maximum rate of the round (open loop), for the latency at a load
 *   the api can carry (p99 < 15 ms is the goal).
 */
export async function measureHttpRows(stack: ApiStack, load: HttpLoad, logDir: string): Promise<HttpSection> {
  const port = await freePort();
  const bare = await startService({
    name: 'bare-fastify',
    cwd: join(REPO_ROOT, 'tests/bench'),
    args: ['src/servers/bare-fastify.ts'],
    env: { NODE_ENV: 'production', PORT: String(port) },
    port,
    logDir,
  });
  const floorPort = await freePort();
  const floor = await startService({
    name: 'fastify-pg',
    cwd: join(REPO_ROOT, 'tests/bench'),
    args: ['src/servers/fastify-pg.ts'],
    env: {
      NODE_ENV: 'production',
      PORT: String(floorPort),
      DATABASE_URL: stack.databaseUrl,
      POOL_MAX: String(API_POOL_MAX),
      STATEMENT: JSON.stringify(stack.listDocuments),
    },
    port: floorPort,
    logDir,
  }).catch(async (error: unknown) => {
    await bare.stop();
    throw error;
  });
  try {
    const { connections } = load;
    const documents = {
      kind: 'http' as const,
      origin: stack.api.origin,
      paths: ['/v1/documents?limit=20'],
      headers: stack.auth,
    };
    const sql = {
      kind: 'sql' as const,
      databaseUrl: stack.databaseUrl,
      poolMax: API_POOL_MAX,
      statement: stack.listDocuments,
    };
    const subjects: Subject[] = [
      {
        name: HTTP_SUBJECTS.bare,
        connections,
        target: { kind: 'http', origin: bare.origin, paths: [BARE_PATH] },
      },
      {
        name: HTTP_SUBJECTS.health,
        connections,
        target: { kind: 'http', origin: stack.api.origin, paths: ['/health'] },
      },
      { name: HTTP_SUBJECTS.documents, connections, target: documents },
      {
        name: HTTP_SUBJECTS.floor,
        connections,
        target: { kind: 'http', origin: floor.origin, paths: [BARE_PATH] },
      },
      { name: HTTP_SUBJECTS.sql, connections, target: sql },
      {
        name: HTTP_SUBJECTS.documentsPaced,
        connections,
        target: documents,
        pace: { of: HTTP_SUBJECTS.documents, fraction: 0.5 },
      },
      {
        name: HTTP_SUBJECTS.sqlPaced,
        connections,
        target: sql,
        pace: { of: HTTP_SUBJECTS.documents, fraction: 0.5 },
      },
    ];
    const measured = await measureRounds(subjects, load);
    return {
      subjects: measured,
      comparisons: [
        compare(measured, HTTP_SUBJECTS.health, HTTP_SUBJECTS.bare),
        compare(measured, HTTP_SUBJECTS.documents, HTTP_SUBJECTS.sql),
        compare(measured, HTTP_SUBJECTS.documents, HTTP_SUBJECTS.floor),
        compare(measured, HTTP_SUBJECTS.floor, HTTP_SUBJECTS.sql),
        compare(measured, HTTP_SUBJECTS.documents, HTTP_SUBJECTS.bare),
        compare(measured, HTTP_SUBJECTS.documentsPaced, HTTP_SUBJECTS.sqlPaced),
      ],
    };
  } finally {
    await bare.stop();
    await floor.stop();
  }
}
