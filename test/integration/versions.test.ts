/**
 * Versions on edges and a service's own versions, against the real Neo4j: spans recorded with the
 * official OpenTelemetry SDK (one tracer provider per service version, as a canary deployment runs
 * them), exported as OTLP/protobuf, decoded and ingested by the real pipeline, asked through the
 * real API. The reads each question sends are pinned in test/integration/cypher/versions-*.md; as in
 * api-cypher.test.ts the clock (Date only) is held at a fixed instant so that their time bounds repeat.
 */
import { SpanKind } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEngine, engineOptions } from '../../ingest/engine.js';
import { createNeo4jSink } from '../../ingest/writer.js';
import { defaultConfig } from '../../src/core/config.js';
import { QUESTION_QUERIES } from '../../src/api/graphql/examples.js';
import { createGql } from '../support/api.js';
import { driveEngine } from '../support/capture.js';
import { recordingGraph, renderReads, type RecordedRead } from '../support/cypher-recorder.js';
import { fileGraph, seed, uniqueName } from '../support/graph.js';
import { checkouts } from '../support/sdk-canary.js';
import { decoded, end, httpServer, sdk, under } from '../support/sdk-spans.js';

const graph = fileGraph();
const recorder = recordingGraph(graph);
const reads: RecordedRead[] = recorder.reads;
const gql = createGql(recorder.graph);
const env = uniqueName('versions');

/** HotROD's shape: customer's SERVER span, and under it a span of the `mysql` service naming itself. */
function hotrod(t: ReturnType<typeof sdk>, calls: number) {
  const customer = t.tracer('customer', '1.0.0');
  const mysql = t.tracer('mysql');
  for (let i = 0; i < calls; i++) {
    const s = customer.startSpan('HTTP GET /customer', { kind: SpanKind.SERVER, attributes: httpServer('/customer') });
    const q = mysql.startSpan(
      'SQL SELECT',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'service.peer.name': 'mysql',
          'db.system': 'mysql',
          'db.operation.name': 'SELECT',
          'db.collection.name': 'customer',
        },
      },
      under(s),
    );
    end(q, false);
    end(s, false);
  }
}

const AT = Date.UTC(2026, 0, 16, 12, 0, 0);

afterAll(() => {
  vi.useRealTimers();
});

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'], now: AT });
  const t = sdk(env);
  checkouts(t, '2.1.0', 100, 1);
  checkouts(t, '2.2.0', 25, 3);
  hotrod(t, 4);
  await seed(graph, [decoded(t.exporter)]);
});

/** Asks `query` of the API with `$env`, and pins the reads it sent in cypher/<name>.md. */
async function ask(name: string, query: string) {
  reads.length = 0;
  const r = await gql(query, { env });
  expect(r.errors).toBeUndefined();
  await expect(renderReads(name, query, reads, { [env]: '<env>' })).toMatchFileSnapshot(`./cypher/${name}.md`);
  return r.data;
}

const pct = (v: { errorRate: number }) => Math.round(v.errorRate * 100);

