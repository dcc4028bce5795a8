import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTestCertificates, type TestCertificates } from '@repo/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  configProblems,
  database,
  databaseConnection,
  databaseTls,
  migrationConnection,
  migrationDatabase,
  parseEnv,
  refineDatabase,
  runtime,
  type Env,
} from '../src/index.ts';

const schema = z.object({ ...runtime, ...database }).superRefine(refineDatabase);
const load = (env: Env) => parseEnv(schema, env);
const problemsOf = (env: Env) => configProblems(() => load(env));
const tlsOf = (env: Env) => databaseTls(load(env));

const URL = 'postgres://keelson:secret@db.internal:5432/keelson';
const RDS_URL = 'postgres://keelson:secret@keelson.c9akciq32.eu-west-1.rds.amazonaws.com:5432/keelson';

let certificates: TestCertificates;
beforeAll(async () => {
  certificates = await createTestCertificates();
});
afterAll(() => {
  if (certificates) rmSync(certificates.dir, { recursive: true, force: true });
});

describe('the TLS mode', () => {
  it('is plaintext unless something asks for TLS, as before TLS settings existed', () => {
    expect(tlsOf({ DATABASE_URL: URL })).toEqual({ mode: 'disable' });
  });

  it('is DATABASE_SSL_MODE, with the CA for verify-full', () => {
    expect(tlsOf({ DATABASE_URL: URL, DATABASE_SSL_MODE: 'require' })).toEqual({ mode: 'require' });
    expect(
      tlsOf({ DATABASE_URL: URL, DATABASE_SSL_MODE: 'verify-full', DATABASE_SSL_CA: certificates.ca }),
    ).toEqual({ mode: 'verify-full', ca: certificates.ca });
    expect(tlsOf({ DATABASE_URL: URL, DATABASE_SSL_MODE: 'verify-full' })).toEqual({
      mode: 'verify-full',
      ca: undefined,
    });
  });

  it("reads the URL's sslmode with libpq's meaning: require is not verify-full", () => {
    expect(tlsOf({ DATABASE_URL: `${URL}?sslmode=require` })).toEqual({ mode: 'require' });
    expect(tlsOf({ DATABASE_URL: `${URL}?sslmode=verify-full` })).toEqual({
      mode: 'verify-full',
      ca: undefined,
    });
    expect(tlsOf({ DATABASE_URL: `${URL}?sslmode=disable` })).toEqual({ mode: 'disable' });
    // Agreeing with DATABASE_SSL_MODE is fine.
    expect(tlsOf({ DATABASE_URL: `${URL}?sslmode=require`, DATABASE_SSL_MODE: 'require' })).toEqual({
      mode: 'require',
    });
  });

  it('refuses a URL and DATABASE_SSL_MODE that disagree', () => {
    expect(problemsOf({ DATABASE_URL: `${URL}?sslmode=require`, DATABASE_SSL_MODE: 'verify-full' })).toEqual([
      'DATABASE_SSL_MODE: is verify-full but DATABASE_URL says sslmode=require: set one of them, or make them agree (got "verify-full")',
    ]);
  });

  it('refuses modes node-postgres cannot honour, and TLS parameters that would bypass these settings', () => {
    const problems = (query: string) => problemsOf({ DATABASE_URL: `${URL}?${query}` });
    expect(problems('sslmode=prefer')).toEqual([
      expect.stringMatching(
        /^DATABASE_URL: sslmode=prefer falls back to plaintext.*\(got \(secret, not shown\)\)$/,
      ),
    ]);
    expect(problems('sslmode=verify-ca')[0]).toMatch(
      /sslmode=verify-ca is not supported: use sslmode=verify-full/,
    );
    expect(problems('sslmode=no-verify')[0]).toMatch(/write sslmode=require/);
    expect(problems('sslmode=strict')[0]).toMatch(
      /sslmode=strict is not a mode: use disable, require, verify-full/,
    );
    expect(problems('sslrootcert=/certs/ca.pem')[0]).toMatch(/sets sslrootcert .*DATABASE_SSL_CA_FILE/);
    expect(problems('ssl=true')[0]).toMatch(/sets ssl .*DATABASE_SSL_MODE/);
    expect(problems('sslcert=a&sslkey=b')).toHaveLength(2);
    expect(problemsOf({ DATABASE_URL: URL, DATABASE_SSL_MODE: 'prefer' })).toEqual([
      'DATABASE_SSL_MODE: expected one of disable, require, verify-full (got "prefer")',
    ]);
  });
});

