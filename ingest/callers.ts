/**
 * The fifth stage, after pairing: which operation each call was made on behalf of. Every span is
 * remembered for a while in the ancestry index; a call (paired or expired) waits until the entry
 * operation above its client span is known; a span whose parent has not arrived yet waits to learn
 * whether another service called it (an orphan). What it finds goes into the aggregator the engine
 * hands it (`out.agg`: the engine swaps in a scratch one while it replays).
 *
 * Pure and synchronous like the rest of the engine: time is passed in.
 */
import { OperationKind } from '../src/core/model.js';
import type { Aggregator } from './aggregate.js';
import { createAncestryIndex, type Ancestor } from './ancestry.js';
import type { SpanIdWords } from './hex.js';
import { internalOperation, type OperationRef, type ServiceInfo, type VirtualComponent } from './derive.js';
import { SpanKind, type Span } from './span.js';

/** One half of a call waiting for the other, with what its expiry would need already derived. */
export interface Half {
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
  /**
   * A CLIENT half waiting with no `callee` yet: its span, which `callee` is derived from should no
   * server half answer (most are answered, and deriving it, a URL's template among it, was ~4% of
   * the worker: docs/benchmarks.md item 122). Let go of once answered, or at the end of its request
   * when still unanswered (its callee derived then: item 172).
   */
  span?: Span;
  /** root SERVER/CONSUMER with peer.service: the caller that sent no spans */
  externalCaller?: VirtualComponent;
  /**
   * CLIENT/PRODUCER: the entry operation it was made on behalf of, found at the end of the batch it
   * came in while its ancestors are surely still remembered (a call that expires asks ~TTL later,
   * when a worker at its ancestry bound may have let them go; docs/benchmarks.md item 151).
   */
  caller?: OperationRef;
  /** CLIENT/PRODUCER: paired with its server half (its call is queued or credited already) */
  answered?: boolean;
  /** the input it came from (the engine's `source`; 0 when the caller numbers none) */
  source: number;
  /** which source sent it (ingest/presence.ts Origin bits) */
  origin: number;
}

/** A span found above another: what crediting a call from it needs. */
export interface Parent {
  kind: SpanKind;
  service: ServiceInfo;
}

interface PendingCall {
  client: Half;
  toOp: string;
  /** the `service.version` of `toOp`'s service ('' when none) */
  toVersion: string;
  error: boolean;
  latencyMs: number;
  queuedAt: number;
  /** the aggregator to credit it through, given the current one (undefined: not at all); see CallVia */
  via?: CallVia;
}

/** A call queued by an expiry is credited through what ingest/late-pairs.ts hands back (it records the credit). */
export type CallVia = (agg: Aggregator) => Aggregator | undefined;

/** What of this stage a checkpoint carries, by reference (trace id + span id). */
export interface CallerState {
  orphans: { child: string; queuedAt: number }[];
  /** `service`: the caller's service key (a call found from a parent span is made by the parent's service) */
  calls: {
    client: string;
    service: string;
    toOp: string;
    /** absent in checkpoints written before versions were kept */
    toVersion?: string;
    error: boolean;
    latencyMs: number;
    queuedAt: number;
    /** queued by an expiry that ingest/late-pairs.ts remembers: credited through it again after a restart */
    late?: boolean;
  }[];
}

export interface CallerStageOptions {
  /** how long a call waits for its caller and a span for its parent (the pairing TTL) */
  ttlMs: number;
  /** how many orphans may wait (the pairing buffer's bound) */
  maxOrphans: number;
  /** how many spans the ancestry index holds at most */
  maxAncestry: number;
}

const MAX_ANCESTRY_STEPS = 64;

export type CallerStage = ReturnType<typeof createCallerStage>;

