/**
 * Where a worker's main thread spends its busy time, by stage: a V8 CPU profile (`BENCH_CPU_PROF` of
 * `worker-ab.ts` or the bench, or `node --cpu-prof`) split into decoding, ingesting, collecting,
 * garbage collection, the driver and so on. Each sample goes to the first stage (in the order of
 * `STAGES`) that names a frame of its stack, read from the sampled frame outwards, so the stage is
 * the innermost one at work: the driver's socket writes under a flush count as sockets, the
 * checkpoint's encoding under a flush as the checkpoint. Idle time is left out.
 *
 * `npx tsx test/bench/profile-split.ts <file.cpuprofile> [more files]` — a tool for working on the
 * worker (docs/benchmarks.md item 138), not part of `npm run bench`.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
}

interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

/** Each stage by the frames that belong to it (function name and script URL, as `name url`). */
const STAGES: [stage: string, frame: RegExp][] = [
  ['sockets', /^(writeBuffer|writev|writeBuffers|writeUtf8String|writeLatin1String) /],
  ['driver (packing, Bolt)', /neo4j-driver/],
  ['checkpoint encoding', /spool\/(checkpoint-state|late-state)\.ts/],
  ['writer (rows, statements)', /ingest\/(writer|late-writer|positional-rows|row-groups)\.ts|checkpoint-store\.ts/],
  ['decode', /ingest\/otlp\/(decode-|ascii-strings|attribute-keys|validate)|protobufjs/],
  ['spool', /ingest\/spool\/(segment-log|record|byte-frame)\.ts/],
  [
    'collect (expiry, callers, drain)',
    /^(collect|resolve|expire|expireAll|forget|drain|state) .*ingest\/(engine|callers|pairing|late-pairs|aggregate|trace-sampling|versions)\.ts/,
  ],
  ['ingest (derive, pair, aggregate)', /^ingest .*ingest\/engine\.ts/],
  ['metrics', /prom-client/],
  ['HTTP', /node:_http|http-receiver\.ts/],
];

function split(file: string): void {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const stageOf = new Map<number, string>();
  const stage = (id: number): string => {
    const known = stageOf.get(id);
    if (known !== undefined) return known;
    const frame = frames.get(id)!;
    const text = `${frame.functionName} ${frame.url}`;
    const own = STAGES.find(([, rx]) => rx.test(text))?.[0];
    const up = parent.get(id);
    const found = own ?? (up === undefined ? 'other' : stage(up));
    stageOf.set(id, found);
    return found;
  };
  const time = new Map<string, number>();
  let busy = 0;
  let total = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    total += us;
    const name = frames.get(id)!.functionName;
    if (name === '(idle)') return;
    busy += us;
    const s = name === '(garbage collector)' ? 'garbage collection' : stage(id);
    time.set(s, (time.get(s) ?? 0) + us);
  });
  console.log(`${file}: busy ${(busy / 1e6).toFixed(2)} s of ${(total / 1e6).toFixed(2)} s`);
  for (const [s, us] of [...time].sort((a, b) => b[1] - a[1]))
    console.log(`  ${((100 * us) / busy).toFixed(1).padStart(5)}%  ${(us / 1e6).toFixed(2).padStart(7)} s  ${s}`);
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error('usage: npx tsx test/bench/profile-split.ts <file.cpuprofile> [more files]');
  process.exit(2);
}
for (const file of files) split(file);
