import './provided-context.ts';

export { createTestDatabase, type TestDatabase, type TestDatabaseOptions } from './database.ts';
export { uniqueId, waitFor } from './wait.ts';
export { createTcpProxy, type TcpProxy } from './tcp-proxy.ts';
export { captureLines, type CapturedLines } from './capture-lines.ts';
export { freePort } from './free-port.ts';
export { trickle, type TrickleOutcome } from './trickle.ts';
export {
  createTestCertificates,
  startTlsPostgres,
  type TestCertificates,
  type TlsPostgres,
} from './tls-postgres.ts';
export { createTestBucket, type TestBucket } from './object-storage.ts';
export { buildPdf, pdfOfSize, type PdfOptions } from './pdf.ts';
export { BOMB_PART, buildDocx, buildDocxBomb, type DocxParagraph } from './docx.ts';
