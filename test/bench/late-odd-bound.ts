/**
 * The late memory's bound on halves whose ids are not in hex (an importer's), for one checkout: rounds
 * of 20,000 client spans with such ids, each expired into the late memory, and the CPU time per span
 * of each round, once the bound (a sixteenth of 1,750,000) lets the oldest go on every expiry.
 * `npx tsx test/bench/late-odd-bound.ts <checkout>` — a tool for working on the worker, not part of
 * `npm run bench`; a checkout is a directory holding `ingest/`, `src/` and `test/support/`.
 */
import { resolve } from 'node:path';
const dir = resolve(process.argv[2] ?? '.');
const { createEngine, engineOptions } = await import(`${dir}/ingest/engine.ts`);
const { defaultConfig } = await import(`${dir}/src/core/config.ts`);
const { splitCalls, TraceBuilder } = await import(`${dir}/test/support/spans.ts`);
const engine = createEngine({
  ...engineOptions(defaultConfig()),
  pairingTtlMs: 10_000,
  pairingLateWindowMs: 3_600_000,
  pairingLateMaxEntries: 1_750_000,
  pairingUnansweredAfter: 0,
});
let now = 1_700_000_000_000;
for (let round = 0; round < 16; round++) {
  const batches = [];
  for (let i = 0; i < 20; i++)
    batches.push(splitCalls(1000, { startMs: now - 100, trace: new TraceBuilder(`imp-${round}-${i}`) }).clients);
  const t0 = process.cpuUsage();
  for (const b of batches) engine.ingest(b, now, round);
  now += 11_000;
  engine.collect(now);
  const used = process.cpuUsage(t0);
  const ms = (used.user + used.system) / 1000;
  console.log(
    `round ${round}: ${((ms * 1000) / 20000).toFixed(2)} µs per span; waiting ${engine.stats().late.waiting}, dropped ${engine.stats().late.droppedBound}`,
  );
}
