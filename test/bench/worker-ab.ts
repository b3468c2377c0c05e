/**
 * The whole durable worker path's CPU per span, for two checkouts side by side: each checkout's own
 * `test/bench/worker-process.ts` (the real worker behind a real HTTP server, every request spooled and
 * fsynced, each flush committed with its checkpoint) is sent the same prepared OTLP/protobuf requests
 * at the same fixed rate by one sender, alternating A B A B, and reports its CPU time (user + system)
 * per span received in the timed part. Unlike `pipeline-ab.ts` this counts HTTP receipt, the spool,
 * the loop, the checkpoint and (with `neo4j`) the driver's side of the write.
 *
 * `npx tsx test/bench/worker-ab.ts <checkout A> <checkout B> [pairs] [noop|neo4j] [spans/s] [seconds]`
 * (defaults 3, noop, 15000, 8). `BENCH_CPU_PROF=<dir>` writes a V8 CPU profile of each worker,
 * `BENCH_WORKER_NODE_FLAGS` adds node flags to both workers, `BENCH_WORKER_NODE_FLAGS_A` or `_B` to
 * one side only (one checkout under two V8 settings: `worker-ab.ts . . …`), `BENCH_WORKER_ENV_A` or `_B` (`K=V K2=V2`) adds environment
 * to one side (one checkout under two settings). With
 * `neo4j` (NEO4J_* as for the bench) the runs write under a fresh environment, deleted at the end.
 * A tool for working on the worker, not part of `npm run bench`; a checkout is a directory holding
 * `ingest/`, `src/` and `test/bench/worker-process.ts`.
 */
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/core/config.js';
import { createGraph } from '../../src/core/neo4j/connection.js';
import { forkTs, type BenchChild } from './children.js';
import { deleteRun } from './scaled-graph.js';
import type { SendResult, SenderSetup } from './sender.js';
import { benchShape } from './workload.js';

const dirs = [process.argv[2], process.argv[3]].map((d) => resolve(d ?? '.'));
const pairs = Number(process.argv[4] ?? 3);
const sink = process.argv[5] === 'neo4j' ? 'neo4j' : 'noop';
const spansPerS = Number(process.argv[6] ?? 15_000);
const durationMs = Number(process.argv[7] ?? 8) * 1000;

const HERE = dirname(fileURLToPath(import.meta.url));
const runId = `ab${Date.now().toString(36)}`;
const setup: SenderSetup = { shape: benchShape(runId, `bench-${runId}`), poolSpans: 120_000, spansPerRequest: 500 };
const sender = forkTs('sender.ts', []);
const results = new Map<string, { cpuUsPerSpan: number; received: number; failures: number; rssMb: number }[]>();

interface DrainReply {
  cpuUsPerSpan: number;
  received: number;
  maxRssMb: number;
  /** share of the timed part the loop waited for a write, its read-ahead bound reached (absent: a checkout from before it was counted) */
  waitShare?: number;
}

/** utime and stime of `pid`, in seconds (/proc/<pid>/stat; 100 ticks a second). */
function userAndSystem(pid: number): [number, number] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return [Number(fields[11]) / 100, Number(fields[12]) / 100];
}

async function runOnce(side: 'A' | 'B', dir: string): Promise<void> {
  const worker: BenchChild = forkTs(
    // forkTs resolves from this directory: the other checkout's worker, relative to it.
    relative(HERE, `${dir}/test/bench/worker-process.ts`),
    [sink],
    {
      TOPOGRAPH_LOG_LEVEL: 'warn',
      // BENCH_WORKER_ENV_A or _B, e.g. TOPOGRAPH_INGEST_MAX_UNREAD_WORK=250ms: one side under other settings.
      ...Object.fromEntries(
        (process.env[`BENCH_WORKER_ENV_${side}`]?.split(' ').filter((kv) => kv.includes('=')) ?? []).map((kv) => [
          kv.slice(0, kv.indexOf('=')),
          kv.slice(kv.indexOf('=') + 1),
        ]),
      ),
    },
    [
      ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
      // BENCH_WORKER_NODE_FLAGS, e.g. --heapsnapshot-signal=SIGUSR2: both workers under other V8 settings.
      ...(process.env.BENCH_WORKER_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
      ...(process.env[`BENCH_WORKER_NODE_FLAGS_${side}`]?.split(' ').filter(Boolean) ?? []),
    ],
  );
  try {
    const { port } = await worker.next<{ port: number }>();
    const url = `http://127.0.0.1:${port}/v1/traces`;
    await sender.ask({ cmd: 'send', url, concurrency: 8, durationMs: 2000, spansPerS });
    await worker.ask({ cmd: 'warmed' });
    const before = userAndSystem(worker.process.pid!);
    const { result } = await sender.ask<{ result: SendResult }>({
      cmd: 'send',
      url,
      concurrency: 8,
      durationMs,
      spansPerS,
    });
    const drain = await worker.ask<DrainReply>({ cmd: 'drain' });
    const after = userAndSystem(worker.process.pid!);
    const [user, system] = [after[0] - before[0], after[1] - before[1]].map((s) => (s * 1e6) / drain.received);
    const row = {
      cpuUsPerSpan: drain.cpuUsPerSpan,
      received: drain.received,
      failures: result.failures,
      rssMb: drain.maxRssMb,
    };
    const name = `${side} ${dir}`;
    results.set(name, [...(results.get(name) ?? []), row]);
    console.log(
      `${name}: ${drain.cpuUsPerSpan.toFixed(1)} µs CPU per span, ${drain.received} spans, ${result.failures} refused, peak RSS ${drain.maxRssMb.toFixed(0)} MB, waiting on a write ${drain.waitShare === undefined ? '-' : `${(100 * drain.waitShare).toFixed(1)}%`}; /proc: user ${user!.toFixed(1)}, system ${system!.toFixed(1)} µs per span`,
    );
  } finally {
    worker.kill();
  }
}

try {
  await sender.ask({ cmd: 'prepare', setup });
  for (let p = 0; p < pairs; p++) for (const [i, dir] of dirs.entries()) await runOnce(i === 0 ? 'A' : 'B', dir);
  for (const [name, rows] of results) {
    const cpu = rows.map((r) => r.cpuUsPerSpan).sort((a, b) => a - b);
    const rss = rows.map((r) => r.rssMb.toFixed(0)).join(', ');
    console.log(
      `${name}: worker CPU µs per span median ${cpu[Math.floor(cpu.length / 2)]!.toFixed(1)}, min ${cpu[0]!.toFixed(1)}; peak RSS ${rss} MB (${sink}, ${spansPerS} spans/s offered)`,
    );
  }
} finally {
  sender.kill();
  if (sink === 'neo4j') {
    // What the runs wrote lives under this run's environment and names: delete exactly that.
    const { neo4j: target } = loadConfig();
    const graph = createGraph({
      uri: target.uri!,
      user: target.user,
      password: target.password!,
      database: target.database,
    });
    await deleteRun(graph, setup.shape.environment, runId);
    await graph.close();
  }
}
