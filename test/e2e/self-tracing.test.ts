/**
 * Self-observability: with TOPOGRAPH_SELF_TRACING=on the API and the worker trace themselves with the
 * OpenTelemetry SDK and export into the worker itself; both then appear on Topograph's own map.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { neo4jEnv, uniqueName } from '../support/graph.js';
import { eventually, freePort, startTs, type Child } from '../support/processes.js';

const env = uniqueName('self');
let worker: Child;
let api: Child;
let otlp: string;
let graphql: string;

beforeAll(async () => {
  const [httpPort, grpcPort, zipkinPort, apiPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  otlp = `http://127.0.0.1:${httpPort}/v1/traces`;
  const common = {
    ...neo4jEnv(),
    TOPOGRAPH_FLUSH_INTERVAL: '200ms',
    TOPOGRAPH_SELF_TRACING: 'on',
    TOPOGRAPH_SELF_TRACING_ENVIRONMENT: env,
  };
  // The worker's endpoint is left to its default: its own OTLP/HTTP receiver.
  worker = await startTs(
    'ingest/main.ts',
    {
      ...common,
      TOPOGRAPH_OTLP_HTTP_PORT: String(httpPort),
      TOPOGRAPH_OTLP_GRPC_PORT: String(grpcPort),
      TOPOGRAPH_ZIPKIN_PORT: String(zipkinPort),
    },
    /Zipkin receiver on/,
  );
  api = await startTs(
    'src/api/main.ts',
    { ...common, TOPOGRAPH_API_PORT: String(apiPort), TOPOGRAPH_SELF_TRACING_ENDPOINT: otlp },
    /GraphQL API/,
  );
  graphql = `http://127.0.0.1:${apiPort}/graphql`;
});

afterAll(async () => {
  await Promise.all([worker?.stop(), api?.stop()]);
});

interface Self {
  namespace: string;
  operations: { name: string; kind: string; calls: number }[];
}

async function self(name: string): Promise<Self | undefined> {
  const res = await fetch(graphql, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query:
        'query Self($name: String!, $env: String!) { service(name: $name, environment: $env) { namespace operations { name kind calls } } }',
      variables: { name, env },
    }),
  });
  return ((await res.json()) as { data?: { service: Self | null } }).data?.service ?? undefined;
}

describe('self-tracing into Topograph itself', () => {
  it('puts the API (its GraphQL requests) and the worker (the batches it accepts) on the map', async () => {
    // Someone else's spans, so that the worker has a batch to trace.
    const now = BigInt(Date.now()) * 1_000_000n;
    const other = uniqueName('other');
    const sent = await fetch(otlp, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: other } }] },
            scopeSpans: [
              {
                spans: [
                  {
                    traceId: 'ab'.repeat(16),
                    spanId: 'cd'.repeat(8),
                    name: 'GET /x',
                    kind: 2,
                    startTimeUnixNano: String(now - 1_000_000n),
                    endTimeUnixNano: String(now),
                  },
                ],
              },
            ],
          },
        ],
      }),
    });
    expect(sent.status).toBe(200);

    const apiSelf = await eventually(
      async () => {
        const s = await self('topograph-api');
        return s?.operations.some((o) => o.name === 'POST /graphql') ? s : undefined;
      },
      30_000,
      'topograph-api with its POST /graphql operation',
    );
    expect(apiSelf.namespace).toBe('topograph');
    expect(apiSelf.operations.map((o) => `${o.kind} ${o.name}`)).toEqual(['SERVER POST /graphql']);

    const workerSelf = await eventually(
      async () => {
        const s = await self('topograph-ingest');
        return s?.operations.length ? s : undefined;
      },
      30_000,
      'topograph-ingest on the map',
    );
    // Only accepted batches are traced: never a receiver request, /metrics or a health check.
    expect(workerSelf.operations.map((o) => `${o.kind} ${o.name}`)).toEqual(['SERVER accept spans']);
  });
});
