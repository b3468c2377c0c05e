/**
 * The ingest worker, without sockets: the OTLP handlers, the pipeline, the flush loop, health and
 * metrics. `ingest/main.ts` reads the environment, opens Neo4j and listens; tests and benchmarks
 * build a worker around any FactSink.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ROOT_CONTEXT, SpanKind as OtelSpanKind, type Tracer } from '@opentelemetry/api';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { createAuthenticator, type Scope } from '../src/core/auth.js';
import type { Config } from '../src/core/config.js';
import type { Logger } from '../src/core/logger.js';
import { createOtlpHttpHandler, type OtlpHttpDeps } from './otlp/http-receiver.js';
import { createPipeline, type Pipeline } from './pipeline.js';
import type { DecodedBatch } from './span.js';
import type { CheckpointStore } from './spool/checkpoint-store.js';
import { createDurableIngest, createPipelineClock } from './spool/durable-ingest.js';
import type { Spool } from './spool/segment-log.js';
import type { FactSink } from './writer.js';
import { createZipkinHttpHandler } from './zipkin-receiver.js';

export interface WorkerDeps {
  config: Config;
  sink: FactSink;
  log: Logger;
  registry: Registry;
  /** true when the store is reachable and its schema applied */
  ready(): Promise<boolean>;
  now?: () => number;
  /** this process's own tracer, when self-tracing is on */
  selfTracing?: { tracer: Tracer; serviceName: string };
  /** when set, requests are spooled before they are acknowledged and facts are written with a checkpoint */
  durable?: { spool: Spool; store: CheckpointStore; readAheadMaxSpans?: number };
}

export interface Worker {
  pipeline: Pipeline;
  /** the HTTP request handler: /v1/traces, /healthz, /readyz, /metrics */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** takes decoded spans from any receiver */
  accept(decoded: DecodedBatch): void;
  /** what every receiver (OTLP/HTTP, OTLP/gRPC, Zipkin) hands a decoded request to, with its counters */
  receiver: Pick<OtlpHttpDeps, 'accept' | 'admit' | 'onRejected'>;
  /** the Zipkin HTTP request handler: POST /api/v2/spans */
  handleZipkin(req: IncomingMessage, res: ServerResponse): void;
  /** one flush now (tests, shutdown) */
  flush(): Promise<void>;
  start(): void;
  /** Durable workers: answer 503 + Retry-After to every new request from now on (shutdown begins). */
  refuseNew(): void;
  stop(): Promise<void>;
}