describe('the CA bundle', () => {
  it('is read from DATABASE_SSL_CA_FILE, like the secrets', () => {
    const path = join(certificates.dir, 'bundle.pem');
    writeFileSync(path, `${certificates.ca}${certificates.otherCa}`);
    expect(
      tlsOf({ DATABASE_URL: URL, DATABASE_SSL_MODE: 'verify-full', DATABASE_SSL_CA_FILE: path }),
    ).toEqual({ mode: 'verify-full', ca: `${certificates.ca}${certificates.otherCa}`.replace(/\n$/, '') });
  });

  it('names an unreadable file', () => {
    expect(
      problemsOf({
        DATABASE_URL: URL,
        DATABASE_SSL_MODE: 'verify-full',
        DATABASE_SSL_CA_FILE: '/nonexistent/ca.pem',
      }),
    ).toEqual(['DATABASE_SSL_CA_FILE: cannot read /nonexistent/ca.pem (ENOENT)']);
  });

  it('must be PEM certificates: not a path, not a key, not damaged', () => {
    const withCa = (ca: string) =>
      problemsOf({ DATABASE_URL: URL, DATABASE_SSL_MODE: 'verify-full', DATABASE_SSL_CA: ca });
    expect(withCa('/etc/ssl/rds-bundle.pem')).toEqual([
      expect.stringMatching(/^DATABASE_SSL_CA: expected PEM certificates .*set DATABASE_SSL_CA_FILE instead/),
    ]);
    const key =
      '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----';
    expect(withCa(`${certificates.ca}\n${key}`)).toEqual([
      expect.stringMatching(/^DATABASE_SSL_CA: holds something other than certificates \(a private key\?\)/),
    ]);
    const damaged = certificates.ca.replace(/\n[A-Za-z0-9+/]{20}/, '\nAAAAAAAAAAAAAAAAAAAA');
    expect(withCa(`${certificates.otherCa}${damaged}`)).toEqual([
      expect.stringMatching(/^DATABASE_SSL_CA: certificate 2 of 2 is not a valid X\.509 certificate/),
    ]);
  });

  it('is refused where no mode would use it', () => {
    expect(problemsOf({ DATABASE_URL: URL, DATABASE_SSL_CA: certificates.ca })).toEqual([
      expect.stringMatching(/^DATABASE_SSL_CA: is only used by verify-full, and the TLS mode is disable/),
    ]);
    expect(problemsOf({ DATABASE_URL: `${URL}?sslmode=require`, DATABASE_SSL_CA: certificates.ca })).toEqual([
      expect.stringMatching(/the TLS mode is require \(encrypted, certificate not checked\)/),
    ]);
  });

  it("is required to verify Amazon RDS, whose CAs Node's store lacks", () => {
    expect(problemsOf({ DATABASE_URL: RDS_URL, DATABASE_SSL_MODE: 'verify-full' })).toEqual([
      expect.stringMatching(
        /^DATABASE_SSL_CA: is required to verify an Amazon RDS endpoint .*truststore\.pki\.rds\.amazonaws\.com/,
      ),
    ]);
    expect(problemsOf({ DATABASE_URL: `${RDS_URL}?sslmode=verify-full` })).toHaveLength(1);
    expect(
      problemsOf({
        DATABASE_URL: RDS_URL,
        DATABASE_SSL_MODE: 'verify-full',
        DATABASE_SSL_CA: certificates.ca,
      }),
    ).toEqual([]);
    // RDS Proxy endpoints present public (ACM) certificates, which Node's store verifies.
    const proxy = 'postgres://keelson:secret@keelson.proxy-c9akciq32.eu-west-1.rds.amazonaws.com/keelson';
    expect(problemsOf({ DATABASE_URL: proxy, DATABASE_SSL_MODE: 'verify-full' })).toEqual([]);
    // require encrypts without checking the certificate: nothing to verify it with is needed.
    expect(problemsOf({ DATABASE_URL: RDS_URL, DATABASE_SSL_MODE: 'require' })).toEqual([]);
  });
});

