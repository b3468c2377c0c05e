/**
 * Topograph beside the OpenTelemetry Collector (`npm run bench -- --peer`): the same prepared
 * OTLP/HTTP protobuf requests replayed at saturation into the Collector (otlp receiver → servicegraph
 * connector → nop exporter) and into Topograph (the real `ingest/main.ts` writing to Neo4j, with the
 * API process up beside it), each alone, alternating A B A B. Every process's CPU is read from /proc,
 * so the figure is spans per CPU-second of everything each side runs: the worker, the API and the
 * Neo4j server for Topograph, the one Collector process for the Collector.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Neo4jTarget } from '../../src/core/neo4j/connection.js';
import { freePort, startTs, type Child } from '../support/processes.js';
import { forkTs } from './children.js';
import { ensureCollector, startCollector } from './peer/collector.js';
import { cpuSeconds, pidListeningOn } from './proc-cpu.js';
import type { SendResult, SenderSetup } from './sender.js';
import type { WorkloadShape } from './workload.js';

export interface PeerRun {
  target: 'topograph' | 'collector';
  round: number;
  send: SendResult;
  /** from the end of sending until everything acknowledged is written (Topograph; 0 for the Collector) */
  drainMs: number;
  /** Topograph: acknowledged spans, all written and checkpointed when the run ends; Collector: acknowledged */
  spans: number;
  spansPerS: number;
  /** CPU seconds over the run (sending and drain), by process */
  cpu: Record<string, number>;
  spansPerCpuS: number;
}

export interface PeerResult {
  runs: PeerRun[];
  concurrency: number;
  durationMs: number;
  pool: { requests: number; spans: number; bytes: number };
  /** Topograph's written spans per CPU-second over the Collector's acknowledged spans per CPU-second, all rounds */
  ingestVsCollector: number;
  /** Neo4j's CPU seconds per second while neither side had traffic: what others' use of a shared server adds */
  neo4jIdleCpuPerS: number;
}

/**
 * The servicegraph connector's store sized to pair every call of the workload (its default, 1,000
 * items for 2 s, drops most halves at this rate), with Topograph's pairing TTL, and flushing its
 * metrics every second as Topograph flushes; its own telemetry off, as it costs CPU Topograph does not spend.
 */
export function collectorConfig(port: number): object {
  return {
    receivers: { otlp: { protocols: { http: { endpoint: `127.0.0.1:${port}` } } } },
    connectors: { servicegraph: { store: { ttl: '10s', max_items: 2_000_000 }, metrics_flush_interval: '1s' } },
    exporters: { nop: {} },
    service: {
      telemetry: { metrics: { level: 'none' } },
      pipelines: {
        traces: { receivers: ['otlp'], exporters: ['servicegraph'] },
        metrics: { receivers: ['servicegraph'], exporters: ['nop'] },
      },
    },
  };
}

