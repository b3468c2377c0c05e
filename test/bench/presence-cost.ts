/**
 * What presence and provenance (ingest/presence.ts) add to each flush: the bench workload through the
 * real engine, a flush per simulated second at 20,000 spans/s, starting a minute before an hour
 * begins, so the run shows the first flush, the steady state and the flush that enters a new hour.
 * Rows are counted as the writer sends them; bytes are the rows as JSON (Bolt packs them smaller).
 * `npx tsx test/bench/presence-cost.ts [seconds]` — a tool for working on the writer, not part of `npm run bench`.
 */
import { loadConfig } from '../../src/core/config.js';
import { createEngine, engineOptions } from '../../ingest/engine.js';
import { factCount, type FactBatch } from '../../ingest/aggregate.js';
import { decodeOtlpProtobuf } from '../../ingest/otlp/decode-protobuf.js';
import { benchShape, buildTopology, requestsOf } from './workload.js';

const seconds = Number(process.argv[2] ?? 180);
const config = loadConfig();
const topology = buildTopology(benchShape('presence', 'bench-presence'));
const start = Date.UTC(2026, 0, 15, 11, 59, 0);
const pool: Buffer[] = [];
for (const req of requestsOf(topology, 8, start, 500)) {
  if (pool.length >= 40) break;
  pool.push(Buffer.from(req.body));
}
const engine = createEngine(engineOptions(config));

interface Flush {
  second: number;
  rows: number;
  presenceRows: number;
  bytes: number;
  presenceBytes: number;
  originsBytes: number;
}
const flushes: Flush[] = [];
const bytes = (rows: unknown) => Buffer.byteLength(JSON.stringify(rows));
for (let second = 0; second < seconds; second++) {
  const shift = second * 1000;
  for (const body of pool) {
    const decoded = decodeOtlpProtobuf(body, config.limits.decode);
    const suffix = (0x10000000 + second).toString(16);
    for (const rs of decoded.batch)
      for (const ss of rs.scopeSpans)
        for (const s of ss.spans) {
          s.traceId = s.traceId.slice(0, 24) + suffix;
          s.startMs += shift;
          s.endMs += shift;
        }
    engine.ingest(decoded, start + shift + 1000);
  }
  const batch: FactBatch = engine.collect(start + shift + 1000);
  const presence = [...batch.edgePresence, ...batch.componentPresence];
  flushes.push({
    second,
    rows: factCount(batch),
    presenceRows: presence.length,
    bytes: bytes(batch),
    presenceBytes: bytes(presence),
    originsBytes: batch.edges.length * Buffer.byteLength(',"origins":1'),
  });
}

const show = (label: string, list: Flush[]) => {
  const sum = (f: (x: Flush) => number) => list.reduce((n, x) => n + f(x), 0) / Math.max(1, list.length);
  console.log(
    `${label} (${list.length} flushes): rows ${sum((x) => x.rows).toFixed(0)}, presence rows ${sum((x) => x.presenceRows).toFixed(1)}; ` +
      `bytes ${sum((x) => x.bytes).toFixed(0)}, presence ${sum((x) => x.presenceBytes).toFixed(0)}, origins field ${sum((x) => x.originsBytes).toFixed(0)}`,
  );
};
// Presence rows come in the first flush, when spans enter a new hour, and when the pairing TTL first lets
// unanswered halves through (edges to components without spans of their own).
show('every flush', flushes);
show(
  'flushes with any presence row',
  flushes.filter((f) => f.presenceRows > 0),
);
show(
  'flushes without',
  flushes.filter((f) => f.presenceRows === 0),
);
console.log(`presence rows per flush: ${flushes.map((f) => f.presenceRows).join(' ')}`);
