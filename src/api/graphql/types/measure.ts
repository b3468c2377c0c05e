import { builder } from '../builder.js';
import type { MeasureRecord } from '../data/projections.js';
import { percentile } from '../measure.js';

/** Latency over everything recorded on an edge or operation. */
export const LatencyRef = builder.objectRef<MeasureRecord>('Latency').implement({
  description: 'Latency in milliseconds; percentiles are estimated from a fixed-bucket histogram.',
  fields: (t) => ({
    avgMs: t.float({ nullable: true, resolve: (m) => (m.calls > 0 ? m.latSum / m.calls : null) }),
    maxMs: t.float({ resolve: (m) => m.latMax }),
    p50Ms: t.float({ nullable: true, resolve: (m) => percentile(m.latBuckets, m.latMax, 0.5) }),
    p95Ms: t.float({ nullable: true, resolve: (m) => percentile(m.latBuckets, m.latMax, 0.95) }),
    p99Ms: t.float({ nullable: true, resolve: (m) => percentile(m.latBuckets, m.latMax, 0.99) }),
  }),
});
