/**
 * Self-observability: with TOPOGRAPH_SELF_TRACING=on the API and the worker trace themselves with the
 * OpenTelemetry SDK and export into the worker itself; both then appear on Topograph's own map.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { neo4jEnv, uniqueName } from '../support/graph.js';
import { eventually, startTopograph, type Topograph } from '../support/processes.js';

const env = uniqueName('self');
let topograph: Topograph | undefined;
let otlp: string;
let graphql: string;

beforeAll(async () => {
  // The worker's self-tracing endpoint is left to its default: its own OTLP/HTTP receiver.
  topograph = await startTopograph(
    {
      ...neo4jEnv(),
      TOPOGRAPH_FLUSH_INTERVAL: '200ms',
      TOPOGRAPH_SELF_TRACING: 'on',
      TOPOGRAPH_SELF_TRACING_ENVIRONMENT: env,
    },
    (ports) => ({ TOPOGRAPH_SELF_TRACING_ENDPOINT: `http://127.0.0.1:${ports.otlpHttp}/v1/traces` }),
  );
  otlp = `http://127.0.0.1:${topograph.ports.otlpHttp}/v1/traces`;
  graphql = topograph.graphql;
});

afterAll(() => topograph?.stop());

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
