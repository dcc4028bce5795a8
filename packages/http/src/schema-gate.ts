import type { FastifyInstance, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HttpProblem } from './problem.ts';

/** The `type` of the 503 a request gets from an instance whose migrations are not applied yet. */
export const NOT_MIGRATED_PROBLEM = 'urn:keelson:problem:not-migrated';

export interface SchemaGateOptions {
  /** "Is every migration this build ships applied?" (@repo/db's `createMigrationGate().check`). */
  check: () => Promise<{ upToDate: boolean; pending: string[] }>;
  /** Whether a route (its URL pattern, e.g. `/v1/tasks/:id`) touches the database and must wait. */
  gated: (routeUrl: string) => boolean;
  /** Sent as Retry-After: a pre-deploy migration usually takes seconds. */
  retryAfterSeconds?: number;
}

/**
 * No request is served on a schema this build does not know. A platform may route traffic to a
 * new instance before the migrations its build ships are applied (Render's private network,
 * Railway and Render deploying the apps independently of the task-runner's migrate step), so
 * the app refuses it itself: every gated route answers 503 problem+json with Retry-After until
 * the check says the schema is up to date. Probes stay open (they report the same thing), and
 * the check runs before any other work is spent on the request.
 */
async function schemaGate(app: FastifyInstance, options: SchemaGateOptions) {
  const retryAfter = String(options.retryAfterSeconds ?? 5);
  const refuseUnmigrated = async (request: FastifyRequest) => {
    // A failing check (the database unreachable) is thrown as is: the error handler answers it.
    const status = await options.check();
    if (status.upToDate) return;
    // The migrations' names are for the operator's log, not for the client.
    request.log.warn({ pending: status.pending }, 'refused: migrations of this build are not applied');
    throw new HttpProblem(
      503,
      'This instance runs a newer build than the database schema: its migrations are not applied ' +
        'yet. Retry shortly.',
      { type: NOT_MIGRATED_PROBLEM, headers: { 'retry-after': retryAfter } },
    );
  };
  // A callback hook: a probe or another ungated route passes without a promise.
  app.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url;
    if (route === undefined || !options.gated(route)) return done();
    refuseUnmigrated(request).then(() => done(), done);
  });
}

export const schemaGatePlugin = fp(schemaGate, { name: 'schema-gate' });
