/**
 * What stands between a hostile client and the resolvers: bearer-token scopes per endpoint, CSRF
 * prevention, limits on tokens, aliases and directives (depth, breadth and cost are the Pothos
 * complexity plugin's, see builder.ts), optional introspection, and CORS only for listed origins.
 */
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDirectivesPlugin } from '@escape.tech/graphql-armor-max-directives';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';
import { useCSRFPrevention } from '@graphql-yoga/plugin-csrf-prevention';
import { NoSchemaIntrospectionCustomRule } from 'graphql';
import type { CORSOptions, Plugin } from 'graphql-yoga';
import type { Authenticator, Scope } from '../auth.js';
import { ErrorCode } from './errors.js';

export interface GraphqlSecurity {
  maxAliases: number;
  maxDirectives: number;
  maxTokens: number;
  introspection: boolean;
  /** browser origins allowed to call the API; none means no CORS headers at all */
  corsOrigins: string[];
}

export const DEFAULT_GRAPHQL_SECURITY: GraphqlSecurity = {
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
  if (path === '/graphql') {
    // The GraphiQL page holds no data; the queries it then sends need a token like any other.
    const html = request.method === 'GET' && (request.headers.get('accept') ?? '').includes('text/html');
    return html ? undefined : 'read';
  }
  return undefined;
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
        new fetchAPI.Response(JSON.stringify({ errors: [{ message: verdict.message, extensions: { code } }] }), {
          status: verdict.status,
          headers: { 'content-type': 'application/json', 'www-authenticate': verdict.wwwAuthenticate },
        }),
      );
    },
  };
}

export function hardeningPlugins(security: GraphqlSecurity, auth?: Authenticator): Plugin[] {
  const plugins: Plugin[] = [
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
