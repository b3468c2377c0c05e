/**
 * "Nothing counted twice" where it is hardest: a commit of facts + checkpoint that went through but
 * whose answer was lost (the connection dropped after COMMIT). Retrying it must not add the counts
 * again. Against the real Neo4j: the store refuses a commit whose expected generation has passed, and
 * the durable loop, told so after its own lost answer, takes the commit as done and goes on.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyFactBatch } from '../../ingest/aggregate.js';
import { createEngine, engineOptions } from '../../ingest/engine.js';
import { createIngestMetrics } from '../../ingest/metrics.js';
import {
  CheckpointMovedError,
  createCheckpointStore,
  EMPTY_STATE,
  type CheckpointStore,
} from '../../ingest/spool/checkpoint-store.js';
import { createDurableIngest } from '../../ingest/spool/durable-ingest.js';
import { openSpool } from '../../ingest/spool/segment-log.js';
import { defaultConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { createRegistry } from '../../src/core/metrics.js';
import { fileGraph, uniqueName } from '../support/graph.js';
import { edgesIn } from '../support/model-graph.js';
import { httpCalls } from '../support/spans.js';

const graph = fileGraph();
const config = defaultConfig();

const calls = (env: string, n: number) => httpCalls('a', 'b', env, n);

const edgeCalls = async (env: string) => (await edgesIn(graph, env)).map((e) => `${e.from} -> ${e.to} x${e.calls}`);

describe('checkpoint store', () => {
  it('refuses a commit whose generation has passed, adding nothing', async () => {
    const env = uniqueName('checkpoint');
    const store = createCheckpointStore(graph, uniqueName('spool'), config.ingest.writer);
    const engine = createEngine(engineOptions(config));
    engine.ingest(calls(env, 3), Date.now(), 1);
    const batch = engine.collect(Date.now());
    const next = { generation: 1, position: 1, replayFrom: 2, clock: Date.now(), state: EMPTY_STATE };
    await store.commit(batch, next, 0);
    expect(await edgeCalls(env)).toEqual(['a -> b x3']);
    // The same commit again, as a driver retry of one whose answer was lost would send it.
    const again = await store.commit(batch, next, 0).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(CheckpointMovedError);
    expect((again as CheckpointMovedError).found).toBe(1);
    expect(await edgeCalls(env)).toEqual(['a -> b x3']);
    expect((await store.load())?.generation).toBe(1);
  });

  it('gives back the waiting state it was given, through Neo4j', async () => {
    const store = createCheckpointStore(graph, uniqueName('spool'), config.ingest.writer);
    const id = (n: number) => `${n.toString(16).padStart(32, '0')}${n.toString(16).padStart(16, '0')}`;
    const state = {
      halves: Array.from({ length: 500 }, (_, i) => ({ traceId: id(i + 1).slice(0, 32), spanId: id(i + 1).slice(32) })),
      orphans: [{ child: id(9_999), queuedAt: 1_700_000_000_000 }],
      calls: [
        { client: id(7), service: '["service","e","","a"]', toOp: 'op', error: false, latencyMs: 2.5, queuedAt: 3 },
      ],
      replayFrom: 4,
    };
    await store.commit(emptyFactBatch(), { generation: 1, position: 5, replayFrom: 4, clock: 6, state }, 0);
    expect(await store.load()).toEqual({ generation: 1, position: 5, replayFrom: 4, clock: 6, state });
  });

  it('the durable loop takes "already moved to my generation" after a lost answer as done', async () => {
    const env = uniqueName('checkpoint-lost');
    const spool = await openSpool({ dir: mkdtempSync(join(tmpdir(), 'topograph-lost-')), maxBytes: 1 << 24 });
    const real = createCheckpointStore(graph, spool.id, config.ingest.writer);
    let attempts = 0;
    // The first commit goes through, then its answer is lost: the loop sees an error and retries.
    const store: CheckpointStore = {
      load: () => real.load(),
      async commit(batch, next, expected) {
        attempts++;
        await real.commit(batch, next, expected);
        if (attempts === 1) throw Object.assign(new Error('connection lost after COMMIT'), { code: 'SessionExpired' });
      },
    };
    const ingest = createDurableIngest({
      spool,
      store,
      engine: createEngine(engineOptions(config)),
      log: createLogger('test', 'silent'),
      limits: config.limits.decode,
      metrics: createIngestMetrics(createRegistry('lost-test')),
      flushInterval: () => 10,
      shutdownTimeoutMs: 5000,
    });
    ingest.start();
    try {
      expect(await ingest.accept(calls(env, 2))).toEqual({});
      await ingest.flush();
      // The retry found the checkpoint at its own generation (CheckpointMovedError) and wrote nothing.
      expect(attempts).toBe(2);
      expect(await edgeCalls(env)).toEqual(['a -> b x2']);
      // And it goes on: the next request is counted once too.
      expect(await ingest.accept(calls(env, 1))).toEqual({});
      await ingest.flush();
      expect(await edgeCalls(env)).toEqual(['a -> b x3']);
    } finally {
      await ingest.stop();
    }
  });
});
