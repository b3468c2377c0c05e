/** What the pairing buffer drops and what waits for a parent are exposed in the worker's Prometheus metrics. */
import { describe, expect, it } from 'vitest';
import { SpanKind } from '../../ingest/span.js';
import { createWorker } from '../../ingest/worker.js';
import { createNoopSink } from '../../ingest/writer.js';
import { loadConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { createRegistry } from '../../src/core/metrics.js';
import { TraceBuilder } from '../support/spans.js';

describe('worker metrics', () => {
  it('counts evictions from the bounded pairing buffer and spans waiting for their parent', async () => {
    const registry = createRegistry('ingest-test');
    const worker = createWorker({
      config: loadConfig({ TOPOGRAPH_PAIRING_MAX_ENTRIES: '2' }),
      sink: createNoopSink(),
      log: createLogger('test', 'silent'),
      registry,
      ready: async () => true,
      now: () => 1_700_000_000_000,
    });
    const t = new TraceBuilder();
    for (let i = 0; i < 5; i++)
      t.span({ service: 'a', kind: SpanKind.CLIENT, name: 'call', attributes: { 'peer.service': 'x' } });
    const ghost = new TraceBuilder().span({ service: 'elsewhere', kind: SpanKind.SERVER, name: 'x' });
    t.span({ service: 'a', kind: SpanKind.INTERNAL, name: 'job', parent: ghost });
    worker.accept(t.batch());
    const text = await registry.metrics();
    expect(text).toMatch(/topograph_ingest_pairing_events\{outcome="evicted",process="ingest-test"\} 3/);
    expect(text).toMatch(/topograph_ingest_pairing_buffer_size\{process="ingest-test"\} 2/);
    expect(text).toMatch(/topograph_ingest_pending_parents\{process="ingest-test"\} 1/);
  });
});
