/**
 * Every metric the ingest worker serves at /metrics, declared here and nowhere else. The logic takes
 * the counters and histograms it moves (`IngestMetrics`); the gauges are read at scrape time from
 * what the worker reports (`IngestReadings`), so nothing on the per-span path sets a gauge.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { PairingStats } from './pairing.js';

export interface IngestMetrics {
  /** spans accepted by any receiver */
  spansReceived: Counter;
  /** single spans refused (reported back as partial success) */
  spansRejected: Counter;
  /** whole requests refused, by reason */
  requestsRejected: Counter<'reason'>;
  /** what the decode limits changed in accepted spans, by what */
  limited: Counter<'what'>;
  /** one commit of facts + checkpoint */
  flushSeconds: Histogram;
  /** commits of facts + checkpoint that failed (each attempt; the spool keeps the data and the loop retries) */
  flushFailures: Counter;
  /** requests the spool could not keep, by reason */
  spoolRefused: Counter<'reason'>;
  /** spooled requests whose processing threw */
  recordsSkipped: Counter;
  /** requests held unread, by how the hold ended */
  held: Counter<'outcome'>;
  /** seconds the durable loop read nothing while the last flush was written, by why */
  writeWaitSeconds: Counter<'reason'>;
}

/** What the gauges show, read at each scrape: the engine (ingest/engine.ts) and the durable loop (ingest/spool/durable-ingest.ts). */
export interface IngestReadings {
  engine: {
    readonly pairing: {
      readonly size: number;
      readonly stats: PairingStats;
    };
    stats(): {
      pendingParents: number;
      ancestry: number;
      ancestryEvicted: number;
      tagOverflow: number;
      late: { corrected: number; waiting: number; droppedWindow: number; droppedBound: number };
    };
  };
  spool: {
    readings(): {
      records: number;
      bytes: number;
      /** records accepted but not yet written and checkpointed */
      checkpointLagRecords: number;
      processingLagMs: number;
      writeLagMs: number;
      unreadWorkMs: number;
    };
    /** when the oldest accepted record not yet checkpointed was accepted (undefined: none) */
    oldestUncommittedAt(): Promise<number | undefined>;
  };
}

