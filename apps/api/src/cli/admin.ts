#!/usr/bin/env node
/**
 * The operator's view of quotas and API keys, with no HTTP admin surface (issue 15): it talks to
 * Postgres (and Redis, to announce a revocation) with the api's own configuration.
 *   node dist/cli/admin.js quota show <owner>                                  (in the api image)
 *   node dist/cli/admin.js quota set <owner> [--documents N|default] [--stored-bytes N|default]
 *                                            [--open-agent-runs N|default]
 *                                            [--monthly-tokens N|default] [--concurrent-runs N|default]
 *   node dist/cli/admin.js keys list <owner>
 *   node dist/cli/admin.js keys revoke <owner> <key-id>
 *   node dist/cli/admin.js usage [--from ISO] [--to ISO] [--top N]             (across owners)
 *   pnpm --silent --filter @repo/api admin …                                   (from source)
 * Output is JSON on stdout; a mistake exits 1 naming it.
 */
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { ConfigError, databaseTls } from '@repo/config';
import {
  apiKeys,
  createDatabase,
  createPool,
  ownerCounters,
  ownerQuotas,
  ownerSpend,
  usageRecords,
} from '@repo/db';
import { createRedis } from '@repo/queue';
import { and, desc, eq, gte, isNull, lt, sql } from 'drizzle-orm';
import { z } from 'zod';
import { apiKeyView, revocationChannel } from '../api-keys/api-keys-service.ts';
import { OWNER_ID } from '../auth/permissions.ts';
import { loadAdminConfig } from '../config.ts';

const USAGE = `usage:
  admin quota show <owner>
  admin quota set <owner> [--documents N|default] [--stored-bytes N|default] [--open-agent-runs N|default]
                          [--monthly-tokens N|default] [--concurrent-runs N|default]
  admin keys list <owner>
  admin keys revoke <owner> <key-id>
  admin usage [--from <ISO date-time>] [--to <ISO date-time>] [--top N]`;

function fail(message: string): never {
  process.stderr.write(`admin: ${message}\n`);
  process.exit(1);
}

function parseArguments() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        documents: { type: 'string' },
        'stored-bytes': { type: 'string' },
        'open-agent-runs': { type: 'string' },
        'monthly-tokens': { type: 'string' },
        'concurrent-runs': { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        top: { type: 'string' },
      },
    });
  } catch (error) {
    fail(`${(error as Error).message}\n${USAGE}`);
  }
}
const { positionals, values } = parseArguments();
const [area, action, ownerArgument, keyId] = positionals;
/** `usage` reads across owners; every other command names one. */
const acrossOwners = area === 'usage';
function ownerOf(value: string | undefined): string {
  if (!value || !OWNER_ID.test(value))
    fail(`an owner id (1-255 printable ASCII characters) is required\n${USAGE}`);
  return value;
}
const owner = acrossOwners ? '' : ownerOf(ownerArgument);

/** An instant given as ISO 8601 with an offset (the api's own format), or the default. */
function instant(name: string, value: string | undefined, fallback: Date): Date {
  if (value === undefined) return fallback;
  if (!z.iso.datetime({ offset: true }).safeParse(value).success)
    fail(`--${name} must be an ISO 8601 date-time with an offset, e.g. 2026-03-01T00:00:00Z`);
  return new Date(value);
}

/** A limit: a whole number, or `default` (null: the configured default applies). */
function limit(name: string, value: string | undefined, max: number): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === 'default') return null;
  if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > max) {
    fail(`--${name} must be a whole number from 1 to ${max}, or "default"`);
  }
  return Number(value);
}

let config;
try {
  config = loadAdminConfig();
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}
const pool = createPool({
  connectionString: config.DATABASE_URL,
  tls: databaseTls(config),
  applicationName: `api-admin@${hostname()}`,
  max: 1,
  statementTimeoutMs: 10_000,
  connectTimeoutMs: 5_000,
  onError: () => {},
});
const db = createDatabase(pool);
const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

