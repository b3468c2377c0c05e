/**
 * A preload for the real worker: after a warm-up, V8's sampling heap profiler records the objects that
 * outlive the young generation (promoted, then freed by a full collection, or still alive), by the
 * function that allocated them, and the profile goes to `<dir>/<pid>.heapprofile` with its top
 * functions printed. What a scavenge copies and promotes is what the collector's CPU goes to
 * (docs/benchmarks.md items 171, 188); engine-allocation.ts `BENCH_SURVIVORS=1` shows the same for the
 * engine alone, without the receiver, spool and handoff around it.
 *
 * `BENCH_SURVIVORS_OUT=<dir> BENCH_WORKER_NODE_FLAGS_A="--import ./test/bench/heap-survivors.ts" npx tsx test/bench/worker-ab.ts …`
 * (`BENCH_SURVIVORS_AFTER` and `BENCH_SURVIVORS_FOR`: seconds of warm-up and of sampling, default 12
 * and 15). A tool for working on the worker, not part of `npm run bench`.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';

interface ProfileNode {
  callFrame: { functionName: string; url: string };
  selfSize: number;
  children: ProfileNode[];
}

const dir = process.env.BENCH_SURVIVORS_OUT ?? '.';
const after = Number(process.env.BENCH_SURVIVORS_AFTER ?? 12) * 1000;
const span = Number(process.env.BENCH_SURVIVORS_FOR ?? 15) * 1000;
const session = new Session();
session.connect();

function top(head: ProfileNode): string {
  const bytes = new Map<string, number>();
  const walk = (n: ProfileNode, caller: string) => {
    const here = `${n.callFrame.functionName} ${n.callFrame.url.replace(/.*\//, '')}`.trim();
    // Built-ins (an empty url) are named with their caller, as engine-allocation.ts does.
    const name = n.callFrame.url === '' && caller ? `${n.callFrame.functionName} < ${caller}` : here;
    if (n.selfSize > 0) bytes.set(name, (bytes.get(name) ?? 0) + n.selfSize);
    for (const c of n.children) walk(c, here);
  };
  walk(head, '');
  const total = [...bytes.values()].reduce((a, b) => a + b, 0);
  const lines = [...bytes]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 15)
    .map(([name, b]) => `${(b / 1e6).toFixed(1).padStart(8)} MB  ${name}`);
  return [`outlived the young generation in ${span / 1000} s: ${(total / 1e6).toFixed(1)} MB`, ...lines].join('\n');
}

setTimeout(() => {
  void (async () => {
    await session.post('HeapProfiler.startSampling', {
      samplingInterval: 4096,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: false,
    });
    setTimeout(() => {
      void (async () => {
        const { profile } = await session.post('HeapProfiler.stopSampling');
        writeFileSync(join(dir, `${process.pid}.heapprofile`), JSON.stringify(profile));
        console.error(`heap-survivors ${process.pid}: ${top(profile.head as ProfileNode)}`);
      })();
    }, span).unref();
  })();
}, after).unref();
