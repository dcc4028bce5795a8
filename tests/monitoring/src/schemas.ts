/**
 * The configuration keys of the pinned releases that cannot run here (Tempo, Loki, the
 * OpenTelemetry Collector, Grafana's provisioning), written down from each release's
 * configuration reference. Every one of these programs refuses a key it does not know (Tempo and
 * Loki parse strictly, the Collector names the unknown field), so a key left over from an older
 * major, or mistyped, would stop the container at start-up on a machine that can run it.
 *
 * A tree lists the keys this project uses, plus, at the top level, every block the release knows.
 * `'*'` stands for names the configuration chooses (an exporter's `otlp_grpc/tempo`). Using a key
 * not listed here means reading the pinned release's reference and adding it, with its source.
 */
export type KeyTree = { [key: string]: KeyTree | true };

/** Key paths of `value` that `tree` does not list: `['ingester', 'storage.trace.wall']`. */
export function unknownKeys(value: unknown, tree: KeyTree | true, path = ''): string[] {
  if (tree === true || value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) return value.flatMap((item, i) => unknownKeys(item, tree, `${path}[${i}]`));
  return Object.entries(value).flatMap(([key, child]) => {
    const subtree = tree[key] ?? tree['*'];
    const at = path ? `${path}.${key}` : key;
    return subtree === undefined ? [at] : unknownKeys(child, subtree, at);
  });
}

/** `{ a: true, b: true }` from `['a', 'b']`: blocks this project does not configure. */
const leaves = (...keys: string[]): KeyTree => Object.fromEntries(keys.map((key) => [key, true]));

/**
 * Tempo 3.0: the root `Config` of cmd/tempo/app/config.go at v3.0.3, and
 * https://grafana.com/docs/tempo/v3.0.x/configuration/ for the blocks used here.
 */
export const TEMPO_3: KeyTree = {
  ...leaves(
    'target',
    'auth_enabled',
    'multitenancy_enabled',
    'shutdown_delay',
    'http_api_prefix',
    'enable_go_runtime_metrics',
    'span_profiling',
    'memory',
    'internal_server',
    'live_store_client',
    'querier',
    'query_frontend',
    'metrics_generator',
    'ingest',
    'block_builder',
    'overrides',
    'memberlist',
    'cache',
    'backend_scheduler',
    'backend_scheduler_client',
    'live_store',
  ),
  stream_over_http_enabled: true,
  server: leaves('http_listen_port', 'grpc_listen_port', 'log_level', 'log_format'),
  distributor: {
    receivers: { otlp: { protocols: { grpc: leaves('endpoint'), http: leaves('endpoint') } } },
  },
  // "Compaction" block, read by the backend scheduler and worker (2.x: compactor.compaction).
  backend_worker: {
    compaction: leaves(
      'block_retention',
      'compacted_block_retention',
      'compaction_window',
      'max_block_bytes',
    ),
  },
  storage: { trace: { backend: true, wal: leaves('path'), local: leaves('path') } },
  usage_report: leaves('reporting_enabled'),
};

/** Blocks Tempo 3.0 removed ("Migrate to Tempo 3.0", monolithic mode): 2.x leftovers stop it. */
export const TEMPO_3_REMOVED = ['ingester', 'ingester_client', 'compactor', 'metrics_generator_client'];

/**
 * Loki 3.7: the root `Config` of pkg/loki/loki.go at v3.7.6, and
 * https://grafana.com/docs/loki/v3.7.x/configure/ for the blocks used here.
 */
