import { describe, expect, it } from 'vitest';
import { UPLOAD_SUBJECTS, uploadRows, type UploadRound } from '../src/upload-bench.ts';
import { meanPerKey, startCpuPerDocument } from '../src/upload-files.ts';

const round = (documentsPerSecond: number, cpuMsPerDocument = {}): UploadRound => ({
  elapsedMs: 8_000 / documentsPerSecond,
  documentsPerSecond,
  megabytesPerSecond: documentsPerSecond * 1.06,
  cpuMsPerDocument,
});

// The upload row's arithmetic, without a stack: the ratio is taken round by round against the
// lower of that round's two baselines, whichever it is.
describe('uploadRows', () => {
  it('divides upload → ready by the lower baseline of each round, and by each baseline', () => {
    const storage = [round(10), round(0.2), round(20)];
    const converter = [round(0.5), round(1), round(0.4)];
    const upload = [round(0.25), round(0.1), round(0.4)];
    const [s, c, u] = uploadRows(storage, converter, upload);

    expect([s!.name, c!.name, u!.name]).toEqual(Object.values(UPLOAD_SUBJECTS));
    expect(s!.ratio.documentsPerSecond).toEqual({ median: 1, min: 1, max: 1 });
    // Lower baselines: 0.5 (converter), 0.2 (storage), 0.4 (converter) → 0.5, 0.5, 1.
    expect(u!.ratio.documentsPerSecond).toEqual({ median: 0.5, min: 0.5, max: 1 });
    expect(u!.ratio.vsConverter).toEqual({ median: 0.5, min: 0.1, max: 1 });
    expect(u!.ratio.vsStorage!.median).toBeCloseTo(0.025);
  });

  it('divides the CPU per document of every process upload → ready crossed by the converter’s', () => {
    const converter = [round(1, { bench: 1_000 }), round(1, { bench: 800 })];
    const upload = [
      round(1, { api: 50, 'task-runner': 1_050, postgres: 200 }),
      round(1, { api: 40, 'task-runner': 960 }),
    ];
    const [, , u] = uploadRows([round(1), round(1)], converter, upload);
    expect(u!.ratio.cpuVsConverter).toEqual({ median: 1.275, min: 1.25, max: 1.3 });
  });

  it('reports every round’s documents over their total time, and the mean CPU per document', () => {
    const upload = [round(0.5, { api: 40, redis: 10 }), round(0.25, { api: 60 })];
    const [, , u] = uploadRows([round(1), round(1)], [round(1), round(1)], upload);
    // 8 documents in 16 s, then 8 in 32 s: 16 in 48 s.
    expect(u!.documentsPerSecond).toBeCloseTo(16 / 48);
    expect(u!.megabytesPerSecond).toBeCloseTo((16 * 1.06) / 48);
    // Redis could not be read in the second round: left out rather than averaged over one.
    expect(u!.cpuMsPerDocument).toEqual({ api: 50 });
  });
});

describe('startCpuPerDocument', () => {
  it('gives each clock’s CPU ms per document since the start, leaving out clocks it cannot read', () => {
    let api = 100;
    const measure = startCpuPerDocument({ api: () => api, gone: () => undefined });
    api = 400;
    expect(measure(3)).toEqual({ api: 100 });
  });

  it('averages per key', () => {
    expect(
      meanPerKey([
        { a: 1, b: 2 },
        { a: 3, b: 4 },
      ]),
    ).toEqual({ a: 2, b: 3 });
    expect(meanPerKey([])).toEqual({});
  });
});
