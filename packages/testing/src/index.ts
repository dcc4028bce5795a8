import './provided-context.ts';

export { createTestDatabase, type TestDatabase, type TestDatabaseOptions } from './database.ts';
export { uniqueId, waitFor } from './wait.ts';
export { createTcpProxy, type TcpProxy } from './tcp-proxy.ts';
export { freePort } from './free-port.ts';
export { trickle, type TrickleOutcome } from './trickle.ts';
export {
  createTestCertificates,
  startTlsPostgres,
  type TestCertificates,
  type TlsPostgres,
} from './tls-postgres.ts';
