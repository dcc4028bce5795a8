import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { objectStorageConfig } from '@repo/config';
import { createObjectStorage, type ObjectStorage } from '@repo/storage';
import { createTestBucket, freePort, type TestBucket } from '@repo/testing';
import { inject } from 'vitest';
import { signAccessToken } from '../../../apps/api/src/auth/access-tokens.ts';
import { containerCpu, processCpu, type CpuClock } from './cpu-meter.ts';
import { startApp, type ServiceProcess } from './processes.ts';
import { startRunnerTarget, type RunnerTarget } from './runner-target.ts';

export const UPLOAD_OWNER = 'bench-uploader';

/** The path of an upload: the api and the task-runner on one database, queue and bucket. */
export interface UploadStack {
  api: ServiceProcess;
  /** The task-runner (its process, database, queue and production configuration). */
  runner: RunnerTarget;
  bucket: TestBucket;
  /** The apps' own storage client on the same bucket, configured from the runner's S3_* settings. */
  storage: ObjectStorage;
  auth: { authorization: string };
  /** CPU clocks of every process an upload crosses (containers where their cgroup is readable). */
  clocks: Record<'api' | 'task-runner' | 'postgres' | 'redis' | 's3', CpuClock>;
  close(): Promise<void>;
}

const secret = () => randomBytes(32).toString('base64url');

/**
 * The api and the task-runner as their images run them (`startApp`: dist/, production settings,
 * info logs to `<workDir>/logs`), on a database, queue prefix and bucket of their own on the test
 * Postgres, Redis and S3 server (moto, tests/s3-server): the runner leads and migrates, then the api
 * starts on the same database and queue. `profile` loads the profiler preload into both, profiles
 * written to `<workDir>/profiles/<app>`.
 */
export async function startUploadStack(options: {
  workDir: string;
  profile?: boolean;
}): Promise<UploadStack> {
  const logDir = join(options.workDir, 'logs');
  mkdirSync(logDir, { recursive: true });
  const profileDir = (app: string) => {
    if (!options.profile) return {};
    const dir = join(options.workDir, 'profiles', app);
    mkdirSync(dir, { recursive: true });
    return { profileDir: dir };
  };
  const bucket = await createTestBucket('bench-uploads');
  const runner = await startRunnerTarget({
    serverUrl: inject('databaseUrl'),
    redisUrl: inject('redisUrl'),
    logDir,
    env: bucket.env,
    ...profileDir('task-runner'),
  });
  let api: ServiceProcess | undefined;
  const storage = createObjectStorage(objectStorageConfig(runner.config)!);
  try {
    const jwtSecret = secret();
    api = await startApp('api', {
      port: await freePort(),
      metricsPort: await freePort(),
      logDir,
      ...profileDir('api'),
      env: {
        DATABASE_URL: runner.database.url,
        REDIS_URL: runner.redisUrl,
        QUEUE_PREFIX: runner.prefix,
        JWT_SECRET: jwtSecret,
        API_KEY_PEPPER: secret(),
        // One owner sends every upload of a run: its budget is set out of reach (the limiter still
        // runs). The quotas stay at their defaults (10,000 documents, 1 GiB), far above a run.
        RATE_LIMIT_MAX: '1000000',
        ...bucket.env,
      },
    });
    const token = await signAccessToken({
      secret: jwtSecret,
      subject: UPLOAD_OWNER,
      expiresInSeconds: 4 * 3_600,
    });
    const clocks = {
      api: processCpu(api.pid),
      'task-runner': processCpu(runner.service.pid),
      postgres: await containerCpu(new URL(runner.database.url).port),
      redis: await containerCpu(new URL(runner.redisUrl).port),
      s3: await containerCpu(new URL(bucket.endpoint).port),
    };
    const started = api;
    return {
      api: started,
      runner,
      bucket,
      storage,
      auth: { authorization: `Bearer ${token}` },
      clocks,
      async close() {
        await started.stop();
        storage.close();
        await runner.close();
      },
    };
  } catch (error) {
    await api?.stop();
    storage.close();
    await runner.close();
    throw error;
  }
}
