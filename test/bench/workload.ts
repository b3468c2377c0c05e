/**
 * The ingest benchmark's traffic: a deterministic (seeded) system of services, routes, databases and
 * external peers, and traces of 5 to 50 spans walking it, encoded as OTLP/protobuf export requests
 * with protobufjs's Writer. The topology is fixed, so traffic repeats the same edges as real traffic
 * does; trace and span ids are fresh for every trace.
 *
 * Every name that reaches a shared node (libraries, tag values) carries the run id, so the benchmark
 * can delete exactly what it created.
 */
import protobuf from 'protobufjs/minimal.js';
import { workerDecoder } from './worker-decoder.js';

/** mulberry32: small, fast, good enough for shaping traffic, and the same sequence for the same seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface WorkloadShape {
  runId: string;
  environment: string;
  seed: number;
  services: number;
  routesPerService: number;
  databases: number;
  externals: number;
  errorRate: number;
}

/** The system every ingest measurement sends (the bench's sinks, the Collector comparison, flush-profile.ts, pipeline-ab.ts). */
export function benchShape(runId: string, environment: string): WorkloadShape {
  return {
    runId,
    environment,
    seed: 7,
    services: 300,
    routesPerService: 10,
    databases: 40,
    externals: 30,
    errorRate: 0.05,
  };
}

type Call =
  | { kind: 'service'; service: number; route: number }
  | { kind: 'db'; db: number; op: string }
  | { kind: 'external'; ext: number };

interface Route {
  path: string;
  calls: Call[];
}

export interface Topology {
  shape: WorkloadShape;
  serviceNames: string[];
  routes: Route[][];
  /** the distinct operations the traffic reaches (entry routes, database operations, external calls) */
  operationCount: number;
}

const DB_SYSTEMS = ['postgresql', 'mysql', 'redis', 'mongodb'];
const DB_OPS = ['SELECT', 'INSERT', 'UPDATE', 'DELETE'];
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE'];

/**
 * Services form layers: a service calls only services after it, so traces end. The first tenth are
 * the edge (gateways, frontends) where traces start.
 */
export function buildTopology(shape: WorkloadShape): Topology {
  const rand = prng(shape.seed);
  const pick = (n: number) => Math.floor(rand() * n);
  const serviceNames = Array.from({ length: shape.services }, (_, i) => `svc${i}-${shape.runId}`);
  let operationCount = 0;
  const dbOps = new Set<string>();
  const externalsUsed = new Set<number>();
  const routes = serviceNames.map((_, s) =>
    Array.from({ length: shape.routesPerService }, (_, r): Route => {
      const calls: Call[] = [];
      const fanOut = pick(4);
      for (let c = 0; c < fanOut; c++) {
        const x = rand();
        const later = shape.services - s - 1;
        if (x < 0.6 && later > 0) {
          // Mostly near neighbours, so the graph has depth as well as breadth.
          const target = s + 1 + Math.min(later - 1, Math.floor(rand() * rand() * later));
          calls.push({ kind: 'service', service: target, route: pick(shape.routesPerService) });
        } else if (x < 0.9) {
          const db = (s * 7 + pick(3)) % shape.databases;
          const op = `${DB_OPS[pick(DB_OPS.length)]} table${pick(20)}`;
          dbOps.add(`${db}|${op}`);
          calls.push({ kind: 'db', db, op });
        } else {
          const ext = pick(shape.externals);
          externalsUsed.add(ext);
          calls.push({ kind: 'external', ext });
        }
      }
      operationCount++;
      return { path: `/v1/${shape.runId}/res${r}/{id}`, calls };
    }),
  );
  return { shape, serviceNames, routes, operationCount: operationCount + dbOps.size + externalsUsed.size };
}

export interface SpanRec {
  service: number;
  traceId: Uint8Array;
  spanId: Uint8Array;
  parentSpanId?: Uint8Array;
  name: string;
  kind: 1 | 2 | 3;
  startNs: number;
  endNs: number;
  error: boolean;
  attributes: [string, string | number][];
}

