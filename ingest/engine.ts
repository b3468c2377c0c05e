/**
 * The ingest engine: decode → derive → pair → resolve callers → aggregate, pure and synchronous.
 * `ingest(batch, at)` derives, pairs and aggregates one decoded request as of time `at`; `collect(at)`
 * expires what waited too long, resolves which entry operation each call was made on behalf of, and
 * hands back the facts gathered since the last collect. Writing them is the caller's: the durable loop
 * (ingest/spool/durable-ingest.ts) commits them with its checkpoint, an import writes them to a sink.
 *
 * Time is always passed in, never read: tests drive expiry by passing a later time, and the durable
 * loop replays a record at the time it first arrived. Two times go with every step: `at`, the wall
 * time that caps the times of facts, and `clock`, the pairing clock that drives the TTLs (the same by
 * default; the durable loop leaves out of it the time the worker was not running, docs/ingest.md). The engine knows nothing of spools: a caller
 * may number its inputs (`source`, increasing), and `state().replayFrom` names the oldest input what
 * still waits came from; `restore` rebuilds that state from those inputs again.
 */
import { ComponentKind, operationKey, OperationKind } from '../src/core/model.js';
import { Aggregator, type BreakdownKinds, type Breakdowns, type FactBatch } from './aggregate.js';
import { createCallerStage, type CallerState, type CallVia, type Half } from './callers.js';
import { createLatePairs, type LateEntry, type LateHalf, type LateJournal, type LatePairsStats } from './late-pairs.js';
import {
  calleeOf,
  calleeOperation,
  describeService,
  destinationOf,
  entryOperation,
  externalCallerOf,
  isError,
  librariesOf,
  mayCallDatabase,
  namesOwnService,
  ownClientOperation,
  protocolOf,
  scopeLibrary,
  sharedName,
  type LibraryUse,
  type OperationRef,
  type ServiceInfo,
  type VirtualComponent,
} from './derive.js';
import { SpanIdWords } from './hex.js';
import { NO_LINKS, PairingStore } from './pairing.js';
import { Origin, PresenceMemory, type PresenceMemoryOptions } from './presence.js';
import { SpanKind, type Attributes, type DecodedBatch, type Span } from './span.js';
import { createTagFilter, type TagPairs } from './tags.js';
import { TraceSampler, type TraceSamplingOptions } from './trace-sampling.js';
import { LibrarySightings } from './library-sightings.js';
import { UnansweredCallees } from './unanswered-callees.js';
import type { Config } from '../src/core/config.js';
import type { TagRule } from '../src/core/tag-rules.js';

export interface EngineOptions {
  pairingTtlMs: number;
  pairingMaxEntries: number;
  /** how long an expired half is remembered so that a late partner corrects it (0: never; ingest/late-pairs.ts) */
  pairingLateWindowMs?: number;
  /** how many expired halves are remembered at most */
  pairingLateMaxEntries?: number;
  /** unanswered expiries after which a callee's calls expire at the next collect (ingest/unanswered-callees.ts; 0 or absent: never) */
  pairingUnansweredAfter?: number;
  /** which hours of presence were handed to the writer: how much is remembered */
  presence: PresenceMemoryOptions;
  /** how often a library use still running is written again (ingest/library-sightings.ts; 0 or absent: every flush) */
  librarySeenRefreshMs?: number;
  tagKeys: readonly string[];
  tagMaxValues: number;
  versionKeys: readonly string[];
  exemplarsPerEdge: number;
  /** per-key drop/hash/keep for tag values (personal data), applied before anything is stored */
  tagRules?: readonly TagRule[];
  tagHashSecret?: string;
  /** which traces keep their skeleton */
  traceSampling: TraceSamplingOptions;
}

