/**
 * The protobuf decoder's CPU per span alone, for two checkouts side by side in one process: each decodes
 * the bench workload's requests (with the worker's attribute-key table), alternating A and B request
 * batch by batch, so both see the same machine at nearly the same moment. The engine is left out:
 * a change to the decoder is a few per cent of `pipeline-ab.ts`'s figure, below what its noise shows,
 * and a larger share of this one. The decoded spans are dropped at once, so this measures decoding
 * (and its garbage), not what holding spans costs the engine.
 * `npx tsx test/bench/decode-ab.ts <checkout A> <checkout B> [rounds]` — a tool for working on the
 * worker, not part of `npm run bench`; a checkout is a directory holding `ingest/` and `src/`.
 */
// First, as in the worker: the engine's heap settings hold before any module allocates.
import '../../ingest/heap-settings.js';
import { resolve } from 'node:path';
import { settledSummary } from './stats.js';
import { workerDecoder } from './worker-decoder.js';
import { benchShape, buildTopology, requestsOf } from './workload.js';

const dirs = [process.argv[2], process.argv[3]].map((d) => resolve(d ?? '.'));
const rounds = Number(process.argv[4] ?? 30);
const topology = buildTopology(benchShape('ab', 'bench-ab'));
const pool: { body: Buffer; traceIdOffsets: number[] }[] = [];
for (const req of requestsOf(topology, 8, Date.now(), 500)) {
  if (pool.length >= 80) break;
  pool.push({ body: Buffer.from(req.body), traceIdOffsets: req.traceIdOffsets });
}

interface Side {
  name: string;
  decode(body: Buffer): { spanCount: number };
  cpuUsPerSpan: number[];
}

const sides: Side[] = [];
for (const dir of dirs) {
  const { loadConfig } = await import(`${dir}/src/core/config.ts`);
  const config = loadConfig();
  sides.push({
    name: dir,
    decode: await workerDecoder(dir, config),
    cpuUsPerSpan: [],
  });
}

let pass = 0;
const CHUNK = 10;
for (let r = 0; r < rounds; r++) {
  const rounded = sides.map(() => ({ cpuUs: 0, spans: 0 }));
  for (let from = 0; from < pool.length; from += CHUNK) {
    const chunk = pool.slice(from, from + CHUNK);
    // Fresh trace ids for each pass, as the sender writes them (outside the timing).
    pass++;
    for (const { body, traceIdOffsets } of chunk) for (const off of traceIdOffsets) body.writeUInt32BE(pass, off + 12);
    // Which side goes first alternates from chunk to chunk: the garbage one side leaves is collected during either.
    const order = pass % 2 === 0 ? [0, 1] : [1, 0];
    for (const k of order) {
      const side = sides[k]!;
      const start = process.cpuUsage();
      for (const { body } of chunk) rounded[k]!.spans += side.decode(body).spanCount;
      const cpu = process.cpuUsage(start);
      rounded[k]!.cpuUs += cpu.user + cpu.system;
    }
  }
  sides.forEach((side, k) => side.cpuUsPerSpan.push(rounded[k]!.cpuUs / rounded[k]!.spans));
}

for (const side of sides) {
  console.log(
    `${side.name}: decode CPU µs per span ${settledSummary(side.cpuUsPerSpan, 2)}; ` +
      `each round ${side.cpuUsPerSpan.map((x) => x.toFixed(2)).join(' ')}`,
  );
}
