/**
 * Reads a V8 CPU profile (`node --cpu-prof`) into the shares the bench README quotes: where the
 * process spent its time, by self time per function, by package, and inclusive time of chosen
 * frames. A sample's time is its `timeDelta`; shares are of the whole profile, idle included.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface Share {
  name: string;
  /** Of all sampled time, 0–1. */
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Self time by function (`name file:line`). */
  functions: Share[];
  /** Self time by package (`fastify`, `pg`, `node:internal`, `(idle)`, `app`…). */
  packages: Share[];
  /** Time with a frame matching each pattern anywhere on the stack (counted once per sample). */
  inclusive: Share[];
}

/** The package a frame belongs to: the folder after the last node_modules, `node:…`, or `app`. */
export function packageOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return url.startsWith('node:internal') ? 'node:internal' : url;
  const at = url.lastIndexOf('/node_modules/');
  if (at === -1) return url.includes('/packages/') ? `@repo/${/\/packages\/([^/]+)/.exec(url)![1]}` : 'app';
  const rest = url.slice(at + '/node_modules/'.length).split('/');
  return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
}

function frameName(frame: CallFrame): string {
  const file = frame.url.replace(/^.*\/node_modules\//, '').replace(/^file:\/\/.*\/(apps|packages)\//, '$1/');
  return `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
}

const top = (totals: Map<string, number>, total: number, count: number): Share[] =>
  [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, time]) => ({ name, share: time / total }));

export function summarizeProfile(
  profile: CpuProfile,
  options: {
    top?: number;
    inclusive?: Record<string, RegExp>;
    /** Only samples taken within [from, to) ms of the profile's start (e.g. the loaded seconds). */
    windowMs?: [number, number];
  } = {},
): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  const self = new Map<string, number>();
  const packages = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  let clock = 0;
  const [from, to] = options.windowMs ?? [0, Number.POSITIVE_INFINITY];
  profile.samples.forEach((id, index) => {
    const time = profile.timeDeltas[index] ?? 0;
    clock += time;
    if (clock < from * 1_000 || clock >= to * 1_000) return;
    total += time;
    const node = byId.get(id)!;
    const name = frameName(node.callFrame);
    self.set(name, (self.get(name) ?? 0) + time);
    const pkg = packageOf(node.callFrame);
    packages.set(pkg, (packages.get(pkg) ?? 0) + time);
    if (!options.inclusive) return;
    const matched = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at)!.callFrame;
      // The path after the last node_modules: pnpm's store folder names carry peer dependencies
      // (`drizzle-orm@…_@opentelemetry+api@…`), which would match patterns they have nothing to do with.
      const text = `${frame.functionName} ${packageOf(frame)} ${frame.url.replace(/^.*\/node_modules\//, '')}`;
      for (const [label, pattern] of Object.entries(options.inclusive)) {
        if (pattern.test(text)) matched.add(label);
      }
    }
    for (const label of matched) inclusive.set(label, (inclusive.get(label) ?? 0) + time);
  });
  const count = options.top ?? 25;
  return {
    totalMs: total / 1_000,
    functions: top(self, total, count),
    packages: top(packages, total, count),
    inclusive: Object.keys(options.inclusive ?? {}).map((name) => ({
      name,
      share: (inclusive.get(name) ?? 0) / total,
    })),
  };
}

export function readProfile(path: string): CpuProfile {
  return JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
}

export function formatSummary(summary: ProfileSummary): string {
  const lines = (title: string, shares: Share[]) => [
    title,
    ...shares.map(({ name, share }) => `  ${(share * 100).toFixed(1).padStart(5)} %  ${name}`),
  ];
  return [
    `${summary.totalMs.toFixed(0)} ms sampled`,
    ...lines('self time by package:', summary.packages),
    ...lines('self time by function:', summary.functions),
    ...(summary.inclusive.length > 0 ? lines('inclusive (anywhere on the stack):', summary.inclusive) : []),
  ].join('\n');
}