export function createCallerStage(options: CallerStageOptions, out: { agg: Aggregator }) {
  const ancestry = createAncestryIndex(options.maxAncestry);
  const pending: PendingCall[] = [];
  /** the pending calls before this index were asked for their caller since they were queued */
  let asked = 0;
  /** non-entry spans whose parent has not arrived yet: the parent may be another service's span */
  let orphans: { child: Half; queuedAt: number }[] = [];
  let unresolvedCallers = 0;
  let epoch: number | undefined;

  /** A call from `client`'s service to `toOp`, whose caller operation is found once its ancestry is known. */
  const callTo = (
    client: Half,
    toOp: string,
    error: boolean,
    latencyMs: number,
    at: number,
    toVersion = '',
    via?: CallVia,
  ) => pending.push({ client, toOp, toVersion, error, latencyMs, queuedAt: at, via });

  /**
   * The span above `child` when it belongs to another service. Jaeger's and Zipkin's dependency
   * linkers count any cross-service parent → child (a SERVER under a SERVER, a span under an
   * INTERNAL span). A CLIENT/PRODUCER parent counts only for an unpaired SERVER/CONSUMER child
   * (`unpairedServer`: one of several children of one call); under any other child its call is
   * already counted, paired or expired to a virtual component.
   */
  function crossServiceParent(child: Half, unpairedServer = false): Parent | undefined {
    if (child.parentSpanId === '') return undefined;
    const slot = ancestry.find(child.traceId, child.parentSpanId);
    return acrossServices(child, slot, unpairedServer)
      ? { kind: ancestry.kind(slot), service: ancestry.service(slot) }
      : undefined;
  }

  /** Whether the span in `slot`, above `child`, is another service's and counts as its caller (see crossServiceParent). */
  function acrossServices(child: Half, slot: number, unpairedServer: boolean): boolean {
    if (slot < 0 || ancestry.service(slot).key === child.service.key) return false;
    if (unpairedServer) return true;
    const kind = ancestry.kind(slot);
    return kind !== SpanKind.CLIENT && kind !== SpanKind.PRODUCER;
  }

  /** One call from the parent span's service `from` to the child's, made on behalf of the parent's entry operation. */
  function callFromParent(child: Half, from: ServiceInfo, toOp: OperationRef, at: number): void {
    const { service } = child;
    out.agg.edge(
      from.key,
      service.key,
      child.protocol,
      child.error,
      child.latencyMs,
      child.at,
      from.version,
      service.version,
      child.origin,
    );
    // resolveCaller starts at the parent span itself (the pseudo client's parent) within the parent's service.
    callTo({ ...child, service: from, caller: undefined }, toOp.key, child.error, child.latencyMs, at, service.version);
  }

  /** A non-entry span (INTERNAL, CLIENT, …) whose parent is another service's span: that service called here. */
  function checkOrphan(child: Half, final: boolean, queuedAt: number, at: number): boolean {
    // One lookup of the parent (the index is large: each lookup is mostly cache misses).
    const above = ancestry.find(child.traceId, child.parentSpanId);
    if (above >= 0) {
      if (acrossServices(child, above, false)) {
        const op = internalOperation(child.name, child.service);
        out.agg.operationCall(op, child.at, child.error, child.latencyMs);
        callFromParent(child, ancestry.service(above), op, at);
      }
      return true;
    }
    return final || queuedAt <= at - options.ttlMs;
  }

  /** The entry operation on whose behalf `client` was made: its nearest SERVER/CONSUMER ancestor in its service. */
  function resolveCaller(client: Half, final: boolean): OperationRef | undefined {
    let name = client.name;
    let service = client.service;
    let hasParent = client.parentSpanId !== '';
    let slot = hasParent ? ancestry.find(client.traceId, client.parentSpanId) : -1;
    for (let i = 0; hasParent && i < MAX_ANCESTRY_STEPS; i++) {
      if (slot < 0) return final ? internalOperation(name, service) : undefined;
      const above = ancestry.service(slot);
      const entryOp = ancestry.entryOp(slot);
      if (entryOp && above.key === client.service.key) return entryOp;
      if (above.key !== client.service.key) break;
      name = ancestry.name(slot);
      service = above;
      hasParent = ancestry.hasParent(slot);
      if (hasParent) slot = ancestry.parentOf(slot);
    }
    // A root reached with no entry span above it: the work began here (a job, a script, a test).
    return internalOperation(name, service);
  }

  /** One call from `from` (made by `client`) to `toOp`, credited to `agg`. */
  function credit(
    agg: Aggregator,
    from: OperationRef,
    client: Half,
    toOp: string,
    error: boolean,
    latencyMs: number,
    toVersion: string,
  ): void {
    agg.operation(from, client.at);
    agg.call(from.key, toOp, error, latencyMs, client.at, client.traceId, client.service.version, toVersion);
  }

  /**
   * Credits the pending calls from `start` on whose caller is found (all of them when `final`); the
   * rest keep waiting, in order. `direct`: only calls credited straight to the aggregator; one an
   * expiry queued waits for the collect, as a late partner arriving before it may still take it back
   * uncredited.
   */
  function resolvePending(final: boolean, at: number, start = 0, direct = false): void {
    const deadline = at - options.ttlMs;
    let kept = start;
    for (let i = start; i < pending.length; i++) {
      const p = pending[i]!;
      const expired = final || p.queuedAt <= deadline;
      // A batch's end credits only the callers it finds: giving up on a missing one is the collect's.
      const from = direct && p.via ? undefined : (p.client.caller ?? resolveCaller(p.client, expired && !direct));
      if (!from) {
        pending[kept++] = p;
        continue;
      }
      if (from.kind === OperationKind.INTERNAL && p.client.parentSpanId !== '') unresolvedCallers += expired ? 1 : 0;
      const agg = p.via ? p.via(out.agg) : out.agg;
      if (agg) credit(agg, from, p.client, p.toOp, p.error, p.latencyMs, p.toVersion);
    }
    pending.length = kept;
    asked = kept;
  }

  /** `at` as the index keeps it: ms since the first span this stage saw. */
  function elapsed(at: number): number {
    epoch ??= at;
    return at - epoch;
  }

  function expireAncestry(at: number): void {
    if (epoch === undefined) return;
    // Ancestors are needed as long as a call made under them can still be pending.
    ancestry.expire(at - epoch - 2 * options.ttlMs);
  }

  return {
    callTo,
    crossServiceParent,

    /**
     * A call credited at once, to the current aggregator, from the caller `client` learnt at the end of
     * its batch (`findCallers`; one without is queued with `callTo`).
     */
    callKnown(client: Half, toOp: string, error: boolean, latencyMs: number): void {
      credit(out.agg, client.caller!, client, toOp, error, latencyMs, '');
    },

    /** Whether `child`'s parent span is known and belongs to `child`'s own service. */
    hasParentInService(child: Half): boolean {
      const slot = ancestry.find(child.traceId, child.parentSpanId);
      return slot >= 0 && ancestry.service(slot).key === child.service.key;
    },
    callFromParent,

    /**
     * After a batch: the calls whose caller is known by now are credited, not held to the next collect.
     * Held, each call and its client half outlived the young generation: about half of what its
     * scavenges copied (docs/benchmarks.md item 127).
     */
    creditKnown(at: number): void {
      // Only the calls queued since: one still waiting for its caller is asked again at the collect.
      if (pending.length > asked) resolvePending(false, at, asked, true);
    },

    /**
     * Remembers a span as of pairing clock `at` (re-inserted at the end, so the index stays in arrival
     * order even for a repeated span); the index copies the fields it keeps from `span` (its half),
     * and its ids' words from `words` when the caller read them already.
     */
    remember(span: Ancestor & { traceId: string; spanId: string }, at: number, words?: SpanIdWords): void {
      ancestry.remember(span.traceId, span.spanId, span, elapsed(at), words);
    },

    /**
     * After a batch: each of its client halves still waiting for a server half learns its caller now,
     * when its ancestry is known (see `Half.caller`); one whose ancestors are not all in yet is asked
     * again when its call is queued, as before.
     */
    findCallers(clients: readonly Half[]): void {
      for (let i = 0; i < clients.length; i++) {
        const c = clients[i]!;
        if (!c.answered && c.caller === undefined) c.caller = resolveCaller(c, false);
      }
    },

    /** Non-entry children of one batch: those whose parent is not there yet wait for it. */
    awaitParents(children: Half[], at: number): void {
      // Parents usually come in the same batch, often after their children: checked once the batch is in.
      for (const child of children)
        if (!checkOrphan(child, false, Number.POSITIVE_INFINITY, at)) orphans.push({ child, queuedAt: at });
      // Bounded like the pairing buffer: the oldest give up first.
      if (orphans.length > options.maxOrphans) orphans.splice(0, orphans.length - options.maxOrphans);
    },

    /** Gives orphans their parents and calls their callers; `final` gives up on what is still missing. */
    resolve(at: number, final: boolean): void {
      orphans = orphans.filter((o) => !checkOrphan(o.child, final, o.queuedAt, at));
      resolvePending(final, at);
      expireAncestry(at);
    },

    /** What waits, by reference, and the oldest `source` it (or the ancestry index) still comes from. */
    state(): CallerState & { oldestSource: number } {
      let oldest = Number.POSITIVE_INFINITY;
      const idOf = (h: Half) => {
        oldest = Math.min(oldest, h.source);
        return h.traceId + h.spanId;
      };
      const waitingOrphans = orphans.map((o) => ({ child: idOf(o.child), queuedAt: o.queuedAt }));
      const calls = pending.map((p) => ({
        client: idOf(p.client),
        service: p.client.service.key,
        toOp: p.toOp,
        // Only when there is one: the checkpoint of an unversioned system stays as it was.
        ...(p.toVersion ? { toVersion: p.toVersion } : {}),
        error: p.error,
        latencyMs: p.latencyMs,
        queuedAt: p.queuedAt,
        ...(p.via ? { late: true } : {}),
      }));
      oldest = Math.min(oldest, ancestry.oldestSource());
      return { orphans: waitingOrphans, calls, oldestSource: oldest };
    },

    /**
     * After a replay: the orphans and calls a checkpoint named wait again, with the halves `found` for
     * them; a call an expiry queued is credited through `viaFor` its client half's id.
     */
    restore(
      state: CallerState,
      found: Map<string, Half>,
      at: number,
      viaFor: (client: string) => CallVia | undefined = () => undefined,
    ): void {
      for (const o of state.orphans) {
        const child = found.get(o.child);
        if (child) orphans.push({ child, queuedAt: o.queuedAt });
      }
      for (const c of state.calls) {
        let client = found.get(c.client);
        if (client && client.service.key !== c.service) {
          // A call found from a parent span: the parent's service made it (see callFromParent).
          const parent = ancestry.find(client.traceId, client.parentSpanId);
          client = parent >= 0 ? { ...client, service: ancestry.service(parent), caller: undefined } : undefined;
        }
        if (client)
          pending.push({
            client,
            toOp: c.toOp,
            toVersion: c.toVersion ?? '',
            error: c.error,
            latencyMs: c.latencyMs,
            queuedAt: c.queuedAt,
            via: c.late ? viaFor(c.client) : undefined,
          });
      }
      expireAncestry(at);
    },

    stats: () => ({
      pendingParents: orphans.length,
      pendingCalls: pending.length,
      unresolvedCallers,
      ancestry: ancestry.size,
      ancestryEvicted: ancestry.evicted,
    }),
  };
}
