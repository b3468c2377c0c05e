/**
 * decode → derive → pair → aggregate → write. `ingest` takes decoded batches (synchronously: derive,
 * pair, aggregate); `flush` expires what waited too long, resolves which entry operation each call
 * was made on behalf of, and hands one FactBatch to the sink. The clock is injected, so tests drive
 * expiry by moving it instead of sleeping.
 */
import { ComponentKind, operationKey, OperationKind } from '../src/model.js';
import { Aggregator, factCount, type FactBatch } from './aggregate.js';
import {
  calleeOf,
  calleeOperation,
  describeService,
  destinationOf,
  entryOperation,
  externalCallerOf,
  internalOperation,
  isError,
  librariesOf,
  protocolOf,
  scopeLibrary,
  type OperationRef,
  type ServiceInfo,
  type VirtualComponent,
} from './derive.js';
import { PairingStore } from './pairing.js';
import { SpanKind, type DecodedBatch, type Span } from './span.js';
import { createTagFilter } from './tags.js';
import type { FactSink } from './writer.js';

export interface PipelineOptions {
  pairingTtlMs: number;
  pairingMaxEntries: number;
  tagKeys: readonly string[];
  tagMaxValues: number;
  versionKeys: readonly string[];
  exemplarsPerEdge: number;
}

/** One half of a call waiting for the other, with what its expiry would need already derived. */
interface Half {
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: SpanKind;
  service: ServiceInfo;
  error: boolean;
  latencyMs: number;
  at: number;
  protocol: string;
  /** SERVER/CONSUMER: the operation it served */
  op?: OperationRef;
  /** PRODUCER/CONSUMER: the destination it names */
  destination?: VirtualComponent;
  /** CLIENT/PRODUCER: what it reached if no instrumented server answers */
  callee?: VirtualComponent;
  calleeOp?: OperationRef;
  /** root SERVER/CONSUMER with peer.service: the caller that sent no spans */
  externalCaller?: VirtualComponent;
}

/** What the ancestry index remembers of every span, to find the entry operation above a client span. */
interface Ancestor {
  parentSpanId: string;
  name: string;
  service: ServiceInfo;
  entryOp?: OperationRef;
  at: number;
}

interface PendingCall {
  client: Half;
  toOp: string;
  error: boolean;
  latencyMs: number;
  queuedAt: number;
}

export interface PipelineStats {
  spans: number;
  pendingCalls: number;
  unresolvedCallers: number;
  tagOverflow: number;
}

export interface Pipeline {
  ingest(decoded: DecodedBatch): void;
  /** Expires, resolves and writes what has been gathered; resolves when the sink has it. */
  flush(): Promise<FactBatch>;
  /** Expires every waiting half (the end of an import, or a test), then flushes. */
  drainAll(): Promise<FactBatch>;
  readonly pairing: PairingStore<Half, Half>;
  stats(): PipelineStats;
}

const MAX_ANCESTRY_STEPS = 64;

