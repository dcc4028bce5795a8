/** The fixture's settings, from its environment (tests/e2e/console-oidc.override.yaml sets them). */
export interface FixtureConfig {
  issuer: string;
  clientId: string;
  redirectUri: string;
  audience: string;
  accessTokenTtlS: number;
  certDir: string;
  /** Where the certificate is copied at start, for the api to trust (a shared volume). */
  caDir: string | undefined;
  port: number;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const value = Number(env[name] ?? fallback);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name}: expected a positive integer`);
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): FixtureConfig {
  const issuer = required(env, 'OIDC_ISSUER');
  if (new URL(issuer).protocol !== 'https:') throw new Error('OIDC_ISSUER: expected an https URL');
  return {
    issuer,
    clientId: required(env, 'OIDC_CLIENT_ID'),
    redirectUri: new URL(required(env, 'OIDC_REDIRECT_URI')).href,
    audience: required(env, 'OIDC_AUDIENCE'),
    accessTokenTtlS: positiveInt(env, 'OIDC_ACCESS_TOKEN_TTL_S', 300),
    certDir: env.OIDC_CERT_DIR ?? '/etc/oidc-provider',
    caDir: env.OIDC_CA_DIR || undefined,
    port: positiveInt(env, 'PORT', 8443),
  };
}
