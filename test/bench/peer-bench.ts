/**
 * Topograph beside the OpenTelemetry Collector (`npm run bench -- --peer`): the same prepared
 * OTLP/HTTP protobuf requests replayed at saturation into the Collector (otlp receiver → servicegraph
 * connector → nop exporter) and into Topograph (the real `ingest/main.ts` writing to Neo4j, with the
 * API process up beside it), each alone, alternating A B A B over four rounds (two with `--quick`).
 * Every process's CPU is read from /proc, so the figure is spans per CPU-second of everything each
 * side runs: the worker, the API and the Neo4j server for Topograph, the one Collector process for
 * the Collector. With `BENCH_PEER_AB=<checkout>` (`npm run bench -- --only=peer`), that checkout's
 * worker and API take a turn in each round too, each Topograph first in every other round: two
 * versions side by side in one run; `BENCH_PEER_AB_NODE=<node binary>` runs that side on another
 * Node.js (the same checkout under two runtimes: `BENCH_PEER_AB=.`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Neo4jTarget } from '../../src/core/neo4j/connection.js';
import { freePort, ROOT, startProcess, type Child } from '../support/processes.js';
import { forkTs } from './children.js';
import { ensureCollector, startCollector } from './peer/collector.js';
import { cpuSeconds, pidListeningOn } from './proc-cpu.js';
import type { SendResult, SenderSetup } from './sender.js';
import type { WorkloadShape } from './workload.js';

export interface PeerRun {
  /** `topograph` (this checkout), `topograph B` (the checkout of `alsoCheckout`) or `collector` */
  target: PeerTarget;
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

export type PeerTarget = 'topograph' | 'topograph B' | 'collector';

