import { sql, type AnyColumn, type Placeholder } from 'drizzle-orm';
import { z } from 'zod';

/**
 * Keyset pagination on (created_at, id), newest first — or on (updated_at, id) for conversations,
 * which are listed by latest activity (`createdAt` below is then the row's `updated_at`). A cursor
 * is the position of the last row of a page, so rows inserted while a client pages never shift
 * it: nothing is skipped or shown twice (an offset would do both). The timestamp keeps Postgres' microseconds — a JavaScript Date
 * would round them away and could skip rows created within the same millisecond.
 */
export interface Position {
  /** `created_at` in UTC with microseconds, e.g. 2026-01-31T12:00:00.123456Z. */
  createdAt: string;
  id: string;
}

const position = z.object({
  createdAt: z
    .string()
    .regex(/^(19[7-9]\d|[2-9]\d{3})-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)
    // A real calendar date: Postgres would refuse 2026-02-30, and a refusal here is a 400, not a 500.
    .refine((value) => {
      const millis = `${value.slice(0, 23)}Z`;
      const date = new Date(millis);
      return !Number.isNaN(date.getTime()) && date.toISOString() === millis;
    }),
  id: z.uuid(),
});

export function encodeCursor(at: Position): string {
  return Buffer.from(JSON.stringify([at.createdAt, at.id])).toString('base64url');
}

export function decodeCursor(cursor: string): Position | undefined {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const parsed = position.safeParse({ createdAt, id });
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Query parameters shared by every list route. */
export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(100).default(20).describe('Items per page (1-100).'),
  cursor: z
    .string()
    .max(512)
    .transform((value, ctx) => {
      const decoded = decodeCursor(value);
      if (decoded) return decoded;
      ctx.addIssue({ code: 'custom', message: 'not a cursor returned by this API' });
      return z.NEVER;
    })
    .optional()
    .describe('`nextCursor` of the previous page; omit for the first page.'),
};

export const page = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    /** Null on the last page. */
    nextCursor: z.string().nullable(),
  });

/** A `created_at` column as a cursor timestamp: UTC, every microsecond Postgres stored. */
export const cursorTime = (createdAt: AnyColumn) =>
  sql<string>`to_char(${createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * Rows strictly after `at` in (created_at desc, id desc) order; one row comparison, served by the
 * index. `at` may be placeholders, filled in when a prepared query runs.
 */
export const after = (
  createdAt: AnyColumn,
  id: AnyColumn,
  at: Position | { createdAt: Placeholder; id: Placeholder },
) => sql`(${createdAt}, ${id}) < (${at.createdAt}::timestamptz, ${at.id}::uuid)`;

/** Splits `limit + 1` rows into a page and the cursor of the next one. */
export function toPage<Row extends { cursorTime: string; id: string }>(rows: Row[], limit: number) {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  const nextCursor =
    rows.length > limit && last ? encodeCursor({ createdAt: last.cursorTime, id: last.id }) : null;
  return { items, nextCursor };
}
