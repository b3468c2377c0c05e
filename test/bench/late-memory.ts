/**
 * What the late-halves memory (ingest/late-pairs.ts) costs in heap per remembered half: the bench
 * workload through the real engine on a simulated clock (a collect and a checkpoint state per
 * simulated second), once with the memory off (bound 1) and once with the bound given, each in a
 * process of its own (`--expose-gc`); the difference in what is live after a full GC, over the halves
 * remembered. Sizes TOPOGRAPH_PAIRING_LATE_MAX_ENTRIES (docs/ingest.md, "Late halves").
 * `npx tsx test/bench/late-memory.ts [bound] [spans/s] [seconds]` (defaults 100000, 20000, 60);
 * not part of `npm run bench`.
 */
import { forkTs } from './children.js';
import { benchShape, buildTopology, requestsOf } from './workload.js';

interface Side {
  liveBytes: number;
  remembered: number;
}

async function child(bound: number, spansPerS: number, seconds: number): Promise<Side> {
  const { loadConfig } = await import('../../src/core/config.js');
  const { createEngine, engineOptions } = await import('../../ingest/engine.js');
  const { decodeOtlpProtobuf } = await import('../../ingest/otlp/decode-protobuf.js');
  const config = loadConfig();
  const engine = createEngine({ ...engineOptions(config), pairingLateMaxEntries: bound });
  const started = Date.now();
  const pool: { body: Buffer; traceIdOffsets: number[] }[] = [];
  for (const req of requestsOf(buildTopology(benchShape('late-mem', 'bench-late-mem')), 8, started, 500)) {
    if (pool.length >= 120) break;
    pool.push({ body: Buffer.from(req.body), traceIdOffsets: req.traceIdOffsets });
  }
  let next = 0;
  let pass = 0;
  for (let second = 1; second <= seconds; second++) {
    const at = started + second * 1000;
    for (let n = 0; n < spansPerS;) {
      const i = next++ % pool.length;
      // Fresh trace ids for each pass over the pool, as the sender writes them.
      if (i === 0) {
        pass++;
        for (const r of pool) for (const off of r.traceIdOffsets) r.body.writeUInt32BE(pass, off + 12);
      }
      const decoded = decodeOtlpProtobuf(pool[i]!.body, config.limits.decode);
      engine.ingest(decoded, at);
      n += decoded.spanCount;
    }
    engine.collect(at);
    engine.state();
  }
  (globalThis as { gc?: () => void }).gc!();
  const m = process.memoryUsage();
  return { liveBytes: m.heapUsed + m.arrayBuffers, remembered: engine.stats().late.waiting };
}

if (process.argv[2] === '--child') {
  const [bound, rate, seconds] = process.argv.slice(3).map(Number) as [number, number, number];
  process.send!(await child(bound, rate, seconds));
  process.exit(0);
} else {
  const bound = Number(process.argv[2] ?? 100_000);
  const rate = Number(process.argv[3] ?? 20_000);
  const seconds = Number(process.argv[4] ?? 60);
  const run = async (b: number) => {
    const c = forkTs('late-memory.ts', ['--child', String(b), String(rate), String(seconds)], {}, ['--expose-gc']);
    return c.next<Side>();
  };
  const off = await run(1);
  const on = await run(bound);
  const per = (on.liveBytes - off.liveBytes) / Math.max(1, on.remembered - off.remembered);
  console.log(
    `late memory at ${rate} spans/s for ${seconds} s: bound 1 live ${(off.liveBytes / 2 ** 20).toFixed(1)} MB ` +
      `(${off.remembered} remembered); bound ${bound} live ${(on.liveBytes / 2 ** 20).toFixed(1)} MB ` +
      `(${on.remembered} remembered): ${per.toFixed(0)} bytes per remembered half`,
  );
}
