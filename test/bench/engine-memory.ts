/**
 * What the worker's engine holds at a given span rate, for two checkouts side by side: each runs in a
 * process of its own (`--expose-gc`), decodes the bench workload's requests and drives its checkout's
 * engine on a simulated clock at `spans/s` (a collect per simulated second, as fast as the CPU goes),
 * alternating A B A B. It reports what is still live after a full GC (the V8 heap and array buffers)
 * once the engine's windows are full (twice the pairing TTL and more: the steady state), the peak
 * heap and RSS on the way (before any snapshot), and the CPU per span. Unlike a run behind HTTP, the live heap does not depend on how busy the machine is:
 * the rate is simulated, not reached.
 *
 * `npx tsx test/bench/engine-memory.ts <checkout A> <checkout B> [pairs] [spans/s] [seconds]`
 * (defaults 2, 35000, 40). `BENCH_HEAP_SNAPSHOT=<dir>` writes a heap snapshot of each side at the
 * end (after the GC); `BENCH_WORKER_NODE_FLAGS` adds node flags to both, `BENCH_WORKER_NODE_FLAGS_A`
 * or `_B` to one side only (one checkout under two V8 settings: `engine-memory.ts . .`). A tool for working on the
 * worker, not part of `npm run bench`; a checkout is a directory holding `ingest/` and `src/`.
 */
// First, as in the worker: the engine's heap settings hold before any module allocates.
import '../../ingest/heap-settings.js';
import { writeHeapSnapshot } from 'node:v8';
import { answerAsChild, checkouts, forkTs } from './children.js';
import { engineOnWorkload } from './workload.js';

interface SideResult {
  liveMb: number;
  peakHeapMb: number;
  peakRssMb: number;
  cpuUsPerSpan: number;
  held: string;
}

const mb = (bytes: number) => bytes / 2 ** 20;

async function child(dir: string, spansPerS: number, seconds: number): Promise<SideResult> {
  const { engine, started, feed } = await engineOnWorkload(dir, 'mem');
  let peakHeap = 0;
  let spans = 0;
  const cpu = process.cpuUsage();
  for (let second = 1; second <= seconds; second++) {
    const at = started + second * 1000;
    spans += feed(at, spansPerS);
    engine.collect(at);
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }
  const used = process.cpuUsage(cpu);
  const peakRss = process.resourceUsage().maxRSS / 1024;
  (globalThis as { gc?: () => void }).gc!();
  // Typed arrays keep their contents outside the V8 heap: live is both.
  const live = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
  const stats = engine.stats();
  if (process.env.BENCH_HEAP_SNAPSHOT)
    writeHeapSnapshot(
      `${process.env.BENCH_HEAP_SNAPSHOT}/engine-${dir.replace(/\W+/g, '_')}-${Date.now()}.heapsnapshot`,
    );
  return {
    liveMb: mb(live),
    peakHeapMb: mb(peakHeap),
    peakRssMb: peakRss,
    cpuUsPerSpan: (used.user + used.system) / spans,
    held: `waiting halves ${engine.pairing.size}, ancestry ${stats.ancestry}, pending calls ${stats.pendingCalls}, pending parents ${stats.pendingParents}, late halves ${stats.late?.waiting ?? 0}`,
  };
}

if (!(await answerAsChild(child))) {
  const dirs = checkouts();
  const pairs = Number(process.argv[4] ?? 2);
  const spansPerS = Number(process.argv[5] ?? 35_000);
  const seconds = Number(process.argv[6] ?? 40);
  const results = new Map<string, SideResult[]>();
  for (let p = 0; p < pairs; p++)
    for (const [i, dir] of dirs.entries()) {
      const flags = (name: string) => process.env[name]?.split(' ').filter(Boolean) ?? [];
      const sideFlags = flags(`BENCH_WORKER_NODE_FLAGS_${i === 0 ? 'A' : 'B'}`);
      const side = forkTs('engine-memory.ts', ['--child', dir, String(spansPerS), String(seconds)], {}, [
        '--expose-gc',
        ...flags('BENCH_WORKER_NODE_FLAGS'),
        ...sideFlags,
      ]);
      const r = await side.next<SideResult>();
      // One checkout under two settings (`engine-memory.ts . .`) is told apart by its flags.
      const name = sideFlags.length > 0 ? `${dir} ${sideFlags.join(' ')}` : dir;
      results.set(name, [...(results.get(name) ?? []), r]);
      console.log(
        `${name}: live after GC ${r.liveMb.toFixed(1)} MB, peak heap ${r.peakHeapMb.toFixed(0)} MB, peak RSS ${r.peakRssMb.toFixed(0)} MB, ` +
          `${r.cpuUsPerSpan.toFixed(1)} µs CPU per span; ${r.held}`,
      );
    }
  for (const [dir, rs] of results) {
    const median = (f: (r: SideResult) => number) => rs.map(f).sort((a, b) => a - b)[Math.floor(rs.length / 2)]!;
    console.log(
      `${dir}: median live ${median((r) => r.liveMb).toFixed(1)} MB, peak RSS ${median((r) => r.peakRssMb).toFixed(0)} MB, ` +
        `CPU ${median((r) => r.cpuUsPerSpan).toFixed(1)} µs per span (${spansPerS} spans/s simulated for ${seconds} s)`,
    );
  }
}
