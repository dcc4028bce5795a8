/**
 * A fresh Idempotency-Key: 128 random bits as hex. Not crypto.randomUUID(), which browsers offer
 * only in secure contexts (HTTPS or localhost), and a console on a plain-HTTP internal address
 * must work too; getRandomValues is available everywhere.
 */
export function idempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
