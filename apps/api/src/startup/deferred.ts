// Start-up time: what only some requests need is loaded after the server listens, not before.
//
// Importing the api's modules is ~80 % of its start (tests/bench/README.md, "Start-up, stop 27").
// BullMQ (enqueueing), the AWS SDK (uploaded files), the MCP SDK (`/mcp`) and undici (the agent's
// client) are ~40 % of those modules and no probe or read uses them, so each is imported by
// whichever comes first: the first request that needs it (which waits for it), or
// `warmUpAfterListen` — so the first such request after start-up normally finds it loaded, and
// start-up never waits for it. (file-type has no warm-up: @repo/storage imports it at the first
// upload, which waits for it once.)
import type { FastifyBaseLogger, onListenHookHandler } from 'fastify';

/** What of a Fastify instance (of any logger type) a warm-up uses. */
interface Listener {
  addHook(name: 'onListen', hook: onListenHookHandler): unknown;
  log: Pick<FastifyBaseLogger, 'debug' | 'error'>;
}

/** `load`, called once: every caller gets the same promise (an import, made on first use). */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => (loading ??= load());
}

/**
 * Starts `load` once the server listens, without holding anything up (Fastify runs onListen
 * after the server is accepting; `app.inject` never runs it, so tests load on first use). A
 * failure is logged: the requests that need the module then fail with it, each one.
 */
export function warmUpAfterListen(app: Listener, what: string, load: () => Promise<unknown>): void {
  app.addHook('onListen', (done) => {
    load().then(
      () => app.log.debug({ module: what }, 'loaded after listening'),
      (error: unknown) => app.log.error({ err: error, module: what }, 'could not load after listening'),
    );
    done();
  });
}
