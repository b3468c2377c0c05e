/**
 * What stands between a hostile client and the resolvers: bearer-token scopes per endpoint, CSRF
 * prevention, limits on request size, tokens, aliases and directives (depth, breadth and cost are
 * the Pothos complexity plugin's, see builder.ts), optional introspection, and CORS only for listed
 * origins.
 */
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { NoSchemaIntrospectionCustomRule } from 'graphql';
import type { CORSOptions, Plugin } from 'graphql-yoga';
import type { Authenticator, Scope } from '../../core/auth.js';
import { ErrorCode } from './errors.js';

export interface GraphqlSecurity {
  /** largest request body in bytes (413); bodies must declare their length (411) */
  maxRequestBytes: number;
  maxAliases: number;
  maxDirectives: number;
  maxTokens: number;
  introspection: boolean;
  /** browser origins allowed to call the API; none means no CORS headers at all */
  corsOrigins: string[];
}

export const DEFAULT_GRAPHQL_SECURITY: GraphqlSecurity = {
  maxRequestBytes: 1024 * 1024,
  maxAliases: 30,
  maxDirectives: 20,
  maxTokens: 5000,
  introspection: true,
  corsOrigins: [],
};

/** The scope a path needs; undefined for what stays open (health, the GraphiQL page itself). */
function scopeFor(request: Request, path: string): Scope | undefined {
  // Preflights carry no credentials by design; CORS decides them.
  if (request.method === 'OPTIONS') return undefined;
  if (path === '/metrics') return 'admin';
  // The MCP endpoint's tools ask /graphql with the same header, so they need what it needs.
  if (path === '/mcp') return 'read';
  if (path === '/graphql') {
    // The GraphiQL page holds no data; the queries it then sends need a token like any other.
    const html = request.method === 'GET' && (request.headers.get('accept') ?? '').includes('text/html');
    return html ? undefined : 'read';
  }
  return undefined;
}

/** A GraphQL-shaped refusal, answered before anything of the request is read. */
function refusal(
  fetchAPI: { Response: typeof Response },
  status: number,
  message: string,
  code: string,
  headers: Record<string, string> = {},
) {
  return new fetchAPI.Response(JSON.stringify({ errors: [{ message, extensions: { code } }] }), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

export function useBearerAuth(auth: Authenticator): Plugin {
  return {
    onRequest({ request, url, endResponse, fetchAPI }) {
      const scope = scopeFor(request, url.pathname);
      if (!scope) return;
      const verdict = auth.check(request.headers.get('authorization'), scope);
      if (verdict.ok) return;
      const code = verdict.status === 401 ? ErrorCode.UNAUTHENTICATED : ErrorCode.FORBIDDEN;
      endResponse(
        refusal(fetchAPI, verdict.status, verdict.message, code, { 'www-authenticate': verdict.wwwAuthenticate }),
      );
    },
  };
}

/**
 * The request-size limit, decided on the declared Content-Length before the body is read. It stands
 * in for yoga's own (`maxRequestBodySize`, turned off in yoga.ts), which pipes every body through a
 * counting stream into a new Request: a fifth of the API's CPU per question in the query benchmark.
 * The HTTP parser reads no more than the declared length, so a body that declares none (chunked) is
 * the only one that could run on, and it is refused with 411.
 */
export function useRequestSizeLimit(maxBytes: number): Plugin {
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return;
      const length = request.headers.get('content-length');
      if (length === null) {
        if (request.body === null && !request.headers.has('transfer-encoding')) return;
        endResponse(
          refusal(fetchAPI, 411, 'the request body must declare its Content-Length', ErrorCode.LENGTH_REQUIRED),
        );
        return;
      }
      if (!/^\d+$/.test(length)) {
        endResponse(refusal(fetchAPI, 400, 'Content-Length is not a byte count', ErrorCode.BAD_USER_INPUT));
      } else if (Number(length) > maxBytes) {
        endResponse(
          refusal(fetchAPI, 413, `the request body is larger than ${maxBytes} bytes`, ErrorCode.REQUEST_TOO_LARGE),
        );
      }
    },
  };
}

export function hardeningPlugins(security: GraphqlSecurity, auth?: Authenticator): Plugin[] {
  const plugins: Plugin[] = [
    useRequestSizeLimit(security.maxRequestBytes),
    useCSRFPrevention({ requestHeaders: ['x-graphql-yoga-csrf', 'x-requested-with', 'authorization'] }),
    maxTokensPlugin({ n: security.maxTokens }) as Plugin,
    maxAliasesPlugin({ n: security.maxAliases }) as Plugin,
    maxDirectivesPlugin({ n: security.maxDirectives }) as Plugin,
  ];
  if (auth?.enabled) plugins.unshift(useBearerAuth(auth));
  if (!security.introspection) {
    plugins.push({
      onValidate({ addValidationRule }) {
        addValidationRule(NoSchemaIntrospectionCustomRule);
      },
    });
  }
  return plugins;
}

export function corsOptions(security: GraphqlSecurity): CORSOptions {
  if (security.corsOrigins.length === 0) return false;
  return {
    origin: security.corsOrigins,
    methods: ['GET', 'POST'],
    allowedHeaders: ['authorization', 'content-type', 'x-graphql-yoga-csrf'],
    credentials: false,
  };
}