try {
  if (acrossOwners && positionals.length === 1) {
    // The usage of every owner in [from, to), the biggest spenders first (by tokens: cost is
    // unknown for unpriced models). Default: the current calendar month, UTC.
    const now = new Date();
    const to = instant('to', values.to, now);
    const from = instant('from', values.from, new Date(Date.UTC(to.getUTCFullYear(), to.getUTCMonth(), 1)));
    if (from.getTime() >= to.getTime()) fail('--from must be before --to');
    const top = limit('top', values.top ?? '20', 10_000);
    if (top === null) fail('--top must be a whole number from 1 to 10000');
    const tokens = sql`sum(${usageRecords.inputTokens} + ${usageRecords.outputTokens})`;
    const rows = await db
      .select({
        owner: usageRecords.ownerId,
        inputTokens: sql<string>`sum(${usageRecords.inputTokens})`,
        outputTokens: sql<string>`sum(${usageRecords.outputTokens})`,
        calls: sql<number>`count(*)::int`,
        cost: sql<string | null>`sum(${usageRecords.cost})`,
        unpricedCalls: sql<number>`(count(*) filter (where ${usageRecords.cost} is null))::int`,
      })
      .from(usageRecords)
      .where(and(gte(usageRecords.createdAt, from), lt(usageRecords.createdAt, to)))
      .groupBy(usageRecords.ownerId)
      .orderBy(desc(tokens), usageRecords.ownerId)
      .limit(top!);
    print({
      from,
      to,
      owners: rows.map((row) => ({
        ...row,
        inputTokens: Number(row.inputTokens),
        outputTokens: Number(row.outputTokens),
        cost: row.cost === null ? null : Number(row.cost),
      })),
    });
  } else if (area === 'quota' && action === 'show' && positionals.length === 3) {
    const [overrides] = await db.select().from(ownerQuotas).where(eq(ownerQuotas.ownerId, owner));
    const [held] = await db.select().from(ownerCounters).where(eq(ownerCounters.ownerId, owner));
    // What the run quotas count (kept by triggers): the month's tokens, and the runs that ended.
    const [spent] = await db.select().from(ownerSpend).where(eq(ownerSpend.ownerId, owner));
    print({ owner, overrides: overrides ?? null, held: held ?? null, spent: spent ?? null });
  } else if (area === 'quota' && action === 'set' && positionals.length === 3) {
    const changes = {
      maxDocuments: limit('documents', values.documents, 100_000_000),
      maxStoredBytes: limit('stored-bytes', values['stored-bytes'], 2 ** 50),
      maxOpenAgentRuns: limit('open-agent-runs', values['open-agent-runs'], 10_000),
      maxMonthlyTokens: limit('monthly-tokens', values['monthly-tokens'], 1_000_000_000_000),
      maxConcurrentRuns: limit('concurrent-runs', values['concurrent-runs'], 10_000),
    };
    const set = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
    if (Object.keys(set).length === 0) fail(`name at least one quota to set\n${USAGE}`);
    const [row] = await db
      .insert(ownerQuotas)
      .values({ ownerId: owner, ...set })
      .onConflictDoUpdate({ target: ownerQuotas.ownerId, set: { ...set, updatedAt: sql`now()` } })
      .returning();
    print(row);
  } else if (area === 'keys' && action === 'list' && positionals.length === 3) {
    print(
      await db
        .select({ ...apiKeyView, revokedAt: apiKeys.revokedAt })
        .from(apiKeys)
        .where(eq(apiKeys.ownerId, owner))
        .orderBy(desc(apiKeys.createdAt)),
    );
  } else if (area === 'keys' && action === 'revoke' && keyId !== undefined && positionals.length === 4) {
    if (!z.uuid().safeParse(keyId).success) fail('the key id must be a UUID (see `keys list`)');
    const [revoked] = await db
      .update(apiKeys)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(apiKeys.id, keyId), eq(apiKeys.ownerId, owner), isNull(apiKeys.revokedAt)))
      .returning({ id: apiKeys.id, prefix: apiKeys.prefix });
    if (!revoked) fail(`${owner} has no unrevoked key ${keyId}`);
    // Every replica forgets the key when this arrives; without Redis, within their 1 s cache.
    const connection = createRedis(config.REDIS_URL, 'producer', `api-admin@${hostname()}`);
    connection.on('error', () => {});
    try {
      await connection.publish(revocationChannel(config.QUEUE_PREFIX), revoked.prefix);
    } catch {
      process.stderr.write('admin: Redis unreachable; replicas drop the key within their 1 s cache\n');
    } finally {
      connection.disconnect();
    }
    print({ revoked: revoked.id });
  } else {
    fail(USAGE);
  }
} finally {
  await pool.end();
}
