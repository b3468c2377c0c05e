/**
 * The flush interval grows with the rows of the last flush (ingest/flush-interval.ts): the durable
 * loop, writing through the real checkpoint store to the real Neo4j, waits longer after a flush of
 * many rows and the shortest interval after one of few, and the longest while it is behind or its
 * event loop was busy (the meter injected here: ingest/flush-interval.ts measures Node's). The
 * clock flushes are scheduled by is injected and moved a step at a time, each step once the loop
 * has gone idle (or, behind, as it reads): nothing sleeps.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { factCount } from '../../ingest/aggregate.js';
import { createEngine, engineOptions } from '../../ingest/engine.js';
import { createFlushInterval } from '../../ingest/flush-interval.js';
import { createIngestMetrics } from '../../ingest/metrics.js';
import { createCheckpointStore, type CheckpointStore } from '../../ingest/spool/checkpoint-store.js';
import { createDurableIngest, type DurableIngest, type DurableIngestDeps } from '../../ingest/spool/durable-ingest.js';
import { openSpool, type Spool } from '../../ingest/spool/segment-log.js';
import { defaultConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { createRegistry } from '../../src/core/metrics.js';
import { fileGraph, uniqueName } from '../support/graph.js';
import { httpCalls } from '../support/spans.js';

const config = defaultConfig();
const graph = fileGraph();
const env = uniqueName('flush-interval-env');
const STEP_MS = 250;
const pace = { minMs: 1000, maxMs: 8000, rowsPerSecond: 20 };

interface Harness {
  ingest: DurableIngest;
  /** the flush clock, moved by the test */
  clock: { t: number };
  /** each commit's time on the flush clock and rows */
  commits: { at: number; rows: number }[];
  /** Waits (polling, bounded) until the loop has gone idle with no write in flight since `after` waits. */
  settled(after: number): Promise<void>;
  /** how many times the loop has waited for data */
  waits(): number;
  /** how long it asked to wait each time */
  waitMs: number[];
}

/**
 * A durable loop writing through the real checkpoint store, on an injected flush clock. `onRead`
 * sees each read step's records (a test moves the clock as they are read); the rest goes to
 * `createDurableIngest` as is.
 */
async function startLoop(
  name: string,
  options: Pick<DurableIngestDeps, 'flushInterval'> & Partial<Pick<DurableIngestDeps, 'loopBusy' | 'readBatch'>>,
  onRead: (records: number, clock: { t: number }) => void = () => {},
): Promise<Harness> {
  const clock = { t: 0 };
  const real = await openSpool({ dir: mkdtempSync(join(tmpdir(), `topograph-${name}-`)), maxBytes: 1 << 24 });
  let waits = 0;
  const waitMs: number[] = [];
  const spool: Spool = {
    ...real,
    async read(max, skipBody) {
      const records = await real.read(max, skipBody);
      onRead(records.length, clock);
      return records;
    },
    waitForData: (ms) => {
      waits++;
      waitMs.push(ms);
      return real.waitForData(ms);
    },
  };
  const store = createCheckpointStore(graph, spool.id, config.ingest.writer);
  const commits: { at: number; rows: number }[] = [];
  let writing = 0;
  const counted: CheckpointStore = {
    load: () => store.load(),
    async commit(batch, next, expected) {
      writing++;
      commits.push({ at: clock.t, rows: factCount(batch) });
      try {
        await store.commit(batch, next, expected);
      } finally {
        writing--;
      }
    },
  };
  const ingest = createDurableIngest({
    spool,
    store: counted,
    engine: createEngine(engineOptions(config)),
    log: createLogger('test', 'silent'),
    limits: config.limits.decode,
    metrics: createIngestMetrics(createRegistry(`${name}-test`)),
    flushClock: () => clock.t,
    shutdownTimeoutMs: 2000,
    ...options,
  });
  const settled = async (after: number) => {
    for (let i = 0; i < 1000 && !(waits > after && writing === 0); i++) await new Promise((r) => setTimeout(r, 5));
    expect(waits > after && writing === 0).toBe(true);
  };
  return { ingest, clock, commits, settled, waits: () => waits, waitMs };
}

