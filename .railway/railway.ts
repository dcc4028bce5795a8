/**
 * Keelson on Railway, as Railway Infrastructure as Code (https://docs.railway.com/infrastructure-as-code).
 * The Railway CLI evaluates this file: `railway config plan`, then `railway config apply`.
 * It needs the `railway` SDK installed at the repository root (deployment.md, "Railway").
 *
 * Why this and not railway.json / railway.toml: those (Config as Code) describe one service's
 * deploy and the CLI now warns that they are on their way out; this file describes the whole
 * project (databases, the three services, replicas, draining, variables) in one place, and a
 * service may not be managed by both. tests/deployment evaluates it and checks it against the
 * apps' own configuration.
 */
import { defineRailway, github, postgres, project, redis, service } from 'railway/iac';

/** Your fork of this repository. The services build from its Dockerfiles (context: repo root). */
const REPOSITORY = 'your-org/keelson';
const BRANCH = 'main';

/** What every app container shares: production mode, and logs at info. */
const runtime = { NODE_ENV: 'production', LOG_LEVEL: 'info' };

/** Rebuild a service only when something its image is made of changed. */
const watch = (app: string) => [
  `apps/${app}/**`,
  'packages/**',
  `docker/${app}/**`,
  'pnpm-lock.yaml',
  'pnpm-workspace.yaml',
  'package.json',
];

/**
 * A service's address on the private network: Railway names every service
 * `<service name>.railway.internal` (https://docs.railway.com/private-networking). These URLs
 * are literals, not references: a reference (`agent.env.RAILWAY_PRIVATE_DOMAIN`) is the whole
 * value, and the apps need a scheme and a port around it. Renaming a service means changing them.
 */
const PORTS = { api: 3000, agent: 3002, 'task-runner': 3001 } as const;
const internalUrl = (name: keyof typeof PORTS) => `http://${name}.railway.internal:${PORTS[name]}`;

const dockerfile = (app: string) => ({
  builder: 'DOCKERFILE' as const,
  dockerfilePath: `docker/${app}/Dockerfile`,
  watchPatterns: watch(app),
});

export default defineRailway((ctx) => {
  // Railway's Postgres image ships pgvector; the first migration creates the extension.
  const db = postgres('postgres');
  // BullMQ needs maxmemory-policy noeviction: the task-runner checks it at start-up and refuses
  // to run otherwise (deployment.md says how to set it on Railway's Redis).
  const cache = redis('redis');

  const api = service('api', {
    source: github(REPOSITORY, { branch: BRANCH }),
    build: dockerfile('api'),
    // Traffic switches to a new deployment once /ready answers 200: Postgres, Redis and every
    // migration this build ships. Railway does not probe it again after that.
    healthcheck: '/ready',
    healthcheckTimeout: 300,
    replicas: 2,
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
      // Presented to the agent on every call; the agent expects the same value.
      SERVICE_AUTH_TOKEN: ctx.shared.SERVICE_AUTH_TOKEN,
      AGENT_URL: internalUrl('agent'),
    },
  });

  // Internal only: no domain, reached at http://agent.railway.internal:3002 by the api and the
  // task-runner.
  const agent = service('agent', {
    source: github(REPOSITORY, { branch: BRANCH }),
    build: dockerfile('agent'),
    healthcheck: '/ready',
    healthcheckTimeout: 300,
    replicas: 1,
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

  // The singleton worker. replicas: 1, and its Postgres leader lock makes the brief overlap of a
  // deploy (the new one starts before the old one stops) harmless: the newcomer waits as standby.
  const taskRunner = service('task-runner', {
    source: github(REPOSITORY, { branch: BRANCH }),
    build: dockerfile('task-runner'),
    // Fails the deploy before the old runner is stopped if a migration fails.
    preDeploy: 'node dist/migrate.js',
    // The health port: ready = migrations applied and workers running, or a healthy standby.
    healthcheck: '/ready',
    healthcheckTimeout: 300,
    replicas: 1,
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
    },
  });

  return project('keelson', { resources: [db, cache, api, agent, taskRunner] });
});
