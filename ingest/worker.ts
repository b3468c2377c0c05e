/**
 * The ingest worker, without sockets: the receivers, the engine, the durable loop that feeds it from
 * the spool and commits its facts with a checkpoint, health and metrics. `ingest/main.ts` reads the
 * environment, opens Neo4j and the spool, and listens; tests and benchmarks build a worker around any
 * spool and checkpoint store (the benchmark's discarding baseline keeps its checkpoint in memory).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Tracer } from '@opentelemetry/api';
import type { Registry } from 'prom-client';
import { createAuthenticator, type Scope } from '../src/core/auth.js';
import type { Config } from '../src/core/config.js';
import type { Logger } from '../src/core/logger.js';
import { readsSpanAttribute } from './derive.js';
import { createEngine, engineOptions, type Engine } from './engine.js';
import { createBusyMeter, createFlushInterval } from './flush-interval.js';
import type { Intake } from './intake.js';
import { createIngestMetrics, registerIngestGauges } from './metrics.js';
import { createAttributeKeys } from './otlp/attribute-keys.js';
import type { OtlpGrpcReceiver } from './otlp/grpc-receiver.js';
import { createReceivers } from './receivers.js';
import { createDurableIngest, type DurableIngestDeps } from './spool/durable-ingest.js';

export interface WorkerDeps {
  config: Pick<Config, 'ingest' | 'limits' | 'auth'>;
  log: Logger;
  registry: Registry;
  /** true when the store is reachable and its schema applied */
  ready(): Promise<boolean>;
  /** this process's own tracer, when self-tracing is on */
  selfTracing?: { tracer: Tracer; serviceName: string };
  /** requests are spooled before they are acknowledged, and facts are written with a checkpoint */
  durable: Pick<DurableIngestDeps, 'spool' | 'store' | 'readAheadMaxSpans' | 'sleep' | 'starts'>;
}

export interface Worker {
  engine: Engine;
  /** the HTTP request handler: /v1/traces, /healthz, /readyz, /metrics */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** the Zipkin HTTP request handler: POST /api/v2/spans */
  handleZipkin(req: IncomingMessage, res: ServerResponse): void;
  /** the OTLP/gRPC receiver, built like the other two; the entry point makes it listen */
  grpc: OtlpGrpcReceiver;
  /** what every receiver hands a decoded request to, with its counters */
  intake: Intake;
  /** Resolves once everything accepted so far is written to Neo4j and checkpointed. */
  flush(): Promise<void>;
  start(): void;
  /** Answers 503 + Retry-After to every new request from now on (shutdown begins). */
  refuseNew(): void;
  /** Refuses new requests, writes what can be written, checkpoints, closes the spool. */
  stop(): Promise<void>;
}

export function createWorker(deps: WorkerDeps): Worker {
  const { config, log, registry } = deps;
  const engine = createEngine(engineOptions(config));
  const metrics = createIngestMetrics(registry);
  // Spans are decoded with only the attributes derivation reads, on receipt and from the spool alike.
  const attributeKeys = createAttributeKeys(readsSpanAttribute(config.ingest.tagKeys));
  const durable = createDurableIngest({
    ...deps.durable,
    engine,
    metrics,
    log,
    flushInterval: createFlushInterval(config.ingest.flushInterval),
    loopBusy: createBusyMeter(config.ingest.flushInterval.busyPercent),
    breakdownIntervalMs: config.ingest.breakdownIntervalMs,
    limits: config.limits.decode,
    attributeKeys,
    shutdownTimeoutMs: config.ingest.shutdownTimeoutMs,
    maxLagMs: config.ingest.maxLagMs,
    maxUnreadWorkMs: config.ingest.maxUnreadWorkMs,
    reachable: deps.ready,
  });
  registerIngestGauges(registry, { engine, spool: durable });

  const auth = createAuthenticator(config.auth);
  const receivers = createReceivers({
    options: {
      maxBodyBytes: config.ingest.maxBodyBytes,
      maxDecompressedBytes: config.limits.maxDecompressedBytes,
      maxDecompressionRatio: config.limits.maxDecompressionRatio,
      limits: config.limits.decode,
      attributeKeys,
    },
    intake: durable,
    metrics,
    auth,
    selfTracing: deps.selfTracing,
    onError: (error) => log.error({ err: error }, 'OTLP/gRPC export failed'),
  });
  /** Answers 401/403 and returns false when the request may not use this scope. */
  const allowed = (req: IncomingMessage, res: ServerResponse, scope: Scope): boolean => {
    const verdict = auth.check(req.headers.authorization, scope);
    if (verdict.ok) return true;
    // Counted as gRPC counts it: every receiver refuses a missing or wrong token alike.
    if (scope === 'ingest') receivers.intake.onRejected?.(0, `http ${verdict.status}`);
    req.resume();
    res.writeHead(verdict.status, { 'content-type': 'application/json', 'www-authenticate': verdict.wwwAuthenticate });
    res.end(JSON.stringify({ code: verdict.status, message: verdict.message }));
    return false;
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
      receivers.otlpHttp(req, res).catch(fail);
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
    engine,
    handle,
    handleZipkin(req, res) {
      if (!allowed(req, res, 'ingest')) return;
      receivers.zipkin(req, res).catch((error: unknown) => {
        log.error({ err: error }, 'zipkin request failed');
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal error\n');
      });
    },
    grpc: receivers.grpc,
    intake: receivers.intake,
    flush: () => durable.flush(),
    start: () => durable.start(),
    refuseNew: () => durable.refuseNew(),
    stop: () => durable.stop(),
  };
}
