// The api exactly as its own tests build it (production factory, real config parsing, real
// Postgres and Redis), and its fixtures: one definition of "an api under test" for the repository.
import { createTestApp, type TestApp } from '../../../apps/api/test/support/test-app.ts';
import { insertDocument } from '../../../apps/api/test/support/fixtures.ts';

export interface ApiTarget {
  url: string;
  /** `Authorization` header of a user who owns `documents` documents. */
  auth: { authorization: string };
  documents: number;
  close(): Promise<void>;
}

const OWNER = 'bench-owner';

/**
 * The api listening on loopback, with `documents` documents of one owner (more than one page of
 * 20, so a page is full). The rate limit is raised out of reach: it is per owner, and every request
 * of a run is one owner's; the limiter's Redis round trip is still made on every request.
 */
export async function startApi(documents = 50): Promise<ApiTarget> {
  const api: TestApp = await createTestApp({ env: { RATE_LIMIT_MAX: '1000000' } });
  try {
    for (let i = 0; i < documents; i++) {
      await insertDocument(api.db, OWNER, `Document ${i}`, [
        `The first passage of document ${i}.`,
        `The second passage of document ${i}.`,
      ]);
    }
    const auth = await api.auth(OWNER);
    const url = await api.app.listen({ host: '127.0.0.1', port: 0 });
    return { url, auth, documents, close: () => api.close() };
  } catch (error) {
    await api.close();
    throw error;
  }
}
