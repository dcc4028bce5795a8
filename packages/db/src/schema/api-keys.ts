import { sql } from 'drizzle-orm';
import { check, index, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';
import { id } from './columns.ts';

/** What an API key may be granted; the api maps each scope to route permissions. */
export const apiKeyScopes = ['read', 'write', 'agent', 'keys'] as const;
export type ApiKeyScope = (typeof apiKeyScopes)[number];

/**
 * Credentials for machine clients (scripts, cron jobs, other backends), acting as their owner
 * limited to their scopes. Only a keyed hash of the key is stored: a database dump alone neither
 * reveals a key nor lets anyone test guesses (the key, the pepper, lives in the api's config).
 */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: id(),
    ownerId: text('owner_id').notNull(),
    name: text('name').notNull(),
    // The visible part of the key (`kls_<prefix>_…`): how the owner recognizes a key in a list,
    // and how the api finds its row without scanning (unique, random, not secret).
    prefix: text('prefix').notNull(),
    // HMAC-SHA-256 of the whole key under API_KEY_PEPPER, hex.
    hash: text('hash').notNull(),
    scopes: text('scopes').array().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    // Written at most once a minute per key and replica, never per request.
    lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
    expiresAt: timestamp('expires_at', { withTimezone: true }),
    // Revoked keys are kept (who had which key, when it was last used), never deleted.
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
  },
  (table) => [
    uniqueIndex('api_keys_prefix_unique').on(table.prefix),
    // Serves "this owner's keys, newest first".
    index('api_keys_owner_created_idx').on(table.ownerId, table.createdAt.desc()),
    check('api_keys_scopes_check', sql`${table.scopes} <@ array['read', 'write', 'agent', 'keys']::text[]`),
  ],
);

export type ApiKey = typeof apiKeys.$inferSelect;
