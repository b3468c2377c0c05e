/**
 * Ingest throughput, side by side: the same prepared OTLP/protobuf traffic sent to the real worker
 * writing to Neo4j and to the same worker with the discarding sink. While the Neo4j run goes on, probe
 * calls between fresh services measure how long an acknowledged span takes to show through GraphQL.
 */
import { randomBytes } from 'node:crypto';
import type { Neo4jTarget } from '../../src/core/neo4j/connection.js';
import { forkTs, type BenchChild } from './children.js';
import type { SendResult, SenderSetup } from './sender.js';
import { neo4jUsageMeter } from './server-usage.js';
import { percentile } from './stats.js';
import { benchShape, encodeRequest, type Topology, type WorkloadShape } from './workload.js';

export interface IngestRun extends Omit<DrainReply, 'received'> {
  /** `neo4j-half`: the Neo4j worker sent half the rate the `neo4j` run sustained, for freshness under load that is not saturation */
  sink: 'neo4j' | 'noop' | 'neo4j-half';
  spansPerS: number;
  send: SendResult;
  /** the local Neo4j process's CPU (µs) and bytes written to storage per span received in the timed part (Neo4j run, local server only) */
  neo4jCpuUsPerSpan?: number;
  neo4jBytesPerSpan?: number;
}

/** What the worker's memory bounds cost in the run: halves and ancestors let go early, callers not found. */
export interface BoundsCost {
  paired: number;
  /** halves evicted from the full pairing buffer before their TTL */
  halvesEvicted: number;
  /** spans forgotten by the full ancestry index before twice the TTL */
  ancestryEvicted: number;
  /** client calls whose entry operation was not found (counted as INTERNAL) */
  unresolvedCallers: number;
}

export interface IngestResult {
  runs: IngestRun[];
  pool: { requests: number; spans: number; bytes: number };
  shape: WorkloadShape & { operations: number };
  freshnessMs: number[];
  /** the same during the half-rate run */
  freshnessHalfLoadMs: number[];
  concurrency: number;
  durationMs: number;
}

interface DrainReply {
  drainMs: number;
  /** the worker's CPU time (user + system) per span received, µs */
  cpuUsPerSpan: number;
  maxRssMb: number;
  flushes: number;
  flushMaxMs: number;
  flushMeanMs: number;
  rowsPerFlush: number;
  /** share of the timed part the loop read nothing, waiting for a write after reading its bound on */
  waitShare: number;
  bounds: BoundsCost;
  /** spans received in the timed part */
  received: number;
}

/** The part of a GraphQL response the benchmarks read. */
export interface GraphqlResponse {
  data?: { service?: { dependencies?: { component: { name: string } }[] } | null } & Record<string, unknown>;
  errors?: unknown[];
}

export type GraphqlFetch = (query: string, variables: Record<string, unknown>) => Promise<GraphqlResponse>;

