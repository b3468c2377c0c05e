/**
 * In-memory aggregation of facts between flushes: however many spans arrive, one flush writes one
 * row per component, operation, edge, library use and tag (per minute where health is kept).
 * `drain()` hands the rows to the writer and starts afresh.
 */
import { LATENCY_BOUNDS_MS, LATENCY_BUCKETS, MINUTE_MS, tagKey } from '../src/core/model.js';
import type { ComponentFacts, EdgeVersionFacts } from '../src/core/records.js';
import type { LibraryUse, OperationRef, ServiceInfo, VirtualComponent } from './derive.js';
import type { CorrectionRow } from './late-pairs.js';
import { Origin, type ComponentPresenceRow, type EdgePresenceRow } from './presence.js';
import { RowIndex } from './row-index.js';
import type { TagPairs } from './tags.js';
import type { TraceSampler, TraceSampleRow } from './trace-sampling.js';
import { VersionCounts, type EdgeVersionRow, type ServiceVersionRow, type VersionRows } from './versions.js';

export interface Measure {
  calls: number;
  errors: number;
  latSum: number;
  latMax: number;
  latBuckets: number[];
  firstSeen: number;
  lastSeen: number;
  /** the minute (Unix ms / 60 000) these calls fall in: recent-health rings are per minute */
  minute: number;
}

/** One component's facts, as a flush writes them (its kind is which list it is in). */
export type ComponentRow = ComponentFacts;

export interface OperationRow extends Measure {
  key: string;
  componentKey: string;
  name: string;
  kind: string;
  /** calls that came from outside the traced system (no instrumented caller) */
  entryCalls: number;
}

export interface EdgeRow extends Measure {
  from: string;
  to: string;
  protocols: string[];
  /** which sources' spans saw it (ingest/presence.ts Origin bits) */
  origins: number;
}

export interface CallRow extends Measure {
  from: string;
  to: string;
  /** most recent first */
  exemplars: string[];
}

export interface UsesRow {
  service: string;
  library: string;
  libraryKind: string;
  version: string;
  firstSeen: number;
  lastSeen: number;
}

export interface TagRow {
  subject: string;
  onOperation: boolean;
  /** the Tag node's unique id (src/core/model.ts tagKey) */
  tagUid: string;
  key: string;
  value: string;
  calls: number;
  errors: number;
  firstSeen: number;
  lastSeen: number;
}

/**
 * Tag and version counts: what a subject's calls were, broken down by tag value or version. Under
 * load they may wait for a later flush (ingest/spool/durable-ingest.ts), held in the checkpoint meanwhile.
 */
export interface Breakdowns extends VersionRows {
  tags: TagRow[];
}

/** Which breakdowns to hand over: the tag counts, the version counts, or both. */
export interface BreakdownKinds {
  tags: boolean;
  versions: boolean;
}

export const ALL_BREAKDOWNS: BreakdownKinds = { tags: true, versions: true };

/**
 * Which held breakdowns a flush must write: all of them when `always`, else the tags when a late
 * correction in it takes a tag count back. The credit a take-back undoes may still be held: written
 * in the same transaction, before the corrections (ingest/writer.ts), the take-back then finds it in
 * Neo4j. Version take-backs never come as corrections: the engine nets them with the held counts.
 */
export function breakdownsToTake(batch: Pick<FactBatch, 'corrections'>, always: boolean): BreakdownKinds {
  if (always) return ALL_BREAKDOWNS;
  return { tags: (batch.corrections ?? []).some((c) => c.kind === 'tag'), versions: false };
}