/** Builds traces of 5 to 50 spans starting at random edge services, depth first. */
export function* traces(topology: Topology, seed: number, nowMs: number): Generator<SpanRec[]> {
  const rand = prng(seed);
  const pick = (n: number) => Math.floor(rand() * n);
  const { shape } = topology;
  const bytes = (n: number) => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const v = (rand() * 4294967296) >>> 0;
      b[i] = v & 255;
      b[i + 1] = (v >>> 8) & 255;
      b[i + 2] = (v >>> 16) & 255;
      b[i + 3] = v >>> 24;
    }
    return b;
  };
  const edge = Math.max(1, Math.floor(shape.services / 10));
  for (;;) {
    const target = 5 + pick(46);
    const traceId = bytes(16);
    const spans: SpanRec[] = [];
    const startNs = (nowMs - 2000 + pick(1000)) * 1e6;
    const serve = (service: number, route: number, parent: Uint8Array | undefined, start: number): number => {
      const r = topology.routes[service]![route]!;
      const method = METHODS[(service + route) % METHODS.length]!;
      const server: SpanRec = {
        service,
        traceId,
        spanId: bytes(8),
        parentSpanId: parent,
        name: `${method} ${r.path}`,
        kind: 2,
        startNs: start,
        endNs: 0,
        error: rand() < shape.errorRate,
        attributes: [
          ['http.request.method', method],
          ['http.route', r.path],
          ['url.path', r.path.replace('{id}', String(pick(100000)))],
          ['http.response.status_code', 200],
        ],
      };
      spans.push(server);
      let t = start + 100_000;
      // Repeat the route's calls until the trace has its size (loops in handlers do this too).
      for (let pass = 0; pass < 4 && spans.length < target; pass++) {
        for (const call of r.calls) {
          if (spans.length >= target) break;
          const client: SpanRec = {
            service,
            traceId,
            spanId: bytes(8),
            parentSpanId: server.spanId,
            name: '',
            kind: 3,
            startNs: t,
            endNs: 0,
            error: rand() < shape.errorRate,
            attributes: [],
          };
          spans.push(client);
          let end = t + 200_000 + pick(5_000_000);
          if (call.kind === 'service') {
            const callee = topology.routes[call.service]![call.route]!;
            const m = METHODS[(call.service + call.route) % METHODS.length]!;
            client.name = m;
            client.attributes = [
              ['http.request.method', m],
              ['server.address', topology.serviceNames[call.service]!],
              [
                'url.full',
                `http://${topology.serviceNames[call.service]}${callee.path.replace('{id}', String(pick(100000)))}`,
              ],
            ];
            end = Math.max(end, serve(call.service, call.route, client.spanId, t + 50_000) + 50_000);
          } else if (call.kind === 'db') {
            const system = DB_SYSTEMS[call.db % DB_SYSTEMS.length]!;
            client.name = call.op;
            client.attributes = [
              ['db.system', system],
              ['server.address', `db${call.db}-${shape.runId}`],
              ['db.namespace', `app${call.db}`],
              ['db.operation.name', call.op.split(' ')[0]!],
              ['db.collection.name', call.op.split(' ')[1]!],
            ];
          } else {
            client.name = 'GET';
            client.attributes = [
              ['http.request.method', 'GET'],
              ['server.address', `api${call.ext}-${shape.runId}.example.com`],
              ['url.full', `https://api${call.ext}-${shape.runId}.example.com/v2/items`],
            ];
          }
          client.endNs = end;
          t = end + 10_000;
        }
        if (r.calls.length === 0) break;
      }
      server.endNs = t + 100_000;
      if (server.error) server.attributes[3] = ['http.response.status_code', 500];
      return server.endNs;
    };
    const entryService = pick(edge);
    serve(entryService, pick(shape.routesPerService), undefined, startNs);
    // A route with few calls may end the trace below 5 spans: pad with internal work.
    while (spans.length < 5) {
      const root = spans[0]!;
      spans.push({
        ...root,
        spanId: bytes(8),
        parentSpanId: root.spanId,
        kind: 1,
        name: 'render',
        attributes: [],
        error: false,
      });
    }
    yield spans;
  }
}

const W = protobuf.Writer;

function keyValue(w: protobuf.Writer, field: number, key: string, value: string | number): void {
  w.uint32((field << 3) | 2).fork(); // KeyValue
  w.uint32((1 << 3) | 2).string(key);
  w.uint32((2 << 3) | 2).fork(); // AnyValue
  if (typeof value === 'string') w.uint32((1 << 3) | 2).string(value);
  else w.uint32(3 << 3).int64(value);
  w.ldelim();
  w.ldelim();
}

function fixed64(w: protobuf.Writer, ns: number): void {
  w.fixed32(ns % 4294967296);
  w.fixed32(Math.floor(ns / 4294967296));
}

export interface EncodedRequest {
  body: Uint8Array;
  spans: number;
  /** where each span's trace id starts: the sender rewrites ids in place to reuse the body */
  traceIdOffsets: number[];
}

