/**
 * The MCP resources: the topology of each environment as a Mermaid flowchart, and the GraphQL schema
 * (SDL) for an agent that wants to write its own queries against /graphql.
 */
import { ResourceTemplate, type McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { buildClientSchema, getIntrospectionQuery, lexicographicSortSchema, printSchema } from 'graphql';
import { askData, type AskGraphql } from './graphql-client.js';

export const SCHEMA_URI = 'topograph://schema.graphql';
export const TOPOLOGY_URI = 'topograph://topology/{environment}';

const ENVIRONMENTS = /* GraphQL */ `
  query McpEnvironments {
    environments {
      name
      services
    }
  }
`;

const MERMAID = /* GraphQL */ `
  query McpMermaid($environment: String!) {
    topology(environment: $environment) {
      mermaid
    }
  }
`;

// Asked through /graphql like everything else, so TOPOGRAPH_INTROSPECTION=false (and the token's
// scope) govern the schema here exactly as they do for GraphiQL.
const INTROSPECTION = getIntrospectionQuery({ descriptions: true });

export function registerResources(server: McpServer, ask: AskGraphql): void {
  server.registerResource(
    'graphql-schema',
    SCHEMA_URI,
    {
      title: 'Topograph GraphQL schema',
      description: 'The SDL of the GraphQL API the tools ask (POST /graphql), for writing queries of your own.',
      mimeType: 'application/graphql',
    },
    async (uri) => {
      const sdl = printSchema(lexicographicSortSchema(buildClientSchema(await askData(ask, INTROSPECTION))));
      return { contents: [{ uri: uri.href, mimeType: 'application/graphql', text: sdl }] };
    },
  );

  server.registerResource(
    'topology',
    new ResourceTemplate(TOPOLOGY_URI, {
      list: async () => {
        const data = await askData(ask, ENVIRONMENTS);
        const envs = (data.environments as { name: string; services: number }[]).filter((e) => e.name !== '');
        return {
          resources: envs.map((e) => ({
            uri: `topograph://topology/${encodeURIComponent(e.name)}`,
            name: `topology of ${e.name}`,
            description: `${e.services} services, as a Mermaid flowchart`,
            mimeType: 'text/vnd.mermaid',
          })),
        };
      },
    }),
    {
      title: 'Topology of an environment (Mermaid)',
      description: 'Components and dependency edges of one environment in the live window, as a Mermaid flowchart.',
      mimeType: 'text/vnd.mermaid',
    },
    async (uri, variables) => {
      const environment = decodeURIComponent(String(variables.environment));
      const data = await askData(ask, MERMAID, { environment });
      return { contents: [{ uri: uri.href, mimeType: 'text/vnd.mermaid', text: data.topology.mermaid as string }] };
    },
  );
}