export interface FactBatch {
  services: ComponentRow[];
  databases: ComponentRow[];
  destinations: ComponentRow[];
  externals: ComponentRow[];
  operations: OperationRow[];
  edges: EdgeRow[];
  calls: CallRow[];
  uses: UsesRow[];
  tags: TagRow[];
  /** skeletons of the sampled traces (ingest/trace-sampling.ts) */
  traceSamples: TraceSampleRow[];
  /** what late halves take back, written after the rest (ingest/late-pairs.ts) */
  corrections?: CorrectionRow[];
  /** calls per caller and callee version (ingest/versions.ts) */
  edgeVersions: EdgeVersionRow[];
  callVersions: EdgeVersionRow[];
  serviceVersions: ServiceVersionRow[];
  /** hours and sources not yet written (ingest/presence.ts) */
  edgePresence: EdgePresenceRow[];
  componentPresence: ComponentPresenceRow[];
}

export function emptyFactBatch(): FactBatch {
  return {
    services: [],
    databases: [],
    destinations: [],
    externals: [],
    operations: [],
    edges: [],
    calls: [],
    uses: [],
    tags: [],
    traceSamples: [],
    edgeVersions: [],
    callVersions: [],
    serviceVersions: [],
    edgePresence: [],
    componentPresence: [],
  };
}

export function factCount(b: FactBatch): number {
  return Object.values(b).reduce((n, rows: unknown[]) => n + rows.length, 0);
}

export function bucketOf(latencyMs: number): number {
  // Linear scan: 16 bounds, most latencies fall in the first few.
  for (let i = 0; i < LATENCY_BOUNDS_MS.length; i++) if (latencyMs <= LATENCY_BOUNDS_MS[i]!) return i;
  return LATENCY_BOUNDS_MS.length;
}

/**
 * What one row counts between flushes. Every kind of row counts in this one class, held beside the
 * row's own fields and copied into the row only when it is drained: `record` and `widen` then see a
 * single hidden class, so V8 updates the time and latency fields (doubles) in place. With each kind
 * of row carrying its counts itself, those stores saw five shapes, and a stored double became a new
 * heap number: an edge, operation, call, tag and service counted in turn allocated 118 bytes, 54
 * with the one class (docs/benchmarks.md item 69).
 */
class Tally {
  calls = 0;
  errors = 0;
  latSum = 0;
  latMax = 0;
  constructor(
    public firstSeen: number,
    public lastSeen: number,
    /** per latency bucket; the tags' share of this class counts no latency (an empty array, never written) */
    readonly latBuckets: number[],
  ) {}
}

const NO_LATENCY: number[] = [];
const tallyAt = (at: number) => new Tally(at, at, new Array<number>(LATENCY_BUCKETS).fill(0));

function record(m: Tally, error: boolean, latencyMs: number, at: number): void {
  m.calls++;
  if (error) m.errors++;
  m.latSum += latencyMs;
  if (latencyMs > m.latMax) m.latMax = latencyMs;
  m.latBuckets[bucketOf(latencyMs)]!++;
  widen(m, at);
}

function widen(m: Tally, at: number): void {
  if (at < m.firstSeen) m.firstSeen = at;
  if (at > m.lastSeen) m.lastSeen = at;
}

/*
 * A drained entry as the row the writer reads, its counts (`Measure`) from its tally: every field
 * named in one literal. Spread over a measure object (`{ ...measureOf(t, minute), key }`) it was
 * ~300 bytes a span allocated at a flush a second (docs/benchmarks.md item 113), so the three
 * literals repeat the measure's eight fields on purpose.
 */
const operationRow = ({ op, minute, entryCalls, t }: OperationEntry): OperationRow => ({
  calls: t.calls,
  errors: t.errors,
  latSum: t.latSum,
  latMax: t.latMax,
  latBuckets: t.latBuckets,
  firstSeen: t.firstSeen,
  lastSeen: t.lastSeen,
  minute,
  key: op.key,
  componentKey: op.componentKey,
  name: op.name,
  kind: op.kind,
  entryCalls,
});

const edgeRow = ({ from, to, minute, protocols, origins, t }: EdgeEntry): EdgeRow => ({
  calls: t.calls,
  errors: t.errors,
  latSum: t.latSum,
  latMax: t.latMax,
  latBuckets: t.latBuckets,
  firstSeen: t.firstSeen,
  lastSeen: t.lastSeen,
  minute,
  from,
  to,
  protocols,
  origins,
});

