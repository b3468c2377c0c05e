/**
 * Where the worker's CPU per span goes, stage by stage, for two checkouts side by side: decode,
 * ingest (derive → pair → aggregate), collect, the engine's state and its encoding as the checkpoint
 * store writes it (the waiting state, and the late halves new since the last). The bench workload on a
 * simulated clock at `spans/s`, a collect and a checkpoint per simulated second, counted after the
 * pairing TTL and the ancestry index have filled (20 s). `pipeline-ab.ts` says whether a change
 * moved the whole; this says which stage it moved, and which stage to look at next.
 *
 * `npx tsx test/bench/pipeline-stages.ts <checkout A> <checkout B> [rounds] [spans/s]` (defaults 2 and
 * 30000): each round runs each side in a fresh process, A B then B A. A tool for working on the
 * worker, not part of `npm run bench`.
 */
// First, as in the worker: the engine's heap settings hold before any module allocates.
import '../../ingest/heap-settings.js';
import { answerAsChild, checkouts, forkTs } from './children.js';
import { replayedRequests } from './workload.js';

const STAGES = ['decode', 'ingest', 'collect', 'state', 'encode'] as const;
type Stages = Record<(typeof STAGES)[number], number>;
const WARM_SECONDS = 20;
const COUNTED_SECONDS = 40;

async function child(dir: string, spansPerS: number): Promise<{ spans: number; us: Stages }> {
  const { loadConfig } = await import(`${dir}/src/core/config.ts`);
  const { createEngine, engineOptions } = await import(`${dir}/ingest/engine.ts`);
  const { decodeOtlpProtobuf } = await import(`${dir}/ingest/otlp/decode-protobuf.ts`);
  const { encodeState } = await import(`${dir}/ingest/spool/checkpoint-state.ts`);
  const { encodeLate } = await import(`${dir}/ingest/spool/late-state.ts`);
  const config = loadConfig();
  const engine = createEngine(engineOptions(config));
  const started = Date.now();
  const requests = replayedRequests('stages', started);
  const cpu = () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  };
  const us: Stages = { decode: 0, ingest: 0, collect: 0, state: 0, encode: 0 };
  let spans = 0;
  for (let second = 0; second < WARM_SECONDS + COUNTED_SECONDS; second++) {
    const counted = second >= WARM_SECONDS;
    const at = started + second * 1000;
    for (let n = 0; n < spansPerS;) {
      const body = requests.next();
      const t0 = cpu();
      const decoded = decodeOtlpProtobuf(body, config.limits.decode);
      const t1 = cpu();
      engine.ingest(decoded, at);
      if (counted) {
        us.decode += t1 - t0;
        us.ingest += cpu() - t1;
      }
      n += decoded.spanCount;
      if (counted) spans += decoded.spanCount;
    }
    const t0 = cpu();
    engine.collect(at);
    const t1 = cpu();
    const { late, ...waiting } = engine.state();
    const t2 = cpu();
    encodeState(waiting);
    encodeLate(late?.halves);
    if (counted) {
      us.collect += t1 - t0;
      us.state += t2 - t1;
      us.encode += cpu() - t2;
    }
  }
  return { spans, us };
}

if (!(await answerAsChild(child))) {
  const dirs = checkouts();
  const rounds = Number(process.argv[4] ?? 2);
  const spansPerS = Number(process.argv[5] ?? 30_000);
  console.log(`CPU µs per span by stage, ${spansPerS} spans/s, ${COUNTED_SECONDS} s counted after ${WARM_SECONDS}`);
  console.log(['checkout', 'round', ...STAGES, 'total'].join('  '));
  for (let round = 1; round <= rounds; round++) {
    for (const dir of round % 2 === 1 ? dirs : [...dirs].reverse()) {
      const side = forkTs('pipeline-stages.ts', ['--child', dir, String(spansPerS)]);
      const { spans, us } = await side.next<{ spans: number; us: Stages }>();
      const per = STAGES.map((s) => us[s] / spans);
      const total = per.reduce((a, b) => a + b, 0);
      console.log([dir, round, ...per.map((v) => v.toFixed(2)), total.toFixed(2)].join('  '));
    }
  }
}
