import createClient from 'openapi-fetch';
import { useEffect, useState } from 'react';
import type { paths } from '../api/schema.ts';

export type ConsoleConfig =
  paths['/v1/console/config']['get']['responses']['200']['content']['application/json'];

let loaded: Promise<ConsoleConfig> | undefined;

/**
 * The deployment's sign-in settings (`GET /v1/console/config`, public): read at run time, so one
 * console build serves every deployment. Asked once per page load; a failure is asked again.
 */
export function loadConsoleConfig(): Promise<ConsoleConfig> {
  loaded ??= createClient<paths>({ baseUrl: window.location.origin })
    .GET('/v1/console/config')
    .then(({ data, response }) => {
      if (!data) throw new Error(`The console's settings could not be read (HTTP ${response.status}).`);
      return data;
    });
  loaded.catch(() => (loaded = undefined));
  return loaded;
}

export function useConsoleConfig(): { config?: ConsoleConfig; error?: string } {
  const [state, setState] = useState<{ config?: ConsoleConfig; error?: string }>({});
  useEffect(() => {
    let live = true;
    loadConsoleConfig().then(
      (config) => live && setState({ config }),
      (error: unknown) => live && setState({ error: (error as Error).message }),
    );
    return () => {
      live = false;
    };
  }, []);
  return state;
}