/** A call row's exemplar ring as the writer wants it: newest first. */
function newestFirst(ring: readonly string[], added: number): string[] {
  const out = new Array<string>(ring.length);
  for (let i = 0; i < ring.length; i++) out[i] = ring[(added - 1 - i) % ring.length]!;
  return out;
}

const callRow = ({ from, to, minute, exemplars, exemplarsAdded, t }: CallEntry): CallRow => ({
  calls: t.calls,
  errors: t.errors,
  latSum: t.latSum,
  latMax: t.latMax,
  latBuckets: t.latBuckets,
  firstSeen: t.firstSeen,
  lastSeen: t.lastSeen,
  minute,
  from,
  to,
  exemplars: newestFirst(exemplars, exemplarsAdded),
});

interface OperationEntry {
  op: OperationRef;
  minute: number;
  entryCalls: number;
  t: Tally;
}
/** Version pairs a row tallies itself; any more go to the version counts call by call (a bound on the scan). */
const MAX_ROW_PAIRS = 8;
interface EdgeEntry {
  from: string;
  to: string;
  minute: number;
  protocols: string[];
  origins: number;
  t: Tally;
  /** its calls per version pair, not yet folded into the version counts (`countVersions`) */
  versions: EdgeVersionFacts[];
}
interface CallEntry {
  from: string;
  to: string;
  minute: number;
  /** its calls per version pair, not yet folded into the version counts (`countVersions`) */
  versions: EdgeVersionFacts[];
  /** the newest distinct trace ids, a ring: `exemplarsAdded` is where the next one goes (modulo its length) */
  exemplars: string[];
  exemplarsAdded: number;
  t: Tally;
}
interface TagEntry {
  subject: string;
  onOperation: boolean;
  key: string;
  value: string;
  t: Tally;
}
/** What a tag row adds up: a list's counts, or a row read back from a checkpoint. */
interface Counted {
  calls: number;
  errors: number;
  firstSeen: number;
  lastSeen: number;
}
/** Calls counted under a whole list of tags on a subject, spread over its pairs when the tag rows are read. */
interface TagListEntry extends Counted {
  subject: string;
  onOperation: boolean;
  pairs: TagPairs;
}

export interface AggregatorOptions {
  exemplarsPerEdge: number;
  /** keeps the skeletons of a bounded sample of traces; it outlives aggregators, as its windows span flushes */
  sampler?: TraceSampler;
}

export class Aggregator {
  private services = new Map<string, ComponentRow>();
  private virtuals = new Map<string, { kind: VirtualComponent['kind']; row: ComponentRow }>();
  // Operations, edges and calls are keyed minute first: one map per minute holds the keys, not a small
  // map of minutes under every key (fewer maps, one scattered lookup less per row: docs/benchmarks.md item 159).
  private operations = new RowIndex<OperationEntry>(2);
  private edges = new RowIndex<EdgeEntry>(3);
  private calls = new RowIndex<CallEntry>(3);
  private uses = new RowIndex<UsesRow>(3);
  private tags = new RowIndex<TagEntry>(3);
  /**
   * Tags as counted, by subject and list (ingest/tags.ts: a span's allow-listed pairs are one shared
   * list): one lookup per span and subject instead of one per pair. Folded into `tags` before tag
   * rows are counted or read (`foldTagLists`); sums, first and last seen come out the same.
   */
  private tagLists = new RowIndex<TagListEntry>(2);
  private versions = new VersionCounts();
  /** version pairs tallied on edge and call rows since they were last folded into `versions` */
  private rowPairs = 0;

  constructor(private readonly options: AggregatorOptions) {}

  service(s: ServiceInfo, at: number): void {
    this.versions.service(s.key, s.version, 0, 0, at);
    const row = this.services.get(s.key);
    if (row) {
      widenSeen(row, at);
      if (s.version) row.version = s.version;
      return;
    }
    this.services.set(s.key, {
      key: s.key,
      name: s.name,
      environment: s.environment,
      namespace: s.namespace,
      system: null,
      address: null,
      version: s.version || null,
      firstSeen: at,
      lastSeen: at,
    });
  }

