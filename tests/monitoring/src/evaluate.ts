import { extractExpressions, type Expression } from './expressions.ts';
import { vectorSelectors } from './promql.ts';

export interface ExpressionResult {
  expression: Expression;
  /** Series the expression returned (instant query). */
  series: number;
  /** Prometheus's error, when the query failed. */
  error?: string;
  /** Metric names the expression uses that match no series at all: nothing exports them. */
  missingMetrics: string[];
  ok: boolean;
  /** Why it is not ok, in words. */
  problem?: string;
}

interface QueryResponse {
  status: 'success' | 'error';
  data?: { resultType: string; result: unknown[] };
  error?: string;
  errorType?: string;
}

/** One instant query through the HTTP API (`/api/v1/query`, POST so long expressions fit). */
export async function instantQuery(
  prometheusUrl: string,
  query: string,
): Promise<{ series: number; error?: string }> {
  const response = await fetch(new URL('/api/v1/query', prometheusUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = (await response.json()) as QueryResponse;
  if (body.status !== 'success') return { series: 0, error: `${body.errorType}: ${body.error}` };
  const { resultType, result } = body.data!;
  // A scalar or string result is one value, never "empty".
  return { series: resultType === 'vector' || resultType === 'matrix' ? result.length : 1 };
}

/**
 * Evaluates every PromQL expression of the dashboards and rules against a live Prometheus.
 *
 * - Every metric the expression names must exist (some series of that name): a metric that a
 *   dashboard or a rule names but nothing exports is a failure.
 * - Dashboard panels, variables and recording rules must return data: an empty panel is a
 *   dashboard naming a label value or a recorded series nothing produces.
 * - Alerting rules must evaluate without error; the expression itself is normally empty
 *   (nothing is alerting), so it is not required to return data.
 *
 * Recording rules are evaluated by Prometheus on its own schedule: call this once every rule
 * group has been evaluated at least twice (a rate over recorded series needs two samples).
 */
export async function evaluateAllExpressions(
  prometheusUrl: string,
  options: { expressions?: Expression[] } = {},
): Promise<ExpressionResult[]> {
  const expressions = options.expressions ?? extractExpressions();
  const results: ExpressionResult[] = [];
  for (const expression of expressions) {
    const { series, error } = await instantQuery(prometheusUrl, expression.query);
    const missingMetrics: string[] = [];
    for (const metric of new Set(vectorSelectors(expression.query).flatMap((s) => s.metric ?? []))) {
      const found = await instantQuery(prometheusUrl, metric);
      if (!found.error && found.series === 0) missingMetrics.push(metric);
    }
    let problem: string | undefined;
    if (error) problem = `query failed: ${error}`;
    else if (missingMetrics.length > 0) problem = `no series named ${missingMetrics.join(', ')}`;
    else if (expression.kind !== 'alert' && series === 0) problem = 'returned no data';
    results.push({
      expression,
      series,
      error,
      missingMetrics,
      ok: !problem,
      ...(problem ? { problem } : {}),
    });
  }
  return results;
}

/** A readable report of the failures, for an assertion message. */
export function describeFailures(results: ExpressionResult[]): string {
  return results
    .filter((result) => !result.ok)
    .map(
      (result) =>
        `- ${result.expression.source}: ${result.problem}\n    ${result.expression.query.replace(/\s+/g, ' ')}`,
    )
    .join('\n');
}
