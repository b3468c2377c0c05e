/**
 * Conformance with the OpenTelemetry Collector's servicegraph connector: every case of
 * ../shared/corpus/otel-servicegraph/ (a trace and the metrics the connector expects from it) goes
 * through the real import path into Neo4j, and the graph, read back in the connector's terms, must
 * give exactly the expected edges: client, server, connection type, request and failed counts.
 *
 * Where Topograph deliberately differs, the mapping is stated here (see `asCollectorEdges`):
 * - connection_type "" (a CLIENT → SERVER pair)     ⇔ Service -[:DEPENDS_ON]-> Service
 * - connection_type virtual_node, server `unknown`  ⇔ Service -[:DEPENDS_ON]-> External named by the
 *   naming precedence (peer.service, server.address, …), `unknown` when no attribute names the peer
 * - connection_type virtual_node, client `user`     ⇔ the entry calls of the server's operation
 *   (Operation.entryCalls, entryPoint = true); when the root span names its caller with peer.service,
 *   Topograph also keeps that caller as an External node with an edge to the service
 * - connection_type database                        ⇔ Service -[:DEPENDS_ON]-> Database
 * - connection_type messaging_system                ⇔ Service -> MessagingDestination -> Service when
 *   the spans name a destination (the queue is a node)
 * - failed=true / failed=false data points           ⇔ the edge's `errors` and `calls - errors`
 * - extra dimensions (client_messaging.system, server_db.system) are not edge labels in Topograph:
 *   allow-listed attributes become Tag nodes instead
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pdataYamlExpectedEdges, type ExpectedEdge } from '../../ingest/formats/pdata-yaml.js';
import { SpanKind } from '../../ingest/span.js';
import { fileGraph, uniqueName } from '../support/graph.js';
import { batchesInto, corpusPath, edgesIn, importInto, operationsIn } from '../support/model-graph.js';
import { TraceBuilder } from '../support/spans.js';

const graph = fileGraph();
const expectedOf = (file: string) =>
  pdataYamlExpectedEdges(readFileSync(corpusPath(`otel-servicegraph/${file}`), 'utf8'));

const point = (
  client: string,
  server: string,
  connectionType: string,
  failed: boolean,
  count: number,
): ExpectedEdge => ({
  client,
  server,
  connectionType,
  failed,
  count,
});

/** The graph of one environment, read in the connector's terms (the mapping in the file comment). */
async function asCollectorEdges(env: string): Promise<ExpectedEdge[]> {
  const out: ExpectedEdge[] = [];
  const add = (client: string, server: string, type: string, calls: number, errors: number) => {
    if (calls - errors > 0) out.push(point(client, server, type, false, calls - errors));
    if (errors > 0) out.push(point(client, server, type, true, errors));
  };
  const edges = await edgesIn(graph, env);
  for (const e of edges) {
    if (e.fromKind === 'SERVICE' && e.toKind === 'SERVICE') add(e.from, e.to, '', e.calls, e.errors);
    else if (e.fromKind === 'SERVICE' && e.toKind === 'EXTERNAL') add(e.from, e.to, 'virtual_node', e.calls, e.errors);
    else if (e.fromKind === 'SERVICE' && e.toKind === 'DATABASE') add(e.from, e.to, 'database', e.calls, e.errors);
    else if (e.fromKind === 'MESSAGING_DESTINATION' && e.toKind === 'SERVICE') {
      for (const p of edges.filter((x) => x.to === e.from && x.toKind === 'MESSAGING_DESTINATION'))
        add(p.from, e.to, 'messaging_system', e.calls, e.errors);
    }
    // External → Service (a caller named by peer.service) is the named form of the `user` edge below.
  }
  for (const op of await operationsIn(graph, env)) {
    if (op.entryCalls === 0) continue;
    // Every call of these operations came from outside, so their errors are the entry calls' errors.
    expect(op.calls).toBe(op.entryCalls);
    add('user', op.component, 'virtual_node', op.entryCalls, op.errors);
  }
  const order = (e: ExpectedEdge) => `${e.client} ${e.server} ${e.connectionType} ${e.failed}`;
  return out.sort((a, b) => order(a).localeCompare(order(b)));
}