  virtual(c: VirtualComponent, at: number): void {
    const existing = this.virtuals.get(c.key);
    if (existing) {
      widenSeen(existing.row, at);
      return;
    }
    this.virtuals.set(c.key, {
      kind: c.kind,
      row: {
        key: c.key,
        name: c.name,
        environment: c.environment,
        namespace: c.namespace ?? null,
        system: c.system ?? null,
        address: c.address ?? null,
        version: null,
        firstSeen: at,
        lastSeen: at,
      },
    });
  }

  /** An operation was seen at `at`; `entry` counts a call that came from outside the traced system (a root span, or a caller that never reported). */
  operation(op: OperationRef, at: number, entry = false): void {
    const row = this.operationEntry(op, at);
    widen(row.t, at);
    if (entry) row.entryCalls++;
  }

  /**
   * One call an operation served at `at`. Its own method, not an object of figures passed to
   * `operation`: that was an object allocated per span (docs/benchmarks.md item 166).
   */
  operationCall(op: OperationRef, at: number, error: boolean, latencyMs: number): void {
    record(this.operationEntry(op, at).t, error, latencyMs, at);
  }

  private operationEntry(op: OperationRef, at: number): OperationEntry {
    const minute = Math.floor(at / MINUTE_MS);
    return (
      this.operations.get(minute, op.key) ??
      this.operations.add({ op, minute, entryCalls: 0, t: tallyAt(at) }, minute, op.key)
    );
  }

  /** `fromVersion`, `toVersion`: the `service.version` of each end ('' when none reports one); `origins`: the sources that saw the call (ingest/presence.ts). */
  edge(
    from: string,
    to: string,
    protocol: string,
    error: boolean,
    latencyMs: number,
    at: number,
    fromVersion = '',
    toVersion = '',
    origins: number = Origin.otlp,
  ): void {
    const minute = Math.floor(at / MINUTE_MS);
    const row =
      this.edges.get(minute, from, to) ??
      this.edges.add({ from, to, minute, protocols: [], origins: 0, t: tallyAt(at), versions: [] }, minute, from, to);
    this.countVersions('edges', row, fromVersion, toVersion, error, at);
    record(row.t, error, latencyMs, at);
    row.origins |= origins;
    if (!row.protocols.includes(protocol)) row.protocols.push(protocol);
  }

  call(
    fromOp: string,
    toOp: string,
    error: boolean,
    latencyMs: number,
    at: number,
    traceId: string,
    fromVersion = '',
    toVersion = '',
  ): void {
    const minute = Math.floor(at / MINUTE_MS);
    const row =
      this.calls.get(minute, fromOp, toOp) ??
      this.calls.add(
        { from: fromOp, to: toOp, minute, versions: [], exemplars: [], exemplarsAdded: 0, t: tallyAt(at) },
        minute,
        fromOp,
        toOp,
      );
    this.countVersions('calls', row, fromVersion, toVersion, error, at);
    record(row.t, error, latencyMs, at);
    this.options.sampler?.hop(traceId, fromOp, toOp, error, latencyMs, at);
    // The newest few distinct trace ids, in a ring: an `unshift` and a trim per call cost ~8 times
    // as much (docs/benchmarks.md item 144). The row puts them newest first.
    const max = this.options.exemplarsPerEdge;
    if (max > 0 && !row.exemplars.includes(traceId)) row.exemplars[row.exemplarsAdded++ % max] = traceId;
  }

