/**
 * The worker's Prometheus metrics, on a real worker (spool on disk, receivers over real sockets) whose
 * checkpoint is kept in memory: no database. What the pairing buffer drops and what waits for a parent;
 * what the limits cut, counted for a gRPC request as for HTTP ones (each receiver is built alike); and a
 * failed commit of facts + checkpoint counted by exactly one counter.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { TRACE_EXPORT_PATH } from '../../ingest/otlp/grpc-receiver.js';
import { SpanKind } from '../../ingest/span.js';
import { createMemoryCheckpointStore, type CheckpointStore } from '../../ingest/spool/checkpoint-store.js';
import { openSpool } from '../../ingest/spool/segment-log.js';
import { createWorker, type Worker } from '../../ingest/worker.js';
import { createNoopSink } from '../../ingest/writer.js';
import { loadConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { createRegistry } from '../../src/core/metrics.js';
import { encodeProtobuf, rawSpan } from '../support/otlp-payloads.js';
import { TraceBuilder } from '../support/spans.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A started worker on a fresh spool, committing to `store` (in memory unless given). */
async function startWorker(env: Record<string, string> = {}, store?: CheckpointStore) {
  const dir = mkdtempSync(join(tmpdir(), 'topograph-worker-metrics-'));
  const spool = await openSpool({ dir, maxBytes: 1 << 24 });
  const registry = createRegistry('ingest-test');
  const worker: Worker = createWorker({
    config: loadConfig(env),
    log: createLogger('test', 'silent'),
    registry,
    ready: async () => true,
    // Retries go on at once: the test forces the failure, it does not wait out the back-off.
    durable: { spool, store: store ?? createMemoryCheckpointStore(createNoopSink()), sleep: async () => {} },
  });
  worker.start();
  cleanups.push(async () => {
    await worker.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { worker, registry };
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
    const memory = createMemoryCheckpointStore(createNoopSink());
    let failures = 1;
    const store: CheckpointStore = {
      load: () => memory.load(),
      async commit(batch, next, expected) {
        if (failures-- > 0) throw new Error('Neo4j went away');
        await memory.commit(batch, next, expected);
      },
    };
    const { worker, registry } = await startWorker({}, store);
    const before = await counters(registry);
    const t = new TraceBuilder();
    t.span({ service: 'a', kind: SpanKind.SERVER, name: 'GET /' });
    expect(await worker.intake.accept(t.batch())).toEqual({});
    // Resolves once the record is written: after the failed attempt and its retry.
    await worker.flush();
    expect(memory.current?.position).toBe(1);
    expect(moved(before, await counters(registry))).toEqual({
      topograph_ingest_spans_received_total: 1,
      topograph_ingest_flush_failures_total: 1,
    });
  });
});
