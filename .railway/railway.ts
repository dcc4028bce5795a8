/**
 * Keelson on Railway, as Railway Infrastructure as Code (https://docs.railway.com/infrastructure-as-code).
 * The Railway CLI evaluates this file: `railway config plan`, then `railway config apply`.
 * It needs the `railway` SDK installed at the repository root (deployment.md, "Railway").
 *
 * Why this and not railway.json / railway.toml: Railway stopped reading those (Config as Code)
 * on 2026-12-01; `railway config migrate` turns existing ones into a file like this. This file
 * describes the whole project (databases, the three services, replicas, draining, variables) in
 * one place. tests/deployment evaluates it and checks it against the apps' own configuration.
 */
import { bucket, defineRailway, image, postgres, project, redis, service } from 'railway/iac';

/**
 * The images the `images` workflow (.github/workflows/images.yml) pushes for a version tag of
 * your fork: `git tag v1.2.3` → ghcr.io/<owner>/<repo>/<app>:1.2.3. Railway pulls them and
 * builds nothing: its builder refuses the Dockerfiles' BuildKit cache mounts (it accepts only
 * `id=s/<service id>-<target path>`, the service id written out), and a pulled image is the one
 * CI built and tested. A release: push the tag, let the workflow finish, set VERSION, apply.
 */
const IMAGES = 'ghcr.io/your-org/keelson';
const VERSION = '1.0.0';

/** What every app container shares: production mode, and logs at info. */
const runtime = { NODE_ENV: 'production', LOG_LEVEL: 'info' };

/**
 * A service's address on the private network: Railway names every service
 * `<service name>.railway.internal` (https://docs.railway.com/private-networking). These URLs
 * are literals, not references: a reference (`agent.env.RAILWAY_PRIVATE_DOMAIN`) is the whole
 * value, and the apps need a scheme and a port around it. Renaming a service means changing them.
 */
const PORTS = { api: 3000, agent: 3002, 'task-runner': 3001 } as const;
const internalUrl = (name: keyof typeof PORTS) => `http://${name}.railway.internal:${PORTS[name]}`;

/** The service's image of this release. */
const release = (app: keyof typeof PORTS) => image(`${IMAGES}/${app}:${VERSION}`);

/**
 * Railway's Redis runs this start command: the template's own (the password REDIS_URL carries,
 * snapshots, data on the service's volume, whose lost+found Redis would refuse), plus what
 * BullMQ needs for good. `noeviction` on the command line survives every restart, where a
 * `CONFIG SET` does not; the task-runner refuses to start without it. AOF: a job accepted is
 * on disk within a second.
 */
const REDIS_START_COMMAND =
  '/bin/sh -c "rm -rf $RAILWAY_VOLUME_MOUNT_PATH/lost+found/ && exec docker-entrypoint.sh redis-server ' +
  '--requirepass $REDIS_PASSWORD --save 60 1 --dir $RAILWAY_VOLUME_MOUNT_PATH ' +
  '--maxmemory-policy noeviction --appendonly yes --appendfsync everysec"';