export async function ingestBench(opts: {
  target: Neo4jTarget;
  runId: string;
  environment: string;
  quick: boolean;
  graphql: GraphqlFetch;
  operations: (shape: WorkloadShape) => number;
}): Promise<IngestResult> {
  const shape = benchShape(opts.runId, opts.environment);
  const setup: SenderSetup = { shape, poolSpans: opts.quick ? 120_000 : 300_000, spansPerRequest: 500 };
  const durationMs = opts.quick ? 8_000 : 20_000;
  const warmupMs = opts.quick ? 1_500 : 3_000;
  const concurrency = 8;
  const sender = forkTs('sender.ts', []);
  const runs: IngestRun[] = [];
  let freshnessMs: number[] = [];
  let freshnessHalfLoadMs: number[] = [];
  try {
    const pool = await sender.ask<{ requests: number; spans: number; bytes: number }>({ cmd: 'prepare', setup });
    for (const sink of ['noop', 'neo4j', 'neo4j-half'] as const) {
      const toNeo4j = sink !== 'noop';
      const spansPerS = sink === 'neo4j-half' ? runs.find((r) => r.sink === 'neo4j')!.spansPerS / 2 : undefined;
      const worker = forkTs(
        'worker-process.ts',
        [toNeo4j ? 'neo4j' : 'noop'],
        {
          NEO4J_URI: opts.target.uri,
          NEO4J_USER: opts.target.user,
          NEO4J_PASSWORD: opts.target.password,
          NEO4J_DATABASE: opts.target.database,
          TOPOGRAPH_LOG_LEVEL: 'warn',
        },
        [
          // BENCH_CPU_PROF=<dir>: a V8 CPU profile of each worker, to see where its time goes.
          ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
          // BENCH_WORKER_NODE_FLAGS, e.g. --max-old-space-size=384: the worker under other V8 settings.
          ...(process.env.BENCH_WORKER_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
        ],
      );
      try {
        const { port } = await worker.next<{ port: number }>();
        const url = `http://127.0.0.1:${port}/v1/traces`;
        await sender.ask({ cmd: 'send', url, concurrency, durationMs: warmupMs });
        // Sustained rate: the first flush into Neo4j creates every node and edge and compiles the
        // statements (2-17 s on a fresh server), so the timed part starts once the warm-up is written.
        await worker.ask({ cmd: 'warmed' });
        const neo4jUsage = toNeo4j ? neo4jUsageMeter(opts.target.uri) : undefined;
        const probing = toNeo4j ? probeFreshness(url, shape, opts.graphql, durationMs) : undefined;
        const { result: send } = await sender.ask<{ result: SendResult }>({
          cmd: 'send',
          url,
          concurrency,
          durationMs,
          spansPerS,
        });
        // The drain starts as sending ends: whatever the worker still has to do counts against its rate,
        // also while the last probes wait for their edges.
        const draining = worker.ask<DrainReply>({ cmd: 'drain' });
        if (probing && sink === 'neo4j') freshnessMs = await probing;
        if (probing && sink === 'neo4j-half') freshnessHalfLoadMs = await probing;
        const drain = await draining;
        const used = neo4jUsage?.since();
        const perSpan = (n: number) => n / Math.max(1, drain.received);
        runs.push({
          sink,
          ...drain,
          send,
          spansPerS: send.spans / ((send.elapsedMs + drain.drainMs) / 1000),
          ...(used && { neo4jCpuUsPerSpan: perSpan(used.cpuUs), neo4jBytesPerSpan: perSpan(used.writeBytes) }),
        });
      } finally {
        worker.kill();
      }
    }
    return {
      runs,
      pool,
      shape: { ...shape, operations: opts.operations(shape) },
      freshnessMs,
      freshnessHalfLoadMs,
      concurrency,
      durationMs,
    };
  } finally {
    sender.kill();
  }
}

/** A call between two services that never existed before, every few hundred ms; each is timed from its HTTP 200 to its edge in GraphQL. */
async function probeFreshness(
  url: string,
  shape: WorkloadShape,
  graphql: GraphqlFetch,
  durationMs: number,
): Promise<number[]> {
  const latencies: number[] = [];
  const probes: Promise<void>[] = [];
  const start = performance.now();
  const QUERY = `query ($name: String!, $env: String!) {
    service(name: $name, environment: $env) { dependencies(depth: 1) { component { name } } }
  }`;
  /**
   * Acknowledged probes not yet seen, oldest first. One poller asks for the oldest only: the worker
   * writes requests in the order it acknowledged them, so a younger probe is never visible before an
   * older one (were it so, it would be measured late, never early). Polling every outstanding probe
   * (60 of them at 16 s freshness, 600 queries a second) loaded the API and Neo4j being measured.
   */
  const acked: { at: number; names: string[] }[] = [];
  let poll: Promise<void> | undefined;
  const pollAcked = async () => {
    while (acked.length > 0) {
      const probe = acked[0]!;
      const r = await graphql(QUERY, { name: probe.names[0], env: shape.environment });
      if (r.errors) throw new Error(`probe query failed: ${JSON.stringify(r.errors)}`);
      const seen = r.data?.service?.dependencies?.some((d) => d.component.name === probe.names[1]);
      // A probe not visible within a minute is recorded as a minute: the figure stays honest and finite.
      if (seen || performance.now() - probe.at > 60_000) {
        latencies.push(performance.now() - probe.at);
        acked.shift();
        continue;
      }
      // 100 ms: fine enough against seconds.
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  for (let i = 0; performance.now() - start < durationMs - 2500; i++) {
    const names = [`probe${i}a-${shape.runId}`, `probe${i}b-${shape.runId}`];
    const topology: Topology = { shape, serviceNames: names, routes: [], operationCount: 0 };
    const traceId = randomBytes(16);
    const clientId = randomBytes(8);
    const nowNs = Date.now() * 1e6;
    const { body } = encodeRequest(topology, [
      {
        service: 0,
        traceId,
        spanId: clientId,
        name: 'GET',
        kind: 3,
        startNs: nowNs - 5e6,
        endNs: nowNs,
        error: false,
        attributes: [
          ['http.request.method', 'GET'],
          ['server.address', names[1]!],
        ],
      },
      {
        service: 1,
        traceId,
        spanId: randomBytes(8),
        parentSpanId: clientId,
        name: 'GET /probe',
        kind: 2,
        startNs: nowNs - 4e6,
        endNs: nowNs - 1e6,
        error: false,
        attributes: [
          ['http.request.method', 'GET'],
          ['http.route', `/probe/${shape.runId}`],
        ],
      },
    ]);
    probes.push(
      (async () => {
        // Refused while the worker is behind (429): sent again until taken; freshness counts from the 200.
        for (let attempt = 0; ; attempt++) {
          const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/x-protobuf' },
            body: Buffer.from(body),
          });
          await res.arrayBuffer();
          if (res.status === 200) break;
          // 503: the run ended (the drain stops the worker) before this probe got in; it measured nothing.
          if (res.status === 503) return;
          if (res.status !== 429 || attempt > 600) throw new Error(`probe refused: ${res.status}`);
          await new Promise((r) => setTimeout(r, 100));
        }
        acked.push({ at: performance.now(), names });
        poll ??= pollAcked().finally(() => (poll = undefined));
      })(),
    );
    await new Promise((r) => setTimeout(r, 250));
  }
  await Promise.all(probes);
  await poll;
  return latencies;
}

export function freshnessP99(result: IngestResult): number {
  return percentile(result.freshnessMs, 99);
}

export type { BenchChild };
