import { pdfOfSize } from '@repo/testing';
import type { CpuClock } from './cpu-meter.ts';

/** One PDF of a round: what every subject of the round is handed. */
export interface BenchPdf {
  name: string;
  bytes: Buffer;
}

/**
 * `count` distinct text PDFs of about `bytes` each (`pdfOfSize` of @repo/testing, the generator
 * the upload tests use: ~250 pages of numbered sentences per MB). Each names its own marker, so no
 * two files of a run are the same bytes and nothing downstream can answer one from another.
 */
export function benchPdfs(count: number, bytes: number, tag: string): BenchPdf[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `${tag}-${i}.pdf`,
    bytes: pdfOfSize(bytes, `${tag}-${i}`),
  }));
}

/**
 * Uploads one file as a client does: `POST /v1/documents` with a multipart/form-data body (the
 * file and a title), which fetch streams from the Blob. Returns the new document's id; anything
 * but 202 fails the run, with the problem document the api answered.
 */
export async function uploadPdf(
  origin: string,
  auth: { authorization: string },
  pdf: BenchPdf,
): Promise<string> {
  const form = new FormData();
  form.append('title', pdf.name);
  form.append('file', new Blob([pdf.bytes], { type: 'application/pdf' }), pdf.name);
  const response = await fetch(`${origin}/v1/documents`, { method: 'POST', headers: auth, body: form });
  const text = await response.text();
  if (response.status !== 202) throw new Error(`upload of ${pdf.name}: HTTP ${response.status} ${text}`);
  const { id } = JSON.parse(text) as { id: string };
  return id;
}

/** CPU ms per document of each named process or container, since the start of a round. */
export type CpuPerDocument = Record<string, number>;

/**
 * Starts reading several CPU clocks (cpu-meter.ts: a process's /proc, a container's cgroup); the
 * returned function gives each one's CPU ms per document since then, leaving out the clocks that
 * could not be read.
 */
export function startCpuPerDocument(clocks: Record<string, CpuClock>): (documents: number) => CpuPerDocument {
  const read = () => Object.fromEntries(Object.entries(clocks).map(([name, clock]) => [name, clock()]));
  const before = read();
  return (documents) => {
    const after = read();
    const result: CpuPerDocument = {};
    for (const name of Object.keys(clocks)) {
      const start = before[name];
      const end = after[name];
      if (start !== undefined && end !== undefined) result[name] = (end - start) / documents;
    }
    return result;
  };
}

/** The mean of each key over the rounds, for the keys every round has. */
export function meanPerKey(rounds: readonly CpuPerDocument[]): CpuPerDocument {
  const mean: CpuPerDocument = {};
  const keys = Object.keys(rounds[0] ?? {});
  for (const key of keys) {
    const values = rounds.map((round) => round[key]);
    if (values.every((value) => value !== undefined)) {
      mean[key] = values.reduce((sum, value) => sum + value, 0) / values.length;
    }
  }
  return mean;
}
