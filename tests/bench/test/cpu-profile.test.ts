import { describe, expect, it } from 'vitest';
import { packageOf, summarizeProfile, type CpuProfile } from '../src/cpu-profile.ts';

const PNPM = 'file:///repo/node_modules/.pnpm/drizzle-orm@0.45.4_@opentelemetry+api@1.10.0/node_modules';

/** root → handler (app) → query (drizzle) → write (native); root → (idle). Times in µs. */
const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 }, children: [2, 5] },
    {
      id: 2,
      callFrame: { functionName: 'handler', url: 'file:///repo/apps/api/dist/app.js', lineNumber: 9 },
      children: [3],
    },
    {
      id: 3,
      callFrame: { functionName: 'query', url: `${PNPM}/drizzle-orm/session.js`, lineNumber: 0 },
      children: [4],
    },
    { id: 4, callFrame: { functionName: 'writev', url: '', lineNumber: -1 } },
    { id: 5, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
  ],
  samples: [4, 4, 3, 2, 5, 5, 5, 5],
  timeDeltas: [1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000],
  startTime: 0,
  endTime: 8_000,
};

describe('a CPU profile summary', () => {
  it('attributes self time by function and by package, idle included', () => {
    const summary = summarizeProfile(profile);
    expect(summary.totalMs).toBe(8);
    expect(summary.functions[0]).toEqual({ name: '(idle) :0', share: 0.5 });
    expect(summary.packages).toEqual([
      { name: '(idle)', share: 0.5 },
      { name: '(native)', share: 0.25 },
      { name: 'drizzle-orm', share: 0.125 },
      { name: 'app', share: 0.125 },
    ]);
  });

  it('counts a suspect once per sample wherever it is on the stack, not by pnpm folder names', () => {
    const summary = summarizeProfile(profile, {
      inclusive: { drizzle: / drizzle-orm /, opentelemetry: /opentelemetry/, writes: /^writev / },
    });
    expect(summary.inclusive).toEqual([
      { name: 'drizzle', share: 0.375 },
      // The pnpm folder of drizzle names @opentelemetry/api (a peer); no frame is OpenTelemetry's.
      { name: 'opentelemetry', share: 0 },
      { name: 'writes', share: 0.25 },
    ]);
  });

  it('keeps only the samples of a time window', () => {
    const summary = summarizeProfile(profile, { windowMs: [0, 4] });
    expect(summary.totalMs).toBe(3);
    expect(summary.packages.map((share) => share.name)).toEqual(['(native)', 'drizzle-orm']);
  });

  it('names packages as installed: scoped, nested, Node internals, ours', () => {
    expect(packageOf({ functionName: 'f', url: `${PNPM}/@fastify/rate-limit/index.js`, lineNumber: 0 })).toBe(
      '@fastify/rate-limit',
    );
    expect(packageOf({ functionName: 'f', url: 'node:internal/crypto/util', lineNumber: 0 })).toBe(
      'node:internal',
    );
    expect(packageOf({ functionName: 'f', url: 'node:events', lineNumber: 0 })).toBe('node:events');
    expect(packageOf({ functionName: 'f', url: 'file:///repo/packages/http/dist/x.js', lineNumber: 0 })).toBe(
      '@repo/http',
    );
    expect(packageOf({ functionName: '(garbage collector)', url: '', lineNumber: -1 })).toBe(
      '(garbage collector)',
    );
  });
});
