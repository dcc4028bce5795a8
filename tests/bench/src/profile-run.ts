import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@repo/testing';
import type { ApiStack } from './api-stack.ts';
import { readProfile, summarizeProfile, type ProfileSummary } from './cpu-profile.ts';
import type { LoadTarget } from './load-plan.ts';
import { runLoad } from './load.ts';
import type { ServiceProcess } from './processes.ts';
import { turnTarget } from './turn-bench.ts';

/**
 * Where the time of a request goes, by the suspects issue 13 names: each is the share of samples
 * with a matching frame anywhere on the stack (so nested ones overlap: rate-limit includes ioredis).
 * Matched against `function package path-inside-the-package`.
 */
export const SUSPECTS: Record<string, RegExp> = {
  'request logging (pino, redaction, writes)': / (pino|@pinojs\/redact|sonic-boom) /,
  'JWT verification (jose, WebCrypto HMAC)': / jose |^jobPromise node:internal /,
  'rate limiter (@fastify/rate-limit + ioredis)': / @fastify\/rate-limit /,
  'ioredis (any command)': / ioredis /,
  'pg, pg-pool, pg-protocol': / (pg|pg-pool|pg-protocol) /,
  'drizzle (query building, row mapping)': / drizzle-orm /,
  'zod (validation, response encoding)': / zod /,
  'fastify-type-provider-zod (schemas → JSON)': / fastify-type-provider-zod /,
  'security headers (helmet, cors)': / @fastify\/(helmet|cors) |^helmet| helmet /,
  'request ids, problem details (@repo/http)': / @repo\/http /,
  'metrics (prom-client histogram)': / prom-client /,
  'load shedding (under-pressure)': / @fastify\/under-pressure /,
  'MCP SDK': / @modelcontextprotocol\/sdk /,
  'AI SDK': / (ai|@ai-sdk\/[a-z-]+) /,
  'undici / fetch': / undici |node:internal\/deps\/undici/,
  'module resolution (package_json_reader, resolve)': /package_json_reader|esm\/resolve|modules\/cjs\/loader/,
  'socket writes (writev, writeUtf8String, writeBuffer)':
    /^(writev|writeUtf8String|writeBuffer|writeLatin1String) /,
  'garbage collection': /^\(garbage collector\)/,
  'idle (waiting for I/O)': /^\(idle\)/,
};

export interface ProfileScenario {
  name: string;
  target: LoadTarget;
  connections: number;
  /** The services sampled during the load. */
  services: ServiceProcess[];
}

export interface ProfiledScenario {
  name: string;
  connections: number;
  /** 2xx answers per second while sampled (the profiler's own cost included). */
  requestsPerSecond: number;
  profiles: Array<{ service: string; file: string; summary: ProfileSummary }>;
}

export const profileScenarios = (stack: ApiStack): ProfileScenario[] => [
  {
    name: 'health',
    connections: 16,
    services: [stack.api],
    target: { kind: 'http', origin: stack.api.origin, paths: ['/health'] },
  },
  {
    name: 'documents',
    connections: 16,
    services: [stack.api],
    target: {
      kind: 'http',
      origin: stack.api.origin,
      paths: ['/v1/documents?limit=20'],
      headers: stack.auth,
    },
  },
  { name: 'turns', connections: 8, services: [stack.api, stack.agent], target: turnTarget(stack) },
];

/**
 * Each scenario: warm up, then sample the CPU of its services (profiler-preload.ts, switched on
 * and off by signal) during `durationS` of load, and summarise where the time went. The profiles
 * are kept in `outDir` as `<scenario>.<service>.cpuprofile` (Chrome DevTools, speedscope).
 */
export async function profile(
  stack: ApiStack,
  scenarios: ProfileScenario[],
  options: { durationS: number; warmupS: number; outDir: string },
): Promise<ProfiledScenario[]> {
  if (!stack.profileDir) throw new Error('start the stack with profile: true');
  mkdirSync(options.outDir, { recursive: true });
  const written = new Map<string, number>();
  const profiled: ProfiledScenario[] = [];
  for (const scenario of scenarios) {
    const plan = (durationS: number) => ({
      targets: [scenario.target],
      steps: [{ target: 0, connections: scenario.connections, durationS }],
    });
    await runLoad(plan(options.warmupS), options.warmupS + 60);
    for (const service of scenario.services) service.toggleProfile();
    const [result] = await runLoad(plan(options.durationS), options.durationS + 60);
    const profiles: ProfiledScenario['profiles'] = [];
    for (const service of scenario.services) {
      service.toggleProfile();
      const count = (written.get(service.name) ?? 0) + 1;
      written.set(service.name, count);
      const source = join(stack.profileDir, service.name, `${count}.cpuprofile`);
      await waitFor(() => existsSync(source), { timeoutMs: 30_000, what: `${source} to be written` });
      const file = join(options.outDir, `${scenario.name}.${service.name}.cpuprofile`);
      renameSync(source, file);
      profiles.push({
        service: service.name,
        file,
        summary: summarizeProfile(readProfile(file), { top: 25, inclusive: SUSPECTS }),
      });
    }
    profiled.push({
      name: scenario.name,
      connections: scenario.connections,
      requestsPerSecond: result!.requestsPerSecond,
      profiles,
    });
  }
  return profiled;
}
