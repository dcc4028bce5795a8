import { describe, expect, it } from 'vitest';
import { loaderOf, problemsOf } from '../src/apps.ts';
import { DEPLOYMENT_DOC } from '../src/deployment-doc.ts';
import { deployments, type Platform } from '../src/platforms.ts';
import { read } from '../src/repository.ts';
import { runtimeEnvironment } from '../src/runtime-config.ts';

/**
 * TLS to Postgres per platform (deployment.md, "Postgres TLS"): ECS reaches RDS, which requires
 * TLS and whose certificates Node's CA store cannot verify, so every ECS workload must verify
 * them against the bundle in its secret. The other platforms use a private network.
 */

const all = await deployments();
const usesDatabase = all.filter((d) => 'DATABASE_URL' in d.env);
/** An RDS endpoint, as the secret's DATABASE_URL names it on ECS. */
const RDS_URL = 'postgres://keelson:placeholder@keelson.c9akciq32.eu-west-1.rds.amazonaws.com:5432/keelson';

/** The mode deployment.md's per-platform table gives, from its `| target | sets | why |` rows. */
function documentedMode(platform: Platform): string | undefined {
  const label = { ecs: 'AWS ECS (RDS)', railway: 'Railway', render: 'Render' }[platform];
  const text = read(DEPLOYMENT_DOC);
  const start = text.indexOf('### Postgres TLS');
  const row = text
    .slice(start, text.indexOf('\n#', start + 1))
    .split('\n')
    .find((line) => line.startsWith(`| ${label} `));
  return row && /`(disable|require|verify-full)`/.exec(row.split('|')[2]!)?.[1];
}

describe('Postgres TLS', () => {
  it('verifies RDS on ECS: verify-full, with the CA bundle from the secret, in every workload', async () => {
    const ecs = usesDatabase.filter((d) => d.platform === 'ecs');
    expect(ecs.map((d) => d.workload).sort()).toEqual(['agent', 'api', 'migrate', 'task-runner']);
    for (const deployment of ecs) {
      expect(deployment.env.DATABASE_SSL_MODE, deployment.where).toEqual({
        kind: 'literal',
        value: 'verify-full',
      });
      expect(deployment.env.DATABASE_SSL_CA, deployment.where).toEqual({
        kind: 'secret',
        from: '${SECRETS_ARN}:DATABASE_SSL_CA::',
      });
      const load = await loaderOf(deployment.workload);
      const env = { ...runtimeEnvironment(deployment), DATABASE_URL: RDS_URL };
      expect(problemsOf(load, env), deployment.where).toEqual([]);
      // The guard is real: the same environment without the bundle does not start.
      const withoutBundle = Object.fromEntries(
        Object.entries(env).filter(([name]) => name !== 'DATABASE_SSL_CA'),
      );
      expect(problemsOf(load, withoutBundle), deployment.where).toEqual([
        expect.stringMatching(/^DATABASE_SSL_CA: is required to verify an Amazon RDS endpoint/),
      ]);
    }
  });

  it('sets on each platform the mode deployment.md says', () => {
    for (const deployment of usesDatabase) {
      const source = deployment.env.DATABASE_SSL_MODE;
      const configured =
        source?.kind === 'literal' ? source.value : source === undefined ? 'disable' : 'set by hand';
      expect(configured, deployment.where).toBe(documentedMode(deployment.platform));
    }
  });
});
