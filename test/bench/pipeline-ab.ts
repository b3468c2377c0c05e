/**
 * The worker's CPU per span without HTTP, spool or sink, for two checkouts side by side in one process:
 * each decodes, derives, pairs, aggregates and collects the bench workload's requests (a collect per
 * simulated second), alternating A and B chunk by chunk (a collect each), so both see the same machine at nearly the
 * same moment. On a shared machine this is steadier than comparing two bench runs.
 * `npx tsx test/bench/pipeline-ab.ts <checkout A> <checkout B> [rounds] [checkpoint]` — a tool for
 * working on the worker, not part of `npm run bench`; a checkout is a directory holding `ingest/` and
 * `src/`. With `checkpoint`, each collect is followed by what the durable worker's checkpoint costs:
 * the engine's state, encoded by the checkout's own encoders.
 */
// First, as in the worker: the engine's heap settings hold before any module allocates.
import '../../ingest/heap-settings.js';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { settledSummary } from './stats.js';
import { workerDecoder } from './worker-decoder.js';
import { benchShape, buildTopology, requestsOf } from './workload.js';

const dirs = [process.argv[2], process.argv[3]].map((d) => resolve(d ?? '.'));
const rounds = Number(process.argv[4] ?? 12);
const withCheckpoint = process.argv[5] === 'checkpoint';
const topology = buildTopology(benchShape('ab', 'bench-ab'));
const started = Date.now();
const pool: { body: Buffer; traceIdOffsets: number[] }[] = [];
for (const req of requestsOf(topology, 8, started, 500)) {
  if (pool.length >= 80) break;
  pool.push({ body: Buffer.from(req.body), traceIdOffsets: req.traceIdOffsets });
}

interface Side {
  name: string;
  decode(body: Buffer): { batch: { scopeSpans: { spans: { traceId: string }[] }[] }[]; spanCount: number };
  pipeline: { ingest(d: unknown): void; collect(): unknown; checkpoint?(): void; pairing: { size: number } };
  cpuUsPerSpan: number[];
  /** the side's own simulated clock */
  clock: { at: number };
  /** rows each collect handed back (what a flush writes) */
  rows: number[];
}
/**
 * The checkout's derive → pair → aggregate stage on the simulated clock: `ingest/engine.ts` since the
 * engine took the clock as an argument, `ingest/pipeline.ts` (with an injected clock) before, so that
 * a checkout from either side of that change can be compared.
 */
async function stepsOf(dir: string, options: unknown, clock: { at: number }): Promise<Side['pipeline']> {
  if (existsSync(`${dir}/ingest/engine.ts`)) {
    const { createEngine } = await import(`${dir}/ingest/engine.ts`);
    const engine = createEngine(options);
    const { encodeState } = await import(`${dir}/ingest/spool/checkpoint-state.ts`);
    const { encodeLate } = await import(`${dir}/ingest/spool/late-state.ts`);
    return {
      ingest: (d) => engine.ingest(d, clock.at),
      collect: () => engine.collect(clock.at),
      // As the checkpoint store writes it: the waiting state, and the late halves new since the last.
      checkpoint: () => {
        const { late, ...waiting } = engine.state();
        encodeState(waiting);
        encodeLate(late?.halves);
      },
      pairing: engine.pairing,
    };
  }
  const { createPipeline } = await import(`${dir}/ingest/pipeline.ts`);
  const { createNoopSink } = await import(`${dir}/ingest/writer.ts`);
  return createPipeline({ sink: createNoopSink(), options, now: () => clock.at });
}

const sides: Side[] = [];
for (const dir of dirs) {
  const { loadConfig } = await import(`${dir}/src/core/config.ts`);
  // engineOptions lives with the engine since issue 18; a checkout from before has it in the worker.
  const { engineOptions } = await import(`${dir}/ingest/engine.ts`);
  const optionsOf = (engineOptions ?? (await import(`${dir}/ingest/worker.ts`)).pipelineOptions) as (
    c: unknown,
  ) => unknown;
  const config = loadConfig();
  const clock = { at: started };
  sides.push({
    name: dir,
    // As the checkout's worker decodes: with its attribute keys, where it has them.
    decode: await workerDecoder(dir, config),
    pipeline: await stepsOf(dir, optionsOf(config), clock),
    cpuUsPerSpan: [],
    rows: [],
    clock,
  });
}

let pass = 0;
const CHUNK = 40;
for (let r = 0; r < rounds; r++) {
  // Fresh trace ids for each side's pass over the pool, written into the bodies (outside the timing) as the sender does.
  const passes = sides.map(() => ++pass);
  const rounded = sides.map(() => ({ cpuUs: 0, spans: 0 }));
  // Alternating chunk by chunk (a collect per chunk), so both sides see the same moments of a shared machine.
  for (let from = 0; from < pool.length; from += CHUNK)
    sides.forEach((side, k) => {
      const chunk = pool.slice(from, from + CHUNK);
      for (const { body, traceIdOffsets } of chunk)
        for (const off of traceIdOffsets) body.writeUInt32BE(passes[k]!, off + 12);
      const start = process.cpuUsage();
      for (const { body } of chunk) {
        const decoded = side.decode(body);
        side.pipeline.ingest(decoded);
        rounded[k]!.spans += decoded.spanCount;
      }
      // ~500 spans per request: a collect every 40 requests is a flush per simulated second at 20,000 spans/s.
      side.clock.at += 1000;
      const batch = side.pipeline.collect() as Record<string, unknown[] | undefined> | undefined;
      if (batch) side.rows.push(Object.values(batch).reduce((n, rows) => n + (rows?.length ?? 0), 0));
      if (withCheckpoint) side.pipeline.checkpoint!();
      const cpu = process.cpuUsage(start);
      rounded[k]!.cpuUs += cpu.user + cpu.system;
    });
  sides.forEach((side, k) => side.cpuUsPerSpan.push(rounded[k]!.cpuUs / rounded[k]!.spans));
}

for (const side of sides) {
  console.log(
    `${side.name}: CPU µs per span ${settledSummary(side.cpuUsPerSpan, 1)}; ` +
      `halves waiting ${side.pipeline.pairing.size}; rows per flush ${(side.rows.reduce((a, b) => a + b, 0) / side.rows.length).toFixed(1)}; each round ${side.cpuUsPerSpan.map((x) => x.toFixed(1)).join(' ')}`,
  );
}
