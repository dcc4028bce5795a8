import { z } from 'zod';

/**
 * Text that is stored in or sent to Postgres, which cannot hold the NUL character: refused here
 * with a 400 naming the field, instead of failing in the database as a 500.
 */
export const pgText = () =>
  z.string().refine((value) => !value.includes('\0'), 'must not contain the NUL character (\\u0000)');
