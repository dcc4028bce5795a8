export { describeFailures, evaluateAllExpressions, instantQuery, type ExpressionResult } from './evaluate.ts';
export { extractExpressions, recordedNames, substituteVariables, type Expression } from './expressions.ts';
export { vectorSelectors, type Selector } from './promql.ts';
export { MONITORING_DIR, REPO_ROOT } from './paths.ts';
export { ComposeProject, writeEnvFile } from './compose.ts';
export {
  activeTargets,
  alertmanagers,
  healthyTargetsByJob,
  ruleGroups,
  targetHealth,
  type Target,
  type TargetHealth,
} from './prometheus-api.ts';