/** One ExportTraceServiceRequest: one ResourceSpans per service, one scope each. */
export function encodeRequest(topology: Topology, spans: SpanRec[]): EncodedRequest {
  const byService = new Map<number, SpanRec[]>();
  for (const s of spans) {
    const list = byService.get(s.service);
    if (list) list.push(s);
    else byService.set(s.service, [s]);
  }
  const { runId, environment } = topology.shape;
  const w = W.create();
  for (const [service, list] of byService) {
    w.uint32((1 << 3) | 2).fork(); // ResourceSpans
    w.uint32((1 << 3) | 2).fork(); // Resource
    keyValue(w, 1, 'service.name', topology.serviceNames[service]!);
    keyValue(w, 1, 'deployment.environment.name', environment);
    keyValue(w, 1, 'service.version', `1.${service % 7}.0-${runId}`);
    keyValue(w, 1, 'telemetry.sdk.name', `bench-otel-${runId}`);
    keyValue(w, 1, 'telemetry.sdk.language', 'nodejs');
    keyValue(w, 1, 'telemetry.sdk.version', `2.0.${service % 3}-${runId}`);
    w.ldelim();
    w.uint32((2 << 3) | 2).fork(); // ScopeSpans
    w.uint32((1 << 3) | 2).fork(); // InstrumentationScope
    w.uint32((1 << 3) | 2).string(`bench-instrumentation-http-${runId}`);
    w.uint32((2 << 3) | 2).string(`0.5${service % 4}.0`);
    w.ldelim();
    for (const s of list) {
      w.uint32((2 << 3) | 2).fork(); // Span
      w.uint32((1 << 3) | 2).bytes(s.traceId);
      w.uint32((2 << 3) | 2).bytes(s.spanId);
      if (s.parentSpanId) w.uint32((4 << 3) | 2).bytes(s.parentSpanId);
      w.uint32((5 << 3) | 2).string(s.name);
      w.uint32(6 << 3).int32(s.kind);
      w.uint32((7 << 3) | 1);
      fixed64(w, s.startNs);
      w.uint32((8 << 3) | 1);
      fixed64(w, s.endNs);
      for (const [k, v] of s.attributes) keyValue(w, 9, k, v);
      if (s.error) {
        w.uint32((15 << 3) | 2).fork();
        w.uint32(3 << 3).int32(2);
        w.ldelim();
      }
      w.ldelim();
    }
    w.ldelim();
    w.ldelim();
  }
  const body = w.finish();
  return { body, spans: spans.length, traceIdOffsets: findTraceIds(body) };
}

/** The offsets of every span's trace id in an encoded request (resource_spans → scope_spans → spans → trace_id). */
function findTraceIds(body: Uint8Array): number[] {
  const r = protobuf.Reader.create(body);
  const offsets: number[] = [];
  const within = (end: number, field: number, inner: (end: number) => void) => {
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag >>> 3 === field && (tag & 7) === 2) {
        const len = r.uint32();
        inner(r.pos + len);
      } else r.skipType(tag & 7);
    }
  };
  within(r.len, 1, (rsEnd) =>
    within(rsEnd, 2, (ssEnd) =>
      within(ssEnd, 2, (spanEnd) => {
        const tag = r.uint32();
        if (tag >>> 3 !== 1) throw new Error('the trace id must come first in each span');
        const len = r.uint32();
        offsets.push(r.pos);
        r.pos += len;
        r.pos = spanEnd;
      }),
    ),
  );
  return offsets;
}

/**
 * Export requests of the workload as the bench's sender makes them: whole traces gathered until
 * `2 × spansPerRequest` spans, the services split over two requests, so that the halves of a call
 * often arrive apart, as from real SDKs.
 */
export function* requestsOf(
  topology: Topology,
  seed: number,
  nowMs: number,
  spansPerRequest: number,
): Generator<EncodedRequest> {
  const gen = traces(topology, seed, nowMs);
  for (;;) {
    const chunk: SpanRec[] = [];
    while (chunk.length < spansPerRequest * 2) chunk.push(...gen.next().value!);
    for (const part of [0, 1])
      yield encodeRequest(
        topology,
        chunk.filter((s) => s.service % 2 === part),
      );
  }
}

/**
 * 120 of the workload's requests, encoded once and replayed: `next()` gives the next body; each pass
 * over them first writes fresh trace ids into the bodies, as the bench's sender does, so that
 * replayed traces are new to an engine.
 */
export function replayedRequests(runId: string, started: number): { next(): Buffer } {
  const pool: { body: Buffer; traceIdOffsets: number[] }[] = [];
  for (const req of requestsOf(buildTopology(benchShape(runId, `bench-${runId}`)), 8, started, 500)) {
    if (pool.length >= 120) break;
    pool.push({ body: Buffer.from(req.body), traceIdOffsets: req.traceIdOffsets });
  }
  let at = 0;
  let pass = 0;
  return {
    next() {
      const i = at++ % pool.length;
      if (i === 0) {
        pass++;
        for (const r of pool) for (const off of r.traceIdOffsets) r.body.writeUInt32BE(pass, off + 12);
      }
      return pool[i]!.body;
    },
  };
}

/**
 * A checkout's engine (its own code, imported from `dir`, on its default configuration) and a feed of
 * the workload (`replayedRequests`): `feed(at, count)` hands it decoded requests at `at` until at
 * least `count` spans went in (returned).
 */
export async function engineOnWorkload(dir: string, runId: string) {
  const { loadConfig } = await import(`${dir}/src/core/config.ts`);
  const { createEngine, engineOptions } = await import(`${dir}/ingest/engine.ts`);
  const config = loadConfig();
  const decode = await workerDecoder(dir, config);
  const engine = createEngine(engineOptions(config));
  const started = Date.now();
  const requests = replayedRequests(runId, started);
  const feed = (at: number, count: number): number => {
    let n = 0;
    while (n < count) {
      const decoded = decode(requests.next());
      engine.ingest(decoded, at);
      n += decoded.spanCount;
    }
    return n;
  };
  return { engine, started, feed };
}
