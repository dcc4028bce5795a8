import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';

/**
 * CONSOLE_DIR: an absolute path to a console build, checked when the config is read, so a wrong
 * path stops the api at start-up naming the variable instead of serving 404s at /console/.
 */
export const consoleDir = () =>
  z
    .string()
    .refine(isAbsolute, { message: 'must be an absolute path (the api image uses /app/console)' })
    .refine((dir) => !isAbsolute(dir) || existsSync(join(dir, 'index.html')), {
      message:
        'has no index.html: it must be the console build (apps/web/dist, `pnpm --filter @repo/web build`)',
    });
