/**
 * The floor of an HTTP read over Postgres: Fastify 5 with one route that sends the documents
 * list's captured statement through a `pg` pool of the api's size and answers the rows as JSON —
 * no authentication, limiter, hooks, logging or row mapping. What the api adds to a read is the
 * difference between it and this; what any HTTP service over `pg` costs here is the difference
 * between this and raw pg.
 */
import Fastify from 'fastify';
import pg from 'pg';
import { fastifyPgConfig } from '../config.ts';

// The harness loads this path (http-bench.ts BARE_PATH).
const PATH = '/x';

const { port, databaseUrl, poolMax, statement } = fastifyPgConfig();
// Rows as objects, pg's default (the captured statement asks for arrays, as drizzle reads them),
// so the answer has the keys an API's answer has; pg's own type parsers (timestamps as Dates,
// written as ISO strings by JSON.stringify).
const { rowMode: _arrays, ...query } = statement;
const pool = new pg.Pool({ connectionString: databaseUrl, max: poolMax });
const app = Fastify({ logger: false });
app.get(PATH, async () => ({ items: (await pool.query(query)).rows }));
app.get('/health', async () => ({ status: 'ok' }));
await app.listen({ host: '127.0.0.1', port });
process.once(
  'SIGTERM',
  () =>
    void app
      .close()
      .then(() => pool.end())
      .then(() => process.exit(0)),
);
