import { splitText, type SplitOptions } from '../../../apps/task-runner/src/ingestion/text-splitter.ts';
import { percentile } from './stats.ts';

/** 1 MB of text of each shape, including the ones that defeat a splitter (millions of tiny pieces). */
export const SPLITTER_INPUTS: Record<string, string> = {
  prose: 'Prose explains one idea in a few sentences. It has a second one, and a third!\n\n',
  "'a ' repeated": 'a ',
  "'a\\n' repeated": 'a\n',
  "'a. ' repeated": 'a. ',
  "'ab' + no-break space": 'ab\u00a0',
  'paragraphs of one word': 'word\n\n',
  'one word, no separator': 'x',
  'mixed whitespace': 'ab \t\n cd\n\n  \n',
};

export interface SplitterTiming {
  input: string;
  bytes: number;
  chunks: number;
  /** The first split of this input in this process (the code may be warm from other inputs). */
  firstMs: number;
  /** Over the runs after the first: wall time, and this process's CPU time (less moved by other work). */
  medianMs: number;
  medianCpuMs: number;
}

const MEGABYTE = 1 << 20;

/**
 * splitText on 1 MB of each input with the runner's default chunking (CHUNK_SIZE 1000, overlap
 * 150), timed in this process: printed, never asserted (test/text-splitter-scaling.test.ts in the
 * task-runner proves linearity by counting operations instead).
 */
export function measureSplitter(options: SplitOptions, runs = 5): SplitterTiming[] {
  return Object.entries(SPLITTER_INPUTS).map(([input, unit]) => {
    const text = unit.repeat(Math.ceil(MEGABYTE / unit.length)).slice(0, MEGABYTE);
    const wall: number[] = [];
    const cpu: number[] = [];
    let chunks = 0;
    for (let run = 0; run <= runs; run++) {
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      chunks = splitText(text, options).length;
      wall.push(performance.now() - started);
      const { user, system } = process.cpuUsage(cpuBefore);
      cpu.push((user + system) / 1_000);
    }
    const median = (values: number[]) => percentile(Float64Array.from(values.slice(1)).sort(), 50);
    return {
      input,
      bytes: MEGABYTE,
      chunks,
      firstMs: wall[0]!,
      medianMs: median(wall),
      medianCpuMs: median(cpu),
    };
  });
}
