import { describe, expect, it } from 'vitest';
import { AGENT_LANDED, checkedWorkloads } from '../src/apps.ts';
import { exists } from '../src/repository.ts';

/**
 * The agent is configured on every platform already (a private service on port 3002, /health and
 * /ready, SERVICE_AUTH_TOKEN, DATABASE_URL, REDIS_URL, AGENT_MODEL and its provider key), but its
 * code lands later. Until apps/agent exists this file asserts exactly that and nothing else; once
 * it exists, the agent joins every invariant (test/invariants.test.ts, deployment-doc.test.ts):
 * its config schema, shutdown budget, routes, Dockerfile and port are then checked like the others.
 */
describe('the agent', () => {
  if (!AGENT_LANDED) {
    it('has not landed yet: apps/agent does not exist, so its invariants wait for it', () => {
      expect(exists('apps/agent')).toBe(false);
    });
    return;
  }

  it('has landed: apps/agent exists and every invariant checks it', () => {
    expect(checkedWorkloads()).toContain('agent');
    expect(exists('apps/agent/src/config.ts')).toBe(true);
    expect(exists('docker/agent/Dockerfile')).toBe(true);
  });
});
