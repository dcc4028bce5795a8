import { loaderOf, placeholderFor, placeholders, type Env } from './apps.ts';
import { manuallySetVariables } from './deployment-doc.ts';
import type { Deployment } from './platforms.ts';

/**
 * The environment a deployment gives its process: literals as written, references in the form the
 * platform gives them where known (Render's `hostport`), the rest as placeholders.
 */
export function environmentOf(deployment: Deployment): Env {
  return Object.fromEntries(
    Object.entries(deployment.env).map(([name, source]) => [
      name,
      source.kind === 'literal'
        ? source.value
        : source.kind === 'reference' && source.example !== undefined
          ? source.example
          : placeholderFor(name),
    ]),
  );
}

/** What the process gets on that platform, with the variables deployment.md says are set by hand. */
export function runtimeEnvironment(deployment: Deployment): Env {
  const manual = manuallySetVariables(deployment.platform, deployment.workload);
  return { ...placeholders([...manual]), ...environmentOf(deployment) };
}

/** The config the app would run with on that platform (values set by hand given placeholders). */
export async function runtimeConfig(deployment: Deployment): Promise<Record<string, unknown>> {
  return (await loaderOf(deployment.workload))(runtimeEnvironment(deployment));
}