  /**
   * One call over an edge or call row, counted for its version pair on the row itself: an edge's calls
   * nearly all go to one or two pairs, and finding the pair's row in the version counts by its four
   * parts per call was ~5% of the worker (docs/benchmarks.md item 163). The row's pairs are folded
   * into the version counts before those are counted, read or drained, and before the row is drained;
   * past `MAX_ROW_PAIRS` a pair goes to the version counts at once. Calls where neither side reports a
   * version are left out: they add nothing a version breakdown could tell, and cost a row each.
   */
  private countVersions(
    which: 'edges' | 'calls',
    row: EdgeEntry | CallEntry,
    fromVersion: string,
    toVersion: string,
    error: boolean,
    at: number,
  ): void {
    if (fromVersion === '' && toVersion === '') return;
    const pairs = row.versions;
    for (let i = 0; i < pairs.length; i++) {
      const p = pairs[i]!;
      if (p.fromVersion === fromVersion && p.toVersion === toVersion) {
        p.calls++;
        if (error) p.errors++;
        widenSeen(p, at);
        return;
      }
    }
    const one = { fromVersion, toVersion, calls: 1, errors: error ? 1 : 0, firstSeen: at, lastSeen: at };
    if (pairs.length >= MAX_ROW_PAIRS) this.versions.add(which, row.from, row.to, fromVersion, toVersion, one);
    else {
      pairs.push(one);
      this.rowPairs++;
    }
  }

  /** The version pairs tallied on edge and call rows, added to the version counts. */
  private foldVersions(): void {
    if (this.rowPairs === 0) return;
    const fold = (which: 'edges' | 'calls', rows: readonly (EdgeEntry | CallEntry)[]) => {
      for (const row of rows) {
        for (const p of row.versions) this.versions.add(which, row.from, row.to, p.fromVersion, p.toVersion, p);
        row.versions.length = 0;
      }
    };
    fold('edges', this.edges.current());
    fold('calls', this.calls.current());
    this.rowPairs = 0;
  }

  /** `calls` calls `s` served (SERVER or CONSUMER spans), `errors` of them failed, the earliest at `at`: counted for the version it runs. */
  served(s: ServiceInfo, calls: number, errors: number, at: number): void {
    this.versions.service(s.key, s.version, calls, errors, at);
  }

  use(serviceKey: string, lib: LibraryUse, at: number): void {
    const row = this.uses.get(serviceKey, lib.name, lib.version);
    if (row) widenSeen(row, at);
    else
      this.uses.add(
        {
          service: serviceKey,
          library: lib.name,
          libraryKind: lib.kind,
          version: lib.version,
          firstSeen: at,
          lastSeen: at,
        },
        serviceKey,
        lib.name,
        lib.version,
      );
  }

  /** `calls` (0: only seen) under each of `pairs` on `subject`, as of `at`; with `error`, each of them failed. */
  countTags(subject: string, onOperation: boolean, pairs: TagPairs, calls: number, error: boolean, at: number): void {
    if (pairs.length === 0) return;
    const row =
      this.tagLists.get(subject, pairs) ??
      this.tagLists.add(
        { subject, onOperation, pairs, calls: 0, errors: 0, firstSeen: at, lastSeen: at },
        subject,
        pairs,
      );
    row.calls += calls;
    if (error && calls > 0) row.errors += calls;
    widenSeen(row, at);
  }

  /** The counts under lists, spread over their pairs' rows. */
  private foldTagLists(): void {
    if (this.tagLists.size === 0) return;
    for (const l of this.tagLists.drain()) {
      for (let i = 0; i < l.pairs.length; i++) {
        const pair = l.pairs[i]!;
        this.addTagCounts(l.subject, l.onOperation, pair[0], pair[1], l);
      }
    }
  }

  /** Counts added to one pair's row on `subject`, its first and last seen widening the row's. */
  private addTagCounts(subject: string, onOperation: boolean, key: string, value: string, c: Counted): void {
    const row =
      this.tags.get(subject, key, value) ??
      this.tags.add(
        { subject, onOperation, key, value, t: new Tally(c.firstSeen, c.lastSeen, NO_LATENCY) },
        subject,
        key,
        value,
      );
    row.t.calls += c.calls;
    row.t.errors += c.errors;
    widen(row.t, c.firstSeen);
    widen(row.t, c.lastSeen);
  }

