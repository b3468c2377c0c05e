/**
 * The API server, created without side effects: no socket, no environment. `src/api/main.ts`
 * listens; tests call `yoga.fetch` directly.
 */
import { useGraphQlJit } from '@envelop/graphql-jit';
import { createYoga, maskError as defaultMaskError, type GraphiQLOptions } from 'graphql-yoga';
import type { Registry } from 'prom-client';
import type { Authenticator } from '../core/auth.js';
import { createContext, type ApiSettings } from './graphql/context.js';
import { mapNeo4jError } from './graphql/errors.js';
import { GRAPHIQL_DEFAULT_QUERY } from './graphql/examples.js';
import { corsOptions, DEFAULT_GRAPHQL_SECURITY, hardeningPlugins, type GraphqlSecurity } from './graphql/hardening.js';
import { useOperationMetrics } from './graphql/operation-metrics.js';
import { schema } from './graphql/schema.js';
import type { Graph } from '../core/neo4j/connection.js';
import { createUiFiles } from './ui/serve.js';
import type { FetchHandler } from './mcp/graphql-client.js';
import { useMcpEndpoint } from './mcp/http-endpoint.js';

export interface ApiDeps {
  graph: Graph;
  settings: ApiSettings;
  graphiql?: boolean;
  registry?: Registry;
  /** bearer tokens; without it (or when disabled) every request is let in */
  auth?: Authenticator;
  security?: GraphqlSecurity;
  /** true when Neo4j is reachable and the schema applied */
  ready(): Promise<boolean>;
}

export const DEFAULT_API_SETTINGS: ApiSettings = {
  liveWindowMs: 24 * 3_600_000,
  maxDepth: 10,
  queryTimeoutMs: 10_000,
  maxComplexity: 5000,
  maxQueryDepth: 15,
  maxBreadth: 200,
  // No trace UI unless TOPOGRAPH_TRACE_URL_TEMPLATE names one.
  traceUrlTemplate: undefined,
};

/**
 * GraphiQL with its script, styles and editor workers inlined in the page (about 9 MB), instead of
 * yoga's default page that loads them from a CDN: it must work where the internet is not reachable.
 * The module is loaded on the first visit and the page rendered once, so the API pays nothing until then.
 */
function offlineGraphiQL(): (options: GraphiQLOptions) => Promise<string> {
  let page: Promise<string> | undefined;
  return (options) =>
    (page ??= import('@graphql-yoga/render-graphiql').then(({ renderGraphiQL }) => renderGraphiQL(options)));
}

export function createApi(deps: ApiDeps) {
  const metricsPlugins = deps.registry ? [useOperationMetrics(deps.registry)] : [];
  const uiFile = createUiFiles();
  // The MCP endpoint asks this very server; it learns its handler once the server exists.
  let self: FetchHandler = () => {
    throw new Error('the API is not built yet');
  };
  const yoga = createYoga({
    schema,
    graphqlEndpoint: '/graphql',
    // hardening.ts limits the size on Content-Length, without re-wrapping every body (useRequestSizeLimit).
    maxRequestBodySize: false,
    healthCheckEndpoint: '/healthz',
    landingPage: false,
    cors: corsOptions(deps.security ?? DEFAULT_GRAPHQL_SECURITY),
    context: () => createContext(deps.graph, deps.settings),
    graphiql: deps.graphiql === false ? false : { defaultQuery: GRAPHIQL_DEFAULT_QUERY, title: 'Topograph' },
    renderGraphiQL: offlineGraphiQL(),
    maskedErrors: {
      maskError(error, message, isDev) {
        const original = (error as { originalError?: unknown }).originalError;
        return mapNeo4jError(original) ?? defaultMaskError(error, message, isDev);
      },
    },
    plugins: [
      // First, so that nothing below (/metrics included) answers an unauthorised request.
      ...hardeningPlugins(deps.security ?? DEFAULT_GRAPHQL_SECURITY, deps.auth),
      ...metricsPlugins,
      useGraphQlJit(),
      {
        // Not yoga's useReadinessCheck: it tests a URLPattern against every request (2% of the API's
        // CPU per question in the query benchmark); the path compared once is enough.
        onRequest({ url, endResponse, fetchAPI }) {
          if (url.pathname !== '/readyz') return;
          return deps.ready().then(
            (ok) => endResponse(new fetchAPI.Response(null, { status: ok ? 200 : 503 })),
            (error: unknown) =>
              endResponse(
                new fetchAPI.Response(error instanceof Error ? error.message : null, {
                  status: 503,
                  headers: { 'content-type': 'text/plain; charset=utf-8' },
                }),
              ),
          );
        },
      },
      {
        onRequest({ url, endResponse, fetchAPI }) {
          if (deps.registry && url.pathname === '/metrics') {
            const registry = deps.registry;
            return registry
              .metrics()
              .then((text) =>
                endResponse(new fetchAPI.Response(text, { headers: { 'content-type': registry.contentType } })),
              );
          }
        },
      },
      {
        // The topology page (/ui), a client of /graphql like any other.
        onRequest({ request, url, endResponse, fetchAPI }) {
          const path = url.pathname;
          if (request.method !== 'GET' || !path.startsWith('/ui')) return;
          return uiFile(path).then((file) =>
            endResponse(
              file
                ? new fetchAPI.Response(new Uint8Array(file.body), { headers: file.headers })
                : new fetchAPI.Response('not found\n', { status: 404, headers: { 'content-type': 'text/plain' } }),
            ),
          );
        },
      },
      // MCP (Streamable HTTP) at /mcp: its tools ask their GraphQL through this same server.
      useMcpEndpoint(() => self, (deps.security ?? DEFAULT_GRAPHQL_SECURITY).corsOrigins),
    ],
  });
  self = (url, init) => yoga.fetch(url, init);
  return yoga;
}
