import { z } from 'zod';

/**
 * The web console's sign-in settings (apps/web/README.md, "Signing in"). The console is a static
 * build, the same image for every deployment, so it asks the api for them at run time
 * (`GET /v1/console/config`) instead of having them baked in at build time.
 */
export const consoleOidc = {
  /**
   * The console's client id at the identity provider (a public single-page-application client:
   * authorization code + PKCE, no secret). Set: the console offers "Sign in with <provider>"
   * against JWT_ISSUER, whose tokens the api verifies with JWT_JWKS_URL.
   */
  CONSOLE_OIDC_CLIENT_ID: z.string().trim().min(1).max(255).optional(),
  /** The scopes the console asks for, space-separated (as OAuth writes them); `openid` is required. */
  CONSOLE_OIDC_SCOPES: z
    .string()
    .transform((value) => value.split(/\s+/).filter((scope) => scope !== ''))
    .pipe(
      z
        .array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'a scope is printable ASCII without " or \\'))
        .refine((scopes) => scopes.includes('openid'), {
          message: 'must include "openid": the console signs in with OpenID Connect',
        }),
    )
    .default(['openid']),
};

interface ConsoleOidcSettings {
  CONSOLE_OIDC_CLIENT_ID?: string | undefined;
  JWT_ISSUER?: string | undefined;
  JWT_JWKS_URL?: string | undefined;
}

/**
 * A client id is only usable with a provider the api trusts: the console signs in at JWT_ISSUER
 * (discovery at `<issuer>/.well-known/openid-configuration`) and the api must verify what it
 * issues with JWT_JWKS_URL. The issuer must be https: the console's OAuth library refuses to
 * send a code or a refresh token over plain http, and a browser has no secure context for PKCE
 * there anyway (only localhost, which a deployed console never reaches a provider on).
 */
export function refineConsoleOidc(config: ConsoleOidcSettings, ctx: z.RefinementCtx) {
  if (config.CONSOLE_OIDC_CLIENT_ID === undefined) return;
  if (config.JWT_ISSUER === undefined || config.JWT_JWKS_URL === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['CONSOLE_OIDC_CLIENT_ID'],
      message:
        "needs JWT_ISSUER and JWT_JWKS_URL: the console signs in at the issuer, and the api verifies the provider's tokens with its key set",
    });
    return;
  }
  let issuer: URL | undefined;
  try {
    issuer = new URL(config.JWT_ISSUER);
  } catch {
    issuer = undefined;
  }
  if (issuer?.protocol !== 'https:' || issuer.search !== '' || issuer.hash !== '') {
    ctx.addIssue({
      code: 'custom',
      path: ['JWT_ISSUER'],
      message:
        'must be an https URL without query or fragment when CONSOLE_OIDC_CLIENT_ID is set: the console discovers the provider there and sends it codes and refresh tokens',
    });
  }
}

export const consoleConfigSchema = z.object({
  oidc: z
    .object({
      issuer: z
        .string()
        .describe("The provider's issuer URL (discovery at `<issuer>/.well-known/openid-configuration`)."),
      clientId: z.string().describe("The console's public client id at the provider."),
      scopes: z.array(z.string()).describe('The scopes the console asks for.'),
    })
    .nullable()
    .describe('OpenID Connect sign-in (authorization code + PKCE); null when not configured.'),
  devSignIn: z
    .boolean()
    .describe(
      'Whether `POST /dev/token` exists (a development stack signing with the public development secret).',
    ),
});

export type ConsoleConfig = z.infer<typeof consoleConfigSchema>;

/** What the console is told, from the api's own typed config. */
export function consoleConfig(
  config: ConsoleOidcSettings & { CONSOLE_OIDC_SCOPES: string[] },
  devSignIn: boolean,
): ConsoleConfig {
  const { CONSOLE_OIDC_CLIENT_ID: clientId, JWT_ISSUER: issuer } = config;
  return {
    oidc:
      clientId !== undefined && issuer !== undefined
        ? { issuer, clientId, scopes: config.CONSOLE_OIDC_SCOPES }
        : null,
    devSignIn,
  };
}
