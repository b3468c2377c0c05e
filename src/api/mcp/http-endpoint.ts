/**
 * Streamable HTTP at /mcp on the API port, as a yoga plugin placed after the hardening plugins: the
 * bearer check (scope "read", as for /graphql) and the request-size limit have run before it. It is
 * stateless: each POST gets a fresh server whose tools present the caller's own Authorization header
 * to /graphql, so a tool can never do more than the token could there.
 */
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { Plugin } from 'graphql-yoga';
import { graphqlOver, type FetchHandler } from './graphql-client.js';
import { createMcpServer } from './server.js';

export const MCP_PATH = '/mcp';

function methodNotAllowed(fetchAPI: { Response: typeof Response }) {
  // Without sessions there is no server-to-client stream (GET) and nothing to end (DELETE).
  return new fetchAPI.Response(
    JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: 'Method not allowed: POST only' }, id: null }),
    { status: 405, headers: { 'content-type': 'application/json', allow: 'POST' } },
  );
}

function forbiddenOrigin(fetchAPI: { Response: typeof Response }, origin: string) {
  return new fetchAPI.Response(
    JSON.stringify({
      jsonrpc: '2.0',
      error: { code: -32000, message: `origin ${JSON.stringify(origin)} is not allowed (TOPOGRAPH_CORS_ORIGINS)` },
      id: null,
    }),
    { status: 403, headers: { 'content-type': 'application/json' } },
  );
}

/**
 * `fetchApi` is the API's own handler (yoga.fetch), read when a request arrives. `allowedOrigins`
 * are the browser origins let in (the API's CORS list): MCP clients send no Origin, a browser always
 * does, and refusing the others keeps a page reached by DNS rebinding away from a local server.
 */
export function useMcpEndpoint(fetchApi: () => FetchHandler, allowedOrigins: readonly string[]): Plugin {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      if (url.pathname !== MCP_PATH) return;
      const origin = request.headers.get('origin');
      if (origin !== null && !allowedOrigins.includes(origin)) return endResponse(forbiddenOrigin(fetchAPI, origin));
      if (request.method !== 'POST') return endResponse(methodNotAllowed(fetchAPI));
      const server = createMcpServer(graphqlOver(fetchApi(), request.headers.get('authorization')));
      const transport = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: undefined,
        enableJsonResponse: true,
      });
      return server
        .connect(transport)
        .then(() => transport.handleRequest(request))
        .then((response) => endResponse(response))
        .finally(() => void server.close());
    },
  };
}