describe('versions on edges', () => {
  it('answers the canary question in one query: calls and errors per caller and callee version', async () => {
    const data = await ask(
      'versions-canary',
      `query($env: String) { service(name: "checkout", environment: $env) {
  versions { version calls errors }
  dependencies(depth: 1) { component { name } calls errors byVersion { fromVersion toVersion calls errors errorRate } }
} }`,
    );
    const deps = Object.fromEntries(data.service.dependencies.map((d: any) => [d.component.name, d]));
    expect(deps.payments.byVersion.map((v: any) => [v.fromVersion, v.toVersion, v.calls, v.errors, pct(v)])).toEqual([
      ['2.1.0', '1.0.0', 100, 1, 1],
      ['2.2.0', '1.0.0', 25, 3, 12],
    ]);
    // The edge's totals are the sum of its versions; a database reports no version of its own.
    expect(deps.payments).toMatchObject({ calls: 125, errors: 4 });
    expect(deps['orders-db'].byVersion.map((v: any) => [v.fromVersion, v.toVersion, v.calls])).toEqual([
      ['2.1.0', null, 100],
      ['2.2.0', null, 25],
    ]);
    // The service's own versions: the calls its entry operation served in each.
    expect(data.service.versions).toEqual([
      { version: '2.1.0', calls: 100, errors: 1 },
      { version: '2.2.0', calls: 25, errors: 3 },
    ]);
  });

  it('the documented canary question runs as written', async () => {
    const r = await gql(
      QUESTION_QUERIES.canary.replace('service(name: "checkout")', `service(name: "checkout", environment: "${env}")`),
    );
    expect(r.errors).toBeUndefined();
    const payments = r.data.service.dependencies.find((d: any) => d.component.name === 'payments');
    expect(payments.byVersion.map((v: any) => `${v.fromVersion} ${pct(v)}%`)).toEqual(['2.1.0 1%', '2.2.0 12%']);
  });

  // One question per query: root fields resolve in parallel, and whether their version reads share a
  // DataLoader batch depends on when Neo4j answers, which the pinned reads must not.
  it('gives calls between operations, dependents and topology edges by version too', async () => {
    const op = await ask(
      'versions-hops',
      `query($env: String) {
  operation(service: "checkout", name: "POST /checkout", environment: $env) {
    downstream(depth: 1) { to { name } byVersion { fromVersion toVersion calls errors } }
  }
}`,
    );
    const pay = op.operation.downstream.find((h: any) => h.to.name === 'POST /pay');
    expect(pay.byVersion).toEqual([
      { fromVersion: '2.1.0', toVersion: '1.0.0', calls: 100, errors: 1 },
      { fromVersion: '2.2.0', toVersion: '1.0.0', calls: 25, errors: 3 },
    ]);
    const service = await ask(
      'versions-dependents',
      `query($env: String) {
  service(name: "payments", environment: $env) { dependents(depth: 1) { component { name } byVersion { fromVersion calls } } }
}`,
    );
    // Walking in, the edge still runs from the caller: checkout's versions, not payments'.
    expect(service.service.dependents).toEqual([
      {
        component: { name: 'checkout' },
        byVersion: [
          { fromVersion: '2.1.0', calls: 100 },
          { fromVersion: '2.2.0', calls: 25 },
        ],
      },
    ]);
    const topology = await ask(
      'versions-topology',
      `query($env: String) {
  topology(environment: $env) { edges { from { name } to { name } byVersion { fromVersion toVersion calls } } }
}`,
    );
    const edge = topology.topology.edges.find((e: any) => e.from.name === 'checkout' && e.to.name === 'payments');
    expect(edge.byVersion.map((v: any) => v.calls)).toEqual([100, 25]);
  });

  it("adds a later flush's calls to the version pairs an edge holds, beside a pair new to it", async () => {
    const later = uniqueName('versions-later');
    let clock = Date.now() - 60_000;
    const pipeline = driveEngine(
      createEngine(engineOptions(defaultConfig())),
      createNeo4jSink(graph, defaultConfig().ingest.writer),
      () => clock,
    );
    // 2.1.0 in both flushes (held by the second), 2.2.0 only in the second (new then).
    for (const releases of [
      [['2.1.0', 3, 1]],
      [
        ['2.1.0', 2, 0],
        ['2.2.0', 4, 2],
      ],
    ] as const) {
      const t = sdk(later);
      for (const [version, calls, errors] of releases) checkouts(t, version, calls, errors);
      clock += 10_000;
      pipeline.ingest(decoded(t.exporter));
      await pipeline.drainAll();
    }
    const pairs = await graph.read('test', async (tx) =>
      (
        await tx.run(
          `MATCH (a:Component {name: 'checkout', environment: $env})-[v:DEPENDS_ON_VERSION]->(b:Component)
           RETURN b.name + ' ' + v.fromVersion + '->' + v.toVersion + ' x' + v.calls + ' (' + v.errors + ' errors)' AS pair
           ORDER BY pair`,
          { env: later },
        )
      ).records.map((r) => r.get('pair')),
    );
    expect(pairs).toEqual([
      'orders-db 2.1.0-> x5 (0 errors)',
      'orders-db 2.2.0-> x4 (0 errors)',
      'payments 2.1.0->1.0.0 x5 (1 errors)',
      'payments 2.2.0->1.0.0 x4 (2 errors)',
    ]);
  });

  it('keeps at most TOPOGRAPH_VERSIONS_PER_EDGE pairs per edge, dropping the least recently seen and counting them', async () => {
    const bounded = uniqueName('versions-bound');
    const dropped: number[] = [];
    const writer = {
      ...defaultConfig().ingest.writer,
      versionsPerEdge: 2,
      onVersionsDropped: (n: number) => dropped.push(n),
    };
    let clock = Date.now() - 60_000;
    const pipeline = driveEngine(
      createEngine(engineOptions(defaultConfig())),
      createNeo4jSink(graph, writer),
      () => clock,
    );
    // Three releases one after the other, each its own flush.
    for (const version of ['1', '2', '3']) {
      const t = sdk(bounded);
      checkouts(t, version, 2, 0);
      clock += 10_000;
      pipeline.ingest(decoded(t.exporter));
      await pipeline.drainAll();
    }
    const r = await gql(
      `{ service(name: "checkout", environment: "${bounded}") { versions { version } dependencies { component { name } byVersion { fromVersion } } } }`,
    );
    expect(r.errors).toBeUndefined();
    for (const d of r.data.service.dependencies)
      expect(
        d.byVersion.map((v: any) => v.fromVersion),
        d.component.name,
      ).toEqual(['2', '3']);
    expect(r.data.service.versions.map((v: any) => v.version)).toEqual(['2', '3']);
    // Per flush: checkout → payments, checkout → orders-db, POST /checkout → POST /pay, → SELECT, and checkout's own version.
    expect(dropped.reduce((a, b) => a + b, 0)).toBe(5);
  });
});

describe('a client span whose peer attribute names its own service', () => {
  it('describes that service: no twin, no edge to itself, its CLIENT operation called by its caller', async () => {
    const data = await ask(
      'versions-own-peer',
      `query($env: String) {
  topology(environment: $env) { nodes { name kind } edges { from { name } to { name } calls } }
  service(name: "mysql", environment: $env) { operations { name kind calls } dependents { component { name } byVersion { fromVersion toVersion calls } } }
}`,
    );
    const mysql = data.topology.nodes.filter((n: any) => n.name === 'mysql');
    expect(mysql).toEqual([{ name: 'mysql', kind: 'SERVICE' }]);
    const toMysql = data.topology.edges.filter((e: any) => e.to.name === 'mysql');
    expect(toMysql).toEqual([{ from: { name: 'customer' }, to: { name: 'mysql' }, calls: 4 }]);
    expect(data.service.operations).toEqual([{ name: 'SELECT customer', kind: 'CLIENT', calls: 4 }]);
    expect(data.service.dependents).toEqual([
      { component: { name: 'customer' }, byVersion: [{ fromVersion: '1.0.0', toVersion: null, calls: 4 }] },
    ]);
  });
});
