import {
  HttpProblem,
  MAX_RUN_DEPTH_VALUE,
  RUN_DEPTH_HEADER,
  serviceUnavailable,
  VALIDATION_PROBLEM,
} from '@repo/http';
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { isApiKeyShaped } from '../../api-keys/api-key-format.ts';
import type { KeyVerification } from '../../api-keys/api-keys-service.ts';
import type { AccessTokenVerifier } from '../../auth/access-tokens.ts';
import {
  OWNER_ID,
  scopePermissions,
  SERVICE_PERMISSIONS,
  USER_PERMISSIONS,
  type Permission,
  type Principal,
} from '../../auth/permissions.ts';
import { createServiceTokenMatcher } from '../../auth/service-token.ts';

/** The header a service-token caller names the owner it acts for in. */
export const OWNER_HEADER = 'x-keelson-owner';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling: set from a valid bearer credential, null otherwise. */
    principal: Principal | null;
    /** Whose data this request may see and change; set once `authorize` has let it through. */
    ownerId: string;
    /** Why the credential sent was refused; thrown by `authorize` on routes that need one. */
    authProblem: HttpProblem | null;
  }
  interface FastifyContextConfig {
    /** The one permission a `/v1` route requires. */
    permission?: Permission;
  }
}

export interface AuthenticationOptions {
  verifyAccessToken: AccessTokenVerifier;
  serviceToken?: string | undefined;
  /** Checks an API key (`kls_…`); see api-keys/api-keys-service.ts. */
  verifyApiKey: (key: string) => Promise<KeyVerification>;
}

const unauthorized = (detail: string, error?: 'invalid_token' | 'invalid_request') =>
  new HttpProblem(401, detail, {
    type: 'urn:keelson:problem:unauthorized',
    // RFC 6750 §3: without credentials the challenge carries no error code.
    headers: {
      'www-authenticate': error
        ? `Bearer realm="keelson", error="${error}", error_description="${detail}"`
        : 'Bearer realm="keelson"',
    },
  });

/** The calling run's depth: 0 when the header is absent, undefined when it is malformed. */
function parseRunDepth(header: string | string[] | undefined): number | undefined {
  if (header === undefined) return 0;
  if (typeof header !== 'string' || !/^\d{1,3}$/.test(header)) return undefined;
  const depth = Number(header);
  return depth <= MAX_RUN_DEPTH_VALUE ? depth : undefined;
}

/** A 400 for a malformed header of the service token's calls, with its field detail. */
const headerProblem = (header: string, message: string, detail = `The ${header} header is malformed`) =>
  new HttpProblem(400, detail, {
    type: VALIDATION_PROBLEM,
    extensions: { errors: [{ location: 'headers', pointer: `/${header}`, message }] },
  });

/**
 * Identifies the caller on every request, before rate limiting (whose key is the owner) and
 * before any route work. It never rejects by itself: probes and docs need no credential, and a
 * request without one is limited by its IP address. Routes that require a credential reject in
 * `authorize`, which runs after the rate limiter.
 */
async function authentication(
  app: FastifyInstance,
  { verifyAccessToken, serviceToken, verifyApiKey }: AuthenticationOptions,
) {
  const isServiceToken = createServiceTokenMatcher(serviceToken);
  app.decorateRequest('principal', null);
  app.decorateRequest('ownerId', '');
  app.decorateRequest('authProblem', null);

  // Who is calling: a principal on the request, or the problem with its credential (answered by
  // the route, so a public route still serves a caller with a bad one).
  const identify = async (request: FastifyRequest, header: string): Promise<void> => {
    const match = /^Bearer +([\x21-\x7e]+) *$/i.exec(header);
    if (!match) {
      request.authProblem = unauthorized(
        'The Authorization header must be: Bearer <token>',
        'invalid_request',
      );
      return;
    }
    const token = match[1]!;

    if (isServiceToken(token)) {
      const owner = request.headers[OWNER_HEADER];
      if (typeof owner !== 'string' || !OWNER_ID.test(owner)) {
        request.authProblem = headerProblem(
          OWNER_HEADER,
          'expected 1-255 printable characters',
          `A service token acts for an owner: name it in ${OWNER_HEADER}`,
        );
        return;
      }
      const runDepth = parseRunDepth(request.headers[RUN_DEPTH_HEADER]);
      if (runDepth === undefined) {
        request.authProblem = headerProblem(
          RUN_DEPTH_HEADER,
          `expected a whole number from 0 to ${MAX_RUN_DEPTH_VALUE}`,
        );
        return;
      }
      request.principal = { kind: 'service', ownerId: owner, permissions: SERVICE_PERMISSIONS, runDepth };
      return;
    }

    if (isApiKeyShaped(token)) {
      // An API key acts as its owner, limited to its scopes; whatever it carries is never logged
      // (neither the header nor the key: only the reason it was refused).
      const key = await verifyApiKey(token).catch((error: unknown) => {
        request.log.warn({ err: error }, 'api key could not be checked');
        return undefined;
      });
      if (key === undefined) {
        request.authProblem = serviceUnavailable('The API key could not be checked. Retry later.');
      } else if (key.ok) {
        request.principal = {
          kind: 'api-key',
          ownerId: key.ownerId,
          permissions: scopePermissions(key.scopes),
          scopes: key.scopes,
        };
      } else {
        request.authProblem = unauthorized(
          key.reason === 'expired' ? 'The API key has expired' : 'The API key is invalid or revoked',
          'invalid_token',
        );
      }
      return;
    }

    const verified = await verifyAccessToken(token);
    if (verified.ok) {
      // A user's owner id is their token's subject; an owner header from a user is ignored.
      request.principal = { kind: 'user', ownerId: verified.subject, permissions: USER_PERMISSIONS };
      return;
    }
    request.log.debug({ reason: verified.reason, err: verified.error }, 'access token refused');
    request.authProblem =
      verified.reason === 'expired'
        ? unauthorized('The access token has expired', 'invalid_token')
        : verified.reason === 'invalid'
          ? unauthorized('The access token is invalid', 'invalid_token')
          : serviceUnavailable(
              'The identity provider could not be reached to verify the token. Retry later.',
            );
  };
  // A callback hook: a request without a credential (a probe, the console's files) passes without
  // a promise.
  app.addHook('onRequest', (request, _reply, done) => {
    const header = request.headers.authorization;
    if (header === undefined) return done();
    identify(request, header).then(() => done(), done);
  });
}

/**
 * A valid credential, whatever it grants, or the problem saying why not. For `/mcp`, whose tools
 * check their permissions one by one; `/v1` routes use `authorize`.
 */
export const authenticate: onRequestAsyncHookHandler = async (request) => {
  if (request.authProblem) throw request.authProblem;
  const principal = request.principal;
  if (!principal) throw unauthorized('This route requires a bearer token');
  request.ownerId = principal.ownerId;
};

/** The per-route check: a valid credential holding `permission`, or the problem saying why not. */
export function authorize(permission: Permission): onRequestAsyncHookHandler {
  return async (request) => {
    if (request.authProblem) throw request.authProblem;
    const principal = request.principal;
    if (!principal) throw unauthorized('This route requires a bearer token');
    if (!principal.permissions.has(permission)) {
      throw new HttpProblem(403, `This credential does not grant ${permission}`, {
        type: 'urn:keelson:problem:forbidden',
      });
    }
    request.ownerId = principal.ownerId;
  };
}

export default fp(authentication, { name: 'authentication' });