/** The engine's options from its slices of the configuration. */
export function engineOptions(config: Pick<Config, 'ingest' | 'limits'>): EngineOptions {
  return {
    pairingTtlMs: config.ingest.pairingTtlMs,
    pairingMaxEntries: config.ingest.pairingMaxEntries,
    pairingLateWindowMs: config.ingest.pairingLateWindowMs,
    pairingLateMaxEntries: config.ingest.pairingLateMaxEntries,
    pairingUnansweredAfter: config.ingest.pairingUnansweredAfter,
    presence: config.ingest.presence,
    librarySeenRefreshMs: config.ingest.librarySeenRefreshMs,
    tagKeys: config.ingest.tagKeys,
    tagMaxValues: config.ingest.tagMaxValues,
    versionKeys: config.ingest.versionKeys,
    exemplarsPerEdge: config.ingest.writer.exemplarsPerEdge,
    traceSampling: config.ingest.traceSampling,
    tagRules: config.limits.tagRules,
    tagHashSecret: config.limits.tagHashSecret,
  };
}

export interface EngineStats {
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
  /** expired halves remembered for the late window, and what became of them */
  late: LatePairsStats;
}

/**
 * The ancestry index remembers spans for twice the pairing TTL, so its size follows the span rate;
 * past this many (5 × the pairing buffer's bound: 1,000,000 by default) the oldest go early, as
 * the pairing buffer's do, and memory stays bounded whatever the rate.
 */
export const ancestryBound = (options: Pick<EngineOptions, 'pairingMaxEntries'>) => 5 * options.pairingMaxEntries;

/** What the engine derives from a resource (see `resourceFacts`). */
interface ResourceFacts {
  service: ServiceInfo;
  resourceTags: TagPairs;
  /** of its tag values, how many were past the cap (`TagFilter.overflowed`) */
  tagsOverflowed: number;
  libraries: LibraryUse[];
}

/** A waiting half by its ids (the engine's own halves serve as such, with no copy). */
export interface HalfId {
  traceId: string;
  spanId: string;
}

/**
 * What survives a restart, by reference: the halves still waiting, the spans still waiting for their
 * parent and the calls still looking for their caller, named by trace and span id. Their content is
 * derived again from the inputs from `replayFrom` on (see `restore`).
 */
export interface EngineState extends CallerState {
  halves: HalfId[];
  /**
   * expired halves remembered for the late window, by value (ingest/late-pairs.ts): from `state`,
   * what changed since the last state (each state is to be checkpointed, in order); for `restore`, all
   */
  late?: LateJournal;
  /** the oldest input (`source`) anything above (or the ancestry index) still comes from; undefined when none */
  replayFrom?: number;
  /** tag and version counts of the inputs so far that no flush has written yet (`collect` with `holdBreakdowns`) */
  breakdowns?: Breakdowns;
}

/** Rebuilding a state: the inputs from its `replayFrom` on, in order, each at the time it was first ingested. */
export interface Restorer {
  /**
   * No fact is derived again (they were written when the state was taken), only the ancestry index
   * and what the state names come back.
   */
  ingest(decoded: DecodedBatch, at: number, source: number, clock?: number): void;
  /** Ends the replay at time `at` (pairing clock `clock`): the spans and calls still waiting wait again. */
  finish(at: number, clock?: number): void;
}

export interface Engine {
  /**
   * Derives, pairs and aggregates one decoded request as of `at` (pairing clock `clock`, default
   * `at`); `source` numbers the input (see the file comment).
   */
  ingest(decoded: DecodedBatch, at: number, source?: number, clock?: number): void;
  /**
   * Expires what waited past the TTL as of pairing clock `clock` (default `at`), resolves callers, and
   * hands back the facts gathered; with `holdBreakdowns`, without the tag and version counts, which
   * keep gathering (and go into `state`) until `takeBreakdowns`.
   */
  collect(at: number, clock?: number, holdBreakdowns?: boolean): FactBatch;
  /** The tag and/or version rows (`kinds`; both by default) gathered since they were last handed back. */
  takeBreakdowns(kinds?: BreakdownKinds): Breakdowns;
  /** How many tag and version rows are gathered and not yet handed back. */
  readonly breakdownCount: number;
  /** Expires every waiting half and gives up on every missing parent (the end of an import, or a test). */
  drain(at: number): FactBatch;
  /** What must survive a restart, as of now (call it right after `collect`). */
  state(): EngineState;
  /** Starts rebuilding `state` (on a fresh engine). */
  restore(state: EngineState): Restorer;
  readonly pairing: PairingStore<Half, Half>;
  stats(): EngineStats;
}

