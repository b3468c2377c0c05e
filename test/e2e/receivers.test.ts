/**
 * End to end, every receiver with its official OpenTelemetry exporter: two services instrumented with
 * the JS SDK call each other over real HTTP (some calls fail) and export to the real ingest worker over
 * OTLP/HTTP protobuf, OTLP/gRPC (plain and gzip) and Zipkin v2. Each protocol must give the same facts:
 * the same edge, the same call and error counts, the same operations.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { neo4jEnv, uniqueName } from '../support/graph.js';
import { eventually, freePort, startTopograph, startTs, type Topograph } from '../support/processes.js';

let topograph: Topograph | undefined;
let endpoints: Record<string, string>;
let graphql: string;

beforeAll(async () => {
  topograph = await startTopograph({ ...neo4jEnv(), TOPOGRAPH_FLUSH_INTERVAL: '200ms', TOPOGRAPH_LOG_LEVEL: 'info' });
  const { otlpHttp, otlpGrpc, zipkin } = topograph.ports;
  endpoints = {
    proto: `http://127.0.0.1:${otlpHttp}`,
    grpc: `http://127.0.0.1:${otlpGrpc}`,
    'grpc-gzip': `http://127.0.0.1:${otlpGrpc}`,
    zipkin: `http://127.0.0.1:${zipkin}`,
  };
  graphql = topograph.graphql;
});

afterAll(() => topograph?.stop());

interface Hop {
  component: { name: string };
  calls: number;
}
interface Facts {
  front?: { dependencies: Hop[] };
  back?: { dependents: Hop[] };
}

async function query(q: string, variables: Record<string, unknown>) {
  const res = await fetch(graphql, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: q, variables }),
  });
  return (await res.json()) as { data?: Facts; errors?: unknown[] };
}

const FACTS = `query ($front: String!, $back: String!) {
  front: service(name: $front) {
    operations { name kind calls errors }
    dependencies(depth: 1) { depth component { name kind } calls errors }
  }
  back: service(name: $back) {
    operations { name kind calls errors }
    dependents(depth: 1) { depth component { name kind } calls errors }
  }
}`;

const CALLS = 6;
const FAIL_IDS = ['1002', '1004'];

/** Runs the traffic with one exporter; returns the facts with the protocol's unique names replaced. */
async function trafficOver(exporter: string) {
  const front = uniqueName(`front-${exporter}`);
  const back = uniqueName(`back-${exporter}`);
  const [frontPort, backPort] = [await freePort(), await freePort()];
  const base = { OTLP_ENDPOINT: endpoints[exporter]!, EXPORTER: exporter };
  const backend = await startTs(
    'test/e2e/fixtures/traced-http-service.ts',
    { ...base, SERVICE_NAME: back, PORT: String(backPort), FAIL_IDS: FAIL_IDS.join(',') },
    /listening/,
  );
  const frontend = await startTs(
    'test/e2e/fixtures/traced-http-service.ts',
    { ...base, SERVICE_NAME: front, PORT: String(frontPort), DOWNSTREAM_URL: `http://127.0.0.1:${backPort}` },
    /listening/,
  );
  for (let i = 0; i < CALLS; i++) {
    const res = await fetch(`http://127.0.0.1:${frontPort}/work/${1000 + i}`);
    expect(res.status).toBe(200);
  }
  // SIGTERM makes each SDK flush what it still holds.
  await Promise.all([frontend.stop(), backend.stop()]);

  const data = await eventually(
    async () => {
      const r = await query(FACTS, { front, back });
      const dep = r.data?.front?.dependencies?.find((d) => d.component.name === back);
      return dep?.calls === CALLS && r.data?.back?.dependents?.length === 1 ? r.data : undefined;
    },
    30_000,
    `${front} → ${back} with ${CALLS} calls over ${exporter}`,
  );
  // Which receiver saw the edge is its provenance: Zipkin's own name, OTLP's over HTTP and gRPC alike.
  const topo = await fetch(graphql, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: `{ topology(environment: "") { edges { from { name } to { name } sources } } }` }),
  }).then((r) => r.json() as Promise<{ data: { topology: { edges: any[] } } }>);
  const edge = topo.data.topology.edges.find((e) => e.from.name === front && e.to.name === back);
  expect(edge?.sources).toEqual([exporter === 'zipkin' ? 'zipkin' : 'otlp']);
  return JSON.parse(JSON.stringify(data).replaceAll(front, 'FRONT').replaceAll(back, 'BACK')) as unknown;
}

describe('receivers with the official OpenTelemetry exporters', () => {
  const facts: Record<string, unknown> = {};

  it('OTLP/HTTP protobuf gives the edge, its exact calls and errors, and the operations', async () => {
    facts.proto = await trafficOver('proto');
    expect(facts.proto).toEqual({
      front: {
        operations: [{ name: 'GET /work/{id}', kind: 'SERVER', calls: CALLS, errors: 0 }],
        dependencies: [
          { depth: 1, component: { name: 'BACK', kind: 'SERVICE' }, calls: CALLS, errors: FAIL_IDS.length },
        ],
      },
      back: {
        operations: [{ name: 'GET /items/{id}', kind: 'SERVER', calls: CALLS, errors: FAIL_IDS.length }],
        dependents: [
          { depth: 1, component: { name: 'FRONT', kind: 'SERVICE' }, calls: CALLS, errors: FAIL_IDS.length },
        ],
      },
    });
  });

  it.each(['grpc', 'grpc-gzip', 'zipkin'])('%s gives the same facts as OTLP/HTTP', async (exporter) => {
    expect(facts.proto, 'the OTLP/HTTP case ran first').toBeDefined();
    expect(await trafficOver(exporter)).toEqual(facts.proto);
  });
});
