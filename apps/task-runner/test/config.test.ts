import { ConfigError } from '@repo/config';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';

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
});
