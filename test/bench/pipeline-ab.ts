/**
 * The worker's CPU per span without HTTP, spool or sink, for two checkouts side by side in one process:
 * each decodes, derives, pairs, aggregates and collects the bench workload's requests (a collect per
 * simulated second), alternating A and B round by round, so both see the same machine at nearly the
 * same moment. On a shared machine this is steadier than comparing two bench runs.
 * `npx tsx test/bench/pipeline-ab.ts <checkout A> <checkout B> [rounds]` — a tool for working on the
 * worker, not part of `npm run bench`; a checkout is a directory holding `ingest/` and `src/`.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { benchShape, buildTopology, requestsOf } from './workload.js';

const dirs = [process.argv[2], process.argv[3]].map((d) => resolve(d ?? '.'));
const rounds = Number(process.argv[4] ?? 12);
const topology = buildTopology(benchShape('ab', 'bench-ab'));
let clock = Date.now();
const pool: Buffer[] = [];
for (const req of requestsOf(topology, 8, clock, 500)) {
  if (pool.length >= 80) break;
  pool.push(Buffer.from(req.body));
}

interface Side {
  name: string;
  decode(body: Buffer): { batch: { scopeSpans: { spans: { traceId: string }[] }[] }[]; spanCount: number };
  pipeline: { ingest(d: unknown): void; collect(): unknown; pairing: { size: number } };
  cpuUsPerSpan: number[];
}
/**
 * The checkout's derive → pair → aggregate stage on the simulated clock: `ingest/engine.ts` since the
 * engine took the clock as an argument, `ingest/pipeline.ts` (with an injected clock) before, so that
 * a checkout from either side of that change can be compared.
 */
async function stepsOf(dir: string, options: unknown): Promise<Side['pipeline']> {
  if (existsSync(`${dir}/ingest/engine.ts`)) {
    const { createEngine } = await import(`${dir}/ingest/engine.ts`);
    const engine = createEngine(options);
    return {
      ingest: (d) => engine.ingest(d, clock),
      collect: () => engine.collect(clock),
      pairing: engine.pairing,
    };
  }
  const { createPipeline } = await import(`${dir}/ingest/pipeline.ts`);
  const { createNoopSink } = await import(`${dir}/ingest/writer.ts`);
  return createPipeline({ sink: createNoopSink(), options, now: () => clock });
}

const sides: Side[] = [];
for (const dir of dirs) {
  const { loadConfig } = await import(`${dir}/src/core/config.ts`);
  const { engineOptions } = await import(`${dir}/ingest/engine.ts`);
  const { decodeOtlpProtobuf } = await import(`${dir}/ingest/otlp/decode-protobuf.ts`);
  const config = loadConfig();
  sides.push({
    name: dir,
    decode: (body) => decodeOtlpProtobuf(body, config.limits.decode),
    pipeline: await stepsOf(dir, engineOptions(config)),
    cpuUsPerSpan: [],
  });
}

let pass = 0;
for (let r = 0; r < rounds; r++)
  for (const side of sides) {
    // Fresh trace ids on every pass, as the bench's sender does.
    const suffix = (0x10000000 + ++pass).toString(16);
    const start = process.cpuUsage();
    let spans = 0;
    for (let i = 0; i < pool.length; i++) {
      const decoded = side.decode(pool[i]!);
      for (const rs of decoded.batch)
        for (const ss of rs.scopeSpans) for (const s of ss.spans) s.traceId = s.traceId.slice(0, 24) + suffix;
      side.pipeline.ingest(decoded);
      spans += decoded.spanCount;
      // ~500 spans per request: a collect every 40 requests is a flush per simulated second at 20,000 spans/s.
      if (i % 40 === 39) {
        clock += 1000;
        side.pipeline.collect();
      }
    }
    const cpu = process.cpuUsage(start);
    side.cpuUsPerSpan.push((cpu.user + cpu.system) / spans);
  }

for (const side of sides) {
  // The first two rounds warm the JIT up.
  const settled = side.cpuUsPerSpan.slice(2).sort((a, b) => a - b);
  console.log(
    `${side.name}: CPU µs per span median ${settled[Math.floor(settled.length / 2)]!.toFixed(1)}, min ${settled[0]!.toFixed(1)}; ` +
      `halves waiting ${side.pipeline.pairing.size}; each round ${side.cpuUsPerSpan.map((x) => x.toFixed(1)).join(' ')}`,
  );
}
