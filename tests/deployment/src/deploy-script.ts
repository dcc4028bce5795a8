import { read } from './repository.ts';

export const DEPLOY_SCRIPT = 'deploy/aws-ecs/deploy.sh';

/** The placeholders deploy.sh fills: `VARIABLES=(…)` must be set, `OPTIONAL_VARIABLES=(…)` may be empty. */
export function scriptVariables(script = read(DEPLOY_SCRIPT)): { required: string[]; optional: string[] } {
  const list = (name: string) =>
    (new RegExp(`^${name}=\\(([^)]*)\\)`, 'm').exec(script)?.[1] ?? '').split(/\s+/).filter(Boolean);
  return { required: list('VARIABLES'), optional: list('OPTIONAL_VARIABLES') };
}