const sorted = (edges: ExpectedEdge[]) =>
  [...edges].sort((a, b) =>
    `${a.client} ${a.server} ${a.connectionType} ${a.failed}`.localeCompare(
      `${b.client} ${b.server} ${b.connectionType} ${b.failed}`,
    ),
  );

describe('OpenTelemetry Collector servicegraph connector conformance', () => {
  it('extra-dimensions-queue-db: foo-server → bar-requester, one request', async () => {
    const env = uniqueName('conf-extra');
    await importInto(graph, env, ['otel-servicegraph/extra-dimensions-queue-db-trace.yaml']);
    const expected = expectedOf('extra-dimensions-queue-db-expected-metrics.yaml');
    expect(expected).toEqual([point('foo-server', 'bar-requester', '', false, 1)]);
    expect(await asCollectorEdges(env)).toEqual(expected);
  });

  it('messaging-system: foo-server → bar-requester, one request (a CLIENT → SERVER pair, so connection type "")', async () => {
    const env = uniqueName('conf-msg');
    await importInto(graph, env, ['otel-servicegraph/messaging-system-trace.yaml']);
    const expected = expectedOf('messaging-system-trace-expected-metrics.yaml');
    expect(await asCollectorEdges(env)).toEqual(sorted(expected));
  });

  it('virtual-node-label: foo-server → unknown and user → bar-requester; the peer.service caller kept as an External node', async () => {
    const env = uniqueName('conf-virtual');
    await importInto(graph, env, ['otel-servicegraph/virtual-node-label-trace.yaml']);
    const expected = expectedOf('virtual-node-label-expected-metrics.yaml');
    expect(await asCollectorEdges(env)).toEqual(sorted(expected));
    // Beyond the connector: its `server_peer.service=external-platform` label is a node here.
    const named = (await edgesIn(graph, env)).filter((e) => e.fromKind === 'EXTERNAL');
    expect(named).toMatchObject([{ from: 'external-platform', to: 'bar-requester', calls: 1, errors: 0 }]);
  });

  it('virtual-node-label-client: user → bar-requester (peer.service.name is not peer.service: no named caller)', async () => {
    const env = uniqueName('conf-vclient');
    await importInto(graph, env, ['otel-servicegraph/virtual-node-label-client-trace.yaml']);
    const expected = expectedOf('virtual-node-label-client-expected-metrics.yaml');
    expect(await asCollectorEdges(env)).toEqual(sorted(expected));
    expect((await edgesIn(graph, env)).filter((e) => e.fromKind === 'EXTERNAL')).toEqual([]);
  });

  it('virtual-node-label-server (trace file missing upstream; built from the expected file): foo-server → unknown', async () => {
    const env = uniqueName('conf-vserver');
    const t = new TraceBuilder();
    // A root CLIENT span of foo-server that no instrumented server answers, naming no peer.
    t.span({ service: 'foo-server', kind: SpanKind.CLIENT, name: 'server' });
    await batchesInto(graph, env, [t.batch()]);
    const expected = expectedOf('virtual-node-label-server-expected-metrics.yaml');
    expect(await asCollectorEdges(env)).toEqual(sorted(expected));
  });

  it('failed-label-not-work (trace file missing upstream; built from the expected file): foo → bar, 2 ok and 1 failed', async () => {
    const env = uniqueName('conf-failed');
    const batches = [];
    for (const failed of [false, false, true]) {
      const t = new TraceBuilder();
      const c = t.span({ service: 'foo', kind: SpanKind.CLIENT, name: 'call', error: failed });
      t.span({ service: 'bar', kind: SpanKind.SERVER, name: 'serve', parent: c, error: failed });
      batches.push(t.batch(['bar']), t.batch(['foo']));
    }
    await batchesInto(graph, env, batches);
    const expected = expectedOf('failed-label-not-work-expect-metrics.yaml');
    // foo's spans are CLIENT roots, bar's are answered: the only edge is foo → bar.
    expect(await asCollectorEdges(env)).toEqual(sorted(expected));
  });
});