export function createPipeline(deps: { sink: FactSink; options: PipelineOptions; now?: () => number }): Pipeline {
  const { sink, options } = deps;
  const now = deps.now ?? Date.now;
  const agg = new Aggregator({ exemplarsPerEdge: options.exemplarsPerEdge });
  const tags = createTagFilter({ keys: options.tagKeys, maxValuesPerKey: options.tagMaxValues });
  const ancestry = new Map<string, Ancestor>();
  let pending: PendingCall[] = [];
  let spans = 0;
  let unresolvedCallers = 0;

  const callTo = (client: Half, toOp: string, error: boolean, latencyMs: number) =>
    pending.push({ client, toOp, error, latencyMs, queuedAt: now() });

  const destinationPublish = (d: VirtualComponent): OperationRef => ({
    key: operationKey(d.key, OperationKind.PRODUCER, 'publish'),
    componentKey: d.key,
    name: 'publish',
    kind: OperationKind.PRODUCER,
  });

  /** A server half nobody instrumented called: its operation is an entry point. */
  const entryFromOutside = (s: Half) => {
    agg.operation(s.op!, s.at, undefined, true);
    if (s.destination) {
      agg.virtual(s.destination, s.at);
      agg.edge(s.destination.key, s.service.key, 'messaging', s.error, s.latencyMs, s.at);
      const publish = destinationPublish(s.destination);
      agg.operation(publish, s.at);
      agg.call(publish.key, s.op!.key, s.error, s.latencyMs, s.at, s.traceId);
    } else if (s.externalCaller) {
      agg.virtual(s.externalCaller, s.at);
      agg.edge(s.externalCaller.key, s.service.key, s.protocol, s.error, s.latencyMs, s.at);
    }
  };

  const pairing = new PairingStore<Half, Half>(
    { ttlMs: options.pairingTtlMs, maxEntries: options.pairingMaxEntries },
    {
      onComplete(c, s) {
        const messaging = c.kind === SpanKind.PRODUCER || s.kind === SpanKind.CONSUMER;
        const destination = messaging ? (c.destination ?? s.destination) : undefined;
        if (destination) {
          // The queue is a node: producer → destination → consumer.
          agg.virtual(destination, c.at);
          agg.edge(c.service.key, destination.key, 'messaging', c.error, c.latencyMs, c.at);
          agg.edge(destination.key, s.service.key, 'messaging', s.error, s.latencyMs, s.at);
          const publish = destinationPublish(destination);
          agg.operation(publish, c.at, { error: c.error, latencyMs: c.latencyMs });
          callTo(c, publish.key, c.error, c.latencyMs);
          agg.call(publish.key, s.op!.key, s.error, s.latencyMs, s.at, s.traceId);
        } else {
          const error = c.error || s.error;
          const protocol = messaging ? 'messaging' : c.protocol !== 'unknown' ? c.protocol : s.protocol;
          agg.edge(c.service.key, s.service.key, protocol, error, c.latencyMs, c.at);
          callTo(c, s.op!.key, error, c.latencyMs);
        }
      },
      onExpireClient(c) {
        const callee = c.callee!;
        const op = c.calleeOp!;
        agg.virtual(callee, c.at);
        agg.edge(c.service.key, callee.key, c.protocol, c.error, c.latencyMs, c.at);
        agg.operation(op, c.at, { error: c.error, latencyMs: c.latencyMs });
        callTo(c, op.key, c.error, c.latencyMs);
      },
      onExpireServer: entryFromOutside,
    },
  );

  /** The entry operation on whose behalf `client` was made: its nearest SERVER/CONSUMER ancestor in its service. */
  function resolveCaller(client: Half, final: boolean): OperationRef | undefined {
    let parent = client.parentSpanId;
    let top: { name: string; service: ServiceInfo } = client;
    for (let i = 0; parent !== '' && i < MAX_ANCESTRY_STEPS; i++) {
      const a = ancestry.get(client.traceId + parent);
      if (!a) return final ? internalOperation(top.name, top.service) : undefined;
      if (a.entryOp && a.service.key === client.service.key) return a.entryOp;
      if (a.service.key !== client.service.key) break;
      top = a;
      parent = a.parentSpanId;
    }
    // A root reached with no entry span above it: the work began here (a job, a script, a test).
    return internalOperation(top.name, top.service);
  }

  function resolvePending(final: boolean): void {
    const deadline = now() - options.pairingTtlMs;
    const waiting: PendingCall[] = [];
    for (const p of pending) {
      const expired = final || p.queuedAt <= deadline;
      const from = resolveCaller(p.client, expired);
      if (!from) {
        waiting.push(p);
        continue;
      }
      if (from.kind === OperationKind.INTERNAL && p.client.parentSpanId !== '') unresolvedCallers += expired ? 1 : 0;
      agg.operation(from, p.client.at);
      agg.call(from.key, p.toOp, p.error, p.latencyMs, p.client.at, p.client.traceId);
    }
    pending = waiting;
  }

  function expireAncestry(): void {
    // Ancestors are needed as long as a call made under them can still be pending.
    const deadline = now() - 2 * options.pairingTtlMs;
    for (const [key, a] of ancestry) {
      if (a.at > deadline) break;
      ancestry.delete(key);
    }
  }

  function ingestSpan(span: Span, service: ServiceInfo, resourceTags: [string, string][]): void {
    spans++;
    const at = Math.min(Math.floor(span.endMs), now());
    const error = isError(span);
    const latencyMs = Math.max(0, span.endMs - span.startMs);
    const half: Half = {
      traceId: span.traceId,
      spanId: span.spanId,
      parentSpanId: span.parentSpanId,
      name: span.name,
      kind: span.kind,
      service,
      error,
      latencyMs,
      at,
      protocol: protocolOf(span.attributes),
    };
    const spanTags = tags.select(span.attributes);
    const ancestor: Ancestor = { parentSpanId: span.parentSpanId, name: span.name, service, at: now() };

    switch (span.kind) {
      case SpanKind.SERVER:
      case SpanKind.CONSUMER: {
        const op = entryOperation(span, service);
        half.op = op;
        ancestor.entryOp = op;
        agg.operation(op, at, { error, latencyMs });
        for (const [k, v] of resourceTags.concat(spanTags)) {
          agg.tag(service.key, false, k, v, 1, error, at);
          agg.tag(op.key, true, k, v, 1, error, at);
        }
        if (span.kind === SpanKind.CONSUMER) half.destination = destinationOf(span, service.environment);
        const keys: string[] = [];
        if (span.parentSpanId !== '') keys.push(span.traceId + span.parentSpanId);
        if (span.kind === SpanKind.CONSUMER) for (const l of span.links) keys.push(l.traceId + l.spanId);
        if (keys.length === 0) {
          half.externalCaller = externalCallerOf(span, service.environment);
          entryFromOutside(half);
        } else {
          pairing.addServer(keys, half, now());
        }
        break;
      }
      case SpanKind.CLIENT:
      case SpanKind.PRODUCER: {
        for (const [k, v] of spanTags) agg.tag(service.key, false, k, v, 1, error, at);
        if (span.kind === SpanKind.PRODUCER) half.destination = destinationOf(span, service.environment);
        half.callee = calleeOf(span, service.environment);
        half.calleeOp = calleeOperation(span, half.callee);
        pairing.addClient(span.traceId + span.spanId, half, now());
        break;
      }
      default:
        for (const [k, v] of spanTags) agg.tag(service.key, false, k, v, 1, error, at);
    }
    ancestry.set(span.traceId + span.spanId, ancestor);
  }

  async function flush(final = false): Promise<FactBatch> {
    if (final) pairing.expireAll();
    else pairing.expire(now());
    resolvePending(final);
    expireAncestry();
    const batch = agg.drain();
    if (factCount(batch) > 0) await sink.write(batch);
    return batch;
  }

  return {
    pairing,
    ingest(decoded) {
      for (const rs of decoded.batch) {
        const service = describeService(rs.resource);
        const stamp = Math.min(
          now(),
          Math.floor(rs.scopeSpans.reduce((m, ss) => ss.spans.reduce((x, s) => Math.max(x, s.endMs), m), 0)),
        );
        if (rs.scopeSpans.every((ss) => ss.spans.length === 0)) continue;
        agg.service(service, stamp);
        const resourceTags = tags.select(rs.resource);
        for (const [k, v] of resourceTags) agg.tag(service.key, false, k, v, 0, false, stamp);
        for (const lib of librariesOf(rs.resource, options.versionKeys)) agg.use(service.key, lib, stamp);
        for (const ss of rs.scopeSpans) {
          const lib = scopeLibrary(ss.scope);
          if (lib && ss.spans.length > 0) agg.use(service.key, lib, stamp);
          for (const span of ss.spans) ingestSpan(span, service, resourceTags);
        }
      }
    },
    flush: () => flush(false),
    drainAll: () => flush(true),
    stats: () => ({ spans, pendingCalls: pending.length, unresolvedCallers, tagOverflow: tags.overflowed }),
  };
}

export { ComponentKind };
