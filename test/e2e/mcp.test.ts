/**
 * The MCP server through the SDK's own Client, over both transports, against a real stack: a shop
 * recorded with the OpenTelemetry SDK and ingested into the real Neo4j; stdio by spawning `npm run
 * mcp` as an MCP client would, Streamable HTTP at /mcp of the real API process with bearer tokens.
 */
import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { neo4jEnv, testGraph, uniqueName } from '../support/graph.js';
import { freePort, ROOT, startTs, type Child } from '../support/processes.js';
import { seedSdkCanary } from '../support/sdk-canary.js';
import { SDK_SHOP, seedSdkShop, type SdkShop } from '../support/sdk-shop.js';

const READ = `read-${randomBytes(12).toString('hex')}`;
const INGEST = `ingest-${randomBytes(12).toString('hex')}`;
const TOOLS = [
  'changes',
  'dependencies',
  'drift',
  'error_correlations',
  'incident_context',
  'library_usage',
  'paths',
  'service_versions',
  'tag_footprint',
  'topology',
  'topology_diff',
  'trace_skeleton',
];

let shop: SdkShop;
const canary = uniqueName('mcp-canary');
let api: Child;
let mcpUrl: URL;
const clients: Record<'stdio' | 'http', Client> = {} as never;

function httpTransport(token?: string) {
  return new StreamableHTTPClientTransport(mcpUrl, {
    requestInit: token ? { headers: { authorization: `Bearer ${token}` } } : {},
  });
}

beforeAll(async () => {
  const graph = testGraph();
  try {
    shop = await seedSdkShop(graph, uniqueName('mcp'));
    await seedSdkCanary(graph, canary);
  } finally {
    await graph.close();
  }
  const port = await freePort();
  api = await startTs(
    'src/api/main.ts',
    {
      ...neo4jEnv(),
      TOPOGRAPH_API_PORT: String(port),
      TOPOGRAPH_TOKENS: `agent:${READ}:read,collector:${INGEST}:ingest`,
    },
    /GraphQL API/,
  );
  mcpUrl = new URL(`http://127.0.0.1:${port}/mcp`);

  clients.http = new Client({ name: 'test-agent', version: '1.0.0' });
  await clients.http.connect(httpTransport(READ));

  clients.stdio = new Client({ name: 'test-agent', version: '1.0.0' });
  const env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
  await clients.stdio.connect(
    new StdioClientTransport({
      command: 'npm',
      args: ['run', '--silent', 'mcp'],
      cwd: ROOT,
      env: { ...env, ...neo4jEnv(), TOPOGRAPH_LOG_LEVEL: 'warn' },
      stderr: 'ignore',
    }),
  );
});

afterAll(async () => {
  await Promise.all([clients.http?.close(), clients.stdio?.close()]);
  await api?.stop();
});

async function call(client: Client, name: string, args: Record<string, unknown>) {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}
const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
const data = (r: CallToolResult) => r.structuredContent as any;

