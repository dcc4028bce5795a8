import { customType, timestamp, uuid } from 'drizzle-orm/pg-core';

/** Postgres full-text search vector; drizzle has no built-in column type for it. */
export const tsvector = customType<{ data: string }>({
  dataType: () => 'tsvector',
});

export const id = () => uuid('id').primaryKey().defaultRandom();

/** Both timestamps with time zone; `updated_at` is set by the code that changes a row. */
export const timestamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
};
