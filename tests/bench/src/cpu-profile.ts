import { readFileSync } from 'node:fs';

/** The parts of V8's `.cpuprofile` (what `node --cpu-prof` writes) this summary reads. */
interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }>;
  /** µs on the monotonic clock (the one `process.hrtime` reads, in any process of the machine). */
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** A span of time on the monotonic clock, in µs: `process.hrtime.bigint() / 1000n` at its start and end. */
export interface ProfileWindow {
  startUs: number;
  endUs: number;
}

/** Now on the clock a `.cpuprofile` is stamped with. */
export function monotonicUs(): number {
  return Number(process.hrtime.bigint() / 1_000n);
}

export interface ProfileShare {
  name: string;
  /** Self time, in ms. */
  ms: number;
  /** Of the whole profile, idle included. */
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** `(idle)`: the event loop waiting (on Postgres, Redis, timers). */
  idleShare: number;
  /** `(garbage collector)`. */
  gcShare: number;
  /** Functions by self time, highest first. */
  frames: ProfileShare[];
  /** The same time grouped by where the code lives: a package, Node's internals, the app. */
  groups: ProfileShare[];
}

/** `node_modules/.pnpm/x@1/node_modules/@scope/pkg/…` → `@scope/pkg`; app and workspace code by folder. */
export function codeGroup(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const inPackage = /.*node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (inPackage) return inPackage[1]!;
  const inRepo = /\/(apps\/[^/]+|packages\/[^/]+|tests\/[^/]+)\//.exec(url);
  return inRepo ? inRepo[1]! : url;
}

function frameName(frame: CpuProfile['nodes'][number]['callFrame']): string {
  const { functionName, url, lineNumber } = frame;
  if (url === '') return functionName || '(anonymous)';
  const file = url
    .replace(/^.*node_modules\/\.pnpm\/[^/]+\/node_modules\//, '')
    .replace(/^file:\/\/.*?\/(apps|packages|tests)\//, '$1/');
  return `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
}

function ranked(times: Map<string, number>, totalMs: number, limit: number): ProfileShare[] {
  return [...times]
    .map(([name, ms]) => ({ name, ms, share: ms / totalMs }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, limit);
}

/**
 * Self time per function and per package of a `.cpuprofile`: where the CPU went. With `windows`,
 * only the samples taken inside them count (the measured load, not start-up and shutdown).
 */
export function summarizeProfile(
  profile: CpuProfile,
  { limit = 25, windows }: { limit?: number; windows?: readonly ProfileWindow[] } = {},
): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const frames = new Map<string, number>();
  const groups = new Map<string, number>();
  let totalMs = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    // timeDeltas[i] is the time before sample i; attributing it to sample i is V8's own convention.
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (windows && !windows.some((window) => at >= window.startUs && at <= window.endUs)) return;
    const ms = delta / 1_000;
    const frame = byId.get(id);
    if (!frame) return;
    totalMs += ms;
    const name = frameName(frame);
    frames.set(name, (frames.get(name) ?? 0) + ms);
    const group = codeGroup(frame.url, frame.functionName);
    groups.set(group, (groups.get(group) ?? 0) + ms);
  });
  return {
    totalMs,
    idleShare: (groups.get('(idle)') ?? 0) / totalMs,
    gcShare: (groups.get('(garbage collector)') ?? 0) / totalMs,
    frames: ranked(frames, totalMs, limit),
    groups: ranked(groups, totalMs, limit),
  };
}

export function readProfile(path: string): CpuProfile {
  return JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
}

export function formatProfile(summary: ProfileSummary): string {
  const percent = (share: number) => `${(share * 100).toFixed(1).padStart(5)} %`;
  const lines = (list: ProfileShare[]) => list.map((entry) => `${percent(entry.share)}  ${entry.name}`);
  return [
    `${(summary.totalMs / 1_000).toFixed(1)} s profiled; idle ${percent(summary.idleShare)}, GC ${percent(summary.gcShare)}`,
    '',
    'self time by package / area:',
    ...lines(summary.groups),
    '',
    'self time by function:',
    ...lines(summary.frames),
  ].join('\n');
}

// `node src/cpu-profile.ts <file.cpuprofile> [limit]`: the summary of one profile.
if (import.meta.url === `file://${process.argv[1]}`) {
  const [path, limit] = process.argv.slice(2);
  if (!path) throw new Error('usage: node src/cpu-profile.ts <file.cpuprofile> [limit]');
  console.log(formatProfile(summarizeProfile(readProfile(path), { limit: Number(limit ?? 25) })));
}
