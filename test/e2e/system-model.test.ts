/**
 * End to end, the whole system model: a small shop of real processes instrumented with the official
 * OpenTelemetry JS SDK (protobuf exporter) sends to the real ingest worker, and the real GraphQL API
 * answers with the graph. Covered: HTTP routes with ids (templated), an uninstrumented external API
 * (a real HTTP server with no SDK), errors (a 500), a database client, a queue with a producer and a
 * consumer (context carried in the message), two versions of one library (two replicas of `orders`).
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { neo4jEnv, uniqueName } from '../support/graph.js';
import { eventually, freePort, startTs, type Child } from '../support/processes.js';

const FIXTURE = 'test/e2e/fixtures/system-service.ts';
const env = uniqueName('e2e-system');
const ORDERS = 6;
const FAILURES = 2;
let worker: Child;
let api: Child;
let external: Server;
let graphql: string;
const shop: Child[] = [];

async function gql(query: string, variables: Record<string, unknown>) {
  const res = await fetch(graphql, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as { data?: Model; errors?: unknown[] };
}

interface Dependency {
  depth?: number;
  component: { name: string; kind: string };
  calls: number;
  errors: number;
}
interface Model {
  gateway: { operations: { name: string; kind: string; entryPoint: boolean }[]; dependencies: Dependency[] };
  orders: { version: string; dependencies: Dependency[]; libraries: { name: string; version: string }[] };
  checkout: {
    downstream: {
      depth: number;
      from: { component: { name: string }; name: string };
      to: { component: { name: string }; name: string };
      calls: number;
    }[];
  };
}

beforeAll(async () => {
  const [otlpPort, grpcPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  // A short pairing TTL: the database, the external API and the queue have no spans of their own and
  // appear when their client halves expire.
  const common = {
    ...neo4jEnv(),
    TOPOGRAPH_FLUSH_INTERVAL: '200ms',
    TOPOGRAPH_PAIRING_TTL: '1s',
    TOPOGRAPH_LOG_LEVEL: 'info',
  };
  worker = await startTs(
    'ingest/main.ts',
    {
      ...common,
      TOPOGRAPH_OTLP_HTTP_PORT: String(otlpPort),
      TOPOGRAPH_OTLP_GRPC_PORT: String(grpcPort),
      TOPOGRAPH_SPOOL_DIR: mkdtempSync(join(tmpdir(), 'topograph-spool-system-')),
    },
    /OTLP\/HTTP receiver on/,
  );
  api = await startTs('src/api/main.ts', { ...common, TOPOGRAPH_API_PORT: String(apiPort) }, /GraphQL API/);
  graphql = `http://127.0.0.1:${apiPort}/graphql`;

  // The external API runs no SDK: it is known only through the gateway's client spans.
  external = createServer((_req, res) => res.end('{"rate":1}'));
  const externalPort = await freePort();
  await new Promise<void>((resolve) => external.listen(externalPort, 'localhost', resolve));

  const [gatewayPort, ordersA, ordersB, notifierPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const base = { OTLP_ENDPOINT: `http://127.0.0.1:${otlpPort}`, DEPLOYMENT_ENVIRONMENT: env };
  shop.push(
    await startTs(
      FIXTURE,
      { ...base, ROLE: 'notifier', SERVICE_NAME: 'notifier', PORT: String(notifierPort) },
      /listening/,
    ),
  );
  for (const [port, version, dbClient] of [
    [ordersA, '1.0.0', '1.4.0'],
    [ordersB, '1.1.0', '2.0.0'],
  ] as const) {
    shop.push(
      await startTs(
        FIXTURE,
        {
          ...base,
          ROLE: 'orders',
          SERVICE_NAME: 'orders',
          SERVICE_VERSION: version,
          DB_CLIENT_VERSION: dbClient,
          PORT: String(port),
          NOTIFIER_PORT: String(notifierPort),
        },
        /listening/,
      ),
    );
  }
  shop.push(
    await startTs(
      FIXTURE,
      {
        ...base,
        ROLE: 'gateway',
        SERVICE_NAME: 'gateway',
        PORT: String(gatewayPort),
        ORDERS_URLS: `http://127.0.0.1:${ordersA},http://127.0.0.1:${ordersB}`,
        EXTERNAL_URL: `http://localhost:${externalPort}`,
      },
      /listening/,
    ),
  );

  for (let i = 0; i < ORDERS; i++)
    expect((await fetch(`http://127.0.0.1:${gatewayPort}/orders/${4100 + i}`)).status).toBe(200);
  for (let i = 0; i < FAILURES; i++)
    expect((await fetch(`http://127.0.0.1:${gatewayPort}/fail/${900 + i}`)).status).toBe(502);
  // SIGTERM makes each SDK flush what it still holds.
  await Promise.all(shop.map((c) => c.stop()));
}, 180_000);

afterAll(async () => {
  await Promise.all([...shop.map((c) => c.stop()), worker?.stop(), api?.stop()]);
  await new Promise((resolve) => external?.close(resolve));
});

const MODEL = `query ($env: String!) {
  gateway: service(name: "gateway", environment: $env) {
    operations { name kind entryPoint }
    dependencies(depth: 1) { component { name kind } calls errors }
  }
  orders: service(name: "orders", environment: $env) {
    version
    dependencies(depth: 2) { depth component { name kind } calls errors }
    libraries { name version }
  }
  checkout: operation(service: "gateway", name: "GET /orders/{id}", environment: $env) {
    downstream(depth: 5) { depth from { component { name } name } to { component { name } name } calls }
  }
}`;

describe('a multi-service system of OpenTelemetry SDK processes', () => {
  let data: Model;
  beforeAll(async () => {
    // Waits until every fact has been written: the last to appear are the expired client halves.
    data = await eventually(
      async () => {
        const r = await gql(MODEL, { env });
        const orders = r.data?.orders?.dependencies ?? [];
        const gateway = r.data?.gateway?.dependencies ?? [];
        const ready =
          gateway.some((d) => d.component.kind === 'EXTERNAL' && d.calls === ORDERS) &&
          gateway.some((d) => d.component.name === 'orders' && d.calls === ORDERS + FAILURES) &&
          orders.some((d) => d.component.kind === 'DATABASE' && d.calls === ORDERS) &&
          orders.some((d) => d.component.name === 'notifier' && d.calls === ORDERS);
        return ready ? r.data : undefined;
      },
      60_000,
      'the whole system model',
    );
  });

  it('names HTTP operations by method and templated route, never by raw URL, and marks entry points', () => {
    expect(data.gateway.operations).toEqual(
      expect.arrayContaining([
        { name: 'GET /orders/{id}', kind: 'SERVER', entryPoint: true },
        { name: 'GET /fail/{id}', kind: 'SERVER', entryPoint: true },
      ]),
    );
    expect(data.gateway.operations).toHaveLength(2);
  });

  it('gives the gateway its callees: orders with the failed calls counted, and the uninstrumented API as an External', () => {
    expect(data.gateway.dependencies).toEqual(
      expect.arrayContaining([
        { component: { name: 'orders', kind: 'SERVICE' }, calls: ORDERS + FAILURES, errors: FAILURES },
        { component: { name: 'localhost', kind: 'EXTERNAL' }, calls: ORDERS, errors: 0 },
      ]),
    );
    expect(data.gateway.dependencies).toHaveLength(2);
  });

  it('gives orders its database and its queue, and the queue its consumer', () => {
    expect(data.orders.dependencies).toEqual(
      expect.arrayContaining([
        { depth: 1, component: { name: 'orders-db', kind: 'DATABASE' }, calls: ORDERS, errors: 0 },
        { depth: 1, component: { name: 'order-events', kind: 'MESSAGING_DESTINATION' }, calls: ORDERS, errors: 0 },
        { depth: 2, component: { name: 'notifier', kind: 'SERVICE' }, calls: ORDERS, errors: 0 },
      ]),
    );
  });

  it('records two versions of one library in use by orders, and the SDK instrumentation', () => {
    const versions = data.orders.libraries.filter((l) => l.name === 'e2e-db-client').map((l) => l.version);
    expect(versions.sort()).toEqual(['1.4.0', '2.0.0']);
    expect(data.orders.libraries.map((l) => l.name)).toContain('@opentelemetry/instrumentation-http');
    expect(['1.0.0', '1.1.0']).toContain(data.orders.version);
  });

  it('follows the path of GET /orders/{id} through every hop', () => {
    const hops = data.checkout.downstream.map(
      (h) => `${h.depth} ${h.from.component.name}:${h.from.name} -> ${h.to.component.name}:${h.to.name} x${h.calls}`,
    );
    expect(hops.sort()).toEqual(
      [
        `1 gateway:GET /orders/{id} -> localhost:GET /rates/{id} x${ORDERS}`,
        `1 gateway:GET /orders/{id} -> orders:GET /orders/{id} x${ORDERS}`,
        `3 order-events:publish -> notifier:order-events process x${ORDERS}`,
        `2 orders:GET /orders/{id} -> order-events:publish x${ORDERS}`,
        `2 orders:GET /orders/{id} -> orders-db:SELECT orders x${ORDERS}`,
      ].sort(),
    );
  });
});
