import { z } from 'zod';

/**
 * Variables registered here may also be given as `NAME_FILE`: a path whose contents are the value.
 * That is how Docker/compose secrets, Kubernetes secret volumes and ECS mounts hand over credentials
 * without putting them in the process environment.
 */
export const secrets = z.registry<{ secret: true }>();

/** Marks a schema as a secret: it accepts `NAME_FILE` and is never echoed in error messages. */
export function secret<T extends z.ZodType>(schema: T): T {
  secrets.add(schema, { secret: true });
  return schema;
}

export function isSecret(schema: z.ZodType): boolean {
  // Optional/default wrappers are registered through their inner schema.
  let current: z.ZodType | undefined = schema;
  while (current) {
    if (secrets.has(current)) return true;
    const def = current.def as { innerType?: z.ZodType };
    current = def.innerType;
  }
  return false;
}
