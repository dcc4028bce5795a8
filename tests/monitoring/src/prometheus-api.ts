/** Small readers of Prometheus's HTTP API used by the live checks. */

export interface Target {
  labels: Record<string, string>;
  scrapePool: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

async function get<T>(prometheusUrl: string, path: string): Promise<T> {
  const response = await fetch(new URL(path, prometheusUrl), { signal: AbortSignal.timeout(10_000) });
  const body = (await response.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`${path}: ${body.error}`);
  return body.data;
}

export async function activeTargets(prometheusUrl: string): Promise<Target[]> {
  return (await get<{ activeTargets: Target[] }>(prometheusUrl, '/api/v1/targets?state=active'))
    .activeTargets;
}

/** Healthy targets per job, e.g. `{ api: 3, 'task-runner': 2 }`. */
export async function healthyTargetsByJob(prometheusUrl: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const target of await activeTargets(prometheusUrl)) {
    if (target.health === 'up') counts[target.labels.job!] = (counts[target.labels.job!] ?? 0) + 1;
  }
  return counts;
}

interface RuleGroup {
  name: string;
  evaluationTime: number;
  lastEvaluation: string;
  rules: { name: string; health: string; lastError?: string; state?: string; type: string }[];
}

export async function ruleGroups(prometheusUrl: string): Promise<RuleGroup[]> {
  return (await get<{ groups: RuleGroup[] }>(prometheusUrl, '/api/v1/rules')).groups;
}

/** Alertmanagers Prometheus discovered and sends to. */
export async function alertmanagers(prometheusUrl: string): Promise<string[]> {
  const data = await get<{ activeAlertmanagers: { url: string }[] }>(prometheusUrl, '/api/v1/alertmanagers');
  return data.activeAlertmanagers.map((am) => am.url);
}