export default defineRailway((ctx) => {
  // Railway's Postgres image ships pgvector; the first migration creates the extension.
  const db = postgres('postgres');
  // A database's settings are set on its node, the way `railway config pull` writes them.
  const cache = redis('redis');
  cache.deploy = { ...cache.deploy, startCommand: REDIS_START_COMMAND };

  // Uploaded files: a Railway Storage Bucket (S3-compatible). Its endpoint, name and key are not
  // references a service can take (a bucket node has no variables in this SDK): after the first
  // apply, `railway bucket credentials` prints them, and they are set once by hand as sealed
  // shared variables of the environment (deployment.md, "Railway").
  const uploads = bucket('uploads', { region: 'ams' });
  const objectStorage = {
    S3_ENDPOINT: ctx.shared.S3_ENDPOINT,
    S3_BUCKET: ctx.shared.S3_BUCKET,
    S3_REGION: ctx.shared.S3_REGION,
    S3_ACCESS_KEY_ID: ctx.shared.S3_ACCESS_KEY_ID,
    S3_SECRET_ACCESS_KEY: ctx.shared.S3_SECRET_ACCESS_KEY,
  };

  const api = service('api', {
    source: release('api'),
    // Traffic switches to a new deployment once /ready answers 200: Postgres, Redis and every
    // migration this build ships. Railway does not probe it again after that.
    healthcheck: '/ready',
    healthcheckTimeout: 300,
    replicas: 2,
    // A custom domain names the api's port, or the SDK sends it to 8080:
    // domains: [{ domain: 'api.example.com', port: 3000 }],
    deploy: {
      restartPolicyType: 'ON_FAILURE',
      restartPolicyMaxRetries: 10,
      // Railway's default is 0 s: SIGKILL right after SIGTERM. Above the api's 10 s budget.
      drainingSeconds: 30,
      overlapSeconds: 0,
    },
    env: {
      ...runtime,
      // `::` listens on IPv4 and IPv6: Railway's private network is IPv6-only in older environments.
      HOST: '::',
      PORT: String(PORTS.api),
      DATABASE_URL: db.env.DATABASE_URL,
      REDIS_URL: cache.env.REDIS_URL,
      // Set once by hand as shared variables of the environment (sealed); see deployment.md.
      JWT_SECRET: ctx.shared.JWT_SECRET,
      // The key of the HMAC API keys are stored as (shared, sealed, like JWT_SECRET).
      API_KEY_PEPPER: ctx.shared.API_KEY_PEPPER,
      // Presented to the agent on every call; the agent expects the same value.
      SERVICE_AUTH_TOKEN: ctx.shared.SERVICE_AUTH_TOKEN,
      AGENT_URL: internalUrl('agent'),
      // Uploads stream into the bucket; GET /v1/documents/:id/file streams them back.
      ...objectStorage,
    },
  });

  // Internal only: no domain, reached at http://agent.railway.internal:3002 by the api and the
  // task-runner.
  const agent = service('agent', {
    source: release('agent'),
    // As the api's: a new deployment takes over once its migrations are applied (/ready). Until
    // then the agent also refuses turns itself, whatever reaches it over the private network.
    healthcheck: '/ready',
    healthcheckTimeout: 300,
    replicas: 2,
    deploy: {
      restartPolicyType: 'ON_FAILURE',
      restartPolicyMaxRetries: 10,
      // Above the agent's 20 s budget: running turns and streams finish.
      drainingSeconds: 45,
      overlapSeconds: 0,
    },
    env: {
      ...runtime,
      // As the api: the api and the task-runner call it over the private network.
      HOST: '::',
      PORT: String(PORTS.agent),
      DATABASE_URL: db.env.DATABASE_URL,
      REDIS_URL: cache.env.REDIS_URL,
      // What the api and the task-runner must present; also sent to the api's MCP endpoint.
      SERVICE_AUTH_TOKEN: ctx.shared.SERVICE_AUTH_TOKEN,
      AGENT_MODEL: 'openai:gpt-4.1-mini',
      OPENAI_API_KEY: ctx.shared.OPENAI_API_KEY,
      // The stack's own tools, on the api's private address (not through its public domain).
      API_MCP_URL: `${internalUrl('api')}/mcp`,
    },
  });

  // The workers: every replica processes jobs, and its Postgres leader lock makes exactly one of
  // them the leader (migrations, schedulers, maintenance), also during a deploy's overlap. Two
  // replicas: a second one keeps working and takes the leader's duties over within seconds.
  const taskRunner = service('task-runner', {
    source: release('task-runner'),
    // Fails the deploy before the old runner is stopped if a migration fails.
    preDeploy: 'node dist/migrate.js',
    // The health port: ready = migrations applied and workers running, or a healthy standby.
    healthcheck: '/ready',
    healthcheckTimeout: 300,
    replicas: 2,
    deploy: {
      restartPolicyType: 'ON_FAILURE',
      restartPolicyMaxRetries: 10,
      // Above the task-runner's 25 s budget and its 5 s backstop.
      drainingSeconds: 60,
      overlapSeconds: 0,
    },
    env: {
      ...runtime,
      // The health server, on IPv6 too: the private network of older environments is IPv6-only.
      HOST: '::',
      // Railway probes the healthcheck on PORT; the task-runner serves it on HEALTH_PORT.
      PORT: String(PORTS['task-runner']),
      HEALTH_PORT: String(PORTS['task-runner']),
      DATABASE_URL: db.env.DATABASE_URL,
      REDIS_URL: cache.env.REDIS_URL,
      // agent-run and summarize-conversation jobs call the agent, with the service token.
      AGENT_URL: internalUrl('agent'),
      SERVICE_AUTH_TOKEN: ctx.shared.SERVICE_AUTH_TOKEN,
      // Ingestion reads the uploaded files; maintenance sweeps objects no document refers to.
      ...objectStorage,
    },
  });

  return project('keelson', { resources: [db, cache, uploads, api, agent, taskRunner] });
});
