/**
 * `npm run demo` (examples/demo/traffic.ts) as a user runs it beside `npm start`: the demo's real
 * OpenTelemetry SDK exporters send to a real worker on its OTLP/HTTP port, and the real API then
 * answers the map the topology page draws: the shop's services, its database, its topic and the
 * carrier it calls, with the failing payments edge.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniqueName } from '../support/graph.js';
import { eventually, startTs } from '../support/processes.js';
import { startWorkerAndApi, type Stack } from '../support/stack.js';

let stack: Stack;
let graphql: string;
let otlp: string;

beforeAll(async () => {
  stack = await startWorkerAndApi();
  ({ graphql, otlp } = stack);
});

afterAll(async () => {
  await stack?.stop();
});

// The page's own question (src/api/ui/app.js asks `topology` for the environment it shows).
const TOPOLOGY = `query ($env: String) {
  topology(environment: $env) { nodes { name kind } edges { from { name } to { name } calls errors } }
}`;

interface Topology {
  nodes: { name: string; kind: string }[];
  edges: { from: { name: string }; to: { name: string }; calls: number; errors: number }[];
}

const EXPECTED_EDGES = [
  'checkout -> inventory',
  'checkout -> inventory-db',
  'checkout -> orders',
  'checkout -> payments',
  'orders -> shipping',
  'shipping -> api.carrier.example',
  'web -> checkout',
];

describe('npm run demo', () => {
  it('draws the demo shop on the map within a minute', { timeout: 120_000 }, async () => {
    const env = uniqueName('demo');
    const demo = await startTs(
      'examples/demo/traffic.ts',
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
        DEMO_ENVIRONMENT: env,
        RATE_MS: '50',
        // The SDK's batch delay (5 s by default), shortened so the test waits on the map, not the SDK.
        OTEL_BSP_SCHEDULE_DELAY: '200',
      },
      /demo traffic every/,
    );
    try {
      const edges = (t: Topology) => t.edges.map((e) => `${e.from.name} -> ${e.to.name}`).sort();
      const map = await eventually(
        async () => {
          const res = await fetch(graphql, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ query: TOPOLOGY, variables: { env } }),
          });
          const t = ((await res.json()) as { data: { topology: Topology } }).data.topology;
          // Every edge drawn, and enough orders through for 1 in 8 to have failed.
          const pay = t.edges.find((e) => e.to.name === 'payments');
          return edges(t).length === EXPECTED_EDGES.length && pay && pay.calls >= 8 ? t : undefined;
        },
        60_000,
        'the demo map',
      );
      expect(edges(map)).toEqual(EXPECTED_EDGES);
      expect(map.nodes.map((n) => `${n.name} ${n.kind}`).sort()).toEqual([
        'api.carrier.example EXTERNAL',
        'checkout SERVICE',
        'inventory SERVICE',
        'inventory-db DATABASE',
        'orders MESSAGING_DESTINATION',
        'payments SERVICE',
        'shipping SERVICE',
        'web SERVICE',
      ]);
      const pay = map.edges.find((e) => e.to.name === 'payments')!;
      expect(pay.errors).toBeGreaterThan(0);
      expect(map.edges.find((e) => e.to.name === 'inventory')!.errors).toBe(0);
    } finally {
      await demo.stop();
    }
  });
});
