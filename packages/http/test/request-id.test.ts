import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { requestIdOptions, requestIdPlugin } from '../src/index.ts';

async function app() {
  const instance = Fastify({ ...requestIdOptions });
  await instance.register(requestIdPlugin);
  instance.get('/id', async (request) => ({ id: request.id }));
  instance.get('/fail', async () => {
    throw new Error('boom');
  });
  return instance;
}

describe('request ids', () => {
  it('keeps a well-formed incoming id, for the handler and on the response', async () => {
    const response = await (await app()).inject({ url: '/id', headers: { 'x-request-id': 'lb-7f3a-01' } });
    expect(response.json()).toEqual({ id: 'lb-7f3a-01' });
    expect(response.headers['x-request-id']).toBe('lb-7f3a-01');
  });

  it.each([
    ['none', undefined],
    ['too long', 'a'.repeat(65)],
    ['with characters unsafe in a log line', 'id\u001b[31m'],
    ['with spaces', 'two words'],
    ['empty', ''],
  ])('replaces %s with a new UUID', async (_case, incoming) => {
    const response = await (
      await app()
    ).inject({ url: '/id', headers: incoming === undefined ? {} : { 'x-request-id': incoming } });
    const id = response.json<{ id: string }>().id;
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(response.headers['x-request-id']).toBe(id);
  });

  it('names the id on error responses too', async () => {
    const response = await (await app()).inject({ url: '/fail', headers: { 'x-request-id': 'abc-123' } });
    expect(response.statusCode).toBe(500);
    expect(response.headers['x-request-id']).toBe('abc-123');
  });
});
