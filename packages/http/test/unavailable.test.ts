import { connect, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { connectionFailure } from '../src/index.ts';

/** The error a real connection attempt to `host:port` fails with. */
function connectError(host: string, port: number): Promise<Error> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      reject(new Error(`something listens on ${host}:${port}`));
    });
    socket.once('error', resolve);
  });
}

/** A port that was just free: nothing listens there now. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** What node-postgres throws for a server error: an Error with the SQLSTATE as `code`. */
const databaseError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('connectionFailure', () => {
  it('finds a refused connection, also wrapped (drizzle: cause) or aggregated (happy eyeballs)', async () => {
    const refused = await connectError('127.0.0.1', await closedPort());
    expect((refused as { code?: string }).code).toBe('ECONNREFUSED');
    expect(connectionFailure(refused)).toBe(refused);

    const wrapped = new Error('Failed query: select 1\nparams: secret', { cause: refused });
    expect(connectionFailure(wrapped)).toBe(refused);

    const aggregated = new AggregateError([refused], 'connect failed');
    expect(connectionFailure(aggregated)).toBe(refused);
  });

  it.each([
    ['connection exception (class 08)', '08006', 'connection failure'],
    ['admin shutdown', '57P01', 'terminating connection due to administrator command'],
    ['crash shutdown', '57P02', 'terminating connection due to crash of another server process'],
    ['cannot connect now', '57P03', 'the database system is starting up'],
    ['too many connections', '53300', 'sorry, too many clients already'],
    ['a reset socket', 'ECONNRESET', 'read ECONNRESET'],
    ['a name that does not resolve', 'ENOTFOUND', 'getaddrinfo ENOTFOUND postgres'],
    ['DNS that does not answer', 'EAI_AGAIN', 'getaddrinfo EAI_AGAIN postgres'],
    ['an unreachable host', 'EHOSTUNREACH', 'connect EHOSTUNREACH 10.0.0.9:5432'],
    ['a connect that timed out', 'ETIMEDOUT', 'connect ETIMEDOUT 10.0.0.9:5432'],
    ['a write to a closed socket', 'EPIPE', 'write EPIPE'],
    ['an untrusted certificate', 'SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'],
    ['an expired certificate', 'CERT_HAS_EXPIRED', 'certificate has expired'],
    [
      'a certificate for another host',
      'ERR_TLS_CERT_ALTNAME_INVALID',
      "Hostname/IP does not match certificate's altnames",
    ],
  ])('finds %s (%s)', (_case, code, message) => {
    const error = databaseError(code, message);
    expect(connectionFailure(new Error('Failed query', { cause: error }))).toBe(error);
  });

  it.each([
    'Connection terminated unexpectedly',
    'Connection terminated due to connection timeout',
    'Connection terminated',
    'timeout exceeded when trying to connect',
    'Client has encountered a connection error and is not queryable',
    'Query read timeout',
    'The server does not support SSL connections',
  ])('finds what node-postgres says without a code: %s', (message) => {
    const error = new Error(message);
    expect(connectionFailure(new Error('Failed query', { cause: error }))).toBe(error);
  });

  it("finds @repo/db's DatabaseTlsError, whatever the code it carries (28000: a server that wants TLS)", () => {
    const refused = databaseError('28000', 'no pg_hba.conf entry for host "10.0.0.2", no encryption');
    const explained = Object.assign(
      new Error('Postgres refused a connection without TLS: set DATABASE_SSL_MODE', { cause: refused }),
      {
        name: 'DatabaseTlsError',
        code: '28000',
      },
    );
    expect(connectionFailure(new Error('Failed query', { cause: explained }))).toBe(explained);
  });

  it.each([
    ['a unique violation', databaseError('23505', 'duplicate key value violates unique constraint')],
    ['a cancelled statement', databaseError('57014', 'canceling statement due to statement timeout')],
    ['a syntax error', databaseError('42601', 'syntax error at or near "selec"')],
    ['a missing file', databaseError('ENOENT', 'no such file or directory')],
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a bad connection string', new Error('Connection string is invalid: missing host')],
  ])('leaves %s alone (a 500, not a 503)', (_case, error) => {
    expect(connectionFailure(error)).toBeUndefined();
    expect(connectionFailure(new Error('wrapper', { cause: error }))).toBeUndefined();
  });

  it('leaves non-errors and endless cause chains alone', () => {
    expect(connectionFailure(undefined)).toBeUndefined();
    expect(connectionFailure('ECONNREFUSED')).toBeUndefined();
    expect(connectionFailure({ code: 'ECONNREFUSED' })).toBeUndefined();
    const loop = new Error('loop');
    loop.cause = loop;
    expect(connectionFailure(loop)).toBeUndefined();
  });
});
