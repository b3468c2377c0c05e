/**
 * The ingest checkpoint: how far into its spool a worker has written facts, kept on an
 * (:IngestCheckpoint {id}) node and moved in the same transaction as those facts, so that the
 * facts and the position can never disagree after a crash.
 *
 * Every commit names the generation it follows. A managed transaction is retried by the driver when
 * the connection drops, even when the commit had in fact gone through; the generation check turns
 * such a retry into a no-op instead of writing the same facts twice.
 */
import type { Graph } from '../../src/core/neo4j/connection.js';
import type { FactBatch } from '../aggregate.js';
import type { EngineState } from '../engine.js';
import { writeFacts, type WriterOptions } from '../writer.js';
import { decodeState, encodeState } from './checkpoint-state.js';
import { encodeLate, readLate } from './late-state.js';
import type { ClockPause } from './pairing-clock.js';

export interface Checkpoint {
  /** how many commits this spool has made; each commit expects the previous one */
  generation: number;
  /** the last spool record whose facts are written */
  position: number;
  /** the first spool record a restart must read again to rebuild `state` */
  replayFrom: number;
  /** the engine's time at this checkpoint */
  clock: number;
  /** the stretches the worker was not running, left out of the pairing clock (ingest/spool/pairing-clock.ts) */
  pauses?: ClockPause[];
  state: EngineState;
}

export { EMPTY_STATE } from './checkpoint-state.js';

/**
 * A checkpoint as the store writes it: the engine's state encoded. The loop encodes each checkpoint
 * once, as it is taken, so that what a write and its retries hold until the next commit is text, not
 * the state's objects (the late journal rebuilds a half per remembered expiry): held that long, those
 * were promoted out of the young generation (docs/benchmarks.md item 173).
 */
export interface EncodedCheckpoint extends Omit<Checkpoint, 'state'> {
  /** the state but its late memory (ingest/spool/checkpoint-state.ts) */
  state: string;
  /** the late journal (none: unchanged): its segment, the frame of its halves, what it forgot */
  late?: { segment: number; halves: string | undefined; dropped: number[]; gone: number[] };
}

export function encodeCheckpoint(cp: Checkpoint): EncodedCheckpoint {
  const { late, ...waiting } = cp.state;
  return {
    generation: cp.generation,
    position: cp.position,
    replayFrom: cp.replayFrom,
    clock: cp.clock,
    pauses: cp.pauses,
    state: encodeState(waiting),
    late: late && { segment: late.segment, halves: encodeLate(late.halves), dropped: late.dropped, gone: late.gone },
  };
}

/** Takes the checkpoint's write lock before reading it, so concurrent commits see each other. */
export const LOCK_CHECKPOINT = `
MERGE (c:IngestCheckpoint {id: $id})
  ON CREATE SET c.generation = 0, c.position = 0
SET c.lockedAt = timestamp()`;

export const READ_CHECKPOINT = `
MATCH (c:IngestCheckpoint {id: $id})
RETURN c.generation AS generation, c.position AS position, c.replayFrom AS replayFrom, c.clock AS clock, c.state AS state,
       c.pauses AS pauses, c.late AS late, c.lateGone AS lateGone, c.lateSegment AS lateSegment`;

/**
 * What a commit checks under the lock: the generation alone. Reading the whole checkpoint there sent
 * its state (~300 KB under load) back from Neo4j with every flush (docs/benchmarks.md item 114).
 */
export const READ_CHECKPOINT_GENERATION = `
MATCH (c:IngestCheckpoint {id: $id})
RETURN c.generation AS generation`;

/**
 * `late` (the whole late memory, before segments) is read once and not written again: its halves go
 * into the next segment. `lateGone` and `lateSegment` change only with a journal (null: unchanged).
 */
export const SAVE_CHECKPOINT = `
MATCH (c:IngestCheckpoint {id: $id})
SET c.generation = $generation, c.position = $position, c.replayFrom = $replayFrom, c.clock = $clock,
    c.state = $state, c.late = null, c.pauses = $pauses, c.updatedAt = timestamp(),
    c.lateGone = coalesce($lateGone, c.lateGone), c.lateSegment = coalesce($lateSegment, c.lateSegment)`;

/** The late memory's segments (ingest/spool/late-state.ts), each beside the checkpoint that holds it. */
export const READ_LATE_SEGMENTS = `
MATCH (:IngestCheckpoint {id: $id})-[:REMEMBERS]->(s:IngestLateHalves)
RETURN s.segment AS segment, s.halves AS halves`;

export const ADD_LATE_SEGMENT = `
MATCH (c:IngestCheckpoint {id: $id})
CREATE (c)-[:REMEMBERS]->(:IngestLateHalves {segment: $segment, halves: $halves})`;

