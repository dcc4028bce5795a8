import { relative } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { consoleSecurityHeaders, IMMUTABLE_ASSET_CACHE, REVALIDATED_CACHE } from './console-headers.ts';

export interface ConsoleRoutesOptions {
  /** The console's build (`apps/web/dist`): index.html and assets/ (CONSOLE_DIR, checked by the config). */
  dir: string;
  /**
   * Origins besides its own the console's scripts may call (its CSP `connect-src`): the identity
   * provider's, where the console signs in with one. None by default.
   */
  connectOrigins?: readonly string[];
}

/** Where the console is served: the api's own origin, so its `connect-src 'self'` reaches /v1. */
export const CONSOLE_PATH = '/console/';

/**
 * The web console's static files at /console/, so the api's one public address serves both on
 * every platform (deployment.md, "The web console", says why not a service of its own).
 *
 * Routes only, no hook: one GET/HEAD route per file of the build, listed once at start
 * (`wildcard: false`: the image's files never change, so a request is matched by the router and
 * never stats the disk to find out a path does not exist; an unknown path is the api's own 404).
 * Registered without fastify-plugin, so what @fastify/static decorates stays in this context.
 * Gzipped twins (`*.gz`, written by docker/api's build) are sent to clients that accept them.
 */
export async function consoleRoutes(
  app: FastifyInstance,
  { dir, connectOrigins = [] }: ConsoleRoutesOptions,
) {
  const headers = consoleSecurityHeaders(connectOrigins);
  await app.register(fastifyStatic, {
    root: dir,
    prefix: CONSOLE_PATH,
    wildcard: false,
    // No routes of their own for the twins and the source maps (the image ships none: see
    // docker/api/Dockerfile); the twins are found beside the file they compress.
    globIgnore: ['**/*.gz', '**/*.map'],
    preCompressed: true,
    decorateReply: false,
    // Cache-Control is set per file below; `send`'s own would say max-age=0 to everything.
    cacheControl: false,
    // The console is not part of the api's contract.
    schemaHide: true,
    setHeaders(reply, path) {
      reply.headers(headers);
      reply.header(
        'cache-control',
        relative(dir, path).startsWith('assets/') ? IMMUTABLE_ASSET_CACHE : REVALIDATED_CACHE,
      );
    },
  });
  // `/console` without its slash: relative, so it holds behind any host the platform puts in front.
  app.get('/console', { schema: { hide: true } }, (_request, reply) => reply.redirect(CONSOLE_PATH, 301));
}