export function createWorker(deps: WorkerDeps): Worker {
  const { config, sink, log, registry } = deps;
  const clock = deps.durable ? createPipelineClock() : undefined;
  const traceAccept = selfTracer(deps);
  const pipeline = createPipeline({ sink, options: pipelineOptions(config), now: clock?.now ?? deps.now });
  const flushSeconds = new Histogram({
    name: 'topograph_ingest_flush_duration_seconds',
    help: 'Time to write one flush to Neo4j',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const flushFailures = new Counter({
    name: 'topograph_ingest_flush_failures_total',
    help: 'Flushes that failed and will be retried',
    registers: [registry],
  });
  /** In durable mode a flush is the loop's commit of facts + checkpoint: timed and counted here too. */
  const timedStore = (store: CheckpointStore): CheckpointStore => ({
    load: () => store.load(),
    async commit(batch, next, expected) {
      const end = flushSeconds.startTimer();
      try {
        await store.commit(batch, next, expected);
        end();
      } catch (error) {
        flushFailures.inc();
        throw error;
      }
    },
  });
  const durable =
    deps.durable &&
    createDurableIngest({
      ...deps.durable,
      store: timedStore(deps.durable.store),
      pipeline,
      clock: clock!,
      log,
      registry,
      flushIntervalMs: config.ingest.flushIntervalMs,
      limits: config.limits.decode,
      shutdownTimeoutMs: config.ingest.shutdownTimeoutMs,
      maxLagMs: config.ingest.maxLagMs,
      maxUnreadWorkMs: config.ingest.maxUnreadWorkMs,
      reachable: deps.ready,
    });

  const spansReceived = new Counter({
    name: 'topograph_ingest_spans_received_total',
    help: 'Spans accepted by the receivers',
    registers: [registry],
  });
  const spansRejected = new Counter({
    name: 'topograph_ingest_spans_rejected_total',
    help: 'Spans refused (invalid ids, times, …), reported back as OTLP partial success',
    registers: [registry],
  });
  const requestsRejected = new Counter({
    name: 'topograph_ingest_requests_rejected_total',
    help: 'Requests refused whole, by reason',
    labelNames: ['reason'],
    registers: [registry],
  });
  new Gauge({
    name: 'topograph_ingest_pairing_buffer_size',
    help: 'Unmatched call halves waiting for their other half',
    registers: [registry],
    collect() {
      this.set(pipeline.pairing.size);
    },
  });
  new Gauge({
    name: 'topograph_ingest_pairing_events',
    help: 'Pairing outcomes since start: completed, expired client/server halves, evicted when full',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      const s = pipeline.pairing.stats;
      this.set({ outcome: 'completed' }, s.completed);
      this.set({ outcome: 'expired_client' }, s.expiredClients);
      this.set({ outcome: 'expired_server' }, s.expiredServers);
      this.set({ outcome: 'evicted' }, s.evicted);
    },
  });
  new Gauge({
    name: 'topograph_ingest_pending_parents',
    help: 'Spans waiting for their parent, to tell whether another service called them (bounded like the pairing buffer)',
    registers: [registry],
    collect() {
      this.set(pipeline.stats().pendingParents);
    },
  });
  new Gauge({
    name: 'topograph_ingest_ancestry_spans',
    help: 'Recent spans remembered to find the entry operation above a client span (bounded at 5 x TOPOGRAPH_PAIRING_MAX_ENTRIES)',
    registers: [registry],
    collect() {
      this.set(pipeline.stats().ancestry);
    },
  });
  new Gauge({
    name: 'topograph_ingest_ancestry_evicted',
    help: 'Spans forgotten by the ancestry index before twice the pairing TTL because it was full',
    registers: [registry],
    collect() {
      this.set(pipeline.stats().ancestryEvicted);
    },
  });
  new Gauge({
    name: 'topograph_ingest_tag_values_overflowed',
    help: 'Tag values past their key cardinality cap (counted, not stored)',
    registers: [registry],
    collect() {
      this.set(pipeline.stats().tagOverflow);
    },
  });

  const accept = (decoded: DecodedBatch) => {
    spansReceived.inc(decoded.spanCount);
    pipeline.ingest(decoded);
  };

  const receiver: Worker['receiver'] = {
    admit: durable ? () => durable.admit() : undefined,
    accept: async (decoded, raw) => {
      if (durable) {
        const result = await durable.accept(decoded, raw);
        if (!result.refuse) spansReceived.inc(decoded.spanCount);
        return result;
      }
      accept(decoded);
      return {};
    },
    onRejected(spans, reason) {
      if (spans > 0) spansRejected.inc(spans);
      else requestsRejected.inc({ reason });
    },
  };
  const spansLimited = new Counter({
    name: 'topograph_ingest_limited_total',
    help: 'What the ingest limits changed in accepted spans: attributes dropped, values truncated, unknown enums read as unset',
    labelNames: ['what'],
    registers: [registry],
  });
  const countLimited = (decoded: DecodedBatch) => {
    const l = decoded.limited;
    if (!l) return;
    if (l.attributesDropped) spansLimited.inc({ what: 'attributes_dropped' }, l.attributesDropped);
    if (l.valuesTruncated) spansLimited.inc({ what: 'values_truncated' }, l.valuesTruncated);
    if (l.unknownEnums) spansLimited.inc({ what: 'unknown_enums' }, l.unknownEnums);
  };
  const untraced = receiver.accept;
  receiver.accept = async (decoded, raw) => {
    const span = traceAccept(decoded);
    try {
      return await untraced(decoded, raw);
    } finally {
      span?.end();
    }
  };

  const bodyLimits = {
    maxBodyBytes: config.ingest.maxBodyBytes,
    maxDecompressedBytes: config.limits.maxDecompressedBytes,
    maxDecompressionRatio: config.limits.maxDecompressionRatio,
    limits: config.limits.decode,
  };
  // Both HTTP receivers apply the decode limits; what those cut is counted on the way in.
  const limitedReceiver: Worker['receiver'] = {
    ...receiver,
    accept: (decoded, raw) => {
      countLimited(decoded);
      return receiver.accept(decoded, raw);
    },
  };
  const otlp = createOtlpHttpHandler({ options: bodyLimits, ...limitedReceiver });
  const zipkin = createZipkinHttpHandler({ options: bodyLimits, ...limitedReceiver });
  const auth = createAuthenticator(config.auth);
  /** Answers 401/403 and returns false when the request may not use this scope. */
  const allowed = (req: IncomingMessage, res: ServerResponse, scope: Scope): boolean => {
    const verdict = auth.check(req.headers.authorization, scope);
    if (verdict.ok) return true;
    req.resume();
    res.writeHead(verdict.status, { 'content-type': 'application/json', 'www-authenticate': verdict.wwwAuthenticate });
    res.end(JSON.stringify({ code: verdict.status, message: verdict.message }));
    return false;
  };

  let flushing: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let failures = 0;

  async function flushOnce(): Promise<void> {
    const end = flushSeconds.startTimer();
    try {
      const batch = await pipeline.flush();
      end();
      failures = 0;
      if (batch.edges.length > 0) log.debug({ edges: batch.edges.length, calls: batch.calls.length }, 'flushed');
    } catch (error) {
      flushFailures.inc();
      failures++;
      log.error({ err: error, failures }, 'flush to Neo4j failed; the facts of this flush are lost');
    }
  }

  const flush = () => {
    if (durable) return durable.flush();
    flushing ??= flushOnce().finally(() => {
      flushing = undefined;
    });
    return flushing;
  };

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = (req.url ?? '/').split('?')[0];
    const fail = (error: unknown) => {
      log.error({ err: error }, 'request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 500, message: 'internal error' }));
    };
    if (url === '/v1/traces') {
      if (!allowed(req, res, 'ingest')) return;
      if (req.method !== 'POST') {
        res.writeHead(405, { allow: 'POST', 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: 405, message: 'use POST' }));
        return;
      }
      otlp(req, res).catch(fail);
    } else if (url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'ok' }));
    } else if (url === '/readyz') {
      deps
        .ready()
        .then((ok) => {
          res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ status: ok ? 'ready' : 'neo4j unavailable' }));
        })
        .catch(fail);
    } else if (url === '/metrics') {
      if (!allowed(req, res, 'admin')) return;
      registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { 'content-type': registry.contentType });
          res.end(text);
        })
        .catch(fail);
    } else {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ code: 404, message: 'not found: OTLP traces go to POST /v1/traces' }));
    }
  }

  return {
    pipeline,
    handle,
    handleZipkin(req, res) {
      if (!allowed(req, res, 'ingest')) return;
      zipkin(req, res).catch((error: unknown) => {
        log.error({ err: error }, 'zipkin request failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error\n');
      });
    },
    accept,
    receiver,
    flush,
    start() {
      if (durable) return durable.start();
      timer = setInterval(() => void flush(), config.ingest.flushIntervalMs);
      timer.unref();
    },
    refuseNew() {
      if (durable) durable.refuseNew();
    },
    async stop() {
      if (durable) return durable.stop();
      if (timer) clearInterval(timer);
      await flush();
    },
  };
}

