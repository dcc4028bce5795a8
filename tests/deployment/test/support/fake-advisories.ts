import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One advisory as the registry's bulk endpoint returns it. */
export interface Advisory {
  ghsa: string;
  severity: 'low' | 'moderate' | 'high' | 'critical';
  vulnerableVersions: string;
}

/**
 * A stand-in for the npm registry's advisory database (POST /-/npm/v1/security/advisories/bulk),
 * which `pnpm audit` asks and which this environment's registry does not serve (it answers 405).
 * It reports `advisories` by package name, and records what each audit asked about.
 */
export class FakeAdvisories {
  readonly asked: Record<string, string[]>[] = [];
  private readonly server: Server;
  private advisories: Record<string, Advisory[]> = {};

  private constructor() {
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        if (request.method === 'POST' && request.url?.endsWith('/-/npm/v1/security/advisories/bulk')) {
          const asked = JSON.parse(body) as Record<string, string[]>;
          this.asked.push(asked);
          const answer = Object.fromEntries(
            Object.entries(this.advisories)
              .filter(([name]) => name in asked)
              .map(([name, list]) => [
                name,
                list.map((advisory, index) => ({
                  id: index + 1,
                  url: `https://github.com/advisories/${advisory.ghsa}`,
                  title: `${advisory.severity} advisory of ${name}`,
                  severity: advisory.severity,
                  vulnerable_versions: advisory.vulnerableVersions,
                  cwe: [],
                  cvss: { score: 0, vectorString: null },
                })),
              ]),
          );
          response.setHeader('content-type', 'application/json');
          response.end(JSON.stringify(answer));
          return;
        }
        // Package metadata (pnpm asks for publish times to correct patched versions): none here.
        response.statusCode = 404;
        response.end('{}');
      });
    });
  }

  static async start(): Promise<FakeAdvisories> {
    const fake = new FakeAdvisories();
    await new Promise<void>((resolve) => fake.server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/`;
  }

  report(advisories: Record<string, Advisory[]>): void {
    this.advisories = advisories;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
