import type { FastifyPluginAsync, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { McpServices } from '../mcp/mcp-server.ts';
import { authenticate } from '../plugins/app/authentication.ts';
import { once, warmUpAfterListen } from '../startup/deferred.ts';

/** The MCP SDK and the tools, imported after the server listens or by the first request. */
export const loadMcp = once(() => import('../mcp/mcp-exchange.ts'));

/** The request headers the MCP transport reads (content negotiation and the protocol version). */
const FORWARDED_HEADERS = ['accept', 'content-type', 'mcp-protocol-version', 'mcp-session-id'];

/** JSON-RPC 2.0's "Invalid Request": the message is not one the server accepts. */
const INVALID_REQUEST = -32600;
const BATCH_REFUSED =
  'Batches are not supported: send one JSON-RPC message per request (MCP 2025-06-18 removed batching).';

/** A JSON-RPC error answering a request whose id could not be (or was not) read. */
const jsonRpcError = (code: number, message: string) => ({
  jsonrpc: '2.0',
  error: { code, message },
  id: null,
});

const asArray = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/**
 * `POST /mcp`: the stack's tools over the Model Context Protocol (streamable HTTP, stateless).
 *
 * - Authenticated by the same plugin as `/v1`: a user's JWT (so Claude Desktop, an IDE or any MCP
 *   client acts for that user) or the service token naming an owner (the agent service). No
 *   valid credential: 401 problem+json with `WWW-Authenticate`, before the body is read. Each tool
 *   then checks its own permission.
 * - Rate limited like any route (the limiter's hook runs first, keyed by the owner).
 * - Stateless: a new MCP server and transport per request (mcp/mcp-exchange.ts), so any replica
 *   answers any request and nothing is kept between them. The SDK's web-standard transport
 *   returns a `Response`, which Fastify sends like any reply — so request ids, rate-limit and
 *   CORS headers, metrics and request logs apply as they do to every other route (the Node
 *   transport would need `reply.hijack()`, which skips them all). The SDK is imported once the
 *   server listens, or by the first request (startup/deferred.ts).
 * - One JSON-RPC message per request. A batch (a JSON array) is refused with a JSON-RPC error
 *   before anything runs: the rate limiter counts requests, so a batch of 100 `create_task` calls
 *   would cost one unit of the budget and queue 100 agent runs. Nothing is lost by refusing them:
 *   the protocol revisions the SDK negotiates (2025-06-18 and later) have no batching, and its
 *   clients never send one.
 * - Hidden from the OpenAPI document: it is JSON-RPC, which OpenAPI cannot describe; the README
 *   documents it.
 */
export const mcpRoutes: FastifyPluginAsync<{ services: McpServices }> = async (app, { services }) => {
  warmUpAfterListen(app, 'mcp', loadMcp);
  app.addHook('onRoute', (route) => {
    // Appended, so it runs after the rate limiter's onRequest hook (added by its own onRoute).
    if (route.method === 'POST') {
      route.onRequest = [...asArray(route.onRequest), authenticate] as RouteOptions['onRequest'];
    }
  });

  app.post('/mcp', { schema: { hide: true } }, async (request, reply) => {
    if (Array.isArray(request.body)) {
      return reply.code(400).send(jsonRpcError(INVALID_REQUEST, BATCH_REFUSED));
    }
    const { answerMcpRequest } = await loadMcp();
    return reply.send(
      await answerMcpRequest(request.principal!, services, request.log, webRequest(request), request.body),
    );
  });

  // Stateless: there is no server-initiated stream to GET and no session to DELETE. The SDK's
  // clients expect exactly this answer (405 with a JSON-RPC error) and carry on with POSTs only.
  const notAllowed = async (_request: FastifyRequest, reply: FastifyReply) =>
    reply.code(405).header('allow', 'POST').send(jsonRpcError(-32000, 'Method not allowed.'));
  app.get('/mcp', { schema: { hide: true } }, notAllowed);
  app.delete('/mcp', { schema: { hide: true } }, notAllowed);
};

/** The parts of the request the transport looks at; the body is passed already parsed. */
function webRequest(request: FastifyRequest): Request {
  const headers = new Headers();
  for (const name of FORWARDED_HEADERS) {
    const value = request.headers[name];
    if (typeof value === 'string') headers.set(name, value);
  }
  return new Request(new URL(request.url, 'http://mcp.invalid'), { method: 'POST', headers });
}
