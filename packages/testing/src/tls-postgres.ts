import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { publishedPort, runCompose, TEST_PROJECT, type ComposeProject } from './compose-services.ts';

const run = promisify(execFile);

export interface TlsPostgres {
  /** `postgres://keelson:keelson@localhost:<port>/keelson`: the host the certificate names. */
  url: string;
  /** The same server as `127.0.0.1`, an address the certificate does not name. */
  ipUrl: string;
  /** The CA that signed the server's certificate (PEM). */
  ca: string;
  /** A CA that signed nothing of this server's (PEM): a wrong bundle. */
  otherCa: string;
  /** Stops the server and removes its volume and certificates. */
  stop(): Promise<void>;
}

/**
 * The certificates of one run, made with the openssl command line: a CA, a server certificate
 * for `localhost` signed by it, and an unrelated CA. Short-lived, and never reused.
 */
const OPENSSL_CONFIG = `
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

export interface TestCertificates {
  /** Holds ca.crt, other-ca.crt, server.crt and server.key (readable by anyone: test keys). */
  dir: string;
  /** The CA that signed server.crt (PEM). */
  ca: string;
  /** A CA that signed nothing here (PEM). */
  otherCa: string;
}

/** Fresh certificates in a new temporary folder; remove `dir` when done. */
export async function createTestCertificates(): Promise<TestCertificates> {
  const dir = await mkdtemp(join(tmpdir(), 'keelson-tls-'));
  await makeCertificates(dir);
  return {
    dir,
    ca: await readFile(join(dir, 'ca.crt'), 'utf8'),
    otherCa: await readFile(join(dir, 'other-ca.crt'), 'utf8'),
  };
}

async function makeCertificates(dir: string): Promise<void> {
  await writeFile(join(dir, 'openssl.cnf'), OPENSSL_CONFIG);
  // Each command is one line of words (no argument has a space), run in `dir`.
  const openssl = (command: string) => run('openssl', command.split(' '), { cwd: dir });
  const newKey = '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes';
  for (const ca of ['ca', 'other-ca']) {
    await openssl(
      `req -x509 -config openssl.cnf -extensions ca ${newKey} -keyout ${ca}.key -out ${ca}.crt -days 2 -subj /CN=keelson-test-${ca}`,
    );
  }
  await openssl(
    `req -new -config openssl.cnf ${newKey} -keyout server.key -out server.csr -subj /CN=localhost`,
  );
  await openssl(
    'x509 -req -in server.csr -CA ca.crt -CAkey ca.key -set_serial 1 -days 2 -extfile openssl.cnf -extensions server -out server.crt',
  );
  // Read by the container's init script, whichever user it runs as; it installs its own 0600 copy.
  await chmod(join(dir, 'server.key'), 0o644);
}

/**
 * Postgres from the project's compose.yaml with TLS on and plaintext refused (the override
 * postgres-tls/compose.tls.yaml), in a compose project of its own named after `label`, on a free
 * loopback port. Each call starts a fresh server; `stop()` removes it.
 */
export async function startTlsPostgres(label: string): Promise<TlsPostgres> {
  const { dir, ca, otherCa } = await createTestCertificates();
  const target: ComposeProject = {
    project: `${TEST_PROJECT}-tls-${label}`.toLowerCase().replace(/[^a-z0-9_-]/g, '-'),
    overrides: ['packages/testing/postgres-tls/compose.tls.yaml'],
    env: { KEELSON_TEST_TLS_DIR: dir },
  };
  const stop = async () => {
    await runCompose(target, 'down', '--volumes', '--remove-orphans');
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // A leftover of an interrupted run must not hold the project (or serve old certificates).
    await runCompose(target, 'down', '--volumes', '--remove-orphans');
    await runCompose(target, 'up', '--detach', '--wait', '--wait-timeout', '120', 'postgres');
    const port = await publishedPort(target, 'postgres', 5432);
    return {
      url: `postgres://keelson:keelson@localhost:${port}/keelson`,
      ipUrl: `postgres://keelson:keelson@127.0.0.1:${port}/keelson`,
      ca,
      otherCa,
      stop,
    };
  } catch (error) {
    await stop().catch(() => {});
    throw error;
  }
}
