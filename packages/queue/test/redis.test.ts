import { describe, expect, it } from 'vitest';
import { isConnectionError, redisOptions } from '../src/index.ts';

describe('the Redis helpers', () => {
  it('tells "Redis is unreachable" apart from real errors', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' });
    expect(isConnectionError(refused)).toBe(true);
    expect(isConnectionError(new Error('Connection is closed.'))).toBe(true);
    expect(
      isConnectionError(new Error("Stream isn't writeable and enableOfflineQueue options is false")),
    ).toBe(true);
    expect(isConnectionError(new Error('ERR unknown command'))).toBe(false);
    expect(isConnectionError('ECONNREFUSED')).toBe(false);
  });

  it('gives workers a connection that waits and producers one that fails fast', () => {
    expect(redisOptions('worker')).toMatchObject({ maxRetriesPerRequest: null });
    expect(redisOptions('producer')).toMatchObject({ enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  });
});
