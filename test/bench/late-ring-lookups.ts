/**
 * What a lookup that misses costs in a full late memory's index (ingest/late-ring.ts): nearly every
 * span asks it for a late partner and finds none. Fills a ring of one checkout with `halves` random
 * keys (default the late memory's bound, 1,750,000), then times 2,000,000 lookups of keys it does not
 * hold, three times. `npx tsx test/bench/late-ring-lookups.ts <checkout> [halves]` — a tool for working
 * on the worker (docs/benchmarks.md item 179), not part of `npm run bench`.
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';

const dir = resolve(process.argv[2] ?? '.');
const halves = Number(process.argv[3] ?? 1_750_000);
const LOOKUPS = 2_000_000;
const { LateRing } = (await import(`${dir}/ingest/late-ring.ts`)) as typeof import('../../ingest/late-ring.js');

const ring = new LateRing();
const figures = {
  error: false,
  latencyMs: 1,
  at: 0,
  source: 0,
  expiredAt: 0,
  seq: 0,
  template: -1,
  segment: -1,
  index: -1,
};
const keys = randomBytes(24 * halves);
let started = performance.now();
for (let i = 0; i < halves; i++) {
  figures.seq = i;
  ring.pushBytes(keys, 24 * i, figures);
}
console.log(`${dir}: ${halves} halves held, ${(((performance.now() - started) * 1e6) / halves).toFixed(0)} ns a push`);

// Random keys, one word changed per lookup: none is held.
const asked = new Uint32Array(6 * 4096);
const random = randomBytes(4 * asked.length);
for (let i = 0; i < asked.length; i++) asked[i] = random.readUInt32LE(4 * i);
for (let round = 0; round < 3; round++) {
  let found = 0;
  started = performance.now();
  for (let i = 0; i < LOOKUPS; i++) {
    const at = (i & 4095) * 6;
    asked[at] = i;
    if (ring.findWords(asked, at) >= 0) found++;
  }
  console.log(
    `  ${(((performance.now() - started) * 1e6) / LOOKUPS).toFixed(0)} ns a lookup that misses (${found} found)`,
  );
}
