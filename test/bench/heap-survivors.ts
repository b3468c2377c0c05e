/**
 * A preload for the real worker: after a warm-up, V8's sampling heap profiler records the objects that
 * did not die young (promoted and then freed by a full collection, allocated in the old generation
 * directly, or still alive when sampling stops), by the function that allocated them; the profile goes
 * to `<dir>/<pid>.heapprofile` with its top functions printed. What a scavenge copies and promotes is
 * what the collector's CPU goes to (docs/benchmarks.md items 171, 188, 189); engine-allocation.ts
 * `BENCH_SURVIVORS=1` shows the same for the engine alone, without the receiver, spool and handoff.
 *
 * `BENCH_SURVIVORS_OUT=<dir> BENCH_WORKER_NODE_FLAGS_A="--import ./test/bench/heap-survivors.ts" npx tsx test/bench/worker-ab.ts …`
 * from the repository's root (`<dir>` defaults to the system's temporary directory). Sampling starts
 * `BENCH_SURVIVORS_AFTER` seconds after the worker does and lasts `BENCH_SURVIVORS_FOR` (default 12
 * and 15): give worker-ab a run long enough for both (30 s). A tool for working on the worker, not
 * part of `npm run bench`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bytesByFunction, type ProfileNode } from './heap-profile.js';

const dir = process.env.BENCH_SURVIVORS_OUT ?? tmpdir();
const after = Number(process.env.BENCH_SURVIVORS_AFTER ?? 12) * 1000;
const span = Number(process.env.BENCH_SURVIVORS_FOR ?? 15) * 1000;
const session = new Session();
session.connect();

function top(head: ProfileNode): string {
  const { total, bySelf } = bytesByFunction(head);
  const lines = [...bySelf]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15)
    .map(([name, b]) => `${(b / 1e6).toFixed(1).padStart(8)} MB  ${name}`);
  return [`did not die young in ${span / 1000} s: ${(total / 1e6).toFixed(1)} MB`, ...lines].join('\n');
}

async function sample(): Promise<void> {
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: false,
  });
  await new Promise((resolve) => setTimeout(resolve, span).unref());
  const { profile } = await session.post('HeapProfiler.stopSampling');
  session.disconnect();
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${process.pid}.heapprofile`);
  writeFileSync(file, JSON.stringify(profile));
  console.error(`heap-survivors ${process.pid} (${file}): ${top(profile.head as ProfileNode)}`);
}

// A failure here is the tool's, not the worker's: reported, never thrown into the worker under test.
setTimeout(() => sample().catch((error: unknown) => console.error('heap-survivors:', error)), after).unref();
