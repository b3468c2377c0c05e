/**
 * decode → derive → pair → aggregate → write. `ingest` takes decoded batches (synchronously: derive,
 * pair, aggregate); `flush` expires what waited too long, resolves which entry operation each call
 * was made on behalf of, and hands one FactBatch to the sink. The clock is injected, so tests drive
 * expiry by moving it instead of sleeping.
 */
import { ComponentKind, operationKey, OperationKind } from '../src/core/model.js';
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
  sharedName,
  type OperationRef,
  type ServiceInfo,
  type VirtualComponent,
} from './derive.js';
import { PairingStore } from './pairing.js';
import { SpanKind, type DecodedBatch, type Span } from './span.js';
import { createTagFilter } from './tags.js';
import { TraceSampler, type TraceSamplingOptions } from './trace-sampling.js';
import type { FactSink } from './writer.js';
import type { TagRule } from '../src/core/config.js';

export interface PipelineOptions {
  pairingTtlMs: number;
  pairingMaxEntries: number;
  tagKeys: readonly string[];
  tagMaxValues: number;
  versionKeys: readonly string[];
  exemplarsPerEdge: number;
  /** per-key drop/hash/keep for tag values (personal data), applied before anything is stored */
  tagRules?: readonly TagRule[];
  tagHashSecret?: string;
  /** which traces keep their skeleton (default: DEFAULT_TRACE_SAMPLING) */
  traceSampling?: TraceSamplingOptions;
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
  /** the spool record it came from (0 outside the durable path) */
  seq: number;
}

/** What the ancestry index remembers of every span, to find the entry operation above a client span. */
interface Ancestor {
  parentSpanId: string;
  name: string;
  kind: SpanKind;
  service: ServiceInfo;
  entryOp: OperationRef | undefined;
  /** ms since the pipeline began: a small integer, where a Date.now() would be a boxed double per span */
  arrived: number;
  seq: number;
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
  /** spans waiting for their parent to arrive, to tell whether another service called them */
  pendingParents: number;
  pendingCalls: number;
  unresolvedCallers: number;
  tagOverflow: number;
  /** spans the ancestry index remembers (to find the entry operation above a client span) */
  ancestry: number;
  /** ancestors forgotten before their time because the index was full */
  ancestryEvicted: number;
}

/**
 * The ancestry index remembers spans for twice the pairing TTL, so its size follows the span rate;
 * past this many (5 × the pairing buffer's bound: 1,000,000 by default) the oldest go early, as
 * the pairing buffer's do, and memory stays bounded whatever the rate.
 */
export const ancestryBound = (options: Pick<PipelineOptions, 'pairingMaxEntries'>) => 5 * options.pairingMaxEntries;

/**
 * What a checkpoint carries over a restart, by reference: the halves still waiting, the spans still
 * waiting for their parent and the calls still looking for their caller, named by trace and span id.
 * Their content is derived again from the spool records from `replayFrom` on, which the spool keeps
 * until a checkpoint passes them.
 */
export interface PipelineState {
  halves: string[];
  orphans: { child: string; queuedAt: number }[];
  /** `service`: the caller's service key (a call found from a parent span is made by the parent's service) */
  calls: { client: string; service: string; toOp: string; error: boolean; latencyMs: number; queuedAt: number }[];
  /** the oldest spool record anything above (or the ancestry index) still comes from; undefined when none */
  replayFrom?: number;
}

export interface Pipeline {
  /** Derives, pairs and aggregates one decoded request; `seq` is its spool record, when spooled. */
  ingest(decoded: DecodedBatch, seq?: number): void;
  /** Expires, resolves and writes what has been gathered; resolves when the sink has it. */
  flush(): Promise<FactBatch>;
  /** Expires and resolves like `flush`, and hands the facts back instead of writing them. */
  collect(): FactBatch;
  /** What must survive a restart, as of now (call it right after `collect`). */
  state(): PipelineState;
  /**
   * Rebuilds the state a checkpoint recorded, one spool record at a time, from its `replayFrom` up
   * to its position, with the clock each record was first ingested at: no fact is derived again
   * (they were written with the checkpoint), only the ancestry index and what `state` names come back.
   */
  replay(decoded: DecodedBatch, seq: number, state: PipelineState): void;
  /** Ends a replay: the spans and calls still waiting wait again. */
  endReplay(state: PipelineState): void;
  /** Expires every waiting half (the end of an import, or a test), then flushes. */
  drainAll(): Promise<FactBatch>;
  readonly pairing: PairingStore<Half, Half>;
  stats(): PipelineStats;
}