export function createIngestMetrics(registry: Registry): IngestMetrics {
  const registers = [registry];
  const metrics: IngestMetrics = {
    spansReceived: new Counter({
      name: 'topograph_ingest_spans_received_total',
      help: 'Spans accepted by the receivers',
      registers,
    }),
    spansRejected: new Counter({
      name: 'topograph_ingest_spans_rejected_total',
      help: 'Spans refused (invalid ids, times, …), reported back as OTLP partial success',
      registers,
    }),
    requestsRejected: new Counter({
      name: 'topograph_ingest_requests_rejected_total',
      help: 'Requests refused whole, by reason',
      labelNames: ['reason'],
      registers,
    }),
    limited: new Counter({
      name: 'topograph_ingest_limited_total',
      help: 'What the ingest limits changed in accepted spans: attributes dropped, values truncated, unknown enums read as unset',
      labelNames: ['what'],
      registers,
    }),
    flushSeconds: new Histogram({
      name: 'topograph_ingest_flush_duration_seconds',
      help: 'Time to write one flush (facts + checkpoint, one transaction) to Neo4j',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    flushFailures: new Counter({
      name: 'topograph_ingest_flush_failures_total',
      help: 'Flush + checkpoint transactions that failed and are being retried (the spool keeps the data)',
      registers,
    }),
    spoolRefused: new Counter({
      name: 'topograph_spool_refused_total',
      help: 'Why the durable loop refused a request, by reason (the cause of an http 429/503/413 also in topograph_ingest_requests_rejected_total)',
      labelNames: ['reason'],
      registers,
    }),
    recordsSkipped: new Counter({
      name: 'topograph_spool_records_skipped_total',
      help: 'Spooled requests whose processing threw (poison input): logged and skipped, their spans lost',
      registers,
    }),
    held: new Counter({
      name: 'topograph_ingest_held_total',
      help: 'Requests held unread while the loop had too much to read, by how the hold ended (admitted, refused)',
      labelNames: ['outcome'],
      registers,
    }),
    writeWaitSeconds: new Counter({
      name: 'topograph_ingest_write_wait_seconds_total',
      help: 'Time the durable loop read nothing while the last flush was being written, by why: read_ahead (it had read its bound of spans on since the write began; Neo4j is the bottleneck) or store_unavailable (Neo4j away)',
      labelNames: ['reason'],
      registers,
    }),
  };
  // Both series from the first scrape: a rate over a series that appears only once the loop first waits reads as no data.
  for (const reason of ['read_ahead', 'store_unavailable']) metrics.writeWaitSeconds.inc({ reason }, 0);
  return metrics;
}

/** The gauges, each reading `read` when scraped. */
export function registerIngestGauges(registry: Registry, read: IngestReadings): void {
  const { engine, spool } = read;
  /** name, help, value: the gauges of one unlabelled number */
  const plain: [string, string, () => number][] = [
    [
      'topograph_ingest_pairing_buffer_size',
      'Unmatched call halves waiting for their other half',
      () => engine.pairing.size,
    ],
    [
      'topograph_ingest_pending_parents',
      'Spans waiting for their parent, to tell whether another service called them (bounded like the pairing buffer)',
      () => engine.stats().pendingParents,
    ],
    [
      'topograph_ingest_ancestry_spans',
      'Recent spans remembered to find the entry operation above a client span (bounded at 5 x TOPOGRAPH_PAIRING_MAX_ENTRIES)',
      () => engine.stats().ancestry,
    ],
    [
      'topograph_ingest_ancestry_evicted',
      'Spans forgotten by the ancestry index before twice the pairing TTL because it was full',
      () => engine.stats().ancestryEvicted,
    ],
    [
      'topograph_ingest_tag_values_overflowed',
      'Tag values past their key cardinality cap (counted, not stored)',
      () => engine.stats().tagOverflow,
    ],
    [
      'topograph_ingest_late_halves_waiting',
      'Halves that expired unpaired, remembered for TOPOGRAPH_PAIRING_LATE_WINDOW so that a late partner corrects their virtual edge',
      () => engine.stats().late.waiting,
    ],
    [
      'topograph_spool_records',
      'Records in the spool on disk (not yet released by a checkpoint)',
      () => spool.readings().records,
    ],
    ['topograph_spool_bytes', 'Bytes of the spool on disk', () => spool.readings().bytes],
    [
      'topograph_spool_checkpoint_lag_records',
      'Records accepted but not yet written to Neo4j and checkpointed',
      () => spool.readings().checkpointLagRecords,
    ],
    [
      'topograph_ingest_processing_lag_seconds',
      'How long the oldest accepted request has waited to be processed while Neo4j was reachable',
      () => spool.readings().processingLagMs / 1000,
    ],
    [
      'topograph_ingest_write_lag_seconds',
      'How long the oldest acknowledged request has waited to be written to Neo4j while Neo4j was reachable (what TOPOGRAPH_INGEST_MAX_LAG bounds)',
      () => spool.readings().writeLagMs / 1000,
    ],
    [
      'topograph_ingest_unread_work_seconds',
      'How long the loop would take to read the accepted requests waiting for it, at its measured pace',
      () => spool.readings().unreadWorkMs / 1000,
    ],
  ];
  for (const [name, help, value] of plain)
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(value());
      },
    });
  new Gauge({
    name: 'topograph_ingest_pairing_events',
    help: 'Pairing outcomes since start: completed, expired client/server halves, evicted when full, client halves expired early (their callee never answers)',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      const s = engine.pairing.stats;
      this.set({ outcome: 'completed' }, s.completed);
      this.set({ outcome: 'expired_client' }, s.expiredClients);
      this.set({ outcome: 'expired_server' }, s.expiredServers);
      this.set({ outcome: 'evicted' }, s.evicted);
      this.set({ outcome: 'expired_unanswered' }, s.unanswered);
    },
  });
  new Gauge({
    name: 'topograph_ingest_late_halves',
    help: 'Expired halves since start, by outcome: corrected (a late partner came; the virtual edge taken back), window (forgotten after TOPOGRAPH_PAIRING_LATE_WINDOW), bound (forgotten early: TOPOGRAPH_PAIRING_LATE_MAX_ENTRIES)',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      const s = engine.stats().late;
      this.set({ outcome: 'corrected' }, s.corrected);
      this.set({ outcome: 'window' }, s.droppedWindow);
      this.set({ outcome: 'bound' }, s.droppedBound);
    },
  });
  new Gauge({
    name: 'topograph_spool_oldest_record_age_seconds',
    help: 'Age of the oldest accepted record not yet checkpointed (0 when none)',
    registers: [registry],
    async collect() {
      const at = await spool.oldestUncommittedAt();
      this.set(at === undefined ? 0 : Math.max(0, (Date.now() - at) / 1000));
    },
  });
}

/**
 * `topograph_ingest_write_retries_total{reason}`: flush transactions run again after a transient
 * Neo4j failure (reason: the Neo4j error code, e.g. Neo.TransientError.Transaction.DeadlockDetected
 * when two workers lock the same nodes in opposite orders). Passed to createGraph as `onWriteRetry`,
 * so it exists before the worker and its other metrics do.
 */
export function writeRetriesMetric(registry: Registry): (reason: string) => void {
  const retries = new Counter({
    name: 'topograph_ingest_write_retries_total',
    help: 'Neo4j write transactions retried after a transient failure (deadlock, leader switch), by Neo4j error code',
    labelNames: ['reason'],
    registers: [registry],
  });
  return (reason) => retries.inc({ reason });
}

/**
 * `topograph_ingest_versions_dropped_total`: version pairs of an edge (or versions of a service) the
 * TOPOGRAPH_VERSIONS_PER_EDGE bound dropped, least recently seen first. Passed to the writer as
 * `onVersionsDropped`, as the checkpoint store that writes exists before the worker's other metrics.
 */
export function versionsDroppedMetric(registry: Registry): (dropped: number) => void {
  const dropped = new Counter({
    name: 'topograph_ingest_versions_dropped_total',
    help: 'Caller/callee version pairs of an edge, or versions of a service, dropped by TOPOGRAPH_VERSIONS_PER_EDGE (least recently seen first)',
    registers: [registry],
  });
  return (n) => dropped.inc(n);
}
