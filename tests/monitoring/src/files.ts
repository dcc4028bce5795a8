import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { MONITORING_DIR } from './paths.ts';

export const readText = (path: string, root = MONITORING_DIR) => readFileSync(join(root, path), 'utf8');
export const readYaml = <T = Record<string, unknown>>(path: string, root = MONITORING_DIR) =>
  parse(readText(path, root)) as T;
export const readJson = <T = Record<string, unknown>>(path: string, root = MONITORING_DIR) =>
  JSON.parse(readText(path, root)) as T;

/** The dashboard files Grafana provisions, relative to the monitoring folder. */
export const dashboardFiles = (root = MONITORING_DIR) =>
  readdirSync(join(root, 'grafana/dashboards'))
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => `grafana/dashboards/${file}`);

export const ruleFiles = (root = MONITORING_DIR) =>
  readdirSync(join(root, 'prometheus/rules'))
    .filter((file) => file.endsWith('.yml'))
    .sort()
    .map((file) => `prometheus/rules/${file}`);

export interface RuleFile {
  groups: { name: string; interval?: string; rules: Rule[] }[];
}
export interface Rule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating?: { list: Variable[] };
}
export interface DataSourceRef {
  type?: string;
  uid?: string;
}
export interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: DataSourceRef | null;
  gridPos: { h: number; w: number; x: number; y: number };
  targets?: { refId: string; expr?: string; datasource?: DataSourceRef }[];
  /** Panels inside a collapsed row. */
  panels?: Panel[];
}
export interface Variable {
  name: string;
  type: string;
  datasource?: DataSourceRef;
  query?: string | { query: string };
  allValue?: string;
}

/** Every panel, rows' children included. */
export function allPanels(dashboard: Dashboard): Panel[] {
  return dashboard.panels.flatMap((panel) => [panel, ...(panel.panels ?? [])]);
}
