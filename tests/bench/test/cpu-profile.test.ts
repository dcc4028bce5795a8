import { describe, expect, it } from 'vitest';
import { codeGroup, summarizeProfile } from '../src/cpu-profile.ts';

const PNPM = 'file:///repo/node_modules/.pnpm';
const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

// Four nodes; samples every 1 ms (timeDeltas in µs) starting at t = 1 000 µs.
const profile = {
  startTime: 1_000,
  nodes: [
    { id: 1, callFrame: frame('(idle)') },
    { id: 2, callFrame: frame('is', `${PNPM}/drizzle-orm@0.45.4_x/node_modules/drizzle-orm/entity.js`, 2) },
    {
      id: 3,
      callFrame: frame('splitText', 'file:///repo/apps/task-runner/dist/ingestion/text-splitter.js', 9),
    },
    { id: 4, callFrame: frame('(garbage collector)') },
  ],
  samples: [1, 1, 2, 3, 3, 3, 4, 1],
  timeDeltas: [1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000, 1_000],
};

describe('summarizeProfile', () => {
  it('adds up self time per function and per package, idle and GC included', () => {
    const summary = summarizeProfile(profile);
    expect(summary.totalMs).toBe(8);
    expect(summary.idleShare).toBe(3 / 8);
    expect(summary.gcShare).toBe(1 / 8);
    expect(summary.frames[0]).toEqual({ name: '(idle)', ms: 3, share: 3 / 8 });
    expect(summary.frames[1]).toEqual({
      name: 'splitText apps/task-runner/dist/ingestion/text-splitter.js:10',
      ms: 3,
      share: 3 / 8,
    });
    expect(summary.groups.map((group) => group.name)).toEqual([
      '(idle)',
      'apps/task-runner',
      'drizzle-orm',
      '(garbage collector)',
    ]);
  });

  it('counts only the samples inside the windows', () => {
    // Samples are taken at 2 000, 3 000, … 9 000 µs: this window holds the 3rd to the 6th.
    const summary = summarizeProfile(profile, { windows: [{ startUs: 4_000, endUs: 7_000 }] });
    expect(summary.totalMs).toBe(4);
    expect(summary.idleShare).toBe(0);
    expect(summary.groups).toEqual([
      { name: 'apps/task-runner', ms: 3, share: 3 / 4 },
      { name: 'drizzle-orm', ms: 1, share: 1 / 4 },
    ]);
  });

  it('keeps the top entries only', () => {
    expect(summarizeProfile(profile, { limit: 2 }).frames).toHaveLength(2);
  });
});

describe('codeGroup', () => {
  it('names the package, scoped or not, Node internals and workspace folders', () => {
    expect(codeGroup(`${PNPM}/@pinojs+redact@1/node_modules/@pinojs/redact/index.js`, 'f')).toBe(
      '@pinojs/redact',
    );
    expect(codeGroup(`${PNPM}/pg@8/node_modules/pg/lib/client.js`, 'query')).toBe('pg');
    expect(codeGroup('node:internal/streams/writable', 'write')).toBe('node internals');
    expect(codeGroup('file:///repo/packages/db/dist/pool.js', 'createPool')).toBe('packages/db');
    expect(codeGroup('', '(program)')).toBe('(program)');
    expect(codeGroup('', 'writev')).toBe('(native)');
  });
});
