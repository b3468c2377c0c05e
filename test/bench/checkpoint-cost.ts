/**
 * What the ingest checkpoint costs per flush, for the bench workload through the real engine (a
 * flush per simulated second at 20,000 spans/s, as `flush-rows.ts` drives it): the worker's CPU to
 * take the engine's state and encode it as the checkpoint store does, and the bytes it writes, with
 * how many expired halves are remembered for the late window (all of them in every checkpoint before
 * the late memory's segments; since, only the halves new in a flush and the places forgotten). CPU time, so it holds under load.
 * `npx tsx test/bench/checkpoint-cost.ts <checkout> [flushes]` — run it once per checkout to compare
 * (the checkout's own engine and encoders are loaded); not part of `npm run bench`.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig } from '../../src/core/config.js';
import { decodeOtlpProtobuf } from '../../ingest/otlp/decode-protobuf.js';
import { benchShape, buildTopology, requestsOf } from './workload.js';

const root = resolve(process.argv[2] ?? '.');
const flushes = Number(process.argv[3] ?? 30);
const load = (path: string) => import(pathToFileURL(resolve(root, path)).href);
const { createEngine, engineOptions } = await load('ingest/engine.ts');
const { encodeState } = await load('ingest/spool/checkpoint-state.ts');
// A checkout with the late halves' own layout encodes them apart, as its checkpoint store does.
const late = existsSync(resolve(root, 'ingest/spool/late-state.ts'))
  ? await load('ingest/spool/late-state.ts')
  : undefined;

const config = loadConfig();
const engine = createEngine(engineOptions(config));
let clock = Date.now();
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
/** What a property's value sends: a byte array's bytes, a string's (base64 since item 114), a JSON text's. */
const sizeOf = (v: unknown): number =>
  v === undefined ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : (v as { byteLength: number }).byteLength;
const rows: { remembered: number; ms: number; bytes: number; lateBytes: number }[] = [];
let requests = 0;
for (const req of requestsOf(buildTopology(benchShape('rows', 'bench-checkpoint')), 8, clock, 500)) {
  engine.ingest(decodeOtlpProtobuf(Buffer.from(req.body), config.limits.decode), clock);
  if (++requests % 40 !== 0) continue;
  clock += 1000;
  engine.collect(clock);
  const started = cpuMs();
  const state = engine.state();
  let bytes: number;
  let lateBytes = 0;
  if (late) {
    const { late: remembered, ...waiting } = state;
    bytes = sizeOf(encodeState(waiting));
    // The whole memory (a checkout before segments), or only what changed since the last checkpoint:
    // the new halves' segment and the list of places forgotten (8 bytes a number in Neo4j).
    if (Array.isArray(remembered) || remembered === undefined) lateBytes = sizeOf(late.encodeLate(remembered));
    else lateBytes = sizeOf(late.encodeLate(remembered.halves)) + 8 * remembered.gone.length;
  } else bytes = sizeOf(encodeState(state));
  rows.push({
    remembered: engine.stats().late?.waiting ?? 0,
    ms: cpuMs() - started,
    bytes: bytes + lateBytes,
    lateBytes,
  });
  if (rows.length >= flushes + 15) break;
}
// The first 15 flushes fill the pairing buffer and the late memory: the steady state is after them.
const steady = rows.slice(15);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  `${root}: ${steady.length} flushes; per flush, median (min–max): ` +
    `remembered ${median(steady.map((r) => r.remembered))}, ` +
    `CPU ${median(steady.map((r) => r.ms)).toFixed(1)} ms (${Math.min(...steady.map((r) => r.ms)).toFixed(1)}–${Math.max(...steady.map((r) => r.ms)).toFixed(1)}), ` +
    `checkpoint ${median(steady.map((r) => r.bytes))} bytes of which late halves ${median(steady.map((r) => r.lateBytes))}`,
);
