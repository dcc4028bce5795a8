import { describe, expect, it } from 'vitest';
import { configFacts } from '../src/apps.ts';
import {
  deployments,
  ecsExampleValues,
  PLATFORMS,
  renderEcsPlaceholders,
  type Deployment,
} from '../src/platforms.ts';
import { read } from '../src/repository.ts';
import { runtimeConfig } from '../src/runtime-config.ts';

/**
 * Uploaded files on every platform: the api and the task-runner get the same bucket, with a key
 * where the platform has no identity of its own for a workload (Railway, Render), and none on
 * AWS, where the task role signs (its policy is checked against the S3 calls the code makes).
 * The S3_* names come from the apps' own config schemas, not from a list here.
 */

const all = await deployments();
const STORING = ['api', 'task-runner'] as const;

/** The S3_* variables an app's config reads (packages/config's storage block). */
async function storageVariables(workload: 'api' | 'task-runner' | 'agent'): Promise<string[]> {
  return (await configFacts(workload)).variables.filter((name) => name.startsWith('S3_'));
}

describe('object storage on every platform', () => {
  it('is read by the api and the task-runner only', async () => {
    expect(await storageVariables('api')).toContain('S3_BUCKET');
    expect(await storageVariables('task-runner')).toEqual(await storageVariables('api'));
    expect(await storageVariables('agent')).toEqual([]);
  });

  it('gives the api and the task-runner one bucket, and the agent nothing of it', async () => {
    const read = await storageVariables('api');
    for (const platform of PLATFORMS) {
      const of = (workload: string) => all.find((d) => d.platform === platform && d.workload === workload)!;
      const [api, runner] = STORING.map(of);
      for (const deployment of [api!, runner!]) {
        // Uploads on: the bucket is configured, and every S3_* name written is one the app reads.
        expect(deployment.env.S3_BUCKET, `${deployment.where}: S3_BUCKET`).toBeDefined();
        expect(deployment.env.S3_REGION, `${deployment.where}: S3_REGION`).toBeDefined();
        for (const name of Object.keys(deployment.env).filter((n) => n.startsWith('S3_')))
          expect(read, `${deployment.where}: ${name}`).toContain(name);
      }
      // The same S3_* names, each from the same kind of source with the same literal value: one
      // bucket, seen by the writer and the reader (Render asks for its sync: false values per
      // service; deployment.md says to enter the same ones).
      const s3 = (env: Deployment['env']) =>
        Object.fromEntries(
          Object.entries(env)
            .filter(([name]) => name.startsWith('S3_'))
            .map(([name, source]) => [name, source.kind === 'literal' ? source.value : source.kind]),
        );
      expect(s3(runner!.env), platform).toEqual(s3(api!.env));
      const agent = of('agent');
      expect(
        Object.keys(agent.env).filter((name) => name.startsWith('S3_')),
        agent.where,
      ).toEqual([]);
      // And the apps accept it: the storage block's cross-field rules (both keys or neither, a
      // bucket with an endpoint) hold.
      for (const deployment of [api!, runner!]) {
        const config = await runtimeConfig(deployment);
        expect(config.S3_BUCKET, deployment.where).toBeTruthy();
      }
    }
  });

  it('uses a key pair where the platform has no workload identity, and the IAM task role on ECS', () => {
    for (const deployment of all.filter((d) => (STORING as readonly string[]).includes(d.workload))) {
      const keys = ['S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'].map((name) => deployment.env[name]);
      if (deployment.platform === 'ecs') {
        // No long-lived key: the SDK's default chain takes the task role's credentials.
        expect(keys, deployment.where).toEqual([undefined, undefined]);
        expect(deployment.env.S3_ENDPOINT, deployment.where).toBeUndefined();
      } else {
        for (const key of keys) expect(key?.kind, deployment.where).toBe('secret');
        // Not AWS: the bucket's server is named.
        expect(deployment.env.S3_ENDPOINT, deployment.where).toBeDefined();
      }
    }
  });

  it("grants the ECS task role exactly the bucket's actions the storage code needs", () => {
    interface Statement {
      Effect: string;
      Action: string[];
      Resource: string;
    }
    const policy = JSON.parse(renderEcsPlaceholders(read('deploy/aws-ecs/task-role-policy.json'))) as {
      Statement: Statement[];
    };
    const bucket = ecsExampleValues().S3_BUCKET!;
    const granted = (resource: string) =>
      policy.Statement.filter((s) => s.Effect === 'Allow' && s.Resource === resource).flatMap(
        (s) => s.Action,
      );
    // The S3 commands @repo/storage sends (its S3 client, s3-storage.ts, behind the facade in
    // object-storage.ts), and the IAM action each one needs
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazons3.html).
    const source = read('packages/storage/src/s3-storage.ts');
    const needs: Record<string, [string, 'object' | 'bucket']> = {
      GetObjectCommand: ['s3:GetObject', 'object'],
      DeleteObjectCommand: ['s3:DeleteObject', 'object'],
      DeleteObjectsCommand: ['s3:DeleteObject', 'object'],
      AbortMultipartUploadCommand: ['s3:AbortMultipartUpload', 'object'],
      // lib-storage's Upload: PutObject, or CreateMultipartUpload/UploadPart/Complete (all s3:PutObject).
      Upload: ['s3:PutObject', 'object'],
      paginateListObjectsV2: ['s3:ListBucket', 'bucket'],
      HeadBucketCommand: ['s3:ListBucket', 'bucket'],
      ListMultipartUploadsCommand: ['s3:ListBucketMultipartUploads', 'bucket'],
    };
    const used = Object.keys(needs).filter((name) =>
      new RegExp(`\\bnew ${name}\\(|\\b${name}\\(`).test(source),
    );
    expect(used.length).toBeGreaterThan(5);
    // Objects under the key prefix the apps write (S3_KEY_PREFIX's default), the bucket for listing.
    const prefix = /S3_KEY_PREFIX:[\s\S]*?\.default\('([^']+)'\)/.exec(
      read('packages/config/src/storage.ts'),
    )![1]!;
    const objects = granted(`arn:aws:s3:::${bucket}/${prefix}*`);
    const onBucket = granted(`arn:aws:s3:::${bucket}`);
    for (const name of used) {
      const [action, on] = needs[name]!;
      expect(on === 'object' ? objects : onBucket, `${name} needs ${action}`).toContain(action);
    }
    // Nothing beyond what is used: no wildcard, no bucket administration.
    const allActions = [...new Set(policy.Statement.flatMap((s) => s.Action))].sort();
    expect(allActions).toEqual([...new Set(used.map((name) => needs[name]![0]))].sort());
    expect(
      policy.Statement.every((s) => !s.Resource.includes('*') || s.Resource.endsWith(`/${prefix}*`)),
    ).toBe(true);
  });
});
