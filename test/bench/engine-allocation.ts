/**
 * Bytes the worker's engine allocates per span, for two checkouts side by side, each in a process of its
 * own: decodes the bench workload's requests and drives its checkout's engine on a simulated clock at
 * `spans/s` (a collect per simulated second), and once the pairing TTL has filled its windows counts
 * every allocation of the next seconds with V8's sampling heap profiler, objects the GC collected
 * included (what a span costs the young generation, which CPU time under load cannot show). Reports
 * the bytes per span and the functions that allocated most (self). With `BENCH_SURVIVORS=1`, only
 * the objects that outlived a scavenge (and those still young at the end: pin the young generation's
 * size with `BENCH_GC_FLAGS`, as engine-gc.ts says, for figures that repeat). `BENCH_PROFILE_OUT=<prefix>`
 * writes each side's profile.
 *
 * `npx tsx test/bench/engine-allocation.ts <checkout A> <checkout B> [spans/s] [seconds]` (defaults
 * 20000, 6 counted after 25). A tool for working on the worker, not part of `npm run bench`; a
 * checkout is a directory holding `ingest/` and `src/`.
 */
// First, as in the worker: the engine's heap settings hold before any module allocates.
import '../../ingest/heap-settings.js';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { answerAsChild, checkouts, forkTs } from './children.js';
import { bytesByFunction, type ProfileNode } from './heap-profile.js';
import { engineOnWorkload } from './workload.js';

interface SideResult {
  bytesPerSpan: number;
  spans: number;
  top: [string, number][];
}

// Past twice the pairing TTL: the halves that expire are then of the steady state, not the first
// TTL's backlog (with callees learnt silent, that backlog and the early expiries overlap for a TTL).
const WARM_SECONDS = 25;
/**
 * `BENCH_SURVIVORS=1`: only what outlived a scavenge (the objects a minor GC collected left out),
 * what the young generation copies and promotes, where a span's cost to the collector is.
 */
const survivors = process.env.BENCH_SURVIVORS === '1';

async function child(dir: string, spansPerS: number, seconds: number): Promise<SideResult> {
  const { engine, started, feed } = await engineOnWorkload(dir, 'alloc');
  const session = new Session();
  session.connect();
  let spans = 0;
  for (let second = 1; second <= WARM_SECONDS + seconds; second++) {
    if (second === WARM_SECONDS + 1) {
      await session.post('HeapProfiler.startSampling', {
        samplingInterval: 1024,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: !survivors,
      });
      spans = 0;
    }
    const at = started + second * 1000;
    spans += feed(at, spansPerS);
    engine.collect(at);
    // As the durable loop does after each collect: the checkpoint's state (what it templates and frees).
    engine.state();
  }
  const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: { head: ProfileNode } };
  session.disconnect();
  if (process.env.BENCH_PROFILE_OUT)
    writeFileSync(`${process.env.BENCH_PROFILE_OUT}-${process.pid}.heapprofile`, JSON.stringify(profile));
  const { total, bySelf } = bytesByFunction(profile.head);
  const top = [...bySelf].sort((a, b) => b[1] - a[1]).slice(0, 40);
  return { bytesPerSpan: total / spans, spans, top: top.map(([k, v]) => [k, v / spans]) };
}

if (!(await answerAsChild(child))) {
  const dirs = checkouts();
  const spansPerS = Number(process.argv[4] ?? 20_000);
  const seconds = Number(process.argv[5] ?? 6);
  for (const dir of dirs) {
    const side = forkTs(
      'engine-allocation.ts',
      ['--child', dir, String(spansPerS), String(seconds)],
      {},
      process.env.BENCH_GC_FLAGS?.split(' ').filter(Boolean) ?? [],
    );
    const r = await side.next<SideResult>();
    console.log(
      `${dir}: ${r.bytesPerSpan.toFixed(0)} bytes allocated per span over ${r.spans} spans; by function (self):`,
    );
    for (const [name, bytes] of r.top) console.log(`  ${bytes.toFixed(1).padStart(8)}  ${name}`);
  }
}