/**
 * The calls a resource's SERVER/CONSUMER spans served in one request: counted under the service's
 * version and resource tags once per resource, after its spans, not once per span (each count is a
 * row lookup; a resource has a few tags and most of its spans are served calls).
 */
interface Served {
  calls: number;
  errors: number;
  /** the earliest of their times */
  first: number;
}

/** No keys: a root server half waits under none (shared, never written to). */
const NONE: string[] = [];

export function createEngine(options: EngineOptions): Engine {
  const sampler = new TraceSampler(options.traceSampling);
  const live = new Aggregator({ exemplarsPerEdge: options.exemplarsPerEdge, sampler });
  // While replaying, facts go to a scratch aggregator that is thrown away: they are already written.
  const out = { agg: live };
  let restoring: { halves: Set<string>; wanted: Set<string>; found: Map<string, Half> } | undefined;
  const tags = createTagFilter({
    keys: options.tagKeys,
    maxValuesPerKey: options.tagMaxValues,
    rules: options.tagRules,
    hashSecret: options.tagHashSecret,
  });
  const callers = createCallerStage(
    { ttlMs: options.pairingTtlMs, maxOrphans: options.pairingMaxEntries, maxAncestry: ancestryBound(options) },
    out,
  );
  const late = createLatePairs({
    windowMs: options.pairingLateWindowMs ?? 0,
    maxEntries: options.pairingLateMaxEntries ?? 0,
    sampled: (traceId) => sampler.mayHaveKept(traceId),
    pendingHop: (traceId, from, to, error, latencyMs, at) => sampler.takeBack(traceId, from, to, error, latencyMs, at),
  });
  let spans = 0;
  /** what the halves of the request under way were sent by */
  let origin: number = Origin.otlp;
  /** the ids' words the decoder read for the request under way, when it did (`DecodedBatch.idColumn`) */
  let idColumn: Uint32Array | undefined;
  const presence = new PresenceMemory(options.presence);
  const librarySightings = new LibrarySightings(options.librarySeenRefreshMs ?? 0);
  /** the wall time of the step under way: no fact is later */
  let now = 0;
  const served: Served = { calls: 0, errors: 0, first: 0 };
  /** the pairing clock of the step under way: halves wait, and pairing callbacks queue their calls, at it */
  let tick = 0;
  /** the ids of the span under way as words, read once for the pairing store and the ancestry index */
  const ids = new SpanIdWords();
  /** the client halves of the request under way left waiting for a server half (callers.findCallers) */
  const waitingClients: Half[] = [];
  /** where each of `waitingClients` waits in the pairing store */
  const waitingRecords: number[] = [];
  // Only with the late memory on: it is what corrects a call expired early that is answered after all.
  const unanswered = new UnansweredCallees(
    (options.pairingLateWindowMs ?? 0) > 0 && (options.pairingLateMaxEntries ?? 0) > 0
      ? (options.pairingUnansweredAfter ?? 0)
      : 0,
  );
  /** the one key of a span asked of the late memory (`oneKey`) */
  const lateKey = [''];
  /** a server half's parent key (trace id, parent span id) as the late memory's six words */
  const parentKey = new Uint32Array(6);

  /** The edge a server or consumer half ends: from `from` into the half's service. */
  const edgeInto = (agg: Pick<Aggregator, 'edge'>, from: string, s: Half, protocol: string) =>
    agg.edge(from, s.service.key, protocol, s.error, s.latencyMs, s.at, '', s.service.version, s.origin);

  const destinationPublish = (d: VirtualComponent): OperationRef => ({
    key: operationKey(d.key, OperationKind.PRODUCER, 'publish'),
    componentKey: d.key,
    name: 'publish',
    kind: OperationKind.PRODUCER,
  });

  /** A consumer half that no producer half answered: the message came out of its destination. */
  const deliveredFrom = (s: Half, destination: VirtualComponent) => {
    const agg = out.agg;
    agg.virtual(destination, s.at);
    edgeInto(agg, destination.key, s, 'messaging');
    const publish = destinationPublish(destination);
    agg.operation(publish, s.at);
    agg.call(publish.key, s.op!.key, s.error, s.latencyMs, s.at, s.traceId, '', s.service.version);
  };

  /** A server half nobody instrumented called: its operation is an entry point. */
  const entryFromOutside = (s: Half) => {
    const agg = out.agg;
    agg.operation(s.op!, s.at, true);
    if (s.destination) deliveredFrom(s, s.destination);
    else if (s.externalCaller) {
      agg.virtual(s.externalCaller, s.at);
      edgeInto(agg, s.externalCaller.key, s, s.protocol);
    }
  };

  /**
   * A client half no server half answered: the call reached the component its attributes name. Its
   * call from its caller is queued until that is known (through `via`), or credited at once (`now`).
   */
  function reachedUninstrumented(c: Half, via?: CallVia, now = false): void {
    const agg = out.agg;
    if (c.span) deriveCallee(c);
    const callee = c.callee!;
    const op = c.calleeOp!;
    agg.virtual(callee, c.at);
    agg.edge(c.service.key, callee.key, c.protocol, c.error, c.latencyMs, c.at, c.service.version, '', c.origin);
    agg.operationCall(op, c.at, c.error, c.latencyMs);
    if (now) callers.callKnown(c, op.key, c.error, c.latencyMs);
    else callers.callTo(c, op.key, c.error, c.latencyMs, tick, '', via);
  }

  /**
   * What a client half reached if no server half answers, from the span it kept (let go of then): at
   * the end of its request when still unanswered, else at its expiry.
   */
  function deriveCallee(c: Half): void {
    c.callee = calleeOf(c.span!, c.service.environment);
    c.calleeOp = calleeOperation(c.span!, c.callee);
    c.span = undefined;
  }

  /** How a paired call finds its caller operation: the callers stage, unless it is already known. */
  type Credit = (c: Half, toOp: string, error: boolean, latencyMs: number, toVersion?: string) => void;
  const throughCallers: Credit = (c, toOp, error, latencyMs, toVersion) =>
    callers.callTo(c, toOp, error, latencyMs, tick, toVersion);

  /** The two halves of one call. */
  function paired(c: Half, s: Half, credit: Credit): void {
    const agg = out.agg;
    c.span = undefined;
    c.answered = true;
    // Its callee was derived: it was still unanswered at the end of its request, or expired.
    if (c.callee !== undefined) unanswered.answered(c.callee.key);
    const messaging = c.kind === SpanKind.PRODUCER || s.kind === SpanKind.CONSUMER;
    const destination = messaging ? (c.destination ?? s.destination) : undefined;
    if (destination) {
      // The queue is a node: producer → destination → consumer.
      agg.virtual(destination, c.at);
      agg.edge(
        c.service.key,
        destination.key,
        'messaging',
        c.error,
        c.latencyMs,
        c.at,
        c.service.version,
        '',
        c.origin,
      );
      edgeInto(agg, destination.key, s, 'messaging');
      const publish = destinationPublish(destination);
      agg.operationCall(publish, c.at, c.error, c.latencyMs);
      credit(c, publish.key, c.error, c.latencyMs);
      agg.call(publish.key, s.op!.key, s.error, s.latencyMs, s.at, s.traceId, '', s.service.version);
    } else {
      const error = c.error || s.error;
      const protocol = messaging ? 'messaging' : c.protocol !== 'unknown' ? c.protocol : s.protocol;
      // A service's client span naming the service itself, under its own client span: no edge to itself.
      if (c.service.key !== s.service.key || s.kind !== SpanKind.CLIENT)
        agg.edge(
          c.service.key,
          s.service.key,
          protocol,
          error,
          c.latencyMs,
          c.at,
          c.service.version,
          s.service.version,
          c.origin | s.origin,
        );
      credit(c, s.op!.key, error, c.latencyMs, s.service.version);
    }
  }

  /**
   * A late half met its partner's expiry (its credits already taken back by `late.take`): the pair is
   * counted now. An expired client's caller operation was found when it expired, and its ancestry
   * may be forgotten since: its call is credited from that operation.
   */
  function pairedLate(c: Half, s: Half, expired: LateHalf): void {
    // The callee its expiry credited (the late memory keeps no derived callee) answered after all.
    const callee = expired.side === 'client' ? expired.credits.find((k) => 'v' in k) : undefined;
    if (callee && 'v' in callee) unanswered.answered(callee.v);
    const from = expired.side === 'client' ? expired.credits.find((k) => 'c' in k) : undefined;
    if (!from || !('c' in from)) return paired(c, s, throughCallers);
    paired(c, s, (client, toOp, error, latencyMs, toVersion) =>
      out.agg.call(from.c[0], toOp, error, latencyMs, client.at, client.traceId, client.service.version, toVersion),
    );
  }

  /** while a (non-final) collect expires what waited past the TTL: see `onExpireClient` */
  let expiringAtCollect = false;
  const pairing = new PairingStore<Half, Half>(
    { ttlMs: options.pairingTtlMs, maxEntries: options.pairingMaxEntries },
    {
      onComplete: (c, s) => paired(c, s, throughCallers),
      onExpireClient(c, reason) {
        const entry: LateEntry = late.expire('client', c, [c.traceId + c.spanId], tick, out, () => {
          // Expired by a collect's clock, a client that learnt its caller at the end of its batch is
          // credited with the rest of its expiry: nothing is queued, and the late memory templates it
          // at once (docs/benchmarks.md item 172). One pushed out by the bound while a batch is read is
          // queued as before, so that a server half arriving before the collect takes it back
          // uncredited (a trace sample would keep a hop credited and taken back in one flush); one
          // expired by a drain is too, where a caller not found is counted.
          const now = expiringAtCollect && c.caller !== undefined;
          reachedUninstrumented(c, now ? undefined : (agg) => late.wrap(entry, agg), now);
          return !now;
        });
        if (reason === 'ttl') unanswered.expired(c.callee!.key);
      },
      onExpireServer(s, _reason, keys) {
        // No CLIENT/PRODUCER half answered: a cross-service parent of another kind is still the caller.
        const parent = callers.crossServiceParent(s, true);
        // A client span naming its own service under a span of that service: its operation is all it adds.
        if (!parent && s.kind === SpanKind.CLIENT && callers.hasParentInService(s)) return;
        // A message delivered again under the same producer span: its publish was counted once already.
        if (parent?.kind === SpanKind.PRODUCER && s.destination) deliveredFrom(s, s.destination);
        else if (parent) callers.callFromParent(s, parent.service, s.op!, tick);
        else
          late.expire('server', s, keys, tick, out, () => {
            entryFromOutside(s);
            return false;
          });
      },
    },
  );
  function ingestSpan(
    span: Span,
    service: ServiceInfo,
    resourceTags: TagPairs,
    children: Half[],
    source: number,
  ): void {
    spans++;
    const agg = out.agg;
    const at = Math.min(Math.floor(span.endMs), now);
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
      protocol: protocolOf(span),
      op: undefined,
      destination: undefined,
      callee: undefined,
      calleeOp: undefined,
      span: undefined,
      externalCaller: undefined,
      caller: undefined,
      answered: undefined,
      source,
      origin,
    };
    const spanTags = tags.select(span.attributes);
    if (idColumn !== undefined && span.idAt !== undefined) ids.take(idColumn, span.idAt);
    else ids.read(span.traceId, span.spanId, span.parentSpanId);
    // Replaying, only the halves that were still waiting when the state was taken wait again.
    let keep = true;
    if (restoring) {
      const id = span.traceId + span.spanId;
      keep = restoring.halves.has(id);
      if (restoring.wanted.has(id)) restoring.found.set(id, half);
    }

    // A client span naming its own service is that service's side of the call: it is read like a
    // server span (paired with a client above it, else called by its parent or from outside) while
    // its operation keeps the CLIENT kind its span carries.
    const ownSide = namesOwnService(span, service);
    // The span's own tags on its service, whatever its kind (a resource's tags: once per resource).
    agg.countTags(service.key, false, spanTags, 1, error, at);
    switch (ownSide ? SpanKind.SERVER : span.kind) {
      case SpanKind.SERVER:
      case SpanKind.CONSUMER: {
        const op = ownSide ? ownClientOperation(span, service) : entryOperation(span, service);
        half.op = op;
        agg.operationCall(op, at, error, latencyMs);
        served.calls++;
        if (error) served.errors++;
        if (at < served.first) served.first = at;
        // The resource's tags, then the span's: not a concatenated array per span. The service's
        // share of the resource's tags is counted once per resource (Served).
        agg.countTags(op.key, true, resourceTags, 1, error, at);
        agg.countTags(op.key, true, spanTags, 1, error, at);
        if (span.kind === SpanKind.CONSUMER) half.destination = destinationOf(span, service.environment);
        const links = span.kind === SpanKind.CONSUMER ? span.links : NO_LINKS;
        if (span.parentSpanId === '' && links.length === 0) {
          half.externalCaller = externalCallerOf(span, service);
          entryFromOutside(half);
        } else if (keep) {
          const expired = restoring || late.size === 0 ? undefined : takeUnder(span);
          if (expired) pairedLate(expired.half, half, expired);
          else pairing.addServer(span.traceId, span.parentSpanId, links, half, tick, ids);
        }
        break;
      }
      case SpanKind.CLIENT:
      case SpanKind.PRODUCER: {
        if (span.kind === SpanKind.PRODUCER) half.destination = destinationOf(span, service.environment);
        half.span = span;
        if (mayCallDatabase(span)) deriveCallee(half);
        // A database sends no server half: its call is a fact at once, not after the pairing TTL (as
        // the servicegraph connector does). A replay keeps the old path: its calls come back from the state.
        if (!restoring && half.callee?.kind === ComponentKind.DATABASE) reachedUninstrumented(half);
        else if (keep) {
          const expired = restoring || late.size === 0 ? undefined : takeOwn(span);
          if (expired) pairedLate(half, expired.half, expired);
          else {
            const record = pairing.addClient(span.traceId, span.spanId, half, tick, ids);
            if (!half.answered) {
              waitingClients.push(half);
              waitingRecords.push(record);
            }
          }
        }
        break;
      }
    }
    if (span.parentSpanId !== '' && span.kind !== SpanKind.SERVER && span.kind !== SpanKind.CONSUMER && !ownSide)
      children.push(half);
    // The ancestry index copies what it keeps from the half (its `op` is the entry operation): no object per span for it.
    callers.remember(half, tick, ids);
  }

  /**
   * `key` as the one key the late memory is asked for, in an array reused from span to span (it only
   * reads the keys it is given): a span that waits made an array of its own for it before.
   */
  function oneKey(key: string): readonly string[] {
    lateKey[0] = key;
    return lateKey;
  }

  /**
   * The remembered server half a client half completes: asked by the words of its ids (`ids`, read
   * for the pairing store), no joined id string, when they are in hex (always, from the decoders).
   */
  function takeOwn(span: Span): LateHalf | undefined {
    if (ids.traceHex && ids.spanHex) return late.takeWords(ids.words, 0, 'server');
    return late.take(oneKey(span.traceId + span.spanId), 'server');
  }

  /**
   * The remembered client half a server or consumer half completes, under the keys it waits under
   * (its parent, a consumer's links): its parent's by their words as `takeOwn` does.
   */
  function takeUnder(span: Span): LateHalf | undefined {
    if (span.kind !== SpanKind.CONSUMER || span.links.length === 0) {
      if (span.parentSpanId === '') return late.take(NONE, 'client');
      if (!ids.traceHex || !ids.parentHex) return late.take(oneKey(span.traceId + span.parentSpanId), 'client');
      const w = ids.words;
      parentKey[0] = w[0]!;
      parentKey[1] = w[1]!;
      parentKey[2] = w[2]!;
      parentKey[3] = w[3]!;
      parentKey[4] = w[6]!;
      parentKey[5] = w[7]!;
      return late.takeWords(parentKey, 0, 'client');
    }
    const keys: string[] = span.parentSpanId !== '' ? [span.traceId + span.parentSpanId] : [];
    for (const l of span.links) keys.push(l.traceId + l.spanId);
    return late.take(keys, 'client');
  }

  /**
   * What a resource says of its service, tags and libraries. A resource the decoder shares between
   * requests (frozen: ingest/otlp/resource-table.ts) has them derived once, kept beside it here.
   */
  const factsOf = new WeakMap<Attributes, ResourceFacts>();
  function resourceFacts(resource: Attributes): ResourceFacts {
    const known = factsOf.get(resource);
    if (known !== undefined) {
      // Its values past the tag cap count each time the resource comes, as when it was selected anew.
      if (known.tagsOverflowed > 0) tags.overflowAgain(known.tagsOverflowed);
      return known;
    }
    const overflowedBefore = tags.overflowed;
    const facts: ResourceFacts = {
      service: describeService(resource),
      resourceTags: tags.select(resource),
      tagsOverflowed: tags.overflowed - overflowedBefore,
      libraries: librariesOf(resource, options.versionKeys),
    };
    if (Object.isFrozen(resource)) factsOf.set(resource, facts);
    return facts;
  }

  function ingest(decoded: DecodedBatch, at: number, source = 0, clock = at): void {
    now = at;
    tick = clock;
    origin = Origin[decoded.origin ?? 'otlp'];
    idColumn = decoded.idColumn;
    const agg = out.agg;
    const children: Half[] = [];
    // Indexed loops: a request from a Collector in front carries one resource for every few spans
    // (the bench's, ~3), and `for … of` made iterators per resource (docs/benchmarks.md item 149).
    const { batch } = decoded;
    for (let r = 0; r < batch.length; r++) {
      const rs = batch[r]!;
      const { scopeSpans } = rs;
      let latest = 0;
      let count = 0;
      for (let i = 0; i < scopeSpans.length; i++) {
        const spans = scopeSpans[i]!.spans;
        count += spans.length;
        for (let j = 0; j < spans.length; j++) if (spans[j]!.endMs > latest) latest = spans[j]!.endMs;
      }
      if (count === 0) continue;
      const { service, resourceTags, libraries } = resourceFacts(rs.resource);
      const stamp = Math.min(now, Math.floor(latest));
      agg.service(service, stamp);
      agg.countTags(service.key, false, resourceTags, 0, false, stamp);
      for (let i = 0; i < libraries.length; i++) agg.use(service.key, libraries[i]!, stamp);
      served.calls = 0;
      served.errors = 0;
      served.first = stamp;
      for (let i = 0; i < scopeSpans.length; i++) {
        const { scope, spans } = scopeSpans[i]!;
        const lib = scopeLibrary(scope);
        if (lib && spans.length > 0) agg.use(service.key, lib, stamp);
        for (let j = 0; j < spans.length; j++) ingestSpan(spans[j]!, service, resourceTags, children, source);
      }
      if (served.calls > 0) {
        agg.served(service, served.calls, served.errors, served.first);
        const ok = served.calls - served.errors;
        if (ok > 0) agg.countTags(service.key, false, resourceTags, ok, false, served.first);
        if (served.errors > 0) agg.countTags(service.key, false, resourceTags, served.errors, true, served.first);
      }
    }
    if (!restoring) {
      callers.awaitParents(children, tick);
      callers.creditKnown(tick);
      callers.findCallers(waitingClients);
      // A client still unanswered lets go of its span: on the bench's workload a third of these are
      // answered later (their callee derived for nothing), but the rest, calls to what sends no spans,
      // wait the whole pairing TTL, and their spans outlived scavenges (docs/benchmarks.md item 172).
      // One whose callee never answers expires at the next collect, not after the TTL (ingest/unanswered-callees.ts).
      for (let i = 0; i < waitingClients.length; i++) {
        const c = waitingClients[i]!;
        if (c.answered) continue;
        if (c.span !== undefined) deriveCallee(c);
        if (c.callee === undefined || !unanswered.silent(c.callee.key)) continue;
        // Sent again (an exporter's retry) after its first copy expired early: that copy was counted.
        // Waiting the TTL, the copy would have taken the first one's place.
        if (late.holdsClient(c.traceId + c.spanId)) pairing.forget(waitingRecords[i]!, c);
        else pairing.expireSoon(waitingRecords[i]!, c);
      }
    }
    waitingClients.length = 0;
    waitingRecords.length = 0;
  }

  function collect(at: number, final: boolean, clock = at, holdBreakdowns = false): FactBatch {
    now = at;
    tick = clock;
    if (final) pairing.expireAll();
    else {
      expiringAtCollect = true;
      try {
        pairing.expire(clock);
      } finally {
        expiringAtCollect = false;
      }
    }
    callers.resolve(clock, final);
    late.forget(clock);
    // Version take-backs join the version counts before they are drained or held: written with
    // them, they never reach Neo4j ahead of the credit they undo, and under load never force the
    // held counts out (docs/ingest.md, "Tag and version counts under load").
    const corrections = late.drain().filter((c) => {
      if (c.kind !== 'edgeVersion' && c.kind !== 'callVersion') return true;
      const which = c.kind === 'edgeVersion' ? 'edges' : 'calls';
      live.takeBackVersion(which, c.from, c.to, c.fromVersion, c.toVersion, c.calls, c.errors);
      return false;
    });
    const batch = live.drain(holdBreakdowns && !final);
    batch.uses = librarySightings.select(batch.uses);
    if (corrections.length > 0) batch.corrections = corrections;
    ({ edges: batch.edgePresence, components: batch.componentPresence } = presence.rowsFor(batch));
    return batch;
  }

  function state(): EngineState {
    let oldest = Number.POSITIVE_INFINITY;
    const halves: HalfId[] = [];
    pairing.forEachWaiting((h) => {
      if (h.source < oldest) oldest = h.source;
      halves.push(h);
    });
    const { orphans, calls, oldestSource } = callers.state();
    oldest = Math.min(oldest, oldestSource);
    return {
      halves,
      orphans,
      calls,
      late: late.journal(),
      replayFrom: Number.isFinite(oldest) ? oldest : undefined,
      breakdowns: live.breakdownCount > 0 ? live.peekBreakdowns() : undefined,
    };
  }

  function restore(st: EngineState): Restorer {
    const found = new Map<string, Half>();
    late.restore(st.late);
    // Counted up to the checkpoint's position and not yet written: they wait for a flush again. The
    // replay below counts into a scratch aggregator, so nothing is counted twice.
    if (st.breakdowns) live.restoreBreakdowns(st.breakdowns);
    restoring = {
      halves: new Set(st.halves.map((h) => h.traceId + h.spanId)),
      wanted: new Set([...st.calls.map((c) => c.client), ...st.orphans.map((o) => o.child)]),
      found,
    };
    return {
      ingest(decoded, at, source, clock) {
        out.agg = new Aggregator({ exemplarsPerEdge: options.exemplarsPerEdge });
        try {
          ingest(decoded, at, source, clock);
        } finally {
          out.agg = live;
        }
      },
      finish(at, clock = at) {
        restoring = undefined;
        now = at;
        tick = clock;
        callers.restore(st, found, clock, (id) => late.viaFor(id));
      },
    };
  }

  return {
    pairing,
    ingest,
    collect: (at, clock, holdBreakdowns) => collect(at, false, clock, holdBreakdowns),
    takeBreakdowns: (kinds) => live.drainBreakdowns(kinds),
    get breakdownCount() {
      return live.breakdownCount;
    },
    drain: (at) => collect(at, true),
    state,
    restore,
    stats: () => ({ spans, tagOverflow: tags.overflowed, late: late.stats(), ...callers.stats() }),
  };
}
