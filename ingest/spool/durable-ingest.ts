/**
 * Durable ingest around the pure engine: requests are appended to the spool before they are
 * acknowledged; one loop reads the spool in order, feeds the engine, and writes each collect's facts
 * together with the checkpoint (position + what still waits) in one Neo4j transaction. This loop is
 * the worker's only way to Neo4j. While Neo4j is away, the loop retries the same commit with backoff
 * and stops reading; the spool keeps accepting until it is full, then refuses with 429/503 and
 * Retry-After.
 *
 * Time for the engine comes from here: a record is ingested at the time it was accepted, so a replay
 * after a crash derives exactly what the first run derived, and a backlog read after an outage pairs
 * and expires in the time frame it arrived in. The TTLs run on the pairing clock
 * (ingest/spool/pairing-clock.ts): that time less the stretches the worker was not running.
 */
import type { Logger } from '../../src/core/logger.js';
import { retry } from '../../src/core/retry.js';
import type { Engine, EngineState } from '../engine.js';
import type { AcceptResult, Intake, RawBody, Refusal } from '../intake.js';
import type { IngestMetrics, IngestReadings } from '../metrics.js';
import type { AttributeKeys } from '../otlp/attribute-keys.js';
import type { DecodeLimits } from '../otlp/validate.js';
import { breakdownsToTake, factCount, type FactBatch } from '../aggregate.js';
import type { FlushInterval } from '../flush-interval.js';
import type { DecodedBatch } from '../span.js';
import {
  CheckpointMovedError,
  encodeCheckpoint,
  type Checkpoint,
  type CheckpointStore,
  type EncodedCheckpoint,
} from './checkpoint-store.js';
import { createPairingClock, unsettledStarts } from './pairing-clock.js';
import { decodeSpoolPayload, encodeSpoolPayload } from './record.js';
import type { Spool, SpoolRecord } from './segment-log.js';

/** A checkpoint as the loop keeps it once written: its place, and how much of each kind its state held. */
interface Written {
  generation: number;
  position: number;
  replayFrom: number;
  /** the state's waiting halves, orphans and queued calls */
  waiting: [halves: number, orphans: number, calls: number];
}

const written = (cp: Checkpoint): Written => ({
  generation: cp.generation,
  position: cp.position,
  replayFrom: cp.replayFrom,
  waiting: [cp.state.halves.length, cp.state.orphans.length, cp.state.calls.length],
});

