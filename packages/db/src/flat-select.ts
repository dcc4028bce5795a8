import { Column, is, SQL, type DriverValueDecoder, type Query } from 'drizzle-orm';
import type { Database } from './client.ts';

/** What `prepareFlatSelect` needs of a drizzle select: its SQL and its (flat) selection. */
export interface FlatSelect<TRow> extends PromiseLike<TRow[]> {
  toSQL(): Query;
  readonly _: { readonly selectedFields: Record<string, unknown> };
}

export interface PreparedFlatSelect<TRow> {
  execute(placeholders?: Record<string, unknown>): Promise<TRow[]>;
}

/**
 * A select prepared as drizzle's `.prepare(name)` prepares it — a named statement on drizzle's own
 * session, with its type parsers, tracing and logger — whose rows are decoded by a mapping built
 * once from the selection. Drizzle's own mapping walks every cell of every row (`mapResultRow`: an
 * `is()` class check and a path walk per cell), ~40 µs of CPU per 20-row page of documents, 7 % of
 * the api's time on its hottest read (tests/bench/README.md). Same values: each column is decoded
 * by the decoder drizzle would use (a timestamp column's `Date`, `sql<T>`'s `mapWith`).
 *
 * For flat selections only (`{ id: table.id, n: sql<number>`...` }`): a nested object or a joined
 * table that may be null is what drizzle's general mapping is for, and is refused here.
 */
export function prepareFlatSelect<TRow>(
  db: Database,
  select: FlatSelect<TRow>,
  name: string,
): PreparedFlatSelect<TRow> {
  const keys: string[] = [];
  const decoders: DriverValueDecoder<unknown, unknown>[] = [];
  for (const [key, field] of Object.entries(select._.selectedFields)) {
    keys.push(key);
    decoders.push(decoderOf(key, field));
  }
  const width = keys.length;
  const mapRows = (rows: unknown[][]): TRow[] => {
    const mapped = new Array<TRow>(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      const result: Record<string, unknown> = {};
      for (let c = 0; c < width; c++) {
        const value = row[c];
        result[keys[c]!] = value === null ? null : decoders[c]!.mapFromDriverValue(value);
      }
      mapped[r] = result as TRow;
    }
    return mapped;
  };
  // Rows arrive as arrays (`rowMode: 'array'`, in the selection's order, which is the select
  // list's: drizzle renders it from the same entries) and go to `mapRows` instead of drizzle's.
  const prepared = db._.session.prepareQuery<{ execute: TRow[]; all: never; values: never }>(
    select.toSQL(),
    undefined,
    name,
    true,
    mapRows,
  );
  return { execute: (placeholders) => prepared.execute(placeholders) };
}

/** `SQL.decoder` (what `sql<T>`...`.mapWith()` sets) is marked internal in drizzle's types. */
type DecodedSql = { decoder: DriverValueDecoder<unknown, unknown> };

function decoderOf(key: string, field: unknown): DriverValueDecoder<unknown, unknown> {
  if (is(field, Column)) return field;
  if (is(field, SQL)) return (field as unknown as DecodedSql).decoder;
  if (is(field, SQL.Aliased)) return (field.sql as unknown as DecodedSql).decoder;
  throw new Error(`prepareFlatSelect: "${key}" is not a column or an SQL expression (a flat selection only)`);
}
