import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '@repo/testing';
import type { ApiStack } from './api-stack.ts';
import type { RunnerReplica } from './runner-replicas.ts';

/**
 * The agent and the runners, sampled by profiler-preload.ts (switched on and off by signal) over
 * one round: each process writes `1.cpuprofile` into a folder of its own under `<workDir>/profiles`.
 */
export function profiledProcesses(stack: ApiStack, running: readonly RunnerReplica[], workDir: string) {
  const files: { service: string; file: string }[] = [];
  const runnerDir = (index: number) => {
    const dir = join(workDir, 'profiles', `task-runner-${index + 1}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  const targets = () => [
    { service: 'agent', dir: join(workDir, 'profiles', 'agent'), toggle: () => stack.agent.toggleProfile() },
    ...running.map((runner, i) => ({
      service: `task-runner-${i + 1}`,
      dir: runnerDir(i),
      toggle: () => runner.toggleProfile(),
    })),
  ];
  return {
    files,
    runnerDir,
    toggle: () => targets().forEach((target) => target.toggle()),
    async collect() {
      for (const target of targets()) {
        target.toggle();
        const file = join(target.dir, '1.cpuprofile');
        await waitFor(() => existsSync(file), { timeoutMs: 30_000, what: `${file} to be written` });
        files.push({ service: target.service, file });
      }
    },
  };
}
