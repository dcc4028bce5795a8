import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ComposeProject, docker, REPO_ROOT } from '../src/compose.ts';
import { databaseUrl, type DatabaseRole } from '../src/prod-stack.ts';

const run = promisify(execFile);

/**
 * The prod profile's Postgres alone: the image, its init script (docker/postgres/initdb/10-roles.sh)
 * and the secrets of scripts/create-secrets.sh, with the migrate command of this checkout
 * (packages/db/src/cli/migrate.ts, what `node dist/migrate.js` runs) pointed at it. The prod
 * stack's suite then checks that every app really connects as keelson_app.
 */
let secretsDir: string;
let project: ComposeProject;
let port: number;

const JOURNAL = JSON.parse(
  await readFile(join(REPO_ROOT, 'packages/db/migrations/meta/_journal.json'), 'utf8'),
) as { entries: unknown[] };

/** A role's URL from the secrets, to the published port instead of the compose network. */
async function hostUrl(role: DatabaseRole): Promise<string> {
  const url = new URL(await databaseUrl(secretsDir, role));
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return url.href;
}

/** SQL in the container as the superuser, or as `role` over the network with its password. */
async function sql(statement: string, role?: DatabaseRole): Promise<string[]> {
  const target = role ? await databaseUrl(secretsDir, role) : 'postgres://postgres@/keelson';
  const postgres = await project.containerId('postgres-prod');
  const out = await docker([
    'exec',
    postgres,
    'psql',
    target,
    '-v',
    'ON_ERROR_STOP=1',
    '-qAt',
    '-c',
    statement,
  ]);
  return out === '' ? [] : out.split('\n');
}

/** The migrate command from source, with only the given variables: its exit code and output. */
async function migrate(env: Record<string, string>): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--conditions=@repo/source', join(REPO_ROOT, 'packages/db/src/cli/migrate.ts')],
      { env: { PATH: process.env.PATH, NODE_ENV: 'production', ...env }, cwd: REPO_ROOT },
    );
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, output: `${failed.stdout}${failed.stderr}` };
  }
}

beforeAll(async () => {
  secretsDir = await mkdtemp(join(tmpdir(), 'keelson-e2e-postgres-secrets-'));
  await run(join(REPO_ROOT, 'scripts/create-secrets.sh'), [secretsDir]);
  project = new ComposeProject('keelson-e2e-postgres', {
    profiles: ['prod'],
    files: [join(REPO_ROOT, 'tests/e2e/postgres.override.yaml')],
    // Its own subnet for the profile's ingress network (created with the project, even unused).
    env: { SECRETS_DIR: secretsDir, LB_NETWORK_PREFIX: '10.203.19' },
  });
  await project.down();
  await project.compose(['up', '--detach', '--wait', '--wait-timeout', '120', 'postgres-prod']);
  port = await project.port('postgres-prod', 5432);
});

afterAll(async () => {
  if (process.env.E2E_KEEP === '1') return;
  await project?.down();
  await rm(secretsDir, { recursive: true, force: true });
});

