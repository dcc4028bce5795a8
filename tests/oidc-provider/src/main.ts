/**
 * A real OpenID Provider for the console's sign-in test (tests/e2e/test/console-oidc.test.ts):
 * panva's oidc-provider (an OpenID Foundation certified implementation) with its built-in
 * interactive login and consent pages, so the test signs in through a provider's forms exactly
 * as a user would. Test-only: never deployed (its login accepts any user name and password).
 *
 * Over HTTPS, as any provider the console is configured with must be (the api's config refuses
 * an http issuer, and production an http JWKS): the certificate is generated for the host name
 * `oidc` when the image is built (Dockerfile); at start it is copied to OIDC_CA_DIR, a volume the
 * api mounts to trust it (NODE_EXTRA_CA_CERTS).
 *
 * Access tokens are JWTs (RS256, the key generated at each start) for one resource server, the
 * api: `aud` is OIDC_AUDIENCE (the api's JWT_AUDIENCE), `sub` the user name typed at the login.
 * A refresh token is issued with every code (the client allows the grant), so the console's
 * renewal is exercised with short-lived access tokens (OIDC_ACCESS_TOKEN_TTL_S).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { copyFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { join } from 'node:path';
import Provider, { type Configuration } from 'oidc-provider';
import { loadConfig } from './config.ts';

const { issuer, clientId, redirectUri, audience, accessTokenTtlS, certDir, caDir, port } = loadConfig();
/** The one resource server (the api), by an absolute URI as RFC 8707 wants. */
const RESOURCE = 'urn:keelson:api';
/** The scope the api's access tokens carry. */
const API_SCOPE = 'keelson';

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'fixture-1', use: 'sig', alg: 'RS256' };

const configuration: Configuration = {
  clients: [
    {
      client_id: clientId,
      // A public client (a single-page application): no secret, PKCE instead.
      token_endpoint_auth_method: 'none',
      redirect_uris: [redirectUri],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    },
  ],
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  scopes: ['openid', 'offline_access', API_SCOPE],
  // The user name typed at the login page is the subject.
  findAccount: (_ctx, id) => ({ accountId: id, claims: () => ({ sub: id }) }),
  pkce: { required: () => true },
  // CORS only for the console's own origin (its scripts call discovery and the token endpoint).
  clientBasedCORS: (_ctx, origin) => origin === new URL(redirectUri).origin,
  // Without offline_access and a consent prompt, oidc-provider issues no refresh token; a browser
  // client's refresh token is what the console's renewal is tested with, so: always.
  issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  ttl: { AccessToken: accessTokenTtlS, IdToken: 3_600, RefreshToken: 86_400, Grant: 86_400, Session: 86_400 },
  features: {
    devInteractions: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: (_ctx, resource) => {
        if (resource !== RESOURCE) throw new Error(`unknown resource ${resource}`);
        return {
          scope: API_SCOPE,
          audience,
          accessTokenTTL: accessTokenTtlS,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'RS256' } },
        };
      },
    },
  },
};

const provider = new Provider(issuer, configuration);
provider.on('grant.success', (ctx) => {
  const body = (ctx.oidc.body ?? {}) as { grant_type?: string };
  console.log(`grant ${body.grant_type ?? '?'} for ${ctx.oidc.client?.clientId ?? '?'}`);
});

if (caDir) copyFileSync(join(certDir, 'cert.pem'), join(caDir, 'oidc-ca.pem'));
const handle = provider.callback();
createServer(
  { key: readFileSync(join(certDir, 'key.pem')), cert: readFileSync(join(certDir, 'cert.pem')) },
  (request, response) => void handle(request, response),
).listen(port, () => console.log(`OpenID Provider ${issuer} on :${port}`));

// PID 1 in its container: exit on the stop signal (nothing to drain in an in-memory test provider).
const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
