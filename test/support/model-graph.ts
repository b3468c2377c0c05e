/**
 * Running trace files and built spans through the real pipeline into the real Neo4j, isolated by a
 * `deployment.environment.name` of the test's own, and reading back what one environment holds.
 */
import { defaultConfig } from '../../src/core/config.js';
import type { Graph } from '../../src/core/neo4j/connection.js';
import { importFiles, type ImportFile, type ImportResult } from '../../ingest/import.js';
import { engineOptions } from '../../ingest/engine.js';
import { createNeo4jLinkSink, createNeo4jSink } from '../../ingest/writer.js';
import type { DecodedBatch } from '../../ingest/span.js';
import type { ExpectedEdge } from '../../ingest/formats/pdata-yaml.js';
import { expect } from 'vitest';
/** Imports files (paths, or ImportFiles) into `environment`. */
export async function importInto(
  graph: Graph,
  environment: string,
  files: (string | ImportFile)[],
  opts: { rebaseTime?: boolean; now?: () => number } = {},
): Promise<ImportResult> {
  const config = defaultConfig();
  return importFiles({
    files,
    sink: createNeo4jSink(graph, config.ingest.writer),
    links: createNeo4jLinkSink(graph),
    options: engineOptions(config),
    limits: config.limits.decode,
    environment,
    rebaseTime: opts.rebaseTime ?? true,
    now: opts.now,
  });
}

/** Built batches, through the same import path as a file (one pipeline, drained at the end). */
export function batchesInto(graph: Graph, environment: string, batches: DecodedBatch[], now?: () => number) {
  const files: ImportFile[] = batches.map((b, i) => ({
    name: `batch-${i}.json`,
    read: async () => JSON.stringify(toOtlpJson(b)),
  }));
  return importInto(graph, environment, files, { rebaseTime: false, now });
}

/** The internal model as OTLP JSON (hex ids, integer enums, string nanos), so built spans go through decoding too. */
function toOtlpJson(b: DecodedBatch) {
  const attrs = (a: Record<string, unknown>) =>
    Object.entries(a).map(([key, v]) => ({
      key,
      value:
        typeof v === 'string'
          ? { stringValue: v }
          : typeof v === 'boolean'
            ? { boolValue: v }
            : Number.isInteger(v)
              ? { intValue: String(v) }
              : { doubleValue: v },
    }));
  const nanos = (ms: number) => (BigInt(Math.round(ms * 1000)) * 1000n).toString();
  return {
    resourceSpans: b.batch.map((rs) => ({
      resource: { attributes: attrs(rs.resource) },
      scopeSpans: rs.scopeSpans.map((ss) => ({
        scope: ss.scope,
        spans: ss.spans.map((s) => ({
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId,
          name: s.name,
          kind: s.kind,
          startTimeUnixNano: nanos(s.startMs),
          endTimeUnixNano: nanos(s.endMs),
          status: { code: s.status },
          attributes: attrs(s.attributes),
          links: s.links.map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
        })),
      })),
    })),
  };
}

export interface EdgeRecord {
  from: string;
  fromKind: string;
  to: string;
  toKind: string;
  calls: number;
  errors: number;
  protocols: string[];
}

const EDGES_IN_ENVIRONMENT = `
MATCH (a:Component {environment: $env})-[r:DEPENDS_ON]->(b:Component)
RETURN a.name AS from, a.kind AS fromKind, b.name AS to, b.kind AS toKind, r.calls AS calls, r.errors AS errors, r.protocols AS protocols
ORDER BY from, to`;

export async function edgesIn(graph: Graph, env: string): Promise<EdgeRecord[]> {
  return graph.read('test', async (tx) =>
    (await tx.run(EDGES_IN_ENVIRONMENT, { env })).records.map((r) => r.toObject() as EdgeRecord),
  );
}

/** `from -> to` for every edge of the environment, sorted. */
export const edgeNames = (edges: EdgeRecord[]) => edges.map((e) => `${e.from} -> ${e.to}`).sort();

export interface ComponentRecord {
  name: string;
  kind: string;
  system: string | null;
  namespace: string | null;
  address: string | null;
}

const COMPONENTS_IN_ENVIRONMENT = `
MATCH (c:Component {environment: $env})
RETURN c.name AS name, c.kind AS kind, c.system AS system, c.namespace AS namespace, c.address AS address
ORDER BY kind, name`;

export async function componentsIn(graph: Graph, env: string): Promise<ComponentRecord[]> {
  return graph.read('test', async (tx) =>
    (await tx.run(COMPONENTS_IN_ENVIRONMENT, { env })).records.map((r) => r.toObject() as ComponentRecord),
  );
}

export interface OperationRecord {
  component: string;
  name: string;
  kind: string;
  calls: number;
  errors: number;
  entryCalls: number;
}

const OPERATIONS_IN_ENVIRONMENT = `
MATCH (c:Component {environment: $env})-[:HAS_OPERATION]->(o:Operation)
RETURN c.name AS component, o.name AS name, o.kind AS kind, o.calls AS calls, o.errors AS errors, o.entryCalls AS entryCalls
ORDER BY component, name`;

export async function operationsIn(graph: Graph, env: string): Promise<OperationRecord[]> {
  return graph.read('test', async (tx) =>
    (await tx.run(OPERATIONS_IN_ENVIRONMENT, { env })).records.map((r) => r.toObject() as OperationRecord),
  );
}

const CALLS_IN_ENVIRONMENT = `
MATCH (a:Component {environment: $env})-[:HAS_OPERATION]->(o1:Operation)-[r:CALLS]->(o2:Operation)<-[:HAS_OPERATION]-(b:Component)
RETURN a.name + ':' + o1.name + ' -> ' + b.name + ':' + o2.name AS hop, r.calls AS calls
ORDER BY hop`;

/** `service:operation -> component:operation` → calls. */
export async function callsIn(graph: Graph, env: string): Promise<Record<string, number>> {
  return graph.read('test', async (tx) =>
    Object.fromEntries(
      (await tx.run(CALLS_IN_ENVIRONMENT, { env })).records.map((r) => [r.get('hop'), r.get('calls')]),
    ),
  );
}

/**
 * The OpenTelemetry Collector's servicegraph connector states a trace's edges as data points
 * (client, server, connection type, failed, count). Topograph's graph is read back in those terms
 * by `collectorEdges`; where Topograph deliberately differs, the mapping is:
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
export const point = (
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
export async function collectorEdges(graph: Graph, env: string): Promise<ExpectedEdge[]> {
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
  return sortedEdges(out);
}

export const sortedEdges = (edges: ExpectedEdge[]) =>
  [...edges].sort((a, b) =>
    `${a.client} ${a.server} ${a.connectionType} ${a.failed}`.localeCompare(
      `${b.client} ${b.server} ${b.connectionType} ${b.failed}`,
    ),
  );
