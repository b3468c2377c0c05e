/**
 * The worker's Prometheus metrics, on a real worker (spool on disk, receivers over real sockets)
 * committing to the real Neo4j. What the pairing buffer drops and what waits for a parent; what the
 * limits cut, counted for a gRPC request as for HTTP ones (each receiver is built alike); and a failed
 * commit of facts + checkpoint (a transaction Neo4j terminates) counted by exactly one counter.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { TRACE_EXPORT_PATH } from '../../ingest/otlp/grpc-receiver.js';
import { SpanKind } from '../../ingest/span.js';
import { createCheckpointStore, LOCK_CHECKPOINT } from '../../ingest/spool/checkpoint-store.js';
import { openSpool, type Spool } from '../../ingest/spool/segment-log.js';
import { createWorker, type Worker } from '../../ingest/worker.js';
import { loadConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { createRegistry } from '../../src/core/metrics.js';
import { testGraph, uniqueName } from '../support/graph.js';
import { eventually } from '../support/processes.js';
import { encodeProtobuf, rawSpan } from '../support/otlp-payloads.js';
import { TraceBuilder } from '../support/spans.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const graph = testGraph();
afterAll(() => graph.close());

/** A started worker on a fresh spool, committing facts and its checkpoint to the real Neo4j. */
async function startWorker(env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'topograph-worker-metrics-'));
  const spool: Spool = await openSpool({ dir, maxBytes: 1 << 24 });
  const registry = createRegistry('ingest-test');
  const config = loadConfig(env);
  const worker: Worker = createWorker({
    config,
    log: createLogger('test', 'silent'),
    registry,
    ready: async () => true,
    // Retries go on at once: the test forces the failure, it does not wait out the back-off.
    durable: { spool, store: createCheckpointStore(graph, spool.id, config.ingest.writer), sleep: async () => {} },
  });
  worker.start();
  cleanups.push(async () => {
    await worker.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { worker, registry, spool };
}

/** Every `name{labels} value` sample of the ingest and spool counters (`_total`), as a map. */
async function counters(registry: ReturnType<typeof createRegistry>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await registry.metrics()).split('\n')) {
    const m = /^(topograph_(?:ingest|spool)_\w+_total(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** The counters that moved between two snapshots, by how much. */
function moved(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of after) if (v !== (before.get(k) ?? 0)) out[k.replace(/\{.*\}$/, '')] = v - (before.get(k) ?? 0);
  return out;
}

describe('worker metrics', () => {
  it('counts evictions from the bounded pairing buffer and spans waiting for their parent', async () => {
    const { worker, registry } = await startWorker({ TOPOGRAPH_PAIRING_MAX_ENTRIES: '2' });
    const t = new TraceBuilder();
    for (let i = 0; i < 5; i++)
      t.span({ service: 'a', kind: SpanKind.CLIENT, name: 'call', attributes: { 'peer.service': 'x' } });
    const ghost = new TraceBuilder().span({ service: 'elsewhere', kind: SpanKind.SERVER, name: 'x' });
    t.span({ service: 'a', kind: SpanKind.INTERNAL, name: 'job', parent: ghost });
    expect(await worker.intake.accept(t.batch())).toEqual({});
    // Read by the durable loop and committed: nothing has waited out the pairing TTL yet.
    await worker.flush();
    const text = await registry.metrics();
    expect(text).toMatch(/topograph_ingest_pairing_events\{outcome="evicted",process="ingest-test"\} 3/);
    expect(text).toMatch(/topograph_ingest_pairing_buffer_size\{process="ingest-test"\} 2/);
    expect(text).toMatch(/topograph_ingest_pending_parents\{process="ingest-test"\} 1/);
  });

  it('counts what the limits cut in a gRPC request, as in an HTTP one', async () => {
    const { worker, registry } = await startWorker({ TOPOGRAPH_MAX_ATTRIBUTE_VALUE_LENGTH: '16' });
    const port = await worker.grpc.listen('127.0.0.1', 0);
    const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    cleanups.push(async () => {
      client.close();
      await worker.grpc.close();
    });
    const body = Buffer.from(
      encodeProtobuf({
        resource: { 'service.name': 'limited' },
        spans: [rawSpan({ attributes: { note: 'x'.repeat(100), other: 'y'.repeat(100) } })],
      }),
    );
    const error = await new Promise<grpc.ServiceError | null>((resolve) =>
      client.makeUnaryRequest(
        TRACE_EXPORT_PATH,
        (b: Buffer) => b,
        (b: Buffer) => b,
        body,
        new grpc.Metadata(),
        (e) => resolve(e),
      ),
    );
    expect(error).toBeNull();
    const text = await registry.metrics();
    expect(text).toMatch(/topograph_ingest_limited_total\{what="values_truncated",process="ingest-test"\} 2/);
    expect(text).toMatch(/topograph_ingest_spans_received_total\{process="ingest-test"\} 1/);
  });

  it('counts a failed commit of facts + checkpoint once, in topograph_ingest_flush_failures_total', async () => {
    const { worker, registry, spool } = await startWorker();
    const service = uniqueName('flush-failure');
    // Another transaction holds the worker's checkpoint row, so its commit waits on the lock until
    // Neo4j terminates it: a real failed commit, which the loop must count once and retry.
    const holder = graph.driver.session({ database: graph.database });
    const held = await holder.beginTransaction();
    try {
      await held.run(LOCK_CHECKPOINT, { id: spool.id });
      const before = await counters(registry);
      const t = new TraceBuilder();
      t.span({ service, kind: SpanKind.SERVER, name: 'GET /' });
      expect(await worker.intake.accept(t.batch())).toEqual({});
      const written = worker.flush();
      const waiting = await blockedFlush(spool.id);
      await graph.driver.executeQuery('TERMINATE TRANSACTION $id', { id: waiting }, { database: graph.database });
      await held.rollback();
      // Resolves once the record is written: after the terminated attempt and its retry.
      await written;
      expect(moved(before, await counters(registry))).toEqual({
        topograph_ingest_spans_received_total: 1,
        topograph_ingest_flush_failures_total: 1,
      });
      const services = await graph.read(
        'test',
        async (tx) =>
          (await tx.run('MATCH (s:Service {name: $service}) RETURN s.name AS name', { service })).records.length,
      );
      expect(services).toBe(1);
    } finally {
      if (held.isOpen()) await held.rollback();
      await holder.close();
    }
  });
});

/** The id of the worker's flush transaction once it waits on the checkpoint lock. */
function blockedFlush(spoolId: string): Promise<string> {
  return eventually(
    async () => {
      const { records } = await graph.driver.executeQuery(
        `SHOW TRANSACTIONS YIELD transactionId, metaData, parameters, status
         WHERE metaData.op = 'flush+checkpoint' AND parameters.id = $spoolId AND status STARTS WITH 'Blocked'
         RETURN transactionId`,
        { spoolId },
        { database: graph.database },
      );
      return records[0]?.get('transactionId') as string | undefined;
    },
    10_000,
    'the flush to wait on the checkpoint lock',
  );
}
