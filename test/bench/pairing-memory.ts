/**
 * What the pairing store itself holds per waiting half, for two checkouts side by side: each, in a
 * process of its own (`--expose-gc`), fills its checkout's `PairingStore` with `halves` halves (a third
 * servers waiting under their parent, the rest clients, as the bench workload leaves them: ~35,000 at
 * 35,000 spans/s, up to the 200,000-half default bound) and reports the live heap and array buffers
 * after a full GC, less the same before. The halves' values and their id strings are made and held
 * beforehand on both sides (the engine's half holds them whichever the store), so what is left is the
 * store's own: its keys, wrappers, tables and columns. Also the CPU of adding as many again and of
 * pairing them all away (a second round: the code compiled by the first).
 *
 * `npx tsx test/bench/pairing-memory.ts <checkout A> <checkout B> [pairs] [halves]` (defaults 2,
 * 35000). A tool for working on the worker, not part of `npm run bench`; a checkout is a directory
 * holding `ingest/pairing.ts`, either layout: keyed by a joined id string (`addClient(key, …)`) or by
 * the ids (`addClient(traceId, spanId, …)`).
 */
import { randomBytes } from 'node:crypto';
import { answerAsChild, checkouts, forkTs } from './children.js';

interface SideResult {
  bytesPerHalf: number;
  addUsPerHalf: number;
  pairUsPerHalf: number;
  size: number;
}

const gc = () => (globalThis as { gc?: () => void }).gc!();
const live = () => process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
const hex = (bytes: number) => randomBytes(bytes).toString('hex');

async function child(dir: string, halves: number): Promise<SideResult> {
  const { PairingStore } = await import(`${dir}/ingest/pairing.ts`);
  const noop = () => undefined;
  const store = new PairingStore(
    { ttlMs: 10_000, maxEntries: halves * 2 },
    {
      onComplete: noop,
      onExpireClient: noop,
      onExpireServer: noop,
    },
  );
  // Clients keyed by their own span id; servers by their parent's, which no client waiting here has.
  const spansOf = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ server: i % 3 === 0, traceId: hex(16), spanId: hex(8), value: { n: i } }));
  const byIds = PairingStore.prototype.addClient.length >= 4;
  // A time on the pairing clock as the engine's (milliseconds since 1970: a double, not a small integer).
  const t0 = Date.now();
  const add = (spans: ReturnType<typeof spansOf>) => {
    for (const [i, s] of spans.entries()) {
      if (byIds) {
        if (s.server) store.addServer(s.traceId, s.spanId, [], s.value, t0 + i);
        else store.addClient(s.traceId, s.spanId, s.value, t0 + i);
      } else if (s.server) store.addServer([s.traceId + s.spanId], s.value, t0 + i);
      else store.addClient(s.traceId + s.spanId, s.value, t0 + i);
    }
  };
  // Their partners come: every half pairs and leaves.
  const pair = (spans: ReturnType<typeof spansOf>) => {
    for (const s of spans) {
      if (byIds) {
        if (s.server) store.addClient(s.traceId, s.spanId, s.value, t0);
        else store.addServer(s.traceId, s.spanId, [], s.value, t0);
      } else if (s.server) store.addClient(s.traceId + s.spanId, s.value, t0);
      else store.addServer([s.traceId + s.spanId], s.value, t0);
    }
  };
  const spans = spansOf(halves);
  gc();
  const before = live();
  add(spans);
  const size = store.size as number;
  gc();
  const bytes = live() - before;
  pair(spans);
  // The CPU of another round, its code compiled by the first.
  const again = spansOf(halves);
  let cpu = process.cpuUsage();
  add(again);
  const added = process.cpuUsage(cpu);
  cpu = process.cpuUsage();
  pair(again);
  const paired = process.cpuUsage(cpu);
  if (store.size !== 0) throw new Error(`${store.size} halves left unpaired`);
  return {
    bytesPerHalf: bytes / halves,
    addUsPerHalf: (added.user + added.system) / halves,
    pairUsPerHalf: (paired.user + paired.system) / halves,
    size,
  };
}

if (!(await answerAsChild(child))) {
  const dirs = checkouts();
  const pairs = Number(process.argv[4] ?? 2);
  const halves = Number(process.argv[5] ?? 35_000);
  for (let p = 0; p < pairs; p++)
    for (const dir of dirs) {
      const side = forkTs('pairing-memory.ts', ['--child', dir, String(halves)], {}, ['--expose-gc']);
      const r = await side.next<SideResult>();
      console.log(
        `${dir}: ${r.size} halves waiting, ${r.bytesPerHalf.toFixed(0)} bytes of the store's own per half; ` +
          `${r.addUsPerHalf.toFixed(2)} µs CPU to add one, ${r.pairUsPerHalf.toFixed(2)} µs to pair it away`,
      );
    }
}
