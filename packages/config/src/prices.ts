import { z } from 'zod';

/** USD per million tokens, each way. */
const price = z.strictObject({
  input: z.number().finite().min(0, 'a price cannot be negative').max(10_000),
  output: z.number().finite().min(0, 'a price cannot be negative').max(10_000),
});

export type ModelPrice = z.infer<typeof price>;
/** `<provider>:<model>` → its price; a model not in it is not priced. */
export type PriceTable = ReadonlyMap<string, ModelPrice>;

const MODEL_KEY = /^[a-z0-9-]+:.+$/;

/**
 * MODEL_PRICES: a JSON object of `"<provider>:<model>": {"input": …, "output": …}` in USD per
 * million tokens, e.g. `{"openai:gpt-4.1-mini": {"input": 0.4, "output": 1.6}}`. The project ships
 * no prices (they change, and differ per contract): a model left out costs `null` — unknown,
 * never 0, so an unpriced model cannot pass for a free one.
 */
export const modelPrices = {
  MODEL_PRICES: z
    .string()
    .transform((value, context): PriceTable => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        context.addIssue({ code: 'custom', message: 'expected JSON' });
        return z.NEVER;
      }
      const table = priceTable.safeParse(parsed);
      if (!table.success) {
        // parseEnv names only the variable: say where inside the JSON, or a long table is a hunt.
        for (const issue of table.error.issues) {
          const at = issue.path.map((part) => JSON.stringify(part)).join('.');
          context.addIssue({ code: 'custom', message: at ? `${at}: ${issue.message}` : issue.message });
        }
        return z.NEVER;
      }
      return new Map(Object.entries(table.data));
    })
    .default(new Map()),
};

const priceTable = z.record(z.string(), price).superRefine((table, context) => {
  for (const key of Object.keys(table).filter((key) => !MODEL_KEY.test(key))) {
    context.addIssue({
      code: 'custom',
      path: [key],
      message: 'keys are <provider>:<model>, e.g. "openai:gpt-4.1-mini"',
    });
  }
});

/**
 * What a model call cost in USD, or null when the model has no price: tokens × price per
 * million, each way, rounded to the 10 decimals the usage table keeps.
 */
export function costOf(
  prices: PriceTable,
  call: { provider: string; model: string; inputTokens: number; outputTokens: number },
): number | null {
  const known = prices.get(`${call.provider}:${call.model}`);
  if (!known) return null;
  const cost = (call.inputTokens * known.input + call.outputTokens * known.output) / 1_000_000;
  return Math.round(cost * 1e10) / 1e10;
}
