import { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import type { Bindings, ChildLoggerOptions, LevelWithSilentOrString, Logger } from 'pino';

/**
 * One line per request instead of Fastify's two ("incoming request", then "request completed"):
 * the completed line carries the request (method, url, host, peer) as well as the response and
 * its time, so nothing is lost, and a request costs one serialized, redacted and written line —
 * the two were ~8 % of the api's CPU on an authenticated read (tests/bench/README.md). A request
 * that never completes leaves no line; its trace, metrics and the load balancer's log show it.
 */
class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    if (this.isLogDisabled(request)) return;
    if (error) {
      reply.log.error(
        { req: request, res: reply, err: error, responseTime: reply.elapsedTime },
        'request errored',
      );
    } else {
      reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
    }
  }
}

/** What every pino log method accepts: an object or a message first, then format arguments. */
type LogArgs = [objOrMsg: unknown, msg?: string, ...args: unknown[]];

/**
 * A request's logger that becomes a pino child (bound to the request id) only when something logs
 * through it. Fastify makes a child per request; with redaction configured, pino runs every
 * binding through the redactor when it makes one, which was ~4 % of the api's CPU under probe
 * traffic (tests/bench/README.md), for requests that mostly never log: probes write no request
 * line. A request that logs gets exactly the child Fastify would have made, with the same
 * bindings and options (a route's `logLevel`), so its lines are unchanged.
 */
class DeferredChildLogger {
  readonly #parent: Logger;
  readonly #bindings: Bindings;
  readonly #options: ChildLoggerOptions;
  #child: Logger | undefined;

  constructor(parent: Logger, bindings: Bindings, options: ChildLoggerOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  private get logger(): Logger {
    return (this.#child ??= this.#parent.child(this.#bindings, this.#options));
  }

  // Reading the level or asking about one does not need the child: it has the route's level, or
  // its parent's.
  get level(): LevelWithSilentOrString {
    return this.#child?.level ?? this.#options.level ?? this.#parent.level;
  }

  set level(level: LevelWithSilentOrString) {
    this.logger.level = level;
  }

  isLevelEnabled(level: LevelWithSilentOrString): boolean {
    const levelled = this.#child ?? (this.#options.level === undefined ? this.#parent : this.logger);
    return levelled.isLevelEnabled(level);
  }

  // Prototype methods, not arrow-function fields: fields would allocate seven closures for every
  // request, and most requests never log. Arguments pass through as given (pino reads their count).
  fatal(...args: LogArgs): void {
    this.logger.fatal(...args);
  }
  error(...args: LogArgs): void {
    this.logger.error(...args);
  }
  warn(...args: LogArgs): void {
    this.logger.warn(...args);
  }
  info(...args: LogArgs): void {
    this.logger.info(...args);
  }
  debug(...args: LogArgs): void {
    this.logger.debug(...args);
  }
  trace(...args: LogArgs): void {
    this.logger.trace(...args);
  }
  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): Logger {
    return this.logger.child(bindings, options);
  }

  bindings(): Bindings {
    return this.logger.bindings();
  }

  setBindings(bindings: Bindings): void {
    this.logger.setBindings(bindings);
  }

  flush(callback?: (error?: Error) => void): void {
    this.logger.flush(callback);
  }
}

/**
 * Fastify's request logging for every app: one line per request, minus probe routes, with the
 * request id under `requestId` (the same name the rest of the stack logs it under), on a
 * per-request child made only when the request logs. Spread into `Fastify({...})`.
 */
export function requestLogging(): Pick<FastifyServerOptions, 'logController' | 'childLoggerFactory'> {
  return {
    logController: createLogController(),
    // A FastifyBaseLogger, plus the pino methods code may call on a request's logger (bindings,
    // setBindings, isLevelEnabled, flush). The apps' loggers are pino's.
    childLoggerFactory: (logger, bindings, options) =>
      new DeferredChildLogger(logger as Logger, bindings, options),
  };
}

/** The one-line-per-request controller (see `requestLogging`). */
function createLogController(): LogController {
  return new OneLinePerRequest({
    disableRequestLogging: (request: FastifyRequest) => request.routeOptions?.config?.probe === true,
    requestIdLogLabel: 'requestId',
  });
}
