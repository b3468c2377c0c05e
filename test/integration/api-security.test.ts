/**
 * The real API process (src/api/main.ts) with tokens and small limits: 401/403, the example queries
 * with a token, depth/alias/directive/cost/token limits, introspection off, CSRF and CORS; and
 * hostile service names and tag values seeded through ingest round-trip verbatim (no Cypher is
 * built from values) without harming anything else.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanKind } from '../../ingest/span.js';
import { README_QUERIES } from '../../src/api/graphql/examples.js';
import type { Graph } from '../../src/core/neo4j/connection.js';
import { createApi, DEFAULT_API_SETTINGS } from '../../src/api/yoga.js';
import { neo4jEnv, seed, testGraph, uniqueName } from '../support/graph.js';
import { freePort, startTs, type Child } from '../support/processes.js';
import { TraceBuilder } from '../support/spans.js';

const READ = `read-${randomBytes(12).toString('hex')}`;
const INGEST = `ingest-${randomBytes(12).toString('hex')}`;
const ORIGIN = 'https://tools.example';
const env = uniqueName('api-sec-env');
const HOSTILE = [
  `it's "quoted"`,
  'back`tick`',
  '"}) DETACH DELETE n //',
  "x' OR 1=1 //",
  'ünïcødé 🚀 名前',
  '$param {name} \\u0000',
  'long-' + 'y'.repeat(200),
];
const bystander = uniqueName('bystander');

let api: Child;
let base: string;
let graph: Graph;

async function gql(
  query: string,
  opts: { token?: string | null; variables?: Record<string, unknown>; headers?: Record<string, string> } = {},
) {
  const token = opts.token === undefined ? READ : opts.token;
  const res = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...opts.headers,
    },
    body: JSON.stringify({ query, variables: opts.variables }),
  });

  return {
    status: res.status,
    headers: res.headers,
    body: (await res.json()) as { data?: any; errors?: { message: string; extensions?: { code?: string } }[] },
  };
}

beforeAll(async () => {
  graph = testGraph();
  const t = new TraceBuilder();
  const res = { 'deployment.environment.name': env };
  const bySpan = t.span({
    service: bystander,
    kind: SpanKind.SERVER,
    name: 'GET /b',
    resource: res,
    attributes: { 'http.route': '/b' },
  });
  for (const name of HOSTILE) {
    const c = t.span({ service: bystander, kind: SpanKind.CLIENT, name: 'GET', parent: bySpan, resource: res });
    t.span({
      service: name,
      kind: SpanKind.SERVER,
      name: `GET /${name}`,
      parent: c,
      resource: { ...res, 'client.version': name },
      attributes: { 'http.route': `/${name}` },
    });
  }
  await seed(graph, [t.batch()]);
  const port = await freePort();
  api = await startTs(
    'src/api/main.ts',
    {
      ...neo4jEnv(),
      TOPOGRAPH_API_PORT: String(port),
      TOPOGRAPH_TOKENS: `grafana:${READ}:read,collector:${INGEST}:ingest`,
      TOPOGRAPH_MAX_QUERY_DEPTH: '5',
      TOPOGRAPH_MAX_ALIASES: '3',
      TOPOGRAPH_MAX_DIRECTIVES: '3',
      TOPOGRAPH_MAX_QUERY_TOKENS: '400',
      TOPOGRAPH_MAX_REQUEST_BYTES: '50000',
      TOPOGRAPH_MAX_QUERY_COMPLEXITY: '1000',
      TOPOGRAPH_INTROSPECTION: 'false',
      TOPOGRAPH_CORS_ORIGINS: ORIGIN,
    },
    /GraphQL API/,
  );
  base = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  await api?.stop();
  await graph?.close();
});

describe('API access', () => {
  it('401 without or with an unknown token, 403 without the read scope; health open', async () => {
    const none = await gql('{ __typename }', { token: null });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="topograph"');
    expect(none.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await gql('{ __typename }', { token: 'not-a-token-at-all' })).status).toBe(401);
    const wrong = await gql('{ __typename }', { token: INGEST });
    expect(wrong.status).toBe(403);
    expect(wrong.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${READ}` } })).status).toBe(403);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect(api.output()).not.toContain(READ);
  });

  it('the example queries work exactly as written with a read token', async () => {
    for (const [name, query] of Object.entries(README_QUERIES)) {
      const r = await gql(query);
      expect(r.status, name).toBe(200);
      expect(r.body.errors, name).toBeUndefined();
    }
  });
});

describe('API limits', () => {
  it('refuses too deep, too many aliases, too many directives, too many tokens and too costly', async () => {
    const deep = await gql(
      '{ services(first: 1) { edges { node { dependencies(depth: 1) { component { name } } } } } }',
    );
    expect(deep.body.errors?.[0]?.message).toMatch(/depth/i);
    const f = 'services(first: 1) { edges { cursor } }';
    const aliases = await gql(`{ a: ${f} b: ${f} c: ${f} d: ${f} }`);
    expect(aliases.body.errors?.[0]?.message).toMatch(/aliases/i);
    const directives = await gql('{ __typename @skip(if: false) @skip(if: false) @skip(if: false) @skip(if: false) }');
    expect(directives.body.errors?.[0]?.message).toMatch(/directives/i);
    const tokens = await gql(`{ ${'__typename '.repeat(500)} }`);
    expect(tokens.body.errors?.[0]?.message).toMatch(/token/i);
  });

  it('refuses a body over TOPOGRAPH_MAX_REQUEST_BYTES (413) and one that declares no length (411), before reading it', async () => {
    const padded = await gql('{ __typename }', { variables: { pad: 'x'.repeat(50_000) } });
    expect(padded.status).toBe(413);
    expect(padded.body.errors?.[0]?.extensions?.code).toBe('REQUEST_TOO_LARGE');
    expect(padded.body.errors?.[0]?.message).toContain('50000 bytes');
    // Just under the limit: answered.
    const fits = await gql('{ __typename }', { variables: { pad: 'x'.repeat(49_000) } });
    expect(fits.status).toBe(200);
    expect(fits.body.data).toEqual({ __typename: 'Query' });

    // A streamed body goes out chunked, without Content-Length: it could run on past any limit.
    const body = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(JSON.stringify({ query: '{ __typename }' })));
        controller.close();
      },
    });
    const chunked = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${READ}` },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(chunked.status).toBe(411);
    expect(((await chunked.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe(
      'LENGTH_REQUIRED',
    );
  });

  it('refuses a query over the cost limit before running it', async () => {
    const small = createApi({
      graph,
      settings: { ...DEFAULT_API_SETTINGS, maxComplexity: 50 },
      ready: async () => true,
    });
    const res = await small.fetch('http://topograph/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: '{ services(first: 100) { edges { node { name dependencies(depth: 2) { calls } } } } }',
      }),
    });
    const body = (await res.json()) as { errors?: { message: string }[] };
    expect(body.errors?.[0]?.message).toMatch(/complexity/i);
  });

  it('introspection is off when configured', async () => {
    const r = await gql('{ __schema { types { name } } }');
    expect(r.body.data).toBeUndefined();
    expect(r.body.errors?.[0]?.message).toMatch(/introspection/i);
  });

  it('CSRF: a simple GET without a preflight header is refused', async () => {
    const r = await fetch(`${base}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { accept: 'application/json' },
    });
    expect(r.status).toBe(401);
    const withToken = await fetch(`${base}/graphql?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { accept: 'application/json', authorization: `Bearer ${READ}` },
    });
    expect(withToken.status).toBe(200);
  });

  it('CORS answers only the configured origin', async () => {
    const pre = (origin: string) =>
      fetch(`${base}/graphql`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
      });
    expect((await pre(ORIGIN)).headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect((await pre('https://evil.example')).headers.get('access-control-allow-origin')).not.toBe(
      'https://evil.example',
    );
  });
});

describe('CSRF prevention with auth off (local use)', () => {
  // Without tokens nothing else stands between a page the user visits and the API: only the header rule.
  let local: Graph;
  beforeAll(() => void (local = testGraph()));
  afterAll(() => local.close());
  const api = () => createApi({ graph: local, settings: DEFAULT_API_SETTINGS, ready: async () => true });
  const url = `http://topograph/graphql?query=${encodeURIComponent('{ __typename }')}`;

  it('refuses a simple GET or a text/plain POST that a cross-site form or image could send', async () => {
    const get = await api().fetch(url, { headers: { accept: 'application/json' } });
    expect(get.status).toBe(403);
    const form = await api().fetch('http://topograph/graphql', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(form.status).toBe(403);
  });

  it('answers once the request carries a header only a preflighted request can set', async () => {
    const get = await api().fetch(url, { headers: { accept: 'application/json', 'x-graphql-yoga-csrf': '1' } });
    expect(get.status).toBe(200);
    expect(await get.json()).toEqual({ data: { __typename: 'Query' } });
    const json = await api().fetch('http://topograph/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
    expect(json.status).toBe(200);
  });
});

describe('hostile values', () => {
  it('service names and tag values round-trip verbatim, and the bystander keeps all its dependencies', async () => {
    for (const name of HOSTILE) {
      const r = await gql(
        'query($n: String!, $e: String!) { service(name: $n, environment: $e) { name operations { name } } }',
        {
          variables: { n: name, e: env },
        },
      );
      expect(r.body.errors).toBeUndefined();
      // Route normalisation may rewrite the odd path segment; the name must come back verbatim.
      expect(r.body.data.service.name).toBe(name);
      expect(r.body.data.service.operations).toHaveLength(1);
    }
    const tag = await gql('{ tag(key: "client.version") { values { value services { name } } } }');
    const values = new Set(tag.body.data.tag.values.map((v: { value: string }) => v.value));
    for (const name of HOSTILE) expect(values.has(name)).toBe(true);
    const b = await gql(
      'query($n: String!, $e: String!) { service(name: $n, environment: $e) { dependencies(depth: 1) { component { name } } } }',
      {
        variables: { n: bystander, e: env },
      },
    );
    expect(
      b.body.data.service.dependencies.map((d: { component: { name: string } }) => d.component.name).sort(),
    ).toEqual([...HOSTILE].sort());
  });
});