export interface PeerResult {
  runs: PeerRun[];
  concurrency: number;
  durationMs: number;
  pool: { requests: number; spans: number; bytes: number };
  /** Topograph's written spans per CPU-second over the Collector's acknowledged spans per CPU-second, all rounds */
  ingestVsCollector: number;
  /** the same for the checkout of `alsoCheckout`, when one was given */
  alsoVsCollector?: number;
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
  /**
   * Another checkout (a directory holding `ingest/` and `src/`) whose worker and API take a turn in
   * every round as `topograph B`, with a spool of their own: two Topograph versions side by side
   * against the same Collector and Neo4j.
   */
  alsoCheckout?: string;
  /** the Node.js binary the other checkout's worker and API run on (default: this one's) */
  alsoNode?: string;
}): Promise<PeerResult> {
  ensureCollector();
  const neo4jPort = Number(new URL(opts.target.uri.replace(/^[a-z+]+:/, 'http:')).port || 7687);
  const neo4jPid = pidListeningOn(neo4jPort);
  if (neo4jPid === undefined)
    throw new Error(`--peer counts Neo4j's CPU from /proc: no process on this machine listens on ${neo4jPort}`);

  const setup: SenderSetup = { shape: opts.shape, poolSpans: opts.quick ? 120_000 : 300_000, spansPerRequest: 500 };
  const durationMs = opts.quick ? 8_000 : 20_000;
  const warmupMs = opts.quick ? 2_000 : 4_000;
  // Four rounds, with or without a second checkout: the same code moved by a fifth or more from one
  // 20 s round to the next on this shared machine, and two left the ratio to one bad minute
  // (docs/benchmarks.md item 153).
  const rounds = opts.quick ? 2 : 4;
  const concurrency = 4;
  const sender = forkTs('sender.ts', []);
  let collector: Child | undefined;
  const children: Child[] = [];
  const spoolDirs: string[] = [];
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
    /** A checkout's worker (with a spool of its own) and API; what `drained` and the CPU figures need of them. */
    const startTopograph = async (root: string, node = process.execPath) => {
      const ingestPort = await freePort();
      const spoolDir = mkdtempSync(join(tmpdir(), 'topograph-bench-spool-peer-'));
      spoolDirs.push(spoolDir);
      const start = (file: string, env: Record<string, string>, readyWhen: RegExp) =>
        startProcess(node, ['--import', 'tsx', join(root, file)], env, readyWhen);
      const worker = await start(
        'ingest/main.ts',
        {
          ...neo4jEnv,
          TOPOGRAPH_LOG_PRETTY: '0',
          TOPOGRAPH_OTLP_HTTP_PORT: String(ingestPort),
          TOPOGRAPH_OTLP_GRPC_PORT: '0',
          TOPOGRAPH_ZIPKIN_PORT: '0',
          TOPOGRAPH_SPOOL_DIR: spoolDir,
        },
        /OTLP\/HTTP receiver on/,
      );
      children.push(worker);
      const api = await start(
        'src/api/main.ts',
        { ...neo4jEnv, TOPOGRAPH_LOG_PRETTY: '0', TOPOGRAPH_API_PORT: String(await freePort()) },
        /GraphQL API and GraphiQL on/,
      );
      children.push(api);
      return {
        url: `http://127.0.0.1:${ingestPort}`,
        pids: { worker: worker.process.pid!, api: api.process.pid!, neo4j: neo4jPid },
      };
    };
    const sides = new Map<PeerTarget, { url: string; pids: Record<string, number>; ingestUrl?: string }>();
    const a = await startTopograph(ROOT);
    sides.set('topograph', { url: `${a.url}/v1/traces`, pids: a.pids, ingestUrl: a.url });
    if (opts.alsoCheckout) {
      const b = await startTopograph(opts.alsoCheckout, opts.alsoNode);
      sides.set('topograph B', { url: `${b.url}/v1/traces`, pids: b.pids, ingestUrl: b.url });
    }
    sides.set('collector', {
      url: `http://127.0.0.1:${collectorPort}/v1/traces`,
      pids: { collector: collector.process.pid! },
    });
    /** Everything acknowledged is written and checkpointed (the spool has no unwritten record). */
    const drained = async (ingestUrl: string) => {
      for (;;) {
        const text = await (await fetch(`${ingestUrl}/metrics`)).text();
        if (metricValue(text, 'topograph_spool_checkpoint_lag_records') === 0) return;
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const send = (url: string | string[], ms: number) =>
      sender.ask<{ result: SendResult }>({ cmd: 'send', url, concurrency, durationMs: ms }).then((r) => r.result);

    // Warm-up: the first writes create every node and compile the statements; the Collector's store fills.
    // Two Topographs are warmed up at once, each sent whole traces: the one warmed up first, alone, met
    // every node new and came out 5-6% behind for the rest of the run beside the same code
    // (docs/benchmarks.md item 120).
    const topographs = [...sides.values()].filter((side) => side.ingestUrl);
    await send(
      topographs.map((side) => side.url),
      warmupMs,
    );
    for (const side of topographs) await drained(side.ingestUrl!);
    await send(sides.get('collector')!.url, warmupMs);

    // Neo4j may serve others (tests on a shared server): its CPU with no traffic from here says how much.
    const idleFrom = cpuSeconds(neo4jPid);
    await new Promise((r) => setTimeout(r, 5_000));
    const neo4jIdleCpuPerS = (cpuSeconds(neo4jPid) - idleFrom) / 5;

    const runs: PeerRun[] = [];
    for (let round = 1; round <= rounds; round++) {
      // With two checkouts, each goes first in every other round.
      const targets: PeerTarget[] = ['topograph', 'topograph B', 'collector'];
      if (round % 2 === 0) targets.reverse().push(targets.shift()!);
      for (const target of targets) {
        const side = sides.get(target);
        if (!side) continue;
        const procs = Object.entries(side.pids);
        const before = procs.map(([, pid]) => cpuSeconds(pid));
        const started = performance.now();
        const result = await send(side.url, durationMs);
        const sent = performance.now();
        if (side.ingestUrl) await drained(side.ingestUrl);
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
      alsoVsCollector: opts.alsoCheckout ? perCpu('topograph B') / perCpu('collector') : undefined,
      neo4jIdleCpuPerS,
    };
  } finally {
    sender.kill();
    await Promise.all([collector?.stop(), ...children.map((c) => c.stop())]);
    for (const dir of spoolDirs) rmSync(dir, { recursive: true, force: true });
  }
}
