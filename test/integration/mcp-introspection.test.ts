/**
 * The MCP schema resource is asked through /graphql, so it follows TOPOGRAPH_INTROSPECTION like
 * GraphiQL does: served when introspection is on, refused when it is off.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { describe, expect, it } from 'vitest';
import { createApi } from '../../src/api/yoga.js';
import { graphqlOver } from '../../src/api/mcp/graphql-client.js';
import { createMcpServer } from '../../src/api/mcp/server.js';
import { apiConfig } from '../support/api.js';
import { fileGraph } from '../support/graph.js';

const graph = fileGraph();

async function readSchema(introspection: boolean) {
  const config = apiConfig();
  const api = createApi({
    graph,
    config: { ...config, security: { ...config.security, introspection } },
    ready: async () => true,
  });
  const server = createMcpServer(graphqlOver((url, init) => api.fetch(url, init)));
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'test-agent', version: '1.0.0' });
  await server.connect(serverSide);
  await client.connect(clientSide);
  try {
    return await client.readResource({ uri: 'topograph://schema.graphql' });
  } finally {
    await client.close();
    await server.close();
  }
}

describe('MCP schema resource', () => {
  it('serves the SDL while introspection is on', async () => {
    const sdl = await readSchema(true);
    expect((sdl.contents[0] as { text: string }).text).toContain('incidentContext(');
  });

  it('refuses it when TOPOGRAPH_INTROSPECTION is off', async () => {
    await expect(readSchema(false)).rejects.toThrow(/introspection/i);
  });
});
