import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { GptEncoding } from 'gpt-tokenizer/GptEncoding';

/**
 * How many of o200k_base's ~200k byte-pair merges the estimate uses: its first (most frequent)
 * 100,000. Byte-pair encoding merges the lowest-ranked adjacent pair until none is in the table;
 * with only the first N ranks it performs the same merges in the same order and stops where the
 * full table would go on merging (each merge removes a token). So the count is never below the
 * real o200k count — an upper bound, never an underestimate of what history costs — and it
 * exceeds it by 2–4 % on English prose, code and JSON, 7–28 % on other scripts (CJK, Cyrillic,
 * Arabic, Devanagari: test/tokens.test.ts).
 * The whole table costs the process ~57 MiB of RSS and ~0.4–0.8 s of CPU at start-up (a 2.4 MB
 * JavaScript array literal parsed); the first 100,000 ranks read from the package's .tiktoken
 * file cost ~24 MiB RSS (7 MiB of heap) and ~0.2 s (tests/bench/README.md, the agent's memory).
 */
export const MERGE_RANKS_USED = 100_000;

/** The first `count` ranks of o200k_base: the token's text, or its bytes when not valid UTF-8. */
function loadMergeRanks(count: number): Array<string | number[]> {
  // gpt-tokenizer exports its raw `.tiktoken` data (one `<base64 bytes> <rank>` line per token).
  const path = createRequire(import.meta.url).resolve('gpt-tokenizer/data/o200k_base.tiktoken');
  const lines = readFileSync(path, 'latin1');
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const ranks: Array<string | number[]> = new Array<string | number[]>(count);
  let at = 0;
  for (let rank = 0; rank < count; rank++) {
    const space = lines.indexOf(' ', at);
    const end = lines.indexOf('\n', space);
    if (space === -1 || end === -1 || Number(lines.slice(space + 1, end)) !== rank) {
      throw new Error(`${path}: expected rank ${rank} on line ${rank + 1}`);
    }
    const bytes = Buffer.from(lines.slice(at, space), 'base64');
    try {
      ranks[rank] = utf8.decode(bytes);
    } catch {
      ranks[rank] = [...bytes];
    }
    at = end + 1;
  }
  return ranks;
}

const encoding = GptEncoding.getEncodingApi('o200k_base', () => loadMergeRanks(MERGE_RANKS_USED));
// `<|endoftext|>` and the other special tokens, spelled in a message, are text like any other and
// counted as such: by default gpt-tokenizer throws on them, which failed the turn of whoever sent one.
const asText = { disallowedSpecial: new Set<string>() };

/**
 * Token estimates for budgeting history: an upper bound of the o200k_base count (the GPT-4o/4.1/
 * o-series encoding; see MERGE_RANKS_USED), used for every provider. Anthropic and Google
 * tokenize differently, so this is an estimate there and the budget should keep a margin below
 * the model's context window. What a call really cost is taken from the provider's reported usage
 * and stored on the message.
 */
export function estimateTokens(text: string): number {
  // Per-message framing (role, separators) costs a few tokens in every chat format.
  return encoding.countTokens(text, asText) + 4;
}
