import { apiKeys, type ApiKeyScope, type Database } from '@repo/db';
import { HttpProblem, notFound } from '@repo/http';
import type { Logger } from '@repo/observability';
import type { Redis } from '@repo/queue';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import { apiKeyPrefix, generateApiKey, hashApiKey, sameHash } from './api-key-format.ts';

export interface ApiKeysDependencies {
  db: Database;
  /** Publishes revocations; a duplicate of it subscribes to them. */
  redis: Redis;
  /** QUEUE_PREFIX: the revocation channel is per stack, like the queues. */
  prefix: string;
  pepper: string;
  logger: Logger;
  /** How long a replica trusts what it read about a key (default 1 s: the revocation bound). */
  cacheTtlMs?: number;
}

/** Active keys an owner may hold at once: a list that stays readable, and a bound on rows. */
export const MAX_KEYS_PER_OWNER = 100;

/** Advisory-lock key space serializing one owner's key creations (see tasks-service.ts). */
const API_KEY_LOCK_SPACE = 7_201_901;

/** `last_used_at` is written at most this often per key and replica. */
const LAST_USED_EVERY_MS = 60_000;

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  scopes: ApiKeyScope[];
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
}

/** The columns a key is shown with (here and in the `admin` command): never its hash. */
export const apiKeyView = {
  id: apiKeys.id,
  name: apiKeys.name,
  prefix: apiKeys.prefix,
  scopes: apiKeys.scopes,
  createdAt: apiKeys.createdAt,
  lastUsedAt: apiKeys.lastUsedAt,
  expiresAt: apiKeys.expiresAt,
};

/** What a replica remembers about a key: never the key itself. `null`: no usable key has this prefix. */
type Known = { id: string; hash: string; ownerId: string; scopes: ApiKeyScope[]; expiresAtMs: number } | null;

export type KeyVerification =
  { ok: true; ownerId: string; scopes: ApiKeyScope[] } | { ok: false; reason: 'invalid' | 'expired' };

export const revocationChannel = (prefix: string) => `${prefix}:api-key-revoked`;

/**
 * API keys: created (returned once), listed, revoked, and verified on every request that carries
 * one. Verification must not cost a database round trip per request (issue 13's hot path): each
 * replica remembers what it read about a key's prefix for `cacheTtlMs` (1 s), concurrent misses
 * for one prefix share one query, and a revocation is published on Redis so every replica forgets
 * the key at once — the TTL bounds a message that was missed (Redis down, reconnecting), so a
 * revoked key is refused everywhere within a second either way.
 */