export const LOKI_3_7: KeyTree = {
  ...leaves(
    'target',
    'http_prefix',
    'ballast_bytes',
    'internal_server',
    'ui',
    'distributor',
    'querier',
    'query_engine',
    'query_scheduler',
    'frontend',
    'query_range',
    'ruler',
    'ruler_storage',
    'ingester_client',
    'ingester',
    'pattern_ingester',
    'index_gateway',
    'bloom_build',
    'bloom_gateway',
    'storage_config',
    'chunk_store_config',
    'compactor_client',
    'compactor_grpc_client',
    'frontend_worker',
    'table_manager',
    'memberlist',
    'kafka_config',
    'dataobj',
    'ingest_limits',
    'ingest_limits_frontend',
    'ingest_limits_frontend_client',
    'runtime_config',
    'operational_config',
    'tracing',
    'profiling',
    'tenant_limits_allow_publish',
    'legacy_read_target',
    'shutdown_delay',
    'metrics_namespace',
  ),
  auth_enabled: true,
  server: leaves('http_listen_port', 'grpc_listen_port', 'log_level', 'log_format'),
  common: {
    instance_addr: true,
    path_prefix: true,
    replication_factor: true,
    ring: { kvstore: leaves('store') },
    storage: { filesystem: leaves('chunks_directory', 'rules_directory') },
  },
  schema_config: {
    configs: { from: true, store: true, object_store: true, schema: true, index: leaves('prefix', 'period') },
  },
  limits_config: leaves('allow_structured_metadata', 'retention_period'),
  compactor: leaves('working_directory', 'retention_enabled', 'delete_request_store'),
  analytics: leaves('reporting_enabled'),
};

/**
 * The contrib Collector: the component types of its distribution manifest and the fields of
 * their `Config` structs (receiver/otlpreceiver, processor/memorylimiterprocessor,
 * exporter/otlpexporter, exporter/otlphttpexporter, exporter/debugexporter,
 * extension/healthcheckextension, exporterhelper's sending_queue). A component is named
 * `type[/name]`; the exporters' types are `otlp_grpc` and `otlp_http` (`otlp` and `otlphttp`
 * are their deprecated aliases).
 */
const SENDING_QUEUE: KeyTree = { batch: leaves('flush_timeout', 'min_size', 'max_size', 'sizer') };
export const COLLECTOR_COMPONENTS: Record<string, Record<string, KeyTree>> = {
  receivers: { otlp: { protocols: { grpc: leaves('endpoint'), http: leaves('endpoint') } } },
  processors: { memory_limiter: leaves('check_interval', 'limit_percentage', 'spike_limit_percentage') },
  exporters: {
    otlp_grpc: { endpoint: true, tls: leaves('insecure'), sending_queue: SENDING_QUEUE },
    otlp_http: { endpoint: true, tls: leaves('insecure'), sending_queue: SENDING_QUEUE },
    debug: leaves('verbosity'),
  },
  extensions: { health_check: leaves('endpoint') },
};

/** The collector file's own structure; each component is checked against its type above. */
export const COLLECTOR: KeyTree = {
  receivers: leaves('*'),
  processors: leaves('*'),
  exporters: leaves('*'),
  extensions: leaves('*'),
  service: {
    extensions: true,
    telemetry: { logs: leaves('level') },
    pipelines: { '*': leaves('receivers', 'processors', 'exporters') },
  },
};

/**
 * Grafana's file provisioning, `apiVersion: 1` (grafana.com/docs/grafana/latest/administration/
 * provisioning/): data sources and dashboard providers, with the jsonData keys of the
 * Prometheus, Loki and Tempo data sources used here.
 */
export const GRAFANA_DATASOURCES: KeyTree = {
  apiVersion: true,
  datasources: {
    ...leaves('name', 'uid', 'type', 'access', 'url', 'isDefault', 'editable', 'orgId', 'version'),
    jsonData: {
      ...leaves('httpMethod', 'timeInterval', 'maxLines'),
      derivedFields: leaves('name', 'matcherType', 'matcherRegex', 'datasourceUid', 'url', 'urlDisplayLabel'),
      tracesToLogsV2: leaves(
        'datasourceUid',
        'spanStartTimeShift',
        'spanEndTimeShift',
        'customQuery',
        'query',
      ),
      nodeGraph: leaves('enabled'),
      search: leaves('hide'),
    },
  },
};

export const GRAFANA_DASHBOARD_PROVIDERS: KeyTree = {
  apiVersion: true,
  providers: {
    ...leaves('name', 'orgId', 'folder', 'folderUid', 'type', 'disableDeletion', 'allowUiUpdates'),
    updateIntervalSeconds: true,
    options: leaves('path', 'foldersFromFilesStructure'),
  },
};
