/**
 * The latency histogram (`latBuckets`, one count per bucket of `LATENCY_BOUNDS_MS`) in Cypher shared
 * by the writer (ingest/writer.ts) and the late take-back (ingest/late-writer.ts).
 */
import { LATENCY_BUCKETS } from '../src/core/model.js';

/**
 * `row.latBuckets` added bucket by bucket to the histogram on `v` (negative counts take back). The
 * stored list is bound once: `v.latBuckets[i]` in the comprehension read the whole list property
 * from the store again for each bucket, 16 db hits more per row (docs/benchmarks.md item 129).
 */
export const ADD_BUCKETS = (v: string) =>
  `[held IN [${v}.latBuckets] | [i IN range(0, ${LATENCY_BUCKETS - 1}) | held[i] + toInteger(row.latBuckets[i])]][0]`;
