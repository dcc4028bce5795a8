import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConfigError,
  cors,
  jwt,
  parseEnv,
  productionProblems,
  trustProxy,
  weakSecretReason,
} from '../src/index.ts';

const schema = z.object({ ...jwt, ...cors, ...trustProxy });

describe('security building blocks', () => {
  it('parse comma-separated origins and proxies, ignoring blanks', () => {
    const config = parseEnv(schema, {
      CORS_ORIGINS: ' https://app.example.com, http://localhost:5173 ,',
      TRUST_PROXY: '10.0.0.0/8, 192.168.1.1, fd00::/8, loopback',
    });
    expect(config.CORS_ORIGINS).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(config.TRUST_PROXY).toEqual(['10.0.0.0/8', '192.168.1.1', 'fd00::/8', 'loopback']);
    expect(parseEnv(schema, {}).CORS_ORIGINS).toEqual([]);
  });

  it.each([
    ['CORS_ORIGINS', 'https://app.example.com/'],
    ['CORS_ORIGINS', 'app.example.com'],
    ['TRUST_PROXY', '10.0.0.0/33'],
    ['TRUST_PROXY', 'proxy.internal'],
    ['JWT_JWKS_URL', 'ftp://idp/keys'],
  ])('refuses a malformed %s (%s)', (name, value) => {
    expect(() => parseEnv(schema, { [name]: value })).toThrowError(ConfigError);
    expect(() => parseEnv(schema, { [name]: value })).toThrowError(new RegExp(`${name}: `));
  });
});

describe('weakSecretReason', () => {
  it('accepts 32 random bytes and names the problem otherwise', () => {
    expect(weakSecretReason('x'.repeat(32))).toBeUndefined();
    expect(weakSecretReason('x'.repeat(31))).toMatch(/^is 31 bytes; production requires at least 32/);
    // Bytes, not characters: 16 two-byte characters are 32 bytes.
    expect(weakSecretReason('é'.repeat(16))).toBeUndefined();
  });
});

describe('productionProblems', () => {
  const strong = 's'.repeat(48);
  it('is empty for a sound configuration', () => {
    expect(productionProblems({ JWT_SECRET: strong, CORS_ORIGINS: ['https://app.example.com'] })).toEqual([]);
    expect(
      productionProblems({
        JWT_JWKS_URL: 'https://idp.example.com/jwks',
        JWT_ISSUER: 'https://idp.example.com/',
        JWT_AUDIENCE: 'keelson-api',
        CORS_ORIGINS: [],
      }),
    ).toEqual([]);
  });

  it('names each rule that is broken, with the variable it concerns', () => {
    const names = productionProblems({
      JWT_JWKS_URL: 'http://idp/jwks',
      SERVICE_AUTH_TOKEN: 'short',
      CORS_ORIGINS: ['*'],
    }).map(([name]) => name);
    expect(names).toEqual([
      'JWT_JWKS_URL',
      'JWT_AUDIENCE',
      'JWT_ISSUER',
      'SERVICE_AUTH_TOKEN',
      'CORS_ORIGINS',
    ]);
    expect(productionProblems({ CORS_ORIGINS: [] })).toEqual([
      ['JWT_SECRET', expect.stringMatching(/required/)],
    ]);
  });
});
