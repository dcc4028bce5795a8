import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

export interface TestDatabaseOptions {
  /**
   * Connect as a role of its own, with a password generated here, instead of the server's
   * (published) development superuser. Production settings refuse a `DATABASE_URL` carrying a
   * password published in this repository, so a test or bench that starts an app with
   * `NODE_ENV=production` needs one. The role is a superuser because the migrations create the
   * `vector` extension; it is dropped with the database.
   */
  privateRole?: boolean;
}

/**
 * A fresh, empty database on the test server, so each test file has its own schema, migrations
 * and rows and files can run in parallel. Drop it in `afterAll`.
 */
export async function createTestDatabase(
  serverUrl: string,
  label = 'test',
  options: TestDatabaseOptions = {},
): Promise<TestDatabase> {
  const name = `${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase()}_${randomBytes(4).toString('hex')}`;
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  await withAdmin(serverUrl, async (client) => {
    await client.query(`create database "${name}"`);
    if (options.privateRole) {
      // Hex only: safe inside the quoted literal, and in the URL without escaping.
      const password = randomBytes(24).toString('hex');
      await client.query(`create role "${name}" login superuser password '${password}'`);
      await client.query(`alter database "${name}" owner to "${name}"`);
      url.username = name;
      url.password = password;
    }
  });
  return {
    url: url.toString(),
    name,
    drop: async () => {
      await withAdmin(serverUrl, async (client) => {
        await client.query(`drop database if exists "${name}" with (force)`);
        if (options.privateRole) await client.query(`drop role if exists "${name}"`);
      });
    },
  };
}

async function withAdmin<T>(serverUrl: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