describe('the prod profile’s Postgres roles', () => {
  it('creates two plain login roles; the owner owns the database and its schema, pgvector is there', async () => {
    expect(
      await sql(
        `select rolname, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, rolcanlogin
           from pg_roles where rolname like 'keelson%' order by 1`,
      ),
    ).toEqual(['keelson_app|f|f|f|f|f|t', 'keelson_owner|f|f|f|f|f|t']);
    expect(
      await sql(`select pg_get_userbyid(datdba) from pg_database where datname = current_database()`),
    ).toEqual(['keelson_owner']);
    expect(await sql(`select nspowner::regrole from pg_namespace where nspname = 'public'`)).toEqual([
      'keelson_owner',
    ]);
    expect(await sql(`select extname from pg_extension where extname = 'vector'`)).toEqual(['vector']);
  });

  it('refuses to migrate as the apps’ role, and migrates as the owner given as MIGRATION_DATABASE_URL_FILE', async () => {
    // Only DATABASE_URL (the apps' role): the password is right, the privilege is not.
    const refused = await migrate({ DATABASE_URL: await hostUrl('keelson_app') });
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/permission denied/);
    expect(refused.output).not.toMatch(/password authentication failed/);

    const file = join(secretsDir, 'migration-url-on-host');
    await writeFile(file, await hostUrl('keelson_owner'));
    const applied = await migrate({
      DATABASE_URL: await hostUrl('keelson_app'),
      MIGRATION_DATABASE_URL_FILE: file,
    });
    expect(applied.output).toMatch(/migrations complete/);
    expect(applied.code).toBe(0);
    expect(await sql(`select count(*) from drizzle.__drizzle_migrations`)).toEqual([
      String(JOURNAL.entries.length),
    ]);
    // Everything the migrations created belongs to the owner, nothing to the apps' role.
    expect(
      await sql(`select distinct tableowner from pg_tables where schemaname in ('public', 'drizzle')`),
    ).toEqual(['keelson_owner']);
  });

  it('lets the apps’ role read and write the rows of every table, and only read the migrator’s record', async () => {
    const [conversation] = await sql(
      `insert into conversations (owner_id, title) values ('roles', 'Roles') returning id`,
      'keelson_app',
    );
    // An identity column: its sequence is usable too.
    expect(
      await sql(
        `insert into messages (conversation_id, role, content) values ('${conversation}', 'user', 'hi') returning seq`,
        'keelson_app',
      ),
    ).toEqual(['1']);
    const [document] = await sql(
      `insert into documents (owner_id, title, content, content_hash) values ('roles', 't', 'c', 'h') returning id`,
      'keelson_app',
    );
    await sql(
      `insert into chunks (document_id, ordinal, content) values ('${document}', 0, 'c')`,
      'keelson_app',
    );
    await sql(
      `insert into tasks (owner_id, type, input) values ('roles', 'ingest-document', '{}');
       update documents set status = 'ready' where id = '${document}';
       delete from tasks where owner_id = 'roles';
       delete from documents where id = '${document}'`,
      'keelson_app',
    );
    expect(await sql(`select count(*) from chunks where document_id = '${document}'`, 'keelson_app')).toEqual(
      ['0'],
    );
    expect(await sql(`select count(*) from drizzle.__drizzle_migrations`, 'keelson_app')).toEqual([
      String(JOURNAL.entries.length),
    ]);
  });

  it('refuses the apps’ role every change of the schema, and any record of a migration', async () => {
    const refused = [];
    for (const statement of [
      'create table intruder (id int)',
      'create view intruder as select 1',
      'create function intruder() returns int language sql as $$ select 1 $$',
      'alter table documents add column intruder text',
      'alter table documents owner to keelson_app',
      'drop table chunks',
      'drop index documents_owner_created_idx',
      'create index intruder on documents (title)',
      'truncate tasks',
      'create schema intruder',
      'create temporary table intruder (id int)',
      `insert into drizzle.__drizzle_migrations (hash, created_at) values ('forged', 0)`,
      'delete from drizzle.__drizzle_migrations',
    ]) {
      const outcome = await sql(statement, 'keelson_app').then(
        () => 'allowed',
        (error: Error) => /permission denied|must be owner/.exec(error.message)?.[0],
      );
      if (!outcome || outcome === 'allowed') refused.push({ statement, outcome });
    }
    // Listed, so a failure names each statement that got through.
    expect(refused).toEqual([]);
  });

  it('makes what a later migration creates usable by the apps’ role with no further grant', async () => {
    await sql(
      `create table later_feature (id bigint generated always as identity primary key, note text not null)`,
      'keelson_owner',
    );
    expect(await sql(`insert into later_feature (note) values ('new') returning id`, 'keelson_app')).toEqual([
      '1',
    ]);
    await expect(sql(`alter table later_feature add column intruder text`, 'keelson_app')).rejects.toThrow(
      /must be owner/,
    );
  });

  it('runs again on an existing volume without a change (to rotate a password, or on an older volume)', async () => {
    const roles = `select rolname, rolsuper, rolcreatedb, rolcreaterole from pg_roles order by 1`;
    const before = await sql(roles);
    const postgres = await project.containerId('postgres-prod');
    await docker(['exec', postgres, 'bash', '/docker-entrypoint-initdb.d/10-roles.sh']);
    expect(await sql(roles)).toEqual(before);
    // The passwords are set again from the same files (SCRAM salts them anew): both still log in.
    expect(await sql(`select current_user`, 'keelson_app')).toEqual(['keelson_app']);
    expect(await sql(`select current_user`, 'keelson_owner')).toEqual(['keelson_owner']);
    expect(await sql(`select count(*) from later_feature`, 'keelson_app')).toEqual(['1']);
  });
});