const metricValue = (text: string, name: string) =>
  Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.e+-]+)`, 'm').exec(text)?.[1] ?? NaN);

export async function peerBench(opts: {
  target: Neo4jTarget;
  shape: WorkloadShape;
  quick: boolean;
}): Promise<PeerResult> {
  ensureCollector();
  const neo4jPort = Number(new URL(opts.target.uri.replace(/^[a-z+]+:/, 'http:')).port || 7687);
  const neo4jPid = pidListeningOn(neo4jPort);
  if (neo4jPid === undefined)
    throw new Error(`--peer counts Neo4j's CPU from /proc: no process on this machine listens on ${neo4jPort}`);

  const setup: SenderSetup = { shape: opts.shape, poolSpans: opts.quick ? 120_000 : 300_000, spansPerRequest: 500 };
  const durationMs = opts.quick ? 8_000 : 20_000;
  const warmupMs = opts.quick ? 2_000 : 4_000;
  const rounds = 2;
  const concurrency = 4;
  const sender = forkTs('sender.ts', []);
  let collector: Child | undefined;
  const topograph: Child[] = [];
  let spoolDir: string | undefined;
  try {
    const pool = await sender.ask<{ requests: number; spans: number; bytes: number }>({ cmd: 'prepare', setup });
    const collectorPort = await freePort();
    collector = await startCollector(collectorConfig(collectorPort));
    const neo4jEnv = {
      NEO4J_URI: opts.target.uri,
      NEO4J_USER: opts.target.user,
      NEO4J_PASSWORD: opts.target.password,
      NEO4J_DATABASE: opts.target.database,
      TOPOGRAPH_LOG_LEVEL: 'info',
    };
    const ingestPort = await freePort();
    spoolDir = mkdtempSync(join(tmpdir(), 'topograph-bench-spool-peer-'));
    const worker = await startTs(
      'ingest/main.ts',
      {
        ...neo4jEnv,
        TOPOGRAPH_OTLP_HTTP_PORT: String(ingestPort),
        TOPOGRAPH_OTLP_GRPC_PORT: '0',
        TOPOGRAPH_ZIPKIN_PORT: '0',
        TOPOGRAPH_SPOOL_DIR: spoolDir,
      },
      /OTLP\/HTTP receiver on/,
    );
    topograph.push(worker);
    const api = await startTs(
      'src/api/main.ts',
      { ...neo4jEnv, TOPOGRAPH_API_PORT: String(await freePort()) },
      /GraphQL API and GraphiQL on/,
    );
    topograph.push(api);
    const ingestUrl = `http://127.0.0.1:${ingestPort}`;
    const pids = {
      topograph: { worker: worker.process.pid!, api: api.process.pid!, neo4j: neo4jPid },
      collector: { collector: collector.process.pid! },
    };
    const urls = { topograph: `${ingestUrl}/v1/traces`, collector: `http://127.0.0.1:${collectorPort}/v1/traces` };
    /** Everything acknowledged is written and checkpointed (the spool has no unwritten record). */
    const drained = async () => {
      for (;;) {
        const text = await (await fetch(`${ingestUrl}/metrics`)).text();
        if (metricValue(text, 'topograph_spool_checkpoint_lag_records') === 0) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const send = (url: string, ms: number) =>
      sender.ask<{ result: SendResult }>({ cmd: 'send', url, concurrency, durationMs: ms }).then((r) => r.result);

    // Warm-up: the first writes create every node and compile the statements; the Collector's store fills.
    await send(urls.collector, warmupMs);
    await send(urls.topograph, warmupMs);
    await drained();

    // Neo4j may serve others (tests on a shared server): its CPU with no traffic from here says how much.
    const idleFrom = cpuSeconds(neo4jPid);
    await new Promise((r) => setTimeout(r, 5_000));
    const neo4jIdleCpuPerS = (cpuSeconds(neo4jPid) - idleFrom) / 5;

    const runs: PeerRun[] = [];
    for (let round = 1; round <= rounds; round++) {
      for (const target of ['topograph', 'collector'] as const) {
        const procs = Object.entries(pids[target]);
        const before = procs.map(([, pid]) => cpuSeconds(pid));
        const started = performance.now();
        const result = await send(urls[target], durationMs);
        const sent = performance.now();
        if (target === 'topograph') await drained();
        const drainMs = performance.now() - sent;
        const cpu = Object.fromEntries(procs.map(([name, pid], i) => [name, cpuSeconds(pid) - before[i]!]));
        const cpuTotal = Object.values(cpu).reduce((a, b) => a + b, 0);
        runs.push({
          target,
          round,
          send: result,
          drainMs,
          spans: result.spans,
          spansPerS: result.spans / ((performance.now() - started) / 1000),
          cpu,
          spansPerCpuS: result.spans / cpuTotal,
        });
      }
    }
    const perCpu = (t: PeerRun['target']) => {
      const rs = runs.filter((r) => r.target === t);
      const cpu = rs.reduce((n, r) => n + Object.values(r.cpu).reduce((a, b) => a + b, 0), 0);
      return rs.reduce((n, r) => n + r.spans, 0) / cpu;
    };
    return {
      runs,
      concurrency,
      durationMs,
      pool,
      ingestVsCollector: perCpu('topograph') / perCpu('collector'),
      neo4jIdleCpuPerS,
    };
  } finally {
    sender.kill();
    await Promise.all([collector?.stop(), ...topograph.map((c) => c.stop())]);
    if (spoolDir) rmSync(spoolDir, { recursive: true, force: true });
  }
}
