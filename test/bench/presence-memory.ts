/**
 * What presence memory (ingest/presence.ts `PresenceMemory`) holds when full, for two checkouts side
 * by side: each in a process of its own (`--expose-gc`) remembers a chain of `components`
 * components and the edges between them (one fewer), every one seen in each of `hours` hours (a flush
 * per hour, as a long-running worker hands them over), and reports what is live after a full GC
 * beyond what it held before (the V8 heap and array buffers; the component keys exist before, as the
 * engine's do). The defaults fill the default `TOPOGRAPH_PRESENCE_MAX_ENTRIES` and `_HOURS`.
 *
 * `npx tsx test/bench/presence-memory.ts <checkout A> <checkout B> [components] [hours]` (defaults
 * 99001, 48). A tool for working on the worker, not part of `npm run bench`.
 */
import { answerAsChild, checkouts, forkTs } from './children.js';

interface SideResult {
  liveMb: number;
  entries: number;
  rowsLastHour: number;
}

const mb = (bytes: number) => bytes / 2 ** 20;
const live = () => {
  (globalThis as { gc?: () => void }).gc!();
  return process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
};

async function child(dir: string, components: number, hours: number): Promise<SideResult> {
  const { PresenceMemory } = await import(`${dir}/ingest/presence.ts`);
  const { emptyFactBatch } = await import(`${dir}/ingest/aggregate.ts`);
  const keys = Array.from({ length: components }, (_, i) => JSON.stringify(['service', 'bench-presence', `svc-${i}`]));
  const first = Math.floor(Date.UTC(2026, 0, 15) / 3_600_000);
  const before = live();
  const memory = new PresenceMemory({ maxEntries: 2 * components, hours });
  let rowsLastHour = 0;
  for (let h = 0; h < hours; h++) {
    const batch = emptyFactBatch();
    for (let i = 1; i < components; i++)
      batch.edges.push({ from: keys[i - 1]!, to: keys[i]!, minute: (first + h) * 60, origins: 1 });
    const rows = memory.rowsFor(batch);
    rowsLastHour = rows.edges.length + rows.components.length;
  }
  const held = live() - before;
  // Still in use here, so the GC above could not take it.
  rowsLastHour += memory.rowsFor(emptyFactBatch()).edges.length;
  return { liveMb: mb(held), entries: 2 * components - 1, rowsLastHour };
}

if (!(await answerAsChild(child))) {
  const dirs = checkouts();
  const components = Number(process.argv[4] ?? 99_001);
  const hours = Number(process.argv[5] ?? 48);
  for (const dir of dirs) {
    const side = forkTs('presence-memory.ts', ['--child', dir, String(components), String(hours)], {}, ['--expose-gc']);
    const r = await side.next<SideResult>();
    console.log(
      `${dir}: ${r.entries} entries × ${hours} hours hold ${r.liveMb.toFixed(1)} MB live ` +
        `(${((r.liveMb * 2 ** 20) / r.entries).toFixed(0)} bytes an entry); rows handed over in the last hour ${r.rowsLastHour}`,
    );
  }
}
