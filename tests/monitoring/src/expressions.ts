import {
  allPanels,
  dashboardFiles,
  readJson,
  readYaml,
  ruleFiles,
  type Dashboard,
  type RuleFile,
} from './files.ts';
import { MONITORING_DIR } from './paths.ts';

export type ExpressionKind = 'dashboard' | 'variable' | 'recording' | 'alert';

/** One PromQL expression of the monitoring profile, with where it comes from. */
export interface Expression {
  kind: ExpressionKind;
  /** Human-readable origin, e.g. `grafana/dashboards/api.json › "Requests/s by route" › A`. */
  source: string;
  /** As written in the file (Grafana variables included). */
  expr: string;
  /** Ready for Prometheus's query API: Grafana's variables replaced by concrete values. */
  query: string;
}

/** Grafana's built-in interval variables, at values that fit a short test as well as a real range. */
const BUILT_INS: Record<string, string> = {
  __rate_interval: '1m',
  __interval: '1m',
  __range: '1h',
  __range_s: '3600',
};

/**
 * Replaces Grafana variables: built-ins by the values above, dashboard variables by their
 * "All" value (`allValue`, else `.+`), which is what the dashboard shows by default.
 */
export function substituteVariables(expr: string, variables: Record<string, string> = {}): string {
  return expr.replace(
    /\$\{(\w+)(?::\w+)?\}|\$(\w+)/g,
    (match, braced: string | undefined, bare: string | undefined) => {
      const name = (braced ?? bare)!;
      return BUILT_INS[name] ?? variables[name] ?? match;
    },
  );
}

const isPrometheus = (uid: string | undefined) => uid === undefined || uid === 'prometheus';

/**
 * Every PromQL expression in the dashboards (panel targets on the Prometheus data source, and
 * the selectors of `label_values(…)` variables) and in the rule files (recording and alerting).
 */
export function extractExpressions(root = MONITORING_DIR): Expression[] {
  const expressions: Expression[] = [];

  for (const file of dashboardFiles(root)) {
    const dashboard = readJson<Dashboard>(file, root);
    const variables: Record<string, string> = {};
    for (const variable of dashboard.templating?.list ?? []) {
      variables[variable.name] = variable.allValue ?? '.+';
    }
    for (const variable of dashboard.templating?.list ?? []) {
      if (variable.type !== 'query' || !isPrometheus(variable.datasource?.uid)) continue;
      const query = typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? '');
      // label_values(<selector>, <label>): the selector must match series.
      const selector = /^label_values\((.+),\s*\w+\)$/.exec(query.trim())?.[1];
      if (!selector) continue;
      expressions.push({
        kind: 'variable',
        source: `${file} › variable $${variable.name}`,
        expr: selector,
        query: substituteVariables(selector, variables),
      });
    }
    for (const panel of allPanels(dashboard)) {
      for (const target of panel.targets ?? []) {
        const uid = target.datasource?.uid ?? panel.datasource?.uid;
        if (!target.expr || !isPrometheus(uid)) continue;
        expressions.push({
          kind: 'dashboard',
          source: `${file} › "${panel.title}" › ${target.refId}`,
          expr: target.expr,
          query: substituteVariables(target.expr, variables),
        });
      }
    }
  }

  for (const file of ruleFiles(root)) {
    for (const group of readYaml<RuleFile>(file, root).groups) {
      for (const rule of group.rules) {
        const kind: ExpressionKind = rule.alert ? 'alert' : 'recording';
        expressions.push({
          kind,
          source: `${file} › ${group.name} › ${rule.alert ?? rule.record}`,
          expr: rule.expr.trim(),
          query: rule.expr.trim(),
        });
      }
    }
  }
  return expressions;
}

/** The names the recording rules create: series that exist only once Prometheus evaluated them. */
export function recordedNames(root = MONITORING_DIR): string[] {
  return ruleFiles(root).flatMap((file) =>
    readYaml<RuleFile>(file, root).groups.flatMap((group) =>
      group.rules.flatMap((rule) => rule.record ?? []),
    ),
  );
}