export function createApiKeysService({
  db,
  redis,
  prefix,
  pepper,
  logger,
  cacheTtlMs = 1_000,
}: ApiKeysDependencies) {
  const cache = new LRUCache<string, { value: Known }>({
    max: 10_000,
    ttl: cacheTtlMs,
    fetchMethod: async (keyPrefix) => {
      const [row] = await db
        .select({
          id: apiKeys.id,
          hash: apiKeys.hash,
          ownerId: apiKeys.ownerId,
          scopes: apiKeys.scopes,
          expiresAt: apiKeys.expiresAt,
        })
        .from(apiKeys)
        .where(and(eq(apiKeys.prefix, keyPrefix), isNull(apiKeys.revokedAt)));
      if (!row) return { value: null };
      return {
        value: {
          id: row.id,
          hash: row.hash,
          ownerId: row.ownerId,
          scopes: row.scopes as ApiKeyScope[],
          expiresAtMs: row.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY,
        },
      };
    },
  });
  const lastUsedWritten = new LRUCache<string, true>({ max: 10_000, ttl: LAST_USED_EVERY_MS });

  const channel = revocationChannel(prefix);
  // Its own connection (a subscribed one can run no other command) that waits for Redis instead
  // of failing fast like the producer's, and resubscribes by itself after a reconnect.
  const subscriber = redis.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
  subscriber.on('error', (error) => logger.warn({ err: error }, 'api-key revocation subscriber'));
  subscriber.on('message', (received, keyPrefix) => {
    if (received === channel) cache.delete(keyPrefix);
  });
  // Not awaited: the api starts without Redis too, and the cache's TTL covers the gap.
  let closed = false;
  subscriber.subscribe(channel).catch((error: unknown) => {
    if (!closed)
      logger.warn({ err: error }, 'could not subscribe to api-key revocations; the 1 s cache bounds them');
  });

  /**
   * What is known about a prefix. A revocation deletes the entry while a read of it may be in
   * flight; lru-cache then aborts that read (its answer may predate the revocation), and the key
   * is read again, after the revocation.
   */
  async function lookUp(keyPrefix: string): Promise<Known> {
    for (let attempt = 1; ; attempt++) {
      try {
        return (await cache.fetch(keyPrefix))?.value ?? null;
      } catch (error) {
        // lru-cache aborts with these reasons (an Error whose message says why), not a DOMException.
        const aborted = error instanceof Error && ['deleted', 'evicted', 'replaced'].includes(error.message);
        if (attempt >= 3 || !aborted) throw error;
      }
    }
  }

  function touch(id: string) {
    if (lastUsedWritten.has(id)) return;
    lastUsedWritten.set(id, true);
    db.update(apiKeys)
      .set({ lastUsedAt: sql`now()` })
      .where(eq(apiKeys.id, id))
      .catch((error: unknown) => logger.warn({ err: error }, 'could not record an api key as used'));
  }

  return {
    async verify(key: string): Promise<KeyVerification> {
      const keyPrefix = apiKeyPrefix(key);
      if (keyPrefix === undefined) return { ok: false, reason: 'invalid' };
      const known = await lookUp(keyPrefix);
      if (!known || !sameHash(hashApiKey(key, pepper), known.hash)) return { ok: false, reason: 'invalid' };
      if (Date.now() >= known.expiresAtMs) return { ok: false, reason: 'expired' };
      touch(known.id);
      return { ok: true, ownerId: known.ownerId, scopes: known.scopes };
    },

    /** Creates a key for `ownerId`; the key itself is in the answer and nowhere else, ever. */
    async create(
      ownerId: string,
      input: { name: string; scopes: ApiKeyScope[]; expiresAt?: Date | undefined },
    ): Promise<ApiKeyView & { key: string }> {
      const { key, prefix: keyPrefix } = generateApiKey();
      return db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(${API_KEY_LOCK_SPACE}, hashtext(${ownerId}))`);
        const active = await tx.$count(apiKeys, and(eq(apiKeys.ownerId, ownerId), isNull(apiKeys.revokedAt)));
        if (active >= MAX_KEYS_PER_OWNER) {
          throw new HttpProblem(
            409,
            `An owner may hold at most ${MAX_KEYS_PER_OWNER} API keys; revoke one first.`,
            { type: 'urn:keelson:problem:too-many-api-keys', extensions: { limit: MAX_KEYS_PER_OWNER } },
          );
        }
        const [created] = await tx
          .insert(apiKeys)
          .values({
            ownerId,
            name: input.name,
            prefix: keyPrefix,
            hash: hashApiKey(key, pepper),
            scopes: [...new Set(input.scopes)],
            expiresAt: input.expiresAt ?? null,
          })
          .returning(apiKeyView);
        return { ...created!, scopes: created!.scopes as ApiKeyScope[], key };
      });
    },

    async list(ownerId: string, limit = MAX_KEYS_PER_OWNER): Promise<ApiKeyView[]> {
      const rows = await db
        .select(apiKeyView)
        .from(apiKeys)
        .where(and(eq(apiKeys.ownerId, ownerId), isNull(apiKeys.revokedAt)))
        .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
        .limit(limit);
      return rows.map((row) => ({ ...row, scopes: row.scopes as ApiKeyScope[] }));
    },

    /** Revokes one of `ownerId`'s keys: refused here at once, and on every replica within a second. */
    async revoke(ownerId: string, id: string): Promise<void> {
      const [revoked] = await db
        .update(apiKeys)
        .set({ revokedAt: sql`now()` })
        .where(and(eq(apiKeys.id, id), eq(apiKeys.ownerId, ownerId), isNull(apiKeys.revokedAt)))
        .returning({ prefix: apiKeys.prefix });
      if (!revoked) throw notFound('api key');
      cache.delete(revoked.prefix);
      await redis.publish(channel, revoked.prefix).catch((error: unknown) => {
        logger.warn({ err: error }, 'could not publish an api-key revocation; the 1 s cache bounds it');
      });
    },

    close() {
      closed = true;
      subscriber.disconnect();
    },
  };
}

export type ApiKeysService = ReturnType<typeof createApiKeysService>;