export interface DurableIngestDeps {
  spool: Spool;
  store: CheckpointStore;
  engine: Engine;
  log: Logger;
  metrics: Pick<
    IngestMetrics,
    'spoolRefused' | 'recordsSkipped' | 'held' | 'flushSeconds' | 'flushFailures' | 'writeWaitSeconds'
  >;
  /**
   * The interval after a flush of so many rows (ingest/flush-interval.ts): it grows with the rows so
   * that Neo4j's write load stays bounded. Its value for no rows is the shortest interval.
   */
  flushInterval: FlushInterval;
  /**
   * Whether the event loop was busy most of the time since it was last asked (asked at each flush;
   * ingest/flush-interval.ts `createBusyMeter`): then the next flush waits the longest interval. Default: never.
   */
  loopBusy?: () => boolean;
  /** the clock flushes are scheduled by (tests move it) */
  flushClock?: () => number;
  /**
   * Under load, how long tag and version counts may wait for a later flush (TOPOGRAPH_BREAKDOWN_INTERVAL;
   * 0 or absent: written with every flush). They are written with every flush while a flush with them
   * stays within the shortest interval's rows (`flushInterval`), and whenever a flush is asked for
   * or the loop stops; until then the checkpoint holds them.
   */
  breakdownIntervalMs?: number;
  /** how long `stop` keeps trying to write what is left before leaving it in the spool */
  shutdownTimeoutMs: number;
  /** records read per step of the loop */
  readBatch?: number;
  /** the limits the receivers decode with: a spooled request body is decoded again with them */
  limits: DecodeLimits;
  /** which span attributes the receivers build: a spooled request is decoded again with them */
  attributeKeys?: AttributeKeys;
  /** spans of accepted requests kept decoded in memory for the loop, so it need not decode them again */
  handoffMaxSpans?: number;
  /** spans the loop may read on while a flush is being written (then it waits for the write) */
  readAheadMaxSpans?: number;
  /**
   * How long an acknowledged request may wait, while Neo4j is reachable, to be written to Neo4j before
   * new requests are refused with 429 (0: never). Bounds freshness and memory under overload; an
   * outage is the spool's.
   */
  maxLagMs?: number;
  /**
   * With `maxLagMs`: how much reading the loop may have ahead of it (unread spans times the measured
   * time per span) before new requests are held (`maxHoldMs`, then refused; default: the flush
   * interval; 0: no such bound). The age bound alone reacts late: under a CPU-bound overload, by the
   * time the oldest request is `maxLagMs` old the worker has taken in more than it can read in that
   * time, and freshness ends up at twice the bound.
   */
  maxUnreadWorkMs?: number;
  /**
   * How long a request is held, its body unread, while the loop has more than `maxUnreadWorkMs` to
   * read, before it is refused with 429 (default 2 s). Holding is backpressure at the pace the loop
   * reads: a refusal sends the client away for a whole second (Retry-After has no finer unit), and
   * the worker idled meanwhile.
   */
  maxHoldMs?: number;
  /** the wait between two attempts to read or commit the checkpoint (tests pass one that returns at once) */
  sleep?(ms: number): Promise<void>;
  /** the wall clock the lag is measured with (tests move it) */
  now?: () => number;
  /**
   * This process's start as `recordStart` wrote it to the spool's directory, and the starts before it
   * (ingest/spool/pairing-clock.ts); without it the start is the time the loop is made and only the
   * checkpoint tells of earlier ones.
   */
  starts?: { at: number; earlier: readonly number[] };
  /**
   * Whether Neo4j answers at all. Asked when the loop has fallen behind: a loop stuck in a commit to an
   * absent Neo4j is an outage (the spool takes it all), not slow processing (429). Without it, being
   * behind is always refused.
   */
  reachable?: () => Promise<boolean>;
}

export interface DurableIngest extends Intake {
  /**
   * Spools a request (its body when given, else the decoded batch as JSON); resolves once it is on
   * disk, or with the reason it is refused.
   */
  accept(decoded: DecodedBatch, raw?: RawBody): Promise<AcceptResult>;
  /**
   * The refusal a request gets whatever it holds (shutting down, processing behind), if any; while
   * the loop has too much to read, resolves once it has room (or with the refusal, after a hold).
   */
  admit(): Refusal | undefined | Promise<Refusal | undefined>;
  start(): void;
  /** Resolves once everything spooled before the call is written and checkpointed. */
  flush(): Promise<void>;
  /** From now on every request is refused with 503 + Retry-After (the first step of a shutdown). */
  refuseNew(): void;
  /** Refuses new requests, writes what can be written, checkpoints, closes the spool. */
  stop(): Promise<void>;
  /** false while commits to Neo4j are failing */
  readonly storeAvailable: boolean;
  /** what the spool gauges show (ingest/metrics.ts) */
  readings: IngestReadings['spool']['readings'];
  oldestUncommittedAt: IngestReadings['spool']['oldestUncommittedAt'];
}