/** One span per accepted batch, except batches of the worker's own spans: tracing those would feed back forever. */
function selfTracer(deps: WorkerDeps) {
  const self = deps.selfTracing;
  return (decoded: DecodedBatch) => {
    if (!self || decoded.batch.every((rs) => rs.resource['service.name'] === self.serviceName)) return undefined;
    // A root of its own: the receiving request is deliberately untraced, and tracing is suppressed under it.
    return self.tracer.startSpan(
      'accept spans',
      {
        kind: OtelSpanKind.SERVER,
        attributes: { 'topograph.spans': decoded.spanCount, 'topograph.resources': decoded.batch.length },
      },
      ROOT_CONTEXT,
    );
  };
}

export function pipelineOptions(config: Config) {
  return {
    pairingTtlMs: config.ingest.pairingTtlMs,
    pairingMaxEntries: config.ingest.pairingMaxEntries,
    tagKeys: config.ingest.tagKeys,
    tagMaxValues: config.ingest.tagMaxValues,
    versionKeys: config.ingest.versionKeys,
    exemplarsPerEdge: config.ingest.writer.exemplarsPerEdge,
    traceSampling: config.ingest.traceSampling,
    tagRules: config.limits.tagRules,
    tagHashSecret: config.limits.tagHashSecret,
  };
}
