/**
 * The MCP `drift` tool through the SDK's own Client over stdio (`npm run mcp`, as an MCP client starts
 * it): the shop recorded with the OpenTelemetry SDK and its catalog (test/fixtures/catalog/shop.yaml),
 * in the real Neo4j.
 */
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCatalogFiles } from '../../ingest/catalog/import-files.js';
import { createCatalogStore } from '../../ingest/catalog/store.js';
import { neo4jEnv, testGraph, uniqueName } from '../support/graph.js';
import { ROOT } from '../support/processes.js';
import { seedSdkShop } from '../support/sdk-shop.js';

const env = uniqueName('mcp-drift');
const client = new Client({ name: 'test-agent', version: '1.0.0' });

beforeAll(async () => {
  const graph = testGraph();
  try {
    await seedSdkShop(graph, env);
    await importCatalogFiles([join(ROOT, 'test/fixtures/catalog/shop.yaml')], createCatalogStore(graph), env);
  } finally {
    await graph.close();
  }
  const parent = Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined),
  );
  await client.connect(
    new StdioClientTransport({
      command: 'npm',
      args: ['run', '--silent', 'mcp'],
      cwd: ROOT,
      env: { ...parent, ...neo4jEnv(), TOPOGRAPH_LOG_LEVEL: 'warn' },
      stderr: 'ignore',
    }),
  );
});

afterAll(async () => {
  await client.close();
});

const call = async (args: Record<string, unknown>) =>
  (await client.callTool({ name: 'drift', arguments: args })) as CallToolResult;
const text = (r: CallToolResult) => (r.content as { type: string; text: string }[]).map((c) => c.text).join('\n');

describe('the drift tool', () => {
  it('says where the catalog and the traffic disagree', async () => {
    const r = await call({ environment: env });
    expect(r.isError).toBeFalsy();
    expect(text(r)).toContain('4 declared dependencies, 4 seen, 3 both.');
    expect(text(r)).toContain(`- payments -> fraud-check [${env}] (dependsOn)`);
    expect(text(r)).toContain(`- payments -> api.stripe.com [${env}] (api.stripe.com is not in the catalog)`);
    expect(text(r)).toContain('Catalog components never seen: component:default/fraud-check.');
    expect((r.structuredContent as any).summary.observedNotDeclared).toBe(1);
  });

  it('is a tool error saying how to import one when no catalog describes the environment', async () => {
    const r = await call({ environment: uniqueName('mcp-no-catalog') });
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(
      /No catalog describes environment "mcp-no-catalog-[0-9a-f]+": import one with `npm run import:catalog`/,
    );
  });
});
