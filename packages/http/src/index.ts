export {
  conflict,
  HttpProblem,
  notFound,
  problem,
  PROBLEM_CONTENT_TYPE,
  serviceUnavailable,
  VALIDATION_PROBLEM,
  type ProblemDetails,
} from './problem.ts';
export { problemDetailsPlugin, renderFrameworkError } from './problem-details.ts';
export { problemResponse, problemSchema, timestamp, validationProblem } from './schemas.ts';
export { connectionFailure } from './unavailable.ts';
export { requestIdOptions, requestIdPlugin } from './request-id.ts';
export { serverTimeoutOptions, type ServerTimeoutSettings } from './server-timeouts.ts';
export { MAX_RUN_DEPTH_VALUE, RUN_DEPTH_HEADER } from './internal-headers.ts';
export { NOT_MIGRATED_PROBLEM, schemaGatePlugin, type SchemaGateOptions } from './schema-gate.ts';
