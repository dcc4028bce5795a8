import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export interface SlowRequest {
  /** Written at once: the request line and headers, possibly incomplete (no blank line yet). */
  head: string;
  /** Then written one piece at a time, `gapMs` apart, until the server answers or closes. */
  trickle: string[];
  gapMs: number;
}

export interface SlowResult {
  /** The status line's code, or undefined when the connection closed without an answer. */
  status: number | undefined;
  body: string;
  /** From the first byte written to the first byte of the answer (or to the close). */
  ms: number;
  /** How many trickled pieces were written before the answer. */
  written: number;
}

/**
 * A client that sends its request slowly, over a raw socket (fetch cannot pause mid-request): the
 * attack a load balancer's request timeouts are for. Resolves at the first byte of the answer,
 * then closes the socket.
 */
export function slowRequest(port: number, request: SlowRequest): Promise<SlowResult> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const started = performance.now();
    let answered = false;
    let written = 0;
    let received = '';

    const finish = () => {
      if (answered) return;
      answered = true;
      // Give the rest of a short answer (a problem body) a moment to arrive with its headers.
      setTimeout(() => {
        const status = /^HTTP\/1\.1 (\d{3}) /.exec(received)?.[1];
        socket.destroy();
        resolve({
          status: status === undefined ? undefined : Number(status),
          body: received.slice(received.indexOf('\r\n\r\n') + 4),
          ms: Math.round(performance.now() - started),
          written,
        });
      }, 200);
    };
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
      finish();
    });
    socket.on('close', finish);
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // A reset after the answer is the server refusing the rest of the body: not a failure.
      if (!answered && received === '') reject(error);
    });
    const trickle = async () => {
      socket.write(request.head);
      for (const piece of request.trickle) {
        await sleep(request.gapMs);
        if (answered || socket.destroyed) return;
        socket.write(piece);
        written++;
      }
    };
    socket.on('connect', () => void trickle());
  });
}