const MAX_ANCESTRY_STEPS = 64;

export function createPipeline(deps: { sink: FactSink; options: PipelineOptions; now?: () => number }): Pipeline {
  const { sink, options } = deps;
  const now = deps.now ?? Date.now;
  const live = new Aggregator({
    exemplarsPerEdge: options.exemplarsPerEdge,
    sampler: new TraceSampler(options.traceSampling),
  });
  // While replaying, facts go to a scratch aggregator that is thrown away: they are already written.
  let agg = live;
  let restoring:
    { state: PipelineState; halves: Set<string>; wanted: Set<string>; found: Map<string, Half> } | undefined;
  const tags = createTagFilter({
    keys: options.tagKeys,
    maxValuesPerKey: options.tagMaxValues,
    rules: options.tagRules,
    hashSecret: options.tagHashSecret,
  });
  const ancestry = new Map<string, Ancestor>();
  const epoch = now();
  let pending: PendingCall[] = [];
  /** non-entry spans whose parent has not arrived yet: the parent may be another service's span */
  let orphans: { child: Half; queuedAt: number }[] = [];
  let spans = 0;
  let unresolvedCallers = 0;
  const maxAncestry = ancestryBound(options);
  let ancestryEvicted = 0;

  const callTo = (client: Half, toOp: string, error: boolean, latencyMs: number) =>
    pending.push({ client, toOp, error, latencyMs, queuedAt: now() });

  const destinationPublish = (d: VirtualComponent): OperationRef => ({
    key: operationKey(d.key, OperationKind.PRODUCER, 'publish'),
    componentKey: d.key,
    name: 'publish',
    kind: OperationKind.PRODUCER,
  });

  /** A consumer half that no producer half answered: the message came out of its destination. */
  const deliveredFrom = (s: Half, destination: VirtualComponent) => {
    agg.virtual(destination, s.at);
    agg.edge(destination.key, s.service.key, 'messaging', s.error, s.latencyMs, s.at);
    const publish = destinationPublish(destination);
    agg.operation(publish, s.at);
    agg.call(publish.key, s.op!.key, s.error, s.latencyMs, s.at, s.traceId);
  };

  /** A server half nobody instrumented called: its operation is an entry point. */
  const entryFromOutside = (s: Half) => {
    agg.operation(s.op!, s.at, undefined, true);
    if (s.destination) deliveredFrom(s, s.destination);
    else if (s.externalCaller) {
      agg.virtual(s.externalCaller, s.at);
      agg.edge(s.externalCaller.key, s.service.key, s.protocol, s.error, s.latencyMs, s.at);
    }
  };

  /** A client half no server half answered: the call reached the component its attributes name. */
  function reachedUninstrumented(c: Half): void {
    const callee = c.callee!;
    const op = c.calleeOp!;
    agg.virtual(callee, c.at);
    agg.edge(c.service.key, callee.key, c.protocol, c.error, c.latencyMs, c.at);
    agg.operation(op, c.at, { error: c.error, latencyMs: c.latencyMs });
    callTo(c, op.key, c.error, c.latencyMs);
  }

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
      onExpireClient: reachedUninstrumented,
      onExpireServer(s) {
        // No CLIENT/PRODUCER half answered: a cross-service parent of another kind is still the caller.
        const parent = crossServiceParent(s, true);
        // A message delivered again under the same producer span: its publish was counted once already.
        if (parent?.kind === SpanKind.PRODUCER && s.destination) deliveredFrom(s, s.destination);
        else if (parent) callFromParent(s, parent, s.op!);
        else entryFromOutside(s);
      },
    },
  );

  /**
   * The span above `child` when it belongs to another service. Jaeger's and Zipkin's dependency
   * linkers count any cross-service parent → child (a SERVER under a SERVER, a span under an
   * INTERNAL span). A CLIENT/PRODUCER parent counts only for an unpaired SERVER/CONSUMER child
   * (`unpairedServer`: one of several children of one call); under any other child its call is
   * already counted, paired or expired to a virtual component.
   */
  function crossServiceParent(child: Half, unpairedServer = false): Ancestor | undefined {
    if (child.parentSpanId === '') return undefined;
    const p = ancestry.get(child.traceId + child.parentSpanId);
    if (!p || p.service.key === child.service.key) return undefined;
    if (unpairedServer) return p;
    return p.kind === SpanKind.CLIENT || p.kind === SpanKind.PRODUCER ? undefined : p;
  }

  /** One call from the parent's service to the child's, made on behalf of the parent's entry operation. */
  function callFromParent(child: Half, parent: Ancestor, toOp: OperationRef): void {
    agg.edge(parent.service.key, child.service.key, child.protocol, child.error, child.latencyMs, child.at);
    // resolveCaller starts at the parent span itself (the pseudo client's parent) within the parent's service.
    callTo({ ...child, service: parent.service }, toOp.key, child.error, child.latencyMs);
  }

  /** A non-entry span (INTERNAL, CLIENT, …) whose parent is another service's span: that service called here. */
  function checkOrphan(child: Half, final: boolean, queuedAt: number): boolean {
    if (ancestry.has(child.traceId + child.parentSpanId)) {
      const parent = crossServiceParent(child);
      if (parent) {
        const op = internalOperation(child.name, child.service);
        agg.operation(op, child.at, { error: child.error, latencyMs: child.latencyMs });
        callFromParent(child, parent, op);
      }
      return true;
    }
    return final || queuedAt <= now() - options.pairingTtlMs;
  }

  function resolveOrphans(final: boolean): void {
    orphans = orphans.filter((o) => !checkOrphan(o.child, final, o.queuedAt));
  }

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
    const deadline = now() - epoch - 2 * options.pairingTtlMs;
    for (const [key, a] of ancestry) {
      if (a.arrived > deadline) break;
      ancestry.delete(key);
    }
  }

  function ingestSpan(
    span: Span,
    service: ServiceInfo,
    resourceTags: [string, string][],
    children: Half[],
    seq: number,
  ): void {
    spans++;
    const at = Math.min(Math.floor(span.endMs), now());
    const error = isError(span);
    const latencyMs = Math.max(0, span.endMs - span.startMs);
    const name = sharedName(span.name);
    // Every field set here, even those only some kinds fill: V8 then keeps them all in the object
    // itself, where fields added later each cost a separate property array.
    const half: Half = {
      traceId: span.traceId,
      spanId: span.spanId,
      parentSpanId: span.parentSpanId,
      name,
      kind: span.kind,
      service,
      error,
      latencyMs,
      at,
      protocol: protocolOf(span.attributes),
      op: undefined,
      destination: undefined,
      callee: undefined,
      calleeOp: undefined,
      externalCaller: undefined,
      seq,
    };
    const spanTags = tags.select(span.attributes);
    const ancestor: Ancestor = {
      parentSpanId: span.parentSpanId,
      name,
      kind: span.kind,
      service,
      entryOp: undefined,
      arrived: now() - epoch,
      seq,
    };
    const id = span.traceId + span.spanId;
    // Replaying, only the halves that were still waiting at the checkpoint wait again.
    const keep = !restoring || restoring.halves.has(id);
    if (restoring?.wanted.has(id)) restoring.found.set(id, half);

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
        } else if (keep) {
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
        // A database sends no server half: its call is a fact at once, not after the pairing TTL (as
        // the servicegraph connector does). A replay keeps the old path: its calls come back from the state.
        if (!restoring && half.callee.kind === ComponentKind.DATABASE) reachedUninstrumented(half);
        else if (keep) pairing.addClient(id, half, now());
        break;
      }
      default:
        for (const [k, v] of spanTags) agg.tag(service.key, false, k, v, 1, error, at);
    }
    if (span.parentSpanId !== '' && span.kind !== SpanKind.SERVER && span.kind !== SpanKind.CONSUMER)
      children.push(half);
    // Re-inserted at the end, so that the index stays in arrival order even for a repeated span.
    ancestry.delete(id);
    ancestry.set(id, ancestor);
    if (ancestry.size > maxAncestry) {
      ancestry.delete(ancestry.keys().next().value!);
      ancestryEvicted++;
    }
  }

  function collect(final: boolean): FactBatch {
    if (final) pairing.expireAll();
    else pairing.expire(now());
    resolveOrphans(final);
    resolvePending(final);
    expireAncestry();
    return agg.drain();
  }

  async function flush(final = false): Promise<FactBatch> {
    const batch = collect(final);
    if (factCount(batch) > 0) await sink.write(batch);
    return batch;
  }

  function ingest(decoded: DecodedBatch, seq = 0): void {
    const children: Half[] = [];
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
        for (const span of ss.spans) ingestSpan(span, service, resourceTags, children, seq);
      }
    }
    if (restoring) return;
    // Parents usually come in the same batch, often after their children: check once the batch is in.
    const queuedAt = now();
    for (const child of children)
      if (!checkOrphan(child, false, Number.POSITIVE_INFINITY)) orphans.push({ child, queuedAt });
    // Bounded like the pairing buffer: the oldest give up first.
    if (orphans.length > options.pairingMaxEntries) orphans.splice(0, orphans.length - options.pairingMaxEntries);
  }

  function state(): PipelineState {
    let oldest = Number.POSITIVE_INFINITY;
    const idOf = (h: Half) => {
      oldest = Math.min(oldest, h.seq);
      return h.traceId + h.spanId;
    };
    const halves: string[] = [];
    for (const w of pairing.waiting()) halves.push(idOf((w.client ?? w.server)!));
    const waitingOrphans = orphans.map((o) => ({ child: idOf(o.child), queuedAt: o.queuedAt }));
    const calls = pending.map((p) => ({
      client: idOf(p.client),
      service: p.client.service.key,
      toOp: p.toOp,
      error: p.error,
      latencyMs: p.latencyMs,
      queuedAt: p.queuedAt,
    }));
    const firstAncestor = ancestry.values().next();
    if (!firstAncestor.done) oldest = Math.min(oldest, firstAncestor.value.seq);
    return { halves, orphans: waitingOrphans, calls, replayFrom: Number.isFinite(oldest) ? oldest : undefined };
  }

  return {
    pairing,
    ingest,
    collect: () => collect(false),
    state,
    replay(decoded, seq, st) {
      restoring ??= {
        state: st,
        halves: new Set(st.halves),
        wanted: new Set([...st.calls.map((c) => c.client), ...st.orphans.map((o) => o.child)]),
        found: new Map(),
      };
      agg = new Aggregator({ exemplarsPerEdge: options.exemplarsPerEdge });
      try {
        ingest(decoded, seq);
      } finally {
        agg = live;
      }
    },
    endReplay(st) {
      const found = restoring?.found ?? new Map<string, Half>();
      restoring = undefined;
      for (const o of st.orphans) {
        const child = found.get(o.child);
        if (child) orphans.push({ child, queuedAt: o.queuedAt });
      }
      for (const c of st.calls) {
        let client = found.get(c.client);
        if (client && client.service.key !== c.service) {
          // A call found from a parent span: the parent's service made it (see callFromParent).
          const parent = ancestry.get(client.traceId + client.parentSpanId);
          client = parent ? { ...client, service: parent.service } : undefined;
        }
        if (client)
          pending.push({ client, toOp: c.toOp, error: c.error, latencyMs: c.latencyMs, queuedAt: c.queuedAt });
      }
      expireAncestry();
    },
    flush: () => flush(false),
    drainAll: () => flush(true),
    stats: () => ({
      spans,
      pendingParents: orphans.length,
      pendingCalls: pending.length,
      unresolvedCallers,
      tagOverflow: tags.overflowed,
      ancestry: ancestry.size,
      ancestryEvicted,
    }),
  };
}