describe.each(['stdio', 'http'] as const)('over %s', (transport) => {
  const client = () => clients[transport];

  it('lists every tool with an object input schema, a description with an example, read-only', async () => {
    const { tools } = await client().listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOLS);
    for (const t of tools) {
      expect(t.inputSchema.type).toBe('object');
      const properties = Object.keys(t.inputSchema.properties ?? {});
      expect(properties.length).toBeGreaterThan(0);
      for (const r of t.inputSchema.required ?? []) expect(properties).toContain(r);
      expect(t.description).toMatch(/Example/);
      expect(t.annotations?.readOnlyHint).toBe(true);
    }
  });

  it('answers each tool on the shop', async () => {
    const env = shop.env;
    const topology = await call(client(), 'topology', { environment: env });
    expect(data(topology).components).toBe(5);
    expect(data(topology).mermaid).toMatch(/^flowchart/);
    expect(data(topology).edges.items[0]).toMatchObject({ errors: SDK_SHOP.failedPayments });

    // The shop's hour against three hours before it: everything in it is new, seen over OTLP.
    const to = new Date(shop.endedBy).toISOString();
    const diff = await call(client(), 'topology_diff', {
      environment: env,
      from: new Date(shop.endedBy - 3 * 3_600_000).toISOString(),
      to,
    });
    expect(data(diff).addedComponents.total).toBe(5);
    expect(data(diff).addedComponents.items).toHaveLength(5);
    // Components are paged like the edges: a large diff stays within the page asked for.
    const small = await call(client(), 'topology_diff', {
      environment: env,
      from: new Date(shop.endedBy - 3 * 3_600_000).toISOString(),
      to,
      limit: 2,
    });
    expect(data(small).addedComponents).toMatchObject({ total: 5, nextOffset: 2 });
    expect(data(small).addedComponents.items).toHaveLength(2);
    expect(data(diff).removed.total).toBe(0);
    expect(data(diff).added.items).toContainEqual({ from: 'checkout', to: 'payments', sources: ['otlp'] });
    expect(text(diff)).toMatch(/- checkout -> payments \(seen by otlp\)/);
    const bad = await call(client(), 'topology_diff', { environment: env, from: 'last tuesday' });
    expect(bad.isError).toBe(true);

    const deps = await call(client(), 'dependencies', { name: 'checkout', environment: env, depth: 2 });
    expect(
      data(deps)
        .dependencies.items.map((h: { name: string }) => h.name)
        .sort(),
    ).toEqual(['api.stripe.com', 'orders-db', 'payments']);
    expect(data(deps).dependents.items).toMatchObject([{ name: 'gateway', depth: 1 }]);

    const paths = await call(client(), 'paths', { from: 'gateway', to: 'api.stripe.com', environment: env });
    expect(data(paths).paths.items).toEqual([
      { length: 3, hops: ['gateway', 'checkout', 'payments', 'api.stripe.com'] },
    ]);

    const incident = await call(client(), 'incident_context', { service: 'payments', environment: env, window: '1h' });
    expect(data(incident).health).toMatchObject({ calls: SDK_SHOP.checkouts, errors: SDK_SHOP.failedPayments });
    expect(data(incident).upstream.items).toMatchObject([{ name: 'checkout' }]);
    expect(data(incident).downstream.items).toMatchObject([{ name: 'api.stripe.com' }]);

    const changes = await call(client(), 'changes', { since: '1h', environment: env, limit: 3 });
    expect(data(changes).changes).toHaveLength(3);
    expect(data(changes).nextCursor).toEqual(expect.any(String));
    const next = await call(client(), 'changes', {
      since: '1h',
      environment: env,
      limit: 3,
      after: data(changes).nextCursor,
    });
    expect(data(next).changes[0]).not.toEqual(data(changes).changes[0]);

    const library = await call(client(), 'library_usage', { name: shop.library });
    expect(
      data(library).versions.items.map((v: { version: string; services: { name: string }[] }) => [
        v.version,
        v.services.map((s) => s.name).sort(),
      ]),
    ).toEqual(
      expect.arrayContaining([
        ['1.0.0', ['checkout', 'gateway']],
        ['2.0.0', ['payments']],
      ]),
    );

    const footprint = await call(client(), 'tag_footprint', { key: 'tenant.id', value: 't-c', environment: env });
    expect(data(footprint)).toMatchObject({ calls: 20, errors: SDK_SHOP.failedPayments });
    expect(data(footprint).services.items.map((s: { name: string }) => s.name)).toContain('payments');

    const correlations = await call(client(), 'error_correlations', { service: 'payments', environment: env });
    expect(data(correlations).values.items[0]).toMatchObject({ key: 'tenant.id', value: 't-c', errors: 10 });

    const skeleton = await call(client(), 'trace_skeleton', { traceId: shop.failedTraceIds[0] });
    expect(data(skeleton).error).toBe(true);
    expect(text(skeleton)).toContain('payments: POST /pay');

    // Every list that says "call again with offset N" takes that offset.
    const firstHop = await call(client(), 'trace_skeleton', { traceId: shop.failedTraceIds[0], limit: 1 });
    expect(text(firstHop)).toMatch(/call again with offset 1/);
    const secondHop = await call(client(), 'trace_skeleton', { traceId: shop.failedTraceIds[0], limit: 1, offset: 1 });
    expect(data(secondHop).hops.offset).toBe(1);
    expect(data(secondHop).hops.items[0]).not.toEqual(data(firstHop).hops.items[0]);
  });

  it('answers the canary question: calls and errors per caller and callee version', async () => {
    const r = await call(client(), 'service_versions', { service: 'checkout', environment: canary });
    expect(r.isError).toBeFalsy();
    expect(data(r).versions.map((v: { version: string; calls: number }) => [v.version, v.calls])).toEqual([
      ['2.1.0', 100],
      ['2.2.0', 25],
    ]);
    const toPayments = data(r).dependencies.items.filter((p: { to: string }) => p.to === 'payments');
    expect(toPayments.map((p: any) => [p.fromVersion, p.toVersion, p.calls, p.errors])).toEqual([
      ['2.1.0', '1.0.0', 100, 1],
      ['2.2.0', '1.0.0', 25, 3],
    ]);
    expect(text(r)).toContain('- checkout 2.2.0 -> payments 1.0.0: 25 calls, 12.0% errors');
    const unknown = await call(client(), 'service_versions', { service: 'no-such-service', environment: canary });
    expect(unknown.isError).toBe(true);
  });

  it('answers "what breaks if payments fails, and what changed there today" with tool calls alone', async () => {
    const env = shop.env;
    const blast = await call(client(), 'dependencies', {
      name: 'payments',
      environment: env,
      direction: 'dependents',
      depth: 5,
    });
    expect(blast.isError).toBeFalsy();
    expect(data(blast).dependents.items.map((h: { name: string; depth: number }) => [h.name, h.depth])).toEqual([
      ['checkout', 1],
      ['gateway', 2],
    ]);
    expect(text(blast)).toContain('gateway (service), depth 2, calls checkout');

    const changed = await call(client(), 'incident_context', {
      service: 'payments',
      environment: env,
      changesSince: 'today',
    });
    const subjects = data(changed).changes.items.map((c: { subject: string }) => c.subject);
    expect(subjects).toEqual(
      expect.arrayContaining(['payments (service)', 'checkout -> payments', 'payments -> api.stripe.com']),
    );
    expect(text(changed)).toMatch(/Changes, newest first/);
  });

  it('names near matches for an unknown name', async () => {
    const r = await call(client(), 'dependencies', { name: 'paymnts', environment: shop.env });
    expect(r.isError).toBe(true);
    expect(text(r)).toContain(`No component named "paymnts" was seen in environment "${shop.env}".`);
    expect(text(r)).toContain('"payments"');
    const env = await call(client(), 'topology', { environment: `${shop.env}x` });
    expect(env.isError).toBe(true);
    expect(text(env)).toContain(`"${shop.env}"`);
  });

  it('refuses oversized and malicious arguments as tool errors, and goes on answering', async () => {
    const huge = await call(client(), 'dependencies', { name: 'x'.repeat(100_000), environment: shop.env });
    expect(huge.isError).toBe(true);
    expect(text(huge)).toMatch(/too_big|at most 256|Too big/i);
    const badTrace = await call(client(), 'trace_skeleton', { traceId: "') DETACH DELETE n //" });
    expect(badTrace.isError).toBe(true);
    expect(text(badTrace)).toContain('32 hexadecimal');
    const injected = await call(client(), 'incident_context', {
      service: 'payments") { service { name } } #',
      environment: shop.env,
    });
    expect(injected.isError).toBe(true);
    expect(text(injected)).toContain('No component');
    const badDepth = await call(client(), 'dependencies', { name: 'payments', environment: shop.env, depth: 1e9 });
    expect(badDepth.isError).toBe(true);
    const ok = await call(client(), 'dependencies', { name: 'payments', environment: shop.env, depth: 1 });
    expect(ok.isError).toBeFalsy();
    expect(data(ok).dependents.items).toMatchObject([{ name: 'checkout' }]);
  });

  it('offers the topology of each environment and the schema as resources, and two prompts', async () => {
    const { resources } = await client().listResources();
    const uri = `topograph://topology/${encodeURIComponent(shop.env)}`;
    expect(resources.map((r) => r.uri)).toEqual(expect.arrayContaining(['topograph://schema.graphql', uri]));
    const mermaid = await client().readResource({ uri });
    expect(mermaid.contents[0]).toMatchObject({ mimeType: 'text/vnd.mermaid' });
    expect(String((mermaid.contents[0] as { text: string }).text)).toMatch(/^flowchart[\s\S]*payments/);
    const sdl = await client().readResource({ uri: 'topograph://schema.graphql' });
    expect((sdl.contents[0] as { text: string }).text).toContain('incidentContext(');

    const { prompts } = await client().listPrompts();
    expect(prompts.map((p) => p.name).sort()).toEqual(['blast_radius', 'incident_changes']);
    const prompt = await client().getPrompt({ name: 'blast_radius', arguments: { component: 'payments' } });
    expect(JSON.stringify(prompt.messages)).toContain('\\"direction\\": \\"dependents\\"');
  });
});

describe('the /mcp endpoint', () => {
  it('refuses a request without a token, and a token without the read scope', async () => {
    await expect(new Client({ name: 'anonymous', version: '1' }).connect(httpTransport())).rejects.toMatchObject({
      code: 401,
      message: expect.stringContaining('a bearer token is required'),
    });
    await expect(new Client({ name: 'collector', version: '1' }).connect(httpTransport(INGEST))).rejects.toMatchObject({
      code: 403,
      message: expect.stringMatching(/lacks the .{0,2}read.{0,2} scope/),
    });
  });

  it('refuses a browser origin not listed in TOPOGRAPH_CORS_ORIGINS (DNS rebinding)', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    const res = await fetch(mcpUrl, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${READ}`,
        origin: 'https://evil.example',
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body,
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('is not allowed');
  });

  it('answers GET (no server stream without sessions) with 405', async () => {
    const res = await fetch(mcpUrl, { headers: { authorization: `Bearer ${READ}`, accept: 'text/event-stream' } });
    expect(res.status).toBe(405);
  });
});
