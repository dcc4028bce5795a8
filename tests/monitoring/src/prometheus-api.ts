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
  return (await targetHealth(prometheusUrl)).healthy;
}

export interface TargetHealth {
  /** Healthy targets per job. */
  healthy: Record<string, number>;
  /** Every other target, with Prometheus's reason: `alertmanager alertmanager:9093 down: Get "…": context deadline exceeded`. */
  notUp: string[];
}

/** Which targets are up, and why the others are not (`unknown` until their first scrape). */
export async function targetHealth(prometheusUrl: string): Promise<TargetHealth> {
  const health: TargetHealth = { healthy: {}, notUp: [] };
  for (const target of await activeTargets(prometheusUrl)) {
    const job = target.labels.job!;
    if (target.health === 'up') health.healthy[job] = (health.healthy[job] ?? 0) + 1;
    else
      health.notUp.push(
        `${job} ${target.labels.instance} ${target.health}: ${target.lastError || '(no scrape yet)'}`,
      );
  }
  return health;
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

/** The value of a query that returns one sample (`max(…)`, `sum(…)`), or undefined when it returns none. */
export async function sampleValue(prometheusUrl: string, query: string): Promise<number | undefined> {
  const params = new URLSearchParams({ query });
  const data = await get<{ result: { value: [number, string] }[] }>(
    prometheusUrl,
    `/api/v1/query?${params.toString()}`,
  );
  const value = data.result[0]?.value[1];
  return value === undefined ? undefined : Number(value);
}

/** The running Prometheus's version, from its build information. */
export async function prometheusVersion(prometheusUrl: string): Promise<string> {
  return (await get<{ version: string }>(prometheusUrl, '/api/v1/status/buildinfo')).version;
}
