/**
 * The paths every service serves to load balancers and Prometheus (the `probe` routes of
 * @repo/observability). They are asked every few seconds: tracing them would bury real requests.
 */
export const PROBE_PATHS: ReadonlySet<string> = new Set(['/health', '/ready', '/metrics']);