/** Segments none of whose halves is remembered any more. */
export const DROP_LATE_SEGMENTS = `
MATCH (:IngestCheckpoint {id: $id})-[:REMEMBERS]->(s:IngestLateHalves)
WHERE s.segment IN $dropped
DETACH DELETE s`;

/**
 * The late memory of checkpoints not written within the retention (a worker renamed, scaled away or
 * long stopped), for the retention job (ingest/retention.ts): the calls its halves would correct have
 * aged out of the map with it. The checkpoint itself stays (its spool position and pairing state).
 */
export const DELETE_STALE_LATE_SEGMENTS = `
MATCH (c:IngestCheckpoint)-[:REMEMBERS]->(s:IngestLateHalves)
WHERE c.updatedAt < $cutoff
WITH s LIMIT toInteger($batch)
DETACH DELETE s
RETURN count(*) AS deleted`;

/** A checkpoint and its late memory, gone (a benchmark's run, or tests cleaning up). */
export const DELETE_CHECKPOINT = `
MATCH (c:IngestCheckpoint {id: $id})
OPTIONAL MATCH (c)-[:REMEMBERS]->(s:IngestLateHalves)
DETACH DELETE s, c`;

/** The checkpoint had already moved past the generation a commit expected. */
export class CheckpointMovedError extends Error {
  constructor(readonly found: number) {
    super(`the ingest checkpoint is at generation ${found}, not the one expected`);
  }
}

export interface CheckpointStore {
  load(): Promise<Checkpoint | undefined>;
  /** Writes the facts and moves the checkpoint from `expected` generation to `next`, in one transaction. */
  commit(batch: FactBatch, next: Checkpoint | EncodedCheckpoint, expectedGeneration: number): Promise<void>;
}

/** Pauses are kept flat (`[at, ms, at, ms, …]`): a property holds no nested list. */
const pausesOf = (v: unknown): ClockPause[] | undefined => {
  const flat = Array.isArray(v) ? v.map(Number) : [];
  const out: ClockPause[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, flat[i + 1]!]);
  return out.length > 0 ? out : undefined;
};

const numbers = (v: unknown): number[] => (Array.isArray(v) ? v.map(Number) : []);

export function createCheckpointStore(graph: Graph, id: string, writer: WriterOptions): CheckpointStore {
  return {
    async load() {
      const [rows, segments] = await graph.read('topograph-ingest', async (tx) => [
        (await tx.run(READ_CHECKPOINT, { id })).records,
        (await tx.run(READ_LATE_SEGMENTS, { id })).records,
      ]);
      const r = rows[0];
      if (!r || r.get('replayFrom') === null) return undefined;
      const stored = decodeState(r.get('state'));
      const late = readLate(
        segments.map((s) => ({ segment: Number(s.get('segment')), halves: s.get('halves') })),
        numbers(r.get('lateGone')),
        Number(r.get('lateSegment') ?? 0),
        // The oldest checkpoints keep the late halves as a list in the state itself.
        r.get('late') ?? stored.late,
      );
      return {
        generation: Number(r.get('generation')),
        position: Number(r.get('position')),
        replayFrom: Number(r.get('replayFrom')),
        clock: Number(r.get('clock')),
        pauses: pausesOf(r.get('pauses')),
        state: { ...stored, late },
      };
    },
    async commit(batch, next, expectedGeneration) {
      // The late memory: only what changed since the last checkpoint (ingest/spool/late-state.ts).
      const cp = typeof next.state === 'string' ? (next as EncodedCheckpoint) : encodeCheckpoint(next as Checkpoint);
      // The rest are the checkpoint node's properties as they are: generation, position, replayFrom, clock, state.
      const { late, pauses, ...properties } = cp;
      await graph.write(
        'topograph-ingest',
        async (tx) => {
          await tx.run(LOCK_CHECKPOINT, { id });
          const found = Number((await tx.run(READ_CHECKPOINT_GENERATION, { id })).records[0]!.get('generation'));
          // Throwing rolls the transaction back; the driver does not retry errors of ours.
          if (found !== expectedGeneration) throw new CheckpointMovedError(found);
          await writeFacts(tx, batch, writer);
          if (late && late.dropped.length > 0) await tx.run(DROP_LATE_SEGMENTS, { id, dropped: late.dropped });
          if (late?.halves) await tx.run(ADD_LATE_SEGMENT, { id, segment: late.segment, halves: late.halves });
          await tx.run(SAVE_CHECKPOINT, {
            id,
            ...properties,
            pauses: (pauses ?? []).flat(),
            lateGone: late?.gone ?? null,
            lateSegment: late?.segment ?? null,
          });
        },
        { metadata: { op: 'flush+checkpoint' } },
      );
    },
  };
}
