import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { inspect } from './compose.ts';

/**
 * Where the CPU of a measured window went: each container's CPU time (its cgroup's counter, read
 * on the host) and the host's busy share, before and after. For a metric that says which service
 * a throughput is bound by. Read from the cgroup file system the Docker engine's containers live
 * in (v1 `cpuacct`, v2 under `system.slice` or `docker/`); where it is not on this host (Docker
 * Desktop's VM), the containers' CPU is unknown and `measure` says so instead of guessing.
 */
export interface CpuWindow {
  /** Per label: CPU seconds the label's containers used in the window. */
  containers: Map<string, number>;
  /** The host's non-idle share of all its CPUs in the window, 0..1 (undefined off Linux). */
  hostBusy: number | undefined;
  seconds: number;
}

/** CPU seconds a container has used since it started, or undefined when its cgroup is not here. */
function containerCpuSeconds(fullId: string): number | undefined {
  const v2 = [
    `/sys/fs/cgroup/system.slice/docker-${fullId}.scope/cpu.stat`,
    `/sys/fs/cgroup/docker/${fullId}/cpu.stat`,
  ];
  for (const path of v2) {
    const usage = /^usage_usec (\d+)$/m.exec(readOrEmpty(path))?.[1];
    if (usage) return Number(usage) / 1e6;
  }
  const v1 = readOrEmpty(`/sys/fs/cgroup/cpuacct/docker/${fullId}/cpuacct.usage`).trim();
  return v1 ? Number(v1) / 1e9 : undefined;
}

/** [busy, total] jiffies of all CPUs, from /proc/stat. */
function hostJiffies(): [number, number] | undefined {
  const line = readOrEmpty('/proc/stat').split('\n')[0];
  if (!line?.startsWith('cpu ')) return undefined;
  // user nice system idle iowait irq softirq steal; guest time (the 9th and 10th) is already in
  // user and nice.
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((sum, value) => sum + value, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0); // idle + iowait
  return [total - idle, total];
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/**
 * Starts a window over `containers` (label → container ids); `end()` closes it. Labels group
 * replicas (`api` = the three api containers). Undefined when no container's CPU can be read.
 */
export async function startCpuWindow(
  containers: Record<string, string[]>,
): Promise<{ end: () => CpuWindow | undefined } | undefined> {
  const ids = new Map<string, string[]>();
  for (const [label, list] of Object.entries(containers)) {
    ids.set(label, await Promise.all(list.map(async (id) => (await inspect(id)).Id)));
  }
  const read = () => {
    const totals = new Map<string, number>();
    for (const [label, list] of ids) {
      let sum = 0;
      for (const id of list) {
        const seconds = containerCpuSeconds(id);
        if (seconds === undefined) return undefined;
        sum += seconds;
      }
      totals.set(label, sum);
    }
    return totals;
  };
  const before = read();
  if (!before) return undefined;
  const hostBefore = hostJiffies();
  const started = performance.now();
  return {
    end: () => {
      // A container replaced during the window (a restart) has no comparable counter.
      const after = read();
      if (!after) return undefined;
      const hostAfter = hostJiffies();
      const used = new Map([...after].map(([label, total]) => [label, total - before.get(label)!]));
      const hostBusy =
        hostBefore && hostAfter
          ? (hostAfter[0] - hostBefore[0]) / Math.max(1, hostAfter[1] - hostBefore[1])
          : undefined;
      return { containers: used, hostBusy, seconds: (performance.now() - started) / 1000 };
    },
  };
}

/** "agent 8.1, api 3.2, … ms of CPU per turn; host 97 % busy of 2 CPUs" for `count` operations. */
export function describeCpuPer(window: CpuWindow, count: number, what: string): string {
  const per = [...window.containers]
    .sort(([, a], [, b]) => b - a)
    .map(([label, seconds]) => `${label} ${((seconds * 1000) / Math.max(1, count)).toFixed(1)}`)
    .join(', ');
  const host =
    window.hostBusy === undefined
      ? ''
      : `; host ${(window.hostBusy * 100).toFixed(0)} % busy of ${cpus().length} CPUs`;
  return `${per} ms of CPU per ${what}${host}`;
}