  get isEmpty(): boolean {
    return (
      this.tagLists.size +
        this.services.size +
        this.virtuals.size +
        this.operations.size +
        this.edges.size +
        this.calls.size +
        this.uses.size +
        this.tags.size +
        this.versions.size ===
      0
    );
  }

  /** Tag and version rows gathered and not yet drained (the tag lists folded into rows first, to count them). */
  get breakdownCount(): number {
    this.foldTagLists();
    this.foldVersions();
    return this.tags.size + this.versions.size;
  }

  /** The tag and version rows gathered since they were last drained, copied and left in place. */
  peekBreakdowns(): Breakdowns {
    this.foldTagLists();
    this.foldVersions();
    return { tags: this.tags.current().map(tagRow), ...this.versions.peek() };
  }

  /** Counts breakdowns as `peekBreakdowns` gave them, on top of what is counted (a restart from a checkpoint). */
  restoreBreakdowns(b: Breakdowns): void {
    for (const r of b.tags) this.addTagCounts(r.subject, r.onOperation, r.key, r.value, r);
    this.versions.restore(b);
  }

  /** A late correction's take-back of a version pair's calls, netted with the version counts (`VersionCounts.takeBack`). */
  takeBackVersion(...pair: Parameters<VersionCounts['takeBack']>): void {
    this.versions.takeBack(...pair);
  }

  /** The tag and/or version rows gathered since they were last drained (`kinds`; both by default), and a fresh start for them. */
  drainBreakdowns(kinds: BreakdownKinds = ALL_BREAKDOWNS): Breakdowns {
    if (kinds.tags) this.foldTagLists();
    if (kinds.versions) this.foldVersions();
    return {
      tags: kinds.tags ? this.tags.drain().map(tagRow) : [],
      ...(kinds.versions ? this.versions.drain() : { edgeVersions: [], callVersions: [], serviceVersions: [] }),
    };
  }

  /**
   * The rows gathered since the last drain, sorted by key so that concurrent writers lock in one
   * order. With `holdBreakdowns` the tag and version rows stay gathered (`drainBreakdowns` takes them).
   */
  drain(holdBreakdowns = false): FactBatch {
    // The rows' version pairs go to the version counts before the rows go (held or drained below).
    this.foldVersions();
    const batch = emptyFactBatch();
    batch.services = [...this.services.values()];
    for (const { kind, row } of this.virtuals.values()) {
      if (kind === 'DATABASE') batch.databases.push(row);
      else if (kind === 'MESSAGING_DESTINATION') batch.destinations.push(row);
      else batch.externals.push(row);
    }
    batch.operations = this.operations.drain().map(operationRow);
    batch.edges = this.edges.drain().map(edgeRow);
    batch.calls = this.calls.drain().map(callRow);
    batch.uses = this.uses.drain();
    batch.traceSamples = this.options.sampler?.drain() ?? [];
    if (!holdBreakdowns) Object.assign(batch, this.drainBreakdowns());
    for (const rows of [batch.services, batch.databases, batch.destinations, batch.externals, batch.operations] as {
      key: string;
    }[][]) {
      rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    }
    for (const rows of [batch.edges, batch.calls])
      rows.sort((a, b) => cmp(a.from, b.from) || cmp(a.to, b.to) || a.minute - b.minute);
    this.services.clear();
    this.virtuals.clear();
    return batch;
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const tagRow = ({ subject, onOperation, key, value, t }: TagEntry): TagRow => ({
  subject,
  onOperation,
  tagUid: tagKey(key, value),
  key,
  value,
  calls: t.calls,
  errors: t.errors,
  firstSeen: t.firstSeen,
  lastSeen: t.lastSeen,
});

/** Services, components and library uses: widened once per request, not per span. */
function widenSeen(row: { firstSeen: number; lastSeen: number }, at: number): void {
  if (at < row.firstSeen) row.firstSeen = at;
  if (at > row.lastSeen) row.lastSeen = at;
}
