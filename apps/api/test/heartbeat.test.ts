import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { HEARTBEAT, withHeartbeat } from '../src/agent/heartbeat.ts';

/** withHeartbeat on its own: where a heartbeat may go in a relayed stream, and where not. */

const INTERVAL_MS = 50;
const PAUSE_MS = 6 * INTERVAL_MS;

async function collect(source: AsyncIterable<Buffer>): Promise<string[]> {
  const out: string[] = [];
  for await (const chunk of withHeartbeat(source, INTERVAL_MS)) out.push(chunk.toString());
  return out;
}

const beat = HEARTBEAT.toString();

describe('withHeartbeat', () => {
  it('beats while the source is silent before its first chunk and between whole events', async () => {
    async function* source() {
      await sleep(PAUSE_MS);
      yield Buffer.from('event: a\ndata: 1\n\n');
      await sleep(PAUSE_MS);
      yield Buffer.from('event: b\ndata: 2\n\n');
    }
    const out = await collect(source());
    const first = out.indexOf('event: a\ndata: 1\n\n');
    const second = out.indexOf('event: b\ndata: 2\n\n');
    expect(out.slice(0, first).length).toBeGreaterThanOrEqual(2);
    expect(out.slice(first + 1, second).length).toBeGreaterThanOrEqual(2);
    expect(out.filter((chunk) => !chunk.startsWith('event:')).every((chunk) => chunk === beat)).toBe(true);
    expect(out.at(-1)).toBe('event: b\ndata: 2\n\n');
  });

  it('never beats inside an event that arrives in pieces, even across a long pause', async () => {
    async function* source() {
      yield Buffer.from('event: a\ndata: {"text":');
      await sleep(PAUSE_MS);
      yield Buffer.from('"split"}\n');
      await sleep(PAUSE_MS);
      yield Buffer.from('\n');
      await sleep(PAUSE_MS);
    }
    const out = await collect(source());
    const end = out.indexOf('\n');
    expect(out.slice(0, end + 1)).toEqual(['event: a\ndata: {"text":', '"split"}\n', '\n']);
    // After the blank line that ends the event, the silence gets its heartbeats again.
    expect(out.slice(end + 1).length).toBeGreaterThanOrEqual(2);
    expect(out.slice(end + 1).every((chunk) => chunk === beat)).toBe(true);
  });

  it('passes a failure of the source on, and stops reading when its consumer stops', async () => {
    async function* failing() {
      yield Buffer.from('event: a\ndata: 1\n\n');
      throw new Error('broke off');
    }
    await expect(collect(failing())).rejects.toThrow('broke off');

    let finished = false;
    async function* endless() {
      try {
        for (;;) {
          yield Buffer.from('data: x\n\n');
          await sleep(1);
        }
      } finally {
        finished = true;
      }
    }
    for await (const chunk of withHeartbeat(endless(), INTERVAL_MS)) {
      expect(chunk.toString()).toBe('data: x\n\n');
      break;
    }
    expect(finished).toBe(true);
  });
});
