/**
 * Rows and bytes per flush, by family, for the bench workload through the real engine: what a flush
 * sends Neo4j, independent of the machine's load. A flush per simulated second at 20,000 spans/s, as
 * `pipeline-ab.ts` drives it; bytes are the rows' JSON, a proxy for their Bolt encoding.
 * `npx tsx test/bench/flush-rows.ts [flushes]` — a tool for working on the writer, not part of `npm run bench`.
 */
import { loadConfig } from '../../src/core/config.js';
import { createEngine, engineOptions } from '../../ingest/engine.js';
import { decodeOtlpProtobuf } from '../../ingest/otlp/decode-protobuf.js';
import type { FactBatch } from '../../ingest/aggregate.js';
import { benchShape, buildTopology, requestsOf } from './workload.js';

const flushes = Number(process.argv[2] ?? 10);
const config = loadConfig();
const engine = createEngine(engineOptions(config));
let clock = Date.now();
const totals = new Map<string, { rows: number; bytes: number }>();
let requests = 0;
let spans = 0;
let flushed = 0;
const add = (batch: FactBatch) => {
  for (const [family, rows] of Object.entries(batch) as [string, unknown[]][]) {
    const t = totals.get(family) ?? { rows: 0, bytes: 0 };
    t.rows += rows.length;
    t.bytes += rows.length > 0 ? Buffer.byteLength(JSON.stringify(rows)) : 0;
    totals.set(family, t);
  }
};
for (const req of requestsOf(buildTopology(benchShape('rows', 'bench-rows')), 8, clock, 500)) {
  engine.ingest(decodeOtlpProtobuf(Buffer.from(req.body), config.limits.decode), clock);
  spans += req.spans;
  if (++requests % 40 === 0) {
    clock += 1000;
    // The first flushes fill the pairing buffer and the ancestry index: counted from the third on.
    const batch = engine.collect(clock);
    if (++flushed > 2) add(batch);
    if (flushed >= flushes + 2) break;
  }
}
const per = (n: number) => Math.round(n / flushes);
let rows = 0;
let bytes = 0;
console.log(`${per(spans)} spans per flush over ${flushes} flushes (after 2 to settle); per flush:`);
for (const [family, t] of totals) {
  rows += t.rows;
  bytes += t.bytes;
  if (t.rows > 0)
    console.log(
      `  ${family.padEnd(16)} ${String(per(t.rows)).padStart(6)} rows ${String(per(t.bytes)).padStart(9)} bytes`,
    );
}
console.log(`  ${'all'.padEnd(16)} ${String(per(rows)).padStart(6)} rows ${String(per(bytes)).padStart(9)} bytes`);
