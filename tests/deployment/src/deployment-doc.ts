import type { Workload } from './apps.ts';
import type { Platform } from './platforms.ts';
import { read } from './repository.ts';

/**
 * deployment.md, read by the checks. Each platform has a section (`## Railway`, `## Render`,
 * `## AWS ECS on Fargate`) with a variables table: `| `NAME` | workloads | source |`. A row whose
 * source says "by hand" is a variable the configuration does not provide and the operator sets.
 */

export const DEPLOYMENT_DOC = 'deployment.md';

export const SECTION_TITLES: Record<Platform | 'kubernetes' | 'docker', string> = {
  railway: 'Railway',
  render: 'Render',
  ecs: 'AWS ECS on Fargate',
  kubernetes: 'Kubernetes',
  docker: 'Any Docker host',
};

/** The text of the `## <title>` section, up to the next `## `. */
export function section(title: string, text = read(DEPLOYMENT_DOC)): string | undefined {
  const start = text.split('\n').findIndex((line) => line.startsWith(`## ${title}`));
  if (start < 0) return undefined;
  const lines = text.split('\n').slice(start + 1);
  const end = lines.findIndex((line) => line.startsWith('## '));
  return lines.slice(0, end < 0 ? undefined : end).join('\n');
}

export interface VariableRow {
  name: string;
  workloads: string;
  source: string;
}

/** The rows of a section's tables whose first cell is a `VARIABLE`. */
export function variableRows(text: string): VariableRow[] {
  return text
    .split('\n')
    .map((line) => /^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|([^|]*)\|([^|]*)\|/.exec(line))
    .filter((match) => match !== null)
    .map((match) => ({ name: match[1]!, workloads: match[2]!.trim(), source: match[3]!.trim() }));
}

/** Variables deployment.md says the operator sets by hand for this workload on this platform. */
export function manuallySetVariables(platform: Platform, workload: Workload): Set<string> {
  const text = section(SECTION_TITLES[platform]) ?? '';
  return new Set(
    variableRows(text)
      .filter((row) => /by hand/i.test(row.source))
      .filter((row) => row.workloads.includes(workload) || /\ball\b/.test(row.workloads))
      .map((row) => row.name),
  );
}