export function createDurableIngest(deps: DurableIngestDeps): DurableIngest {
  const { spool, store, engine, log, metrics } = deps;
  // 32 requests (~16,000 spans here): a flush that falls due is not held up by a long read, and what waits
  // between flushes (pairing, ancestry, aggregates) stays small (peak RSS 930 MB with 256 under a backlog).
  const readBatch = deps.readBatch ?? 32;
  // At saturation admission lets about a flush interval of work wait unread (~40,000 spans here); at
  // 25,000 a third of the requests were decoded a second time, read back from disk (7.5% of the
  // worker's CPU, docs/benchmarks.md item 108). ~400 bytes of heap a span.
  const handoffMaxSpans = deps.handoffMaxSpans ?? 60_000;
  // What a write of 0.5-2 s lets the loop read at ~100,000 spans a second; at 50,000 the loop stood still
  // 76-84% of a Neo4j-bound run (topograph_ingest_write_wait_seconds_total, docs/benchmarks.md item 155).
  // The engine holds rows by key, not spans, so memory hardly moves with it.
  const readAheadMaxSpans = deps.readAheadMaxSpans ?? 200_000;
  const maxLagMs = deps.maxLagMs ?? 0;
  const { flushInterval } = deps;
  const loopBusy = deps.loopBusy ?? (() => false);
  const maxUnreadWorkMs = deps.maxUnreadWorkMs ?? flushInterval(0);
  const maxHoldMs = deps.maxHoldMs ?? 2000;
  /** requests held before being read, oldest first, until the loop has room for them */
  const held: { resolve(r: Refusal | undefined): void; timer: NodeJS.Timeout }[] = [];
  const wall = deps.now ?? Date.now;
  const flushClock = deps.flushClock ?? Date.now;
  /** the rows of the last flush, which set the wait after it */
  let lastRows = 0;
  const breakdownIntervalMs = deps.breakdownIntervalMs ?? 0;
  /** when the tag and version counts were last written, on `flushClock` */
  let breakdownsAt = flushClock();
  /** the last position whose facts are all written, tag and version counts included: what `flush` waits for */
  let writtenThrough = 0;
  /**
   * seq and accept time of the records this process spooled and has not yet written to Neo4j, oldest
   * first (appends resolve in seq order). `readHead` is the first the loop has not read: its age is
   * how far reading is behind; the first entry's age is how far the graph is behind what was
   * acknowledged, which is what admission bounds.
   */
  const pending: { seq: number; at: number; spans: number }[] = [];
  let readHead = 0;
  /** spans of the pending records from `readHead` on */
  let unreadSpans = 0;
  /** ms the loop needs to read and aggregate one span, a moving average (0 until measured) */
  let msPerSpan = 0;
  /** since when Neo4j has been reachable: time spent waiting for it is not the loop being slow */
  let availableSince = 0;
  /** the last answer of `reachable`, and whether one is being asked */
  let reach: { at: number; ok: boolean } | undefined;
  let asking = false;
  /** decoded batches of records just spooled, by seq: the loop takes them instead of decoding the record */
  const handoff = new Map<number, DecodedBatch>();
  let handoffSpans = 0;

  /** The last checkpoint written, as far as the loop needs it (its state counted, not kept: see `written`). */
  let committed: Written = { generation: 0, position: 0, replayFrom: 1, waiting: [0, 0, 0] };
  /** before the receivers listen: every record this process accepts is at or after it */
  const startedAt = deps.starts?.at ?? wall();
  let pairingClock = createPairingClock({ startedAt });
  let position = 0;
  let recordClock = 0;
  let firstUncommittedAt: number | undefined;
  /** acceptedAt of the first record read since the last collect: the oldest uncommitted once that flush is written */
  let firstSinceCollect: number | undefined;
  // Until the checkpoint is read, nothing drains the spool: a full spool then means "come back later".
  let storeAvailable = false;
  let accepting = true;
  let stopping = false;
  let abortAt = Number.POSITIVE_INFINITY;
  let running: Promise<void> | undefined;
  let wake: (() => void) | undefined;
  const flushWaiters: { target: number; resolve(): void; reject(e: unknown): void }[] = [];

  const decode = (r: SpoolRecord): DecodedBatch => decodeSpoolPayload(r.payload, deps.limits, deps.attributeKeys);

  /** The record's batch from the handoff when it is there (the steady state), else decoded from disk. */
  const take = (r: SpoolRecord): DecodedBatch => {
    const kept = handoff.get(r.seq);
    if (!kept) return decode(r);
    handoff.delete(r.seq);
    handoffSpans -= kept.spanCount;
    return kept;
  };

  /** An append resolved after the loop had already read its record: that entry would never be taken. */
  const dropPassed = () => {
    for (const [seq, kept] of handoff) {
      if (seq > position) continue;
      handoff.delete(seq);
      handoffSpans -= kept.spanCount;
    }
  };

  const forgetRead = () => {
    while (readHead < pending.length && pending[readHead]!.seq <= position) unreadSpans -= pending[readHead++]!.spans;
    releaseHeld();
  };

  /** Drops what a commit wrote: one splice per commit, of what that flush carried. */
  const forgetWritten = (upTo: number) => {
    forgetRead();
    let written = 0;
    while (written < pending.length && pending[written]!.seq <= upTo) written++;
    if (written > 0) {
      pending.splice(0, written);
      readHead = Math.max(0, readHead - written);
    }
  };

  /** How long a pending record has waited while Neo4j was reachable (0 for none). */
  const ageWhileReachable = (entry: { at: number } | undefined): number => {
    if (!entry || !storeAvailable) return 0;
    return Math.max(0, wall() - Math.max(entry.at, availableSince));
  };

  /** How far the graph is behind what this process acknowledged, in time. */
  const writeLagMs = (): number => ageWhileReachable(pending[0]);

  /** How long the loop would take to read what waits for it, at its measured pace. */
  const unreadWorkMs = (): number => (storeAvailable ? unreadSpans * msPerSpan : 0);

  /** Folds one record's reading time into the pace; records of a few spans say little, so they weigh less. */
  const measurePace = (ms: number, spans: number) => {
    if (spans === 0) return;
    const weight = Math.min(0.2, spans / 5000);
    msPerSpan = msPerSpan === 0 ? ms / spans : msPerSpan + weight * (ms / spans - msPerSpan);
  };

  /** The time a record is ingested at: when it was accepted, never earlier than one read before it. */
  const advanceClock = (r: SpoolRecord) => (recordClock = Math.max(recordClock, r.acceptedAt));

  function markAvailable() {
    if (!storeAvailable) availableSince = wall();
    storeAvailable = true;
  }

  function loadWithRetry(): Promise<Checkpoint | undefined> {
    return retry(() => store.load(), {
      firstDelayMs: 500,
      maxDelayMs: 10_000,
      sleep: deps.sleep,
      shouldRetry(error, attempt) {
        storeAvailable = false;
        if (Date.now() > abortAt) return false;
        log.warn({ err: error, attempt }, 'cannot read the ingest checkpoint yet; retrying');
        return true;
      },
    });
  }

  /** Rebuilds the engine's waiting state from the spool, as the checkpoint left it. */
  async function recover(): Promise<void> {
    const cp = await loadWithRetry();
    markAvailable();
    const earlier = unsettledStarts(deps.starts?.earlier ?? [], cp);
    pairingClock = createPairingClock({ pauses: cp?.pauses, startedAt, lastAlive: cp?.clock, earlier });
    if (cp) {
      committed = written(cp);
      let replayed = 0;
      const restorer = engine.restore(cp.state);
      if (cp.replayFrom <= cp.position) {
        await spool.seek(cp.replayFrom);
        for (;;) {
          const records = (await spool.read(readBatch)).filter((r) => r.seq <= cp.position);
          if (records.length === 0) break;
          for (const r of records) {
            const at = advanceClock(r);
            restorer.ingest(decode(r), at, r.seq, pairingClock.of(at));
          }
          replayed += records.length;
          if (records[records.length - 1]!.seq >= cp.position) break;
        }
      }
      recordClock = Math.max(recordClock, cp.clock);
      restorer.finish(recordClock, pairingClock.of(recordClock));
      position = cp.position;
      log.info(
        { position, replayed, halves: cp.state.halves.length, calls: cp.state.calls.length },
        'resumed from the ingest checkpoint',
      );
    }
    await spool.seek(position + 1);
  }

  /** Nothing to write: no facts, and a checkpoint the same as the last one written. */
  function unchanged(rows: number, next: Written, late: boolean): boolean {
    return (
      rows === 0 &&
      next.position === committed.position &&
      next.replayFrom === committed.replayFrom &&
      next.waiting.every((n, i) => n === committed.waiting[i]) &&
      !late
    );
  }

  async function commitWithRetry(batch: FactBatch, next: EncodedCheckpoint, done: Written): Promise<void> {
    await retry(
      async () => {
        const end = metrics.flushSeconds.startTimer();
        try {
          await store.commit(batch, next, committed.generation);
        } catch (error) {
          // An earlier attempt went through after all (its answer was lost): nothing to do again.
          if (error instanceof CheckpointMovedError && error.found === next.generation) return;
          throw error;
        }
        end();
      },
      {
        firstDelayMs: 500,
        maxDelayMs: 10_000,
        sleep: deps.sleep,
        shouldRetry(error, attempt) {
          if (error instanceof CheckpointMovedError) return false;
          storeAvailable = false;
          releaseHeld();
          metrics.flushFailures.inc();
          if (Date.now() > abortAt) return false;
          log.warn(
            { err: error, attempt, position: next.position },
            'writing to Neo4j failed; the spool keeps the data, retrying',
          );
          return true;
        },
      },
    );
    if (!storeAvailable) log.info({ position: next.position }, 'Neo4j is back; catching up from the spool');
    markAvailable();
    committed = done;
    forgetWritten(next.position);
    firstUncommittedAt = firstSinceCollect;
    await spool.release(next.replayFrom);
  }

  /**
   * Collects this flush's facts and the checkpoint that goes with them (synchronously, so they agree
   * with `position`), and returns the write: the loop may read on while it runs.
   */
  async function flushAndCheckpoint(): Promise<() => Promise<void>> {
    // A backlog is still ahead: the clock must not run past it, or its halves would expire unpaired.
    const next = await spool.peekAcceptedAt();
    const t = Math.max(recordClock, Math.min(Date.now(), next ?? Number.POSITIVE_INFINITY));
    const batch = engine.collect(t, pairingClock.of(t), true);
    // Tag and version counts are two fifths of a flush's Neo4j CPU, and they keep gathering without
    // loss while they wait (docs/ingest.md, "Tag and version counts under load").
    const all =
      stopping ||
      flushWaiters.length > 0 ||
      breakdownIntervalMs <= 0 ||
      flushClock() - breakdownsAt >= breakdownIntervalMs ||
      flushInterval(factCount(batch) + engine.breakdownCount) <= flushInterval(0);
    const take = breakdownsToTake(batch, all);
    if (take.tags || take.versions) Object.assign(batch, engine.takeBreakdowns(take));
    if (all) breakdownsAt = flushClock();
    const complete = engine.breakdownCount === 0;
    const state: EngineState = engine.state();
    firstSinceCollect = undefined;
    const cp: Checkpoint = {
      generation: committed.generation + 1,
      position,
      replayFrom: Math.min(state.replayFrom ?? position + 1, position + 1),
      clock: t,
      pauses: pairingClock.pauses(),
      state,
    };
    const rows = factCount(batch);
    lastRows = rows;
    const done = written(cp);
    // Encoded now, while nothing else runs: the write holds the text, and the state's objects die young.
    const encoded = unchanged(rows, done, state.late !== undefined) ? undefined : encodeCheckpoint(cp);
    return async () => {
      if (encoded) {
        await commitWithRetry(batch, encoded, done);
        log.debug(
          { generation: done.generation, position: done.position, replayFrom: done.replayFrom, facts: rows },
          'checkpointed',
        );
      }
      if (complete) writtenThrough = committed.position;
      for (const w of flushWaiters.splice(0)) {
        if (w.target <= writtenThrough) w.resolve();
        else flushWaiters.push(w);
      }
    };
  }

  async function loop(): Promise<void> {
    await recover();
    let lastFlush = flushClock();
    /**
     * The write of the last flush. While it runs the loop reads and aggregates on, so the worker's
     * CPU and Neo4j's overlap instead of taking turns, and the next flush carries what arrived
     * meanwhile (a flush costs about the same whatever the spans behind it: rows are distinct keys).
     * Commits stay in order: the next flush is collected only once this one is in. While Neo4j is
     * away (the commit retrying) or `readAheadMaxSpans` were read on, the loop waits: the spool keeps the rest.
     */
    let writing: Promise<void> | undefined;
    let writeError: unknown;
    let readAhead = 0;
    /** the loop was busy most of the last interval: the next flush waits the longest */
    let busy = false;
    const startWrite = (write: () => Promise<void>) => {
      readAhead = 0;
      busy = loopBusy();
      // The interval counts from the collect: a write longer than it is followed by the next at once.
      lastFlush = flushClock();
      writing = write()
        .catch((error: unknown) => void (writeError = error))
        .finally(() => {
          writing = undefined;
          wake?.();
        });
    };
    for (;;) {
      if (writeError) throw writeError;
      if (writing && (!storeAvailable || readAhead >= readAheadMaxSpans)) {
        const reason = storeAvailable ? 'read_ahead' : 'store_unavailable';
        const since = performance.now();
        await writing;
        metrics.writeWaitSeconds.inc({ reason }, (performance.now() - since) / 1000);
        continue;
      }
      // A record whose decoded batch was handed over is not read back from disk (a copy of every body).
      const records = await spool.read(readBatch, (seq) => handoff.has(seq));
      for (const r of records) {
        const at = advanceClock(r);
        firstUncommittedAt ??= r.acceptedAt;
        firstSinceCollect ??= r.acceptedAt;
        try {
          const started = performance.now();
          const decoded = take(r);
          if (writing) readAhead += decoded.spanCount;
          engine.ingest(decoded, at, r.seq, pairingClock.of(at));
          measurePace(performance.now() - started, decoded.spanCount);
        } catch (error) {
          metrics.recordsSkipped.inc();
          log.error({ err: error, seq: r.seq }, 'could not process a spooled record; skipping it');
        }
        position = r.seq;
        // A record is milliseconds of CPU: let the write in flight and the receivers have the event loop between records.
        if (writing) await new Promise<void>((resolve) => setImmediate(resolve));
      }
      if (handoff.size > 0 && records.length > 0) dropPassed();
      if (records.length > 0) forgetRead();
      const caughtUp = records.length < readBatch;
      // Behind (a whole read step taken, more waiting) or busy, the flush waits for the longest interval.
      const due =
        flushClock() - lastFlush >= flushInterval(lastRows, !caughtUp || busy) ||
        (caughtUp && (stopping || flushWaiters.length > 0));
      if (due && !writing) {
        startWrite(await flushAndCheckpoint());
        // More may have been spooled while that flush was written: stop only once it is all in.
        if (stopping && caughtUp && position >= spool.stats().lastSeq) {
          await writing;
          if (writeError) throw writeError;
          return;
        }
        continue;
      }
      if (records.length === 0 && !stopping && flushWaiters.length === 0) {
        const wait = writing ? 1000 : Math.max(1, flushInterval(lastRows, busy) - (flushClock() - lastFlush));
        await Promise.race([spool.waitForData(wait), new Promise<void>((r) => (wake = r))]);
        wake = undefined;
      } else if (records.length === 0 && writing) {
        // Caught up, with a flush wanted (a waiter, stopping) once the write in flight is in.
        await writing;
      }
    }
  }

  /**
   * Behind in writing, and Neo4j known to answer. The first commits to a Neo4j that just went away
   * hang in the driver's retries before the loop sees them fail; until then the lag grows as if
   * processing were slow. So a lagging loop asks (at most once a second) whether Neo4j answers, and
   * refuses only on a recent yes: while it does not know, or Neo4j is away, the spool keeps taking
   * requests.
   */
  function behindWithNeo4jUp(): boolean {
    if (!(maxLagMs > 0 && writeLagMs() > maxLagMs)) return false;
    if (!deps.reachable) return true;
    const now = wall();
    if (!asking && (!reach || now - reach.at >= 1000)) {
      asking = true;
      deps
        .reachable()
        .catch(() => false)
        .then((ok) => (reach = { at: wall(), ok }))
        .finally(() => (asking = false));
    }
    return reach !== undefined && reach.ok && now - reach.at < 3000;
  }

  /** More waits to be read than the loop reads in `maxUnreadWorkMs` (0 while Neo4j is away). */
  const readingFull = () => maxLagMs > 0 && maxUnreadWorkMs > 0 && unreadWorkMs() > maxUnreadWorkMs;

  const behind = (): Refusal => {
    metrics.spoolRefused.inc({ reason: 'behind' });
    return {
      status: 429,
      message: `ingest is more than ${maxLagMs} ms behind; retry later`,
      // Short: the loop catches up in about a flush, and exporters back off further on repeats.
      retryAfterSeconds: 1,
    };
  };

  /** What is refused at once: shutting down, or what was acknowledged waits too long to be written. */
  function refusalNow(): Refusal | undefined {
    if (!accepting) return { status: 503, message: 'the worker is shutting down', retryAfterSeconds: 5 };
    if (behindWithNeo4jUp()) return behind();
    return undefined;
  }

  /**
   * Before a request is read: refused at once, or, while the loop has too much to read, held unread
   * (the client waits, as TCP would make it) until the loop has room, and refused after `maxHoldMs`.
   */
  function admit(): Refusal | undefined | Promise<Refusal | undefined> {
    const now = refusalNow();
    if (now || !readingFull()) return now;
    return new Promise((resolve) => {
      const hold = {
        resolve,
        timer: setTimeout(() => {
          held.splice(held.indexOf(hold), 1);
          metrics.held.inc({ outcome: 'refused' });
          resolve(behind());
        }, maxHoldMs),
      };
      held.push(hold);
    });
  }

  /** Lets held requests in once the loop has room (all of them: at most one per open connection). */
  function releaseHeld() {
    if (held.length === 0 || (accepting && readingFull())) return;
    for (const hold of held.splice(0)) {
      clearTimeout(hold.timer);
      const refusal = refusalNow();
      metrics.held.inc({ outcome: refusal ? 'refused' : 'admitted' });
      hold.resolve(refusal);
    }
  }

  return {
    admit,
    get storeAvailable() {
      return storeAvailable;
    },
    readings() {
      const stats = spool.stats();
      return {
        records: stats.records,
        bytes: stats.bytes,
        checkpointLagRecords: Math.max(0, stats.lastSeq - committed.position),
        processingLagMs: ageWhileReachable(pending[readHead]),
        writeLagMs: writeLagMs(),
        unreadWorkMs: unreadWorkMs(),
      };
    },
    async oldestUncommittedAt() {
      return firstUncommittedAt ?? (running ? await spool.peekAcceptedAt().catch(() => undefined) : undefined);
    },
    async accept(decoded, raw) {
      const early = refusalNow();
      if (early) return { refuse: early };
      if (decoded.spanCount === 0) return {};
      const result = await spool.append(encodeSpoolPayload(decoded, raw));
      if (!('refused' in result)) {
        if (result.seq > committed.position) {
          pending.push({ seq: result.seq, at: wall(), spans: decoded.spanCount });
          unreadSpans += decoded.spanCount;
          // The loop may have read it before this append resolved.
          if (result.seq <= position) forgetRead();
        }
        // Only while the loop is not far behind: a backlog is read back from disk instead of held here.
        if (result.seq > position && handoffSpans + decoded.spanCount <= handoffMaxSpans) {
          handoff.set(result.seq, decoded);
          handoffSpans += decoded.spanCount;
        }
        return {};
      }
      metrics.spoolRefused.inc({ reason: result.refused });
      if (result.refused === 'too-large') {
        return {
          refuse: { status: 413, message: 'the request is larger than the whole spool (TOPOGRAPH_SPOOL_MAX_BYTES)' },
        };
      }
      // 503 while Neo4j is away (the spool drains only once it is back), 429 while merely behind.
      return storeAvailable
        ? { refuse: { status: 429, message: 'the ingest spool is full; retry later', retryAfterSeconds: 2 } }
        : {
            refuse: {
              status: 503,
              message: 'the graph database is unavailable and the ingest spool is full',
              retryAfterSeconds: 10,
            },
          };
    },
    start() {
      running ??= loop().catch((error: unknown) => {
        log.fatal({ err: error }, 'durable ingest stopped');
        for (const w of flushWaiters.splice(0)) w.reject(error);
        throw error;
      });
    },
    flush() {
      const target = spool.stats().lastSeq;
      if (!running) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        flushWaiters.push({ target, resolve, reject });
        wake?.();
      });
    },
    refuseNew() {
      accepting = false;
      releaseHeld();
    },
    async stop() {
      accepting = false;
      releaseHeld();
      // Requests already being written are acknowledged once on disk: let them land, then drain them too.
      await spool.idle();
      stopping = true;
      abortAt = Date.now() + deps.shutdownTimeoutMs;
      wake?.();
      try {
        await running;
      } catch (error) {
        log.warn({ err: error }, 'could not write everything before stopping; the rest stays in the spool');
      }
      await spool.close();
    },
  };
}
