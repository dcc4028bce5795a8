import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type DatabaseConnection } from '@repo/db';
import type { Logger } from '@repo/observability';
import type pg from 'pg';
import { bounded, TimeoutError, within } from '../support/time-bounds.ts';

/**
 * The leader lock: a Postgres session-level advisory lock, held on a dedicated connection for as
 * long as this process leads. Why Postgres and not a Redis lock with a TTL (see README):
 * - the lock lives exactly as long as the session: a crashed or killed leader's lock is released
 *   by the server when its connection closes, with no TTL to tune against clock drift, GC pauses
 *   or a slow event loop, and no renewal that can silently fall behind;
 * - it is the mechanism the migrator already uses (MIGRATION_LOCK_KEY), in the same database the
 *   leader migrates, so leadership and migrations serialize on one server.
 * Advisory locks are per database, so stacks (and test files) on other databases never compete.
 * The lock needs a real session: connect directly, or through a pooler in *session* mode.
 */
export const LEADER_LOCK_KEY = 7_201_900_002n;

export interface LeaderLockOptions extends DatabaseConnection {
  applicationName: string;
  /** Standby: how often to try the lock. Leader: how often to check its session. */
  pollMs: number;
  /** A poll or heartbeat not answered within this long counts as a lost session. */
  heartbeatTimeoutMs: number;
  connectTimeoutMs: number;
  logger: Logger;
  key?: bigint;
}

/** Why a term ended: the session was lost, or the leader released the lock itself. */
export class LeadershipLostError extends Error {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(`leadership lost: ${reason}`, options);
    this.name = 'LeadershipLostError';
  }
}

export interface LeaderTerm {
  /** Aborted (reason: LeadershipLostError) the moment the lock's session is lost or released. */
  readonly signal: AbortSignal;
  /** Unlocks and closes the session, bounded in time: a standby can take over at once. */
  release(): Promise<void>;
}

export interface LeaderLock {
  /** Polls until this process holds the lock; resolves undefined once `stop` is aborted. */
  acquire(stop: AbortSignal): Promise<LeaderTerm | undefined>;
  /** Whether the last poll or heartbeat reached Postgres. */
  readonly healthy: boolean;
}

export function createLeaderLock(options: LeaderLockOptions): LeaderLock {
  const key = (options.key ?? LEADER_LOCK_KEY).toString();
  const log = options.logger.child({ component: 'leader-lock' });
  let healthy = false;

  // Makes the *server* notice a silently vanished leader (network partition, frozen VM) and free
  // the lock, but only well after the leader itself noticed and stopped its workers: the leader
  // gives up after at most pollMs + heartbeatTimeoutMs without an answer, the server after its
  // last packet from us (≥ now − pollMs) + idle + 3 probes. The margin below keeps the two apart.
  const idleSeconds = Math.ceil((2 * options.pollMs + options.heartbeatTimeoutMs) / 1_000) + 2;
  const sessionSettings = [
    `set tcp_keepalives_idle = ${idleSeconds}`,
    'set tcp_keepalives_interval = 1',
    'set tcp_keepalives_count = 3',
    `set tcp_user_timeout = ${(idleSeconds + 3) * 1_000}`,
    `set statement_timeout = ${options.heartbeatTimeoutMs}`,
  ].join('; ');

  async function connect(): Promise<pg.Client> {
    const client = createClient({
      connectionString: options.connectionString,
      tls: options.tls,
      application_name: options.applicationName,
      connectionTimeoutMillis: options.connectTimeoutMs,
      keepAlive: true,
    });
    // Until a term takes it over, an error on the idle connection only makes the next poll reconnect.
    client.on('error', () => {});
    try {
      await client.connect();
      await bounded(client.query(sessionSettings), options.heartbeatTimeoutMs, 'leader lock session');
      return client;
    } catch (error) {
      destroy(client);
      throw error;
    }
  }

  function beginTerm(client: pg.Client): LeaderTerm {
    const controller = new AbortController();
    let checking = false;

    const end = (error: LeadershipLostError) => {
      if (controller.signal.aborted) return false;
      clearInterval(heartbeat);
      client.removeListener('end', onEnd);
      controller.abort(error);
      return true;
    };
    const lose = (reason: string, cause?: unknown) => {
      // Abort first, synchronously: whoever listens (the workers) stops before anything else runs.
      if (!end(new LeadershipLostError(reason, { cause }))) return;
      healthy = false;
      log.error({ err: cause, reason }, 'leadership lost');
      destroy(client);
    };
    const onEnd = () => lose('the lock connection closed');
    client.removeAllListeners('error');
    client.on('error', (error) => lose('the lock connection failed', error));
    client.on('end', onEnd);

    const heartbeat = setInterval(() => {
      if (checking) return;
      checking = true;
      bounded(client.query('select 1'), options.heartbeatTimeoutMs, 'leader heartbeat')
        .then(
          () => {
            healthy = true;
          },
          // A heartbeat in flight when the server ends the session fails with the server's
          // error before the connection's own 'error'/'end' event: the connection failed, it did
          // not stop answering (only a timeout says that).
          (error: unknown) =>
            lose(
              error instanceof TimeoutError
                ? 'the lock session stopped answering'
                : 'the lock connection failed',
              error,
            ),
        )
        .finally(() => {
          checking = false;
        });
    }, options.pollMs);

    return {
      signal: controller.signal,
      async release() {
        if (!end(new LeadershipLostError('released'))) return;
        client.on('error', () => {});
        // Unlocking explicitly is only a courtesy: closing the session releases the lock anyway.
        await within(
          client.query('select pg_advisory_unlock($1)', [key]).then(() => client.end()),
          options.heartbeatTimeoutMs,
        );
        destroy(client);
        log.info('leadership released');
      },
    };
  }

  return {
    get healthy() {
      return healthy;
    },
    async acquire(stop) {
      let client: pg.Client | undefined;
      let reported = false;
      while (!stop.aborted) {
        try {
          client ??= await connect();
          const result = await bounded(
            client.query<{ acquired: boolean }>('select pg_try_advisory_lock($1) as acquired', [key]),
            options.heartbeatTimeoutMs,
            'leader lock poll',
          );
          healthy = true;
          if (stop.aborted) break;
          if (result.rows[0]?.acquired) return beginTerm(client);
          if (!reported) log.info({ pollMs: options.pollMs }, 'another instance leads; standing by');
          reported = true;
        } catch (error) {
          if (healthy || !reported) log.warn({ err: error }, 'cannot reach Postgres for the leader lock');
          healthy = false;
          reported = true;
          if (client) destroy(client);
          client = undefined;
        }
        await sleep(options.pollMs, undefined, { signal: stop }).catch(() => {});
      }
      if (client) destroy(client);
      return undefined;
    },
  };
}

/** Closes a session without waiting on the server: it may be the reason we are closing. */
function destroy(client: pg.Client): void {
  client.connection.stream.destroy();
}
