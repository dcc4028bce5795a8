import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configProblems, ConfigError, DEVELOPMENT_SERVICE_TOKEN, migrationConnection } from '@repo/config';
import { describe, expect, it } from 'vitest';
import { loadConfig, type TaskRunnerConfig } from '../src/config.ts';

const required = { DATABASE_URL: 'postgres://u:p@localhost:5432/db', REDIS_URL: 'redis://localhost:6379' };

describe('the task-runner config', () => {
  it('has production defaults for leadership, shutdown and maintenance', () => {
    expect(loadConfig(required)).toMatchObject({
      HEALTH_PORT: 3001,
      SHUTDOWN_TIMEOUT_MS: 25_000,
      LEADER_POLL_MS: 2_000,
      LEADER_HEARTBEAT_TIMEOUT_MS: 2_000,
      JOB_LOCK_DURATION_MS: 30_000,
      JOB_STALLED_INTERVAL_MS: 15_000,
      MAINTENANCE_INTERVAL_MS: 600_000,
      TASK_RETENTION_DAYS: 30,
      TASK_STUCK_AFTER_MS: 1_800_000,
      TASK_REQUEUE_AFTER_MS: 300_000,
    });
  });

  it('refuses a stuck limit a running job could legitimately reach, naming both settings', () => {
    expect(() =>
      loadConfig({ ...required, INGEST_TIMEOUT_MS: '3600000', TASK_STUCK_AFTER_MS: '600000' }),
    ).toThrow(/TASK_STUCK_AFTER_MS: must be longer than INGEST_TIMEOUT_MS/);
  });

  it('bounds conversions by the ingestion timeout only where files can be uploaded (S3_BUCKET)', () => {
    const tight = { ...required, INGEST_TIMEOUT_MS: '60000', CONVERT_TIMEOUT_MS: '30000' };
    // Default INGEST_CONCURRENCY 4 over CONVERT_CONCURRENCY 2: two 30 s conversions may run first.
    expect(() => loadConfig({ ...tight, S3_BUCKET: 'documents' })).toThrow(/CONVERT_TIMEOUT_MS: times ceil/);
    expect(loadConfig(tight).INGEST_TIMEOUT_MS).toBe(60_000);
    expect(loadConfig({ ...tight, S3_BUCKET: 'documents', CONVERT_CONCURRENCY: '4' }).S3_BUCKET).toBe(
      'documents',
    );
  });

  it('reports every bad value at once', () => {
    try {
      loadConfig({ ...required, LEADER_POLL_MS: '10', SHUTDOWN_TIMEOUT_MS: 'soon' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([
        expect.stringMatching(/^SHUTDOWN_TIMEOUT_MS: expected a number/),
        expect.stringMatching(/^LEADER_POLL_MS: must be at least 100/),
      ]);
    }
  });

  it('serves its health port on every IPv4 interface by default, and on IPv6 and IPv4 with ::', () => {
    expect(loadConfig(required).HOST).toBe('0.0.0.0');
    expect(loadConfig({ ...required, HOST: '::' }).HOST).toBe('::');
    expect(() => loadConfig({ ...required, HOST: 'task-runner' })).toThrow(
      /HOST: expected an IP address to listen on: 0\.0\.0\.0 .*:: .*\(got "task-runner"\)/,
    );
  });

  it('migrates as MIGRATION_DATABASE_URL (a secret, also as _FILE), or as DATABASE_URL without it', () => {
    const migrationUrl = (config: TaskRunnerConfig) => migrationConnection(config).connectionString;
    expect(migrationUrl(loadConfig(required))).toBe(required.DATABASE_URL);
    const owner = 'postgres://owner:o@localhost:5432/db';
    expect(migrationUrl(loadConfig({ ...required, MIGRATION_DATABASE_URL: owner }))).toBe(owner);
    const dir = mkdtempSync(join(tmpdir(), 'task-runner-config-'));
    writeFileSync(join(dir, 'url'), `${owner}\n`);
    const fromFile = loadConfig({ ...required, MIGRATION_DATABASE_URL_FILE: join(dir, 'url') });
    expect(migrationUrl(fromFile)).toBe(owner);
    // The jobs still connect as DATABASE_URL's role.
    expect(fromFile.DATABASE_URL).toBe(required.DATABASE_URL);
    expect(() => loadConfig({ ...required, MIGRATION_DATABASE_URL: 'mysql://owner:secret@db/x' })).toThrow(
      /MIGRATION_DATABASE_URL: expected a URL starting with postgres:\/\/ or postgresql:\/\/ \(got \(secret, not shown\)\)/,
    );
  });

  describe('AGENT_URL', () => {
    const token = { SERVICE_AUTH_TOKEN: 's'.repeat(48) };

    it("takes an http(s) URL as written, and reads Render's scheme-less hostport as http://host:port", () => {
      expect(loadConfig({ ...required, ...token, AGENT_URL: 'http://agent:3002' }).AGENT_URL).toBe(
        'http://agent:3002',
      );
      expect(loadConfig({ ...required, ...token, AGENT_URL: 'keelson-agent-d4f1:3002' }).AGENT_URL).toBe(
        'http://keelson-agent-d4f1:3002',
      );
    });

    it('still requires SERVICE_AUTH_TOKEN with a host:port', () => {
      expect(() => loadConfig({ ...required, AGENT_URL: 'keelson-agent-d4f1:3002' })).toThrow(
        /SERVICE_AUTH_TOKEN: is required when AGENT_URL is set/,
      );
    });

    it('refuses anything else, naming both accepted forms', () => {
      for (const value of ['keelson-agent-d4f1', 'tcp://agent:3002', 'agent:99999']) {
        expect(() => loadConfig({ ...required, ...token, AGENT_URL: value }), value).toThrow(
          `AGENT_URL: expected an http:// or https:// URL, or host:port (read as http://host:port) (got ${JSON.stringify(value)})`,
        );
      }
    });
  });
});

describe('the task-runner config: SERVICE_AUTH_TOKEN', () => {
  const agent = { ...required, AGENT_URL: 'http://agent:3002' };
  const problemsOf = (env: Record<string, string | undefined>) => configProblems(() => loadConfig(env));

  it('refuses the published development token in production, and with NODE_ENV unset', () => {
    for (const NODE_ENV of ['production', undefined]) {
      expect(problemsOf({ ...agent, NODE_ENV, SERVICE_AUTH_TOKEN: DEVELOPMENT_SERVICE_TOKEN })).toEqual([
        expect.stringMatching(/^SERVICE_AUTH_TOKEN: is a published default value/),
      ]);
    }
  });

  it('refuses a short token in production, as the api and the agent do', () => {
    expect(problemsOf({ ...agent, NODE_ENV: 'production', SERVICE_AUTH_TOKEN: 'short' })).toEqual([
      expect.stringMatching(/^SERVICE_AUTH_TOKEN: is 5 bytes; production requires at least 32/),
    ]);
    expect(
      problemsOf({ ...agent, NODE_ENV: 'development', SERVICE_AUTH_TOKEN: DEVELOPMENT_SERVICE_TOKEN }),
    ).toEqual([]);
  });
});

describe('the task-runner config: the embedding model', () => {
  const problemsOf = (env: Record<string, string | undefined>) => configProblems(() => loadConfig(env));

  it('is off when unset (chunks are stored without vectors)', () => {
    expect(loadConfig(required).EMBEDDING_MODEL).toBeUndefined();
  });

  it('refuses a server without a model, naming the variable and why', () => {
    expect(problemsOf({ ...required, EMBEDDING_BASE_URL: 'http://embeddings:8080/v1' })).toEqual([
      expect.stringMatching(/^EMBEDDING_MODEL: is required because EMBEDDING_BASE_URL is set/),
    ]);
  });

  it('refuses a malformed price table, which prices the embedding calls', () => {
    expect(problemsOf({ ...required, MODEL_PRICES: '{not json' })).toEqual([
      expect.stringMatching(/^MODEL_PRICES: expected JSON/),
    ]);
  });
});
