import type { ApiKeyScope } from '@repo/db';

/**
 * What a caller may do. Every `/v1` route names exactly one permission (a route without one is
 * refused when the app is built), and a principal carries the set it was granted.
 *
 * - A user (JWT) acts for themself and holds every permission: ownership, not permissions, is
 *   what keeps users apart (another owner's resources answer 404).
 * - The service token is for internal callers such as the agent service. It acts for the owner it
 *   names in `x-keelson-owner` and holds only what an agent working for that owner needs: read
 *   and search documents, read tasks and queue agent runs. It cannot create or delete documents,
 *   cancel tasks, or touch conversations or runs: those stay the user's decisions, and the agent
 *   keeps its conversation memory and its runs itself (in the database, not through this API).
 */
export const permissions = [
  'documents:read',
  'documents:write',
  'documents:delete',
  'search',
  'tasks:read',
  /** Creating tasks directly: `POST /v1/tasks` (agent runs), the `create_task` MCP tool. */
  'tasks:write',
  'tasks:cancel',
  'conversations:read',
  /** Starting conversations and sending messages in them (which runs the agent). */
  'conversations:write',
  'conversations:delete',
  /** Reading runs and following their events. */
  'runs:read',
  /** Cancelling runs. */
  'runs:write',
  /** Creating, listing and revoking API keys (`/v1/api-keys`). */
  'api-keys:manage',
  /** Reading the owner's usage and cost (`GET /v1/usage`). */
  'usage:read',
] as const;

export type Permission = (typeof permissions)[number];

export const USER_PERMISSIONS: ReadonlySet<Permission> = new Set(permissions);

export const SERVICE_PERMISSIONS: ReadonlySet<Permission> = new Set<Permission>([
  'documents:read',
  'search',
  'tasks:read',
  'tasks:write',
]);

/**
 * What each API-key scope grants (apps/api/README.md has the table). A key holds the union of its
 * scopes' permissions and nothing else; `keys` is separate from `write` so a key given to a script
 * cannot mint more keys unless that was the point.
 */
export const SCOPE_PERMISSIONS: Readonly<Record<ApiKeyScope, readonly Permission[]>> = {
  read: ['documents:read', 'search', 'tasks:read', 'conversations:read', 'runs:read', 'usage:read'],
  write: ['documents:write', 'documents:delete', 'tasks:cancel', 'conversations:delete'],
  /** Whatever runs the agent, and so spends model tokens, and stopping it (cancelling a run). */
  agent: ['tasks:write', 'conversations:write', 'runs:write'],
  keys: ['api-keys:manage'],
};

export function scopePermissions(scopes: readonly ApiKeyScope[]): ReadonlySet<Permission> {
  return new Set(scopes.flatMap((scope) => SCOPE_PERMISSIONS[scope]));
}

export interface Principal {
  /** `api-key`: a machine client acting as its owner, limited to its key's scopes. */
  kind: 'user' | 'service' | 'api-key';
  /** Whose resources this request reads and changes. */
  ownerId: string;
  permissions: ReadonlySet<Permission>;
  /**
   * The service token's calls only: the depth of the agent run the call comes from (0 for a
   * conversation turn; `x-keelson-run-depth`). A user's request is never inside a run.
   */
  runDepth?: number;
  /** An API key's scopes (what a key it creates may be granted at most). */
  scopes?: readonly ApiKeyScope[];
}

/**
 * The depth of an agent run this principal queues: 0 when a user queues it, one more than the
 * calling run when an agent run queues it (through the service token), so a chain of runs each
 * queueing the next is counted, and cut at AGENT_RUN_MAX_DEPTH.
 */
export function queuedRunDepth(principal: Principal): number {
  return principal.kind === 'service' ? (principal.runDepth ?? 0) + 1 : 0;
}

/** Owner ids come from a token's `sub` or a header: short, printable, nothing to escape in a log. */
export const OWNER_ID = /^[\x21-\x7e]{1,255}$/;
