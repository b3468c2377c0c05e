/**
 * Garbage-collection time the worker's engine costs per span, for two checkouts side by side, each
 * round in a fresh process per side (A B, then B A): decodes the bench workload's requests and
 * drives its checkout's engine on a simulated clock at `spans/s` (a collect and a checkpoint state
 * per simulated second, as the durable loop does), and once the pairing TTL has filled its windows
 * sums the pauses V8 reports (`gc` performance entries) over the next seconds, the young
 * generation's (scavenges) apart from the rest.
 *
 * A scavenge costs what survives it, not what it frees: an object held past one (a call queued until
 * the next collect, a half waiting to pair) is copied, once or twice, then promoted to the old
 * generation, which a major collection walks again. Bytes allocated (engine-allocation.ts) cannot show
 * that; this can. CPU per span is printed beside it, but is the pipeline's, noisy on a shared machine.
 *
 * Also the bytes each span left in the young generation and promoted (V8's GC profile). These vary
 * with V8's sizing of the young generation; `BENCH_GC_FLAGS="--min-semi-space-size=64
 * --max-semi-space-size=64"` (flags for both sides' processes) pins it, and they repeat.
 *
 * `npx tsx test/bench/engine-gc.ts <checkout A> <checkout B> [rounds] [spans/s] [seconds]` (defaults
 * 3, 20000, 20 counted after 25). A tool for working on the worker, not part of `npm run bench`.
 */
// First, as in the worker: the engine's heap settings hold before any module allocates.
import '../../ingest/heap-settings.js';
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { GCProfiler } from 'node:v8';
import { answerAsChild, checkouts, forkTs } from './children.js';
import { engineOnWorkload } from './workload.js';

interface SideResult {
  spans: number;
  scavengeMs: number;
  otherGcMs: number;
  cpuUs: number;
  /** bytes the scavenges kept in the young generation, and moved to the old one */
  survivedBytes: number;
  promotedBytes: number;
}

interface GcRecord {
  gcType: string;
  beforeGC: { heapSpaceStatistics: { spaceName: string; spaceUsedSize: number }[] };
  afterGC: { heapSpaceStatistics: { spaceName: string; spaceUsedSize: number }[] };
}

/** What a scavenge left in the young generation, and what it moved to the old (V8's GC profile: used bytes per space around it). */
function scavenged(records: GcRecord[]): { survived: number; promoted: number } {
  const used = (s: GcRecord['afterGC'], name: string) =>
    s.heapSpaceStatistics.find((x) => x.spaceName === name)?.spaceUsedSize ?? 0;
  let survived = 0;
  let promoted = 0;
  for (const r of records) {
    if (r.gcType !== 'Scavenge') continue;
    survived += used(r.afterGC, 'new_space');
    promoted += used(r.afterGC, 'old_space') - used(r.beforeGC, 'old_space');
  }
  return { survived, promoted };
}

// Past twice the pairing TTL: the halves that expire are then of the steady state, not the first
// TTL's backlog (with callees learnt silent, that backlog and the early expiries overlap for a TTL).
const WARM_SECONDS = 25;
/** `detail.kind` of a young-generation collection (perf_hooks' NODE_PERFORMANCE_GC_MINOR) */
const MINOR = 1;

async function child(dir: string, spansPerS: number, seconds: number): Promise<SideResult> {
  const { engine, started, feed } = await engineOnWorkload(dir, 'gc');
  let counting = false;
  let scavengeMs = 0;
  let otherGcMs = 0;
  const observer = new PerformanceObserver((list) => {
    if (!counting) return;
    for (const e of list.getEntries() as (PerformanceEntry & { detail?: { kind?: number } })[]) {
      if (e.detail?.kind === MINOR) scavengeMs += e.duration;
      else otherGcMs += e.duration;
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  let spans = 0;
  let cpuFrom = process.cpuUsage();
  const gcProfile = new GCProfiler();
  for (let second = 1; second <= WARM_SECONDS + seconds; second++) {
    if (second === WARM_SECONDS + 1) {
      counting = true;
      spans = 0;
      cpuFrom = process.cpuUsage();
      gcProfile.start();
    }
    const at = started + second * 1000;
    spans += feed(at, spansPerS);
    engine.collect(at);
    engine.state();
  }
  const cpu = process.cpuUsage(cpuFrom);
  const { survived, promoted } = scavenged((gcProfile.stop() as unknown as { statistics: GcRecord[] }).statistics);
  // The observer is called after the collections it reports: let the last ones in.
  await new Promise((r) => setTimeout(r, 50));
  observer.disconnect();
  return {
    spans,
    scavengeMs,
    otherGcMs,
    cpuUs: cpu.user + cpu.system,
    survivedBytes: survived,
    promotedBytes: promoted,
  };
}

if (!(await answerAsChild(child))) {
  const dirs = checkouts();
  const rounds = Number(process.argv[4] ?? 3);
  const spansPerS = Number(process.argv[5] ?? 20_000);
  const seconds = Number(process.argv[6] ?? 20);
  const per1k = (ms: number, spans: number) => ((1000 * ms) / spans).toFixed(3);
  console.log(
    'checkout  round  scavenge ms per 1,000 spans  other GC ms per 1,000 spans  CPU µs per span  bytes a span kept young, promoted',
  );
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? dirs : [...dirs].reverse();
    for (const dir of order) {
      const side = forkTs(
        'engine-gc.ts',
        ['--child', dir, String(spansPerS), String(seconds)],
        {},
        process.env.BENCH_GC_FLAGS?.split(' ').filter(Boolean) ?? [],
      );
      const r = await side.next<SideResult>();
      console.log(
        `${dir}  ${round}  ${per1k(r.scavengeMs, r.spans)}  ${per1k(r.otherGcMs, r.spans)}  ${(r.cpuUs / r.spans).toFixed(2)}  ${Math.round(r.survivedBytes / r.spans)}, ${Math.round(r.promotedBytes / r.spans)}`,
      );
    }
  }
}
