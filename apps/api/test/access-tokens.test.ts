import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAccessTokenVerifier, signAccessToken } from '../src/auth/access-tokens.ts';

const SECRET = 'access-token-test-secret-'.padEnd(48, 'x');

describe('remembered verifications', () => {
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('checks the signature of a token once, not on every request', async () => {
    const signatureChecks = vi.spyOn(globalThis.crypto.subtle, 'verify');
    const verify = createAccessTokenVerifier({ secret: SECRET });
    const token = await signAccessToken({ secret: SECRET, subject: 'alice' });
    for (let i = 0; i < 5; i++) expect(await verify(token)).toEqual({ ok: true, subject: 'alice' });
    expect(signatureChecks).toHaveBeenCalledTimes(1);
  });

  it('never extends a token past its expiry', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const verify = createAccessTokenVerifier({ secret: SECRET });
    const token = await signAccessToken({ secret: SECRET, subject: 'alice', expiresInSeconds: 10 });
    expect(await verify(token)).toEqual({ ok: true, subject: 'alice' });
    // Past exp and the 5-s clock tolerance, well inside the 60 s a verification is remembered.
    vi.setSystemTime(Date.now() + 16_000);
    expect(await verify(token)).toMatchObject({ ok: false, reason: 'expired' });
  });

  it('verifies in full a token that differs in one byte from a remembered one', async () => {
    const verify = createAccessTokenVerifier({ secret: SECRET });
    const token = await signAccessToken({ secret: SECRET, subject: 'alice' });
    expect(await verify(token)).toEqual({ ok: true, subject: 'alice' });
    // A character inside the signature, where all six bits are data: the last one of a 32-byte
    // HMAC carries two padding bits, so changing it can decode to the same signature (flaky).
    const at = token.length - 10;
    const changed = token[at] === 'A' ? 'g' : 'A';
    const tampered = `${token.slice(0, at)}${changed}${token.slice(at + 1)}`;
    expect(await verify(tampered)).toMatchObject({ ok: false, reason: 'invalid' });
    // Same claims, signed with another secret: refused although the claims were seen before.
    const forged = await signAccessToken({ secret: 'another-secret-'.padEnd(48, 'y'), subject: 'alice' });
    expect(await verify(forged)).toMatchObject({ ok: false, reason: 'invalid' });
  });

  it('remembers refusals never, and only as many tokens as it is allowed to', async () => {
    const signatureChecks = vi.spyOn(globalThis.crypto.subtle, 'verify');
    const verify = createAccessTokenVerifier({ secret: SECRET, verifiedMax: 2 });
    const forged = await signAccessToken({ secret: 'another-secret-'.padEnd(48, 'y'), subject: 'bob' });
    await verify(forged);
    await verify(forged);
    expect(signatureChecks).toHaveBeenCalledTimes(2);

    signatureChecks.mockClear();
    const tokens = await Promise.all(
      ['a', 'b', 'c'].map((subject) => signAccessToken({ secret: SECRET, subject })),
    );
    for (const token of tokens) await verify(token);
    // The oldest of the three was dropped to keep two: it is verified again.
    await verify(tokens[0]!);
    expect(signatureChecks).toHaveBeenCalledTimes(4);
  });
});