describe('the flush interval of the durable loop', () => {
  let loop: Harness | undefined;
  afterEach(async () => {
    await loop?.ingest.stop();
    loop = undefined;
  });

  it('waits rows / rate after a flush of many rows, and the shortest interval after one of few', async () => {
    loop = await startLoop('flush-interval', { flushInterval: createFlushInterval(pace) });
    const { ingest, clock, commits, settled, waits } = loop;
    ingest.start();
    await settled(0);

    // Many distinct keys in the first second, then one known call per step.
    const pairs = Array.from({ length: 8 }, (_, i) => httpCalls(`fi-a${i}`, `fi-b${i}`, env, 1));
    const many = {
      ...pairs[0]!,
      batch: pairs.flatMap((p) => p.batch),
      spanCount: pairs.reduce((n, p) => n + p.spanCount, 0),
    };
    for (let step = 0; step < 40 && commits.length < 4; step++) {
      clock.t += STEP_MS;
      const before = waits();
      expect(await ingest.accept(step === 0 ? many : httpCalls('fi-a0', 'fi-b0', env, 1))).toEqual({});
      await settled(before);
    }

    const [first, second, third, fourth] = commits;
    const grown = createFlushInterval(pace)(first!.rows);
    // The first flush had many rows: the next came rows / rate later (to the step), longer than the shortest.
    expect(first!.at).toBe(pace.minMs);
    expect(grown).toBeGreaterThan(pace.minMs + STEP_MS);
    expect(grown).toBe(Math.ceil((first!.rows * 1000) / pace.rowsPerSecond));
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(grown);
    expect(second!.at - first!.at).toBeLessThan(grown + STEP_MS);
    // Later flushes carry the one known call of each step: few rows, the shortest interval.
    expect(second!.rows).toBeLessThanOrEqual(pace.rowsPerSecond);
    expect(third!.at - second!.at).toBe(pace.minMs);
    expect(fourth!.at - third!.at).toBe(pace.minMs);
  });

  it('is the longest while more waits than one read step, and the shortest again once caught up', async () => {
    // While the backlog is read, each record read takes a quarter second of the flush clock.
    let backlog = true;
    loop = await startLoop(
      'flush-behind',
      { flushInterval: createFlushInterval({ minMs: 1000, maxMs: 3000, rowsPerSecond: 1_000_000 }), readBatch: 1 },
      (records, clock) => {
        if (backlog) clock.t += STEP_MS * records;
      },
    );
    const { ingest, clock, commits, settled, waits } = loop;

    // A backlog of 24 records (six seconds of reading), spooled before the loop starts, as after an outage.
    for (let i = 0; i < 24; i++)
      expect(await ingest.accept(httpCalls(`fb-a${i % 4}`, `fb-b${i % 4}`, env, 1))).toEqual({});
    ingest.start();
    await settled(0);
    // Every read step was whole until the last: the flushes came the longest interval apart.
    expect(commits.map((c) => c.at)).toEqual([3000, 6000]);

    backlog = false;
    for (let step = 0; step < 20 && commits.length < 4; step++) {
      clock.t += STEP_MS;
      const before = waits();
      expect(await ingest.accept(httpCalls('fb-a0', 'fb-b0', env, 1))).toEqual({});
      await settled(before);
    }
    // Caught up: the shortest interval again.
    expect(commits.map((c) => c.at)).toEqual([3000, 6000, 7000, 8000]);
  });

  it('is the longest after an interval the event loop was busy, and the shortest again after one it was not', async () => {
    // What the meter says at each flush about the interval before it: busy twice, then not.
    const answers = [true, true, false, false, false];
    loop = await startLoop('flush-busy', {
      flushInterval: createFlushInterval({ minMs: 1000, maxMs: 3000, rowsPerSecond: 1_000_000 }),
      loopBusy: () => answers.shift() ?? false,
    });
    const { ingest, clock, commits, settled, waits } = loop;
    ingest.start();
    await settled(0);

    // One call a step, never a whole read step waiting: never behind.
    for (let step = 0; step < 60 && commits.length < 5; step++) {
      clock.t += STEP_MS;
      const before = waits();
      expect(await ingest.accept(httpCalls('fy-a0', 'fy-b0', env, 1))).toEqual({});
      await settled(before);
    }
    expect(commits.map((c) => c.at)).toEqual([1000, 4000, 7000, 8000, 9000]);
    // Idle between flushes, the loop sleeps until the next is due (a step at least), never polls.
    expect(Math.min(...loop.waitMs)).toBeGreaterThanOrEqual(STEP_MS);
  });
});