describe('databaseConnection', () => {
  it('is the part of the database block a one-off command needs', () => {
    expect(Object.keys(databaseConnection)).toEqual(['DATABASE_URL', 'DATABASE_SSL_MODE', 'DATABASE_SSL_CA']);
  });
});

describe('the migration connection (MIGRATION_DATABASE_URL)', () => {
  const migrating = z.object({ ...runtime, ...database, ...migrationDatabase }).superRefine(refineDatabase);
  const loadMigrating = (env: Env) => parseEnv(migrating, env);
  const OWNER = 'postgres://owner:other@db.internal:5432/keelson';

  it('is DATABASE_URL when unset, with its TLS settings', () => {
    expect(migrationConnection(loadMigrating({ DATABASE_URL: `${URL}?sslmode=require` }))).toEqual({
      connectionString: `${URL}?sslmode=require`,
      tls: { mode: 'require' },
    });
  });

  it('is its own URL when set, with DATABASE_SSL_MODE and the CA', () => {
    const config = loadMigrating({
      DATABASE_URL: URL,
      MIGRATION_DATABASE_URL: OWNER,
      DATABASE_SSL_MODE: 'verify-full',
      DATABASE_SSL_CA: certificates.ca,
    });
    expect(migrationConnection(config)).toEqual({
      connectionString: OWNER,
      tls: { mode: 'verify-full', ca: certificates.ca },
    });
  });

  it("takes its own sslmode, else DATABASE_URL's: an owner URL written without one is not plaintext", () => {
    const tlsWith = (env: Env) =>
      migrationConnection(loadMigrating({ MIGRATION_DATABASE_URL: OWNER, ...env })).tls;
    expect(tlsWith({ DATABASE_URL: `${URL}?sslmode=verify-full` })).toEqual({
      mode: 'verify-full',
      ca: undefined,
    });
    expect(
      tlsWith({
        DATABASE_URL: `${URL}?sslmode=verify-full`,
        MIGRATION_DATABASE_URL: `${OWNER}?sslmode=require`,
      }),
    ).toEqual({ mode: 'require' });
    expect(tlsWith({ DATABASE_URL: URL })).toEqual({ mode: 'disable' });
  });

  it('is held to the same rules as DATABASE_URL, and never shown', () => {
    expect(
      configProblems(() =>
        loadMigrating({ DATABASE_URL: URL, MIGRATION_DATABASE_URL: `${OWNER}?sslmode=prefer` }),
      ),
    ).toEqual([
      expect.stringMatching(
        /^MIGRATION_DATABASE_URL: sslmode=prefer falls back to plaintext.*\(got \(secret, not shown\)\)$/,
      ),
    ]);
    expect(
      configProblems(() =>
        loadMigrating({
          DATABASE_URL: URL,
          DATABASE_SSL_MODE: 'verify-full',
          MIGRATION_DATABASE_URL: `${OWNER}?sslmode=require`,
        }),
      ),
    ).toEqual([
      'MIGRATION_DATABASE_URL: says sslmode=require but DATABASE_SSL_MODE is verify-full: set one of them, or make them agree (got (secret, not shown))',
    ]);
  });
});
