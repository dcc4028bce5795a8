import { waitFor } from '@repo/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComposeProject, docker, reportMetric } from '../support/compose.ts';

/**
 * The walking skeleton, in containers: the images build, `docker compose up --wait` brings the
 * stack up healthy, a document posted to the published api port is ingested by the task-runner,
 * and `docker compose stop` ends every app container gracefully.
 */
const project = new ComposeProject('keelson-e2e-skeleton');
let api: string;
let token: string;

beforeAll(async () => {
  await project.down();

  let started = performance.now();
  await project.compose(['build']);
  reportMetric('skeleton.build', Math.round(performance.now() - started), 'ms');

  started = performance.now();
  await project.compose(['up', '--detach', '--wait', '--wait-timeout', '180']);
  reportMetric('skeleton.up_to_healthy', Math.round(performance.now() - started), 'ms');

  api = `http://127.0.0.1:${await project.port('api', 3000)}`;
  // An access token for owner "e2e", minted in the api container with the secret it verifies with.
  token = await project.compose(['exec', '-T', 'api', 'node', 'dist/cli/mint-token.js', 'e2e']);
});

afterAll(async () => {
  if (process.env.E2E_KEEP !== '1') await project.down();
});

describe('the stack in containers', () => {
  it('is ready: the api reports Postgres, Redis and migrations ok', async () => {
    const response = await fetch(`${api}/ready`);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ready' });
  });

  it('refuses a request without a token', async () => {
    expect((await fetch(`${api}/v1/documents`)).status).toBe(401);
  });

  it('ingests a document posted to the published api port', async () => {
    const content = Array.from(
      { length: 40 },
      (_, i) => `Paragraph ${i}. It has a couple of sentences about item ${i}.`,
    ).join('\n\n');
    const created = await fetch(`${api}/v1/documents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ title: 'e2e', content }),
    });
    expect(created.status).toBe(202);
    const { id } = (await created.json()) as { id: string };

    const document = await waitFor(
      async () => {
        const body = (await (
          await fetch(`${api}/v1/documents/${id}`, { headers: { authorization: `Bearer ${token}` } })
        ).json()) as {
          status: string;
          chunkCount: number;
        };
        return body.status === 'ready' ? body : undefined;
      },
      { timeoutMs: 30_000, what: 'document ready' },
    );
    expect(document.chunkCount).toBeGreaterThan(1);

    // The chunks are really in Postgres, with their full-text vectors.
    const rows = await project.compose([
      'exec',
      '-T',
      'postgres',
      'psql',
      '-U',
      'keelson',
      '-d',
      'keelson',
      '-At',
      '-c',
      `select count(*), count(search_vector) from chunks where document_id = '${id}'`,
    ]);
    expect(rows).toBe(`${document.chunkCount}|${document.chunkCount}`);
  });

  it('runs the app containers as a non-root user', async () => {
    for (const service of ['api', 'task-runner']) {
      const uid = await project.compose(['exec', '-T', service, 'id', '-u']);
      expect(Number(uid), service).not.toBe(0);
    }
  });

  it('stops every app container within its grace period with exit code 0', async () => {
    const started = performance.now();
    await project.compose(['stop', 'api', 'task-runner']);
    const elapsed = performance.now() - started;
    reportMetric('skeleton.stop_apps', Math.round(elapsed), 'ms');

    for (const service of ['api', 'task-runner']) {
      const [id] = await project.containerIds(service);
      const state = await docker([
        'inspect',
        '--format',
        '{{.State.Status}} {{.State.ExitCode}} {{.State.OOMKilled}}',
        id!,
      ]);
      expect(state, service).toBe('exited 0 false');
    }
    // Well inside the grace periods (15 s and 30 s): nobody was SIGKILLed.
    expect(elapsed).toBeLessThan(15_000);
  });
});
