import { connect } from 'node:net';

export interface TrickleOutcome {
  /** What the server answered, if anything. */
  response: string;
  /** Who ended the connection: the server, or this client once it had sent everything. */
  closedBy: 'server' | 'client';
  /** How many bytes of `trickled` had been written when the connection ended. */
  trickledBytes: number;
}

/**
 * A slow client: writes `head` at once, then `trickled` one byte every `everyMs`, and reports
 * how far it got before the server answered and closed the connection (or it ran out of bytes
 * and waited for the answer).
 */
export function trickle(options: {
  port: number;
  head: string;
  trickled: string;
  everyMs: number;
}): Promise<TrickleOutcome> {
  return new Promise((resolve, reject) => {
    const socket = connect(options.port, '127.0.0.1');
    const bytes = Buffer.from(options.trickled);
    let sent = 0;
    let response = '';
    let timer: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      if (options.head) socket.write(options.head);
      timer = setInterval(() => {
        if (sent >= bytes.length) {
          clearInterval(timer);
          return;
        }
        socket.write(bytes.subarray(sent, sent + 1));
        sent += 1;
      }, options.everyMs);
    });
    socket.on('data', (chunk) => {
      response += chunk.toString('latin1');
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // The server closing while a byte is on its way: the outcome is reported on 'close'.
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') reject(error);
    });
    socket.on('close', () => {
      clearInterval(timer);
      resolve({ response, closedBy: sent < bytes.length ? 'server' : 'client', trickledBytes: sent });
    });
    // Everything sent and answered: this client closes (a keep-alive server would not).
    socket.on('data', () => {
      if (sent >= bytes.length && /\r\n\r\n/.test(response)) setTimeout(() => socket.end(), 200);
    });
  });
}
