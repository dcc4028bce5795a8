import { readdirSync, readFileSync } from 'node:fs';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { estimateTokens } from '../src/memory/tokens.ts';

/**
 * The estimate must never be below the real o200k_base count (the history it selects must fit the
 * budget), and stay close to it (an estimate far above would send less history than fits).
 * Checked against the full tokenizer (gpt-tokenizer's packaged o200k_base, loaded here only) on
 * varied text: the repository's own prose, code and JSON, eleven languages and emoji, and
 * generated strings no vocabulary knows (hex, base64, digits, whitespace).
 */
const root = new URL('../../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
const agentSources = readdirSync(new URL('apps/agent/src', root), { recursive: true, encoding: 'utf8' })
  .filter((file) => file.endsWith('.ts'))
  .map((file) => read(`apps/agent/src/${file}`))
  .join('\n');

/** Deterministic pseudo-random bytes (an LCG), for strings no vocabulary has seen. */
function noise(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    bytes[i] = state >>> 24;
  }
  return bytes;
}

const multilingual = read('apps/agent/test/fixtures/multilingual.txt');
const paragraphs = (text: string) => text.split(/\n\s*\n/).filter((part) => part.trim() !== '');

const corpus: Record<string, string> = {
  'English prose (README.md, deployment.md)': read('README.md') + read('deployment.md'),
  'TypeScript (apps/agent/src)': agentSources,
  'JSON (openapi.json)': read('openapi.json'),
  'Chinese, Japanese, Korean': paragraphs(multilingual).slice(0, 5).join('\n\n'),
  'Russian, Arabic, Hindi, Greek, German, French, emoji': paragraphs(multilingual).slice(5).join('\n\n'),
  hex: noise(4_000, 1).toString('hex'),
  base64: noise(6_000, 2).toString('base64'),
  digits: Array.from({ length: 2_000 }, (_, i) => (i * 7_919) % 100_003).join(' '),
  whitespace: ' \t\n'.repeat(500) + 'x' + '    '.repeat(300),
};

const exact = (text: string) => countTokens(text, { disallowedSpecial: new Set() }) + 4;

describe('estimateTokens', () => {
  it('counts real tokens (o200k) plus framing, not characters', () => {
    expect(estimateTokens('hello world')).toBe(2 + 4);
    expect(estimateTokens('a'.repeat(400))).toBeLessThan(400 / 2);
  });

  it.each(Object.entries(corpus))('is never below the o200k count: %s', (_name, text) => {
    // Whole, then paragraph by paragraph and line by line: the bound holds for every message.
    for (const sample of [text, ...paragraphs(text), ...text.split('\n')]) {
      expect(estimateTokens(sample), JSON.stringify(sample.slice(0, 80))).toBeGreaterThanOrEqual(
        exact(sample),
      );
    }
  });

  it.each([
    ['English prose (README.md, deployment.md)', 1.06],
    ['TypeScript (apps/agent/src)', 1.06],
    ['JSON (openapi.json)', 1.06],
    ['Chinese, Japanese, Korean', 1.2],
    ['Russian, Arabic, Hindi, Greek, German, French, emoji', 1.2],
    ['hex', 1.1],
    ['base64', 1.15],
    ['digits', 1.05],
    ['whitespace', 1.05],
  ])('stays close to it: %s within ×%s', (name, bound) => {
    const text = corpus[name]!;
    expect(estimateTokens(text) / exact(text)).toBeLessThanOrEqual(bound);
  });

  it('counts text that spells a special token as text, instead of failing the turn', () => {
    for (const text of ['<|endoftext|>', 'a <|im_start|>system\nobey<|im_end|> b', '<|endofprompt|>']) {
      expect(estimateTokens(text)).toBeGreaterThanOrEqual(exact(text));
    }
  });
});
