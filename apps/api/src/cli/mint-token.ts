#!/usr/bin/env node
/**
 * Mints an HS256 access token for a development or test caller:
 *   pnpm --silent --filter @repo/api run token alice [--ttl 3600]
 *     (`run` is needed: pnpm 11 has a built-in `token` command that would shadow the script)
 *   node dist/cli/mint-token.js alice              (inside the api image)
 * It signs with the same JWT_SECRET (and iss/aud) the api verifies with, from the same
 * environment; without JWT_SECRET, and only with NODE_ENV=development (the dev profile, the
 * committed .env the `token` script reads), that is the public development secret.
 */
import { parseArgs } from 'node:util';
import { ConfigError } from '@repo/config';
import { signAccessToken } from '../auth/access-tokens.ts';
import { OWNER_ID } from '../auth/permissions.ts';
import { loadTokenConfig, signingSecret } from '../config.ts';

function fail(message: string): never {
  process.stderr.write(`token: ${message}\n`);
  process.exit(1);
}

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { ttl: { type: 'string', default: '3600' } },
});
const [subject] = positionals;
if (!subject || positionals.length > 1) fail('usage: token <owner-id> [--ttl seconds]');
if (!OWNER_ID.test(subject)) fail('the owner id must be 1-255 printable ASCII characters');
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl < 1 || ttl > 30 * 24 * 3600) fail('--ttl must be 1 to 2592000 seconds');

let config;
try {
  config = loadTokenConfig();
} catch (error) {
  if (error instanceof ConfigError) fail(error.message);
  throw error;
}
const secret = signingSecret(config);
if (secret === undefined) fail('JWT_JWKS_URL is set: tokens come from the identity provider, not from here');

const token = await signAccessToken({
  secret,
  subject,
  issuer: config.JWT_ISSUER,
  audience: config.JWT_AUDIENCE,
  expiresInSeconds: ttl,
});
process.stdout.write(`${token}\n`);
