import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { FastifyBaseLogger } from 'fastify';
import type { Principal } from '../auth/permissions.ts';
import { createMcpServer, type McpServices } from './mcp-server.ts';

/**
 * One stateless MCP exchange: a new MCP server and transport for the request (the SDK refuses to
 * reuse a stateless transport), so any replica answers any request and nothing is kept between
 * them. JSON responses (`enableJsonResponse`): no tool sends progress notifications, and plain
 * JSON passes through every proxy. The web-standard transport returns a `Response`, which the
 * route sends like any reply.
 *
 * This module (and the MCP SDK under it) is imported by routes/mcp.ts on the first request or
 * once the server listens: see startup/deferred.ts.
 */
export async function answerMcpRequest(
  principal: Principal,
  services: McpServices,
  log: FastifyBaseLogger,
  request: Request,
  body: unknown,
): Promise<Response> {
  const server = createMcpServer(principal, services, log);
  const transport = new WebStandardStreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  await server.connect(transport);
  try {
    // In JSON mode the Response is complete here, so the server can be closed before it is sent.
    return await transport.handleRequest(request, { parsedBody: body });
  } finally {
    await transport.close();
    await server.close();
  }
}
