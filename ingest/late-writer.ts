/**
 * Writes what late halves take back (ingest/late-pairs.ts): negative deltas on the counters,
 * histogram and recent-health rings an expired half credited, after the flush's other statements and
 * in its transaction (the one that moves the checkpoint), so each is applied exactly once. An edge or
 * CALLS relationship left with no calls is deleted with its version pairs, as is a virtual operation or
 * component left with nothing; first/last seen times and the latency maximum are high-water marks and
 * stay. A sampled trace skeleton loses the virtual hop (docs/ingest.md, "Late halves"). The calls per
 * version pair are not taken back here: the engine nets them with the version counts it holds, which
 * the writer adds (ingest/versions.ts `takeBack`).
 */
import type { ManagedTransaction } from 'neo4j-driver';
import { HOUR_SLOTS, MINUTE_SLOTS, tagKey } from '../src/core/model.js';
import type { CorrectionRow } from './late-pairs.js';
import { hopParts, POSITION_IN } from './trace-sampling.js';
import { CURRENT_FIELDS, type CurrentField } from './current-minute.js';
import { runRows } from './positional-rows.js';
import { ADD_BUCKETS } from './histogram-cypher.js';

const [calls, errors, latSum] = CURRENT_FIELDS;

/**
 * The recent-health rings (ingest/writer.ts ROLL_MINUTE): the minute being counted, `hmCur`, is the
 * totals less the totals at its start (ingest/current-minute.ts), a finished minute in the slot of its
 * minute and of its hour. A (negative) delta goes where that minute's calls are: for `hmCur` into the
 * totals alone; for any other minute into the totals and the start alike (the current minute does not
 * hold it), and into the ring slots that still hold that minute and hour (once a ring has moved past
 * them, the calls are only in the totals). A slot is marked with its minute only when that minute is
 * folded, so the two never both hold it. A store written before the start existed keeps the current
 * minute's figures in `hmCur…` scalars, taken back as before; an edge written before either (no
 * `hmCur`) has every minute in the lists.
 */
const takeBackSlot = (v: string, prefix: 'hm' | 'hh', slots: number, t: string, field: string, add: string) => {
  const list = `${v}.${prefix}${field}`;
  const slot = `${t} % ${slots}`;
  // The hour slot holds the hour's folded minutes only: a minute still in the scalars is not in it yet.
  const held =
    prefix === 'hh' ? `${v}.hh[${slot}] = ${t} AND coalesce(${v}.hmCur, -1) <> m` : `${v}.hm[${slot}] = ${t}`;
  return `${list} = ${list}[0..${slot}] + [CASE WHEN ${held} THEN ${list}[${slot}] + ${add} ELSE ${list}[${slot}] END] + ${list}[${slot} + 1..]`;
};

/** The start follows a delta outside the current minute; an older store's scalars take one inside it. */
const takeBackCurrent = (v: string, f: CurrentField, add: string) =>
  `${v}.${f.start} = CASE WHEN ${v}.hmCur <> m THEN ${v}.${f.start} + ${add} ELSE ${v}.${f.start} END, ` +
  `${v}.${f.old} = CASE WHEN ${v}.hmCur = m THEN ${v}.${f.old} + ${add} ELSE ${v}.${f.old} END`;

const TAKE_BACK_MEASURE = (v: string) => `
  ${v}.calls = ${v}.calls + toInteger(row.calls),
  ${v}.errors = ${v}.errors + toInteger(row.errors),
  ${v}.latSum = ${v}.latSum + row.latSum,
  ${v}.latBuckets = ${ADD_BUCKETS(v)},
  ${takeBackCurrent(v, calls, 'toInteger(row.calls)')},
  ${takeBackCurrent(v, errors, 'toInteger(row.errors)')},
  ${takeBackCurrent(v, latSum, 'row.latSum')},
  ${takeBackSlot(v, 'hm', MINUTE_SLOTS, 'm', 'Calls', 'toInteger(row.calls)')},
  ${takeBackSlot(v, 'hm', MINUTE_SLOTS, 'm', 'Errors', 'toInteger(row.errors)')},
  ${takeBackSlot(v, 'hm', MINUTE_SLOTS, 'm', 'LatSum', 'row.latSum')},
  ${takeBackSlot(v, 'hh', HOUR_SLOTS, 'h', 'Calls', 'toInteger(row.calls)')},
  ${takeBackSlot(v, 'hh', HOUR_SLOTS, 'h', 'Errors', 'toInteger(row.errors)')},
  ${takeBackSlot(v, 'hh', HOUR_SLOTS, 'h', 'LatSum', 'row.latSum')}`;

const MINUTE_AND_HOUR = `WITH row, toInteger(row.minute) AS m, toInteger(row.minute) / 60 AS h`;

/** CALLS taken back; one left with no calls goes. */
export const TAKE_BACK_CALLS = `
UNWIND $rows AS row
${MINUTE_AND_HOUR}
MATCH (a:Operation {key: row.from})-[r:CALLS]->(b:Operation {key: row.to})
SET ${TAKE_BACK_MEASURE('r')}
WITH a, b, r WHERE r.calls <= 0
CALL { WITH a, b MATCH (a)-[v:CALLS_VERSION]->(b) DELETE v }
DELETE r`;

/** Calls and entry calls taken back; a virtual component's operation left with nothing goes. */
export const TAKE_BACK_OPERATIONS = `
UNWIND $rows AS row
${MINUTE_AND_HOUR}
MATCH (o:Operation {key: row.from})
SET ${TAKE_BACK_MEASURE('o')},
    o.entryCalls = o.entryCalls + toInteger(row.entryCalls)
SET o.entryPoint = o.entryCalls > 0
WITH o WHERE o.calls <= 0 AND o.entryCalls <= 0 AND NOT EXISTS { (o)-[:CALLS]-() }
  AND EXISTS { MATCH (c:Component)-[:HAS_OPERATION]->(o) WHERE NOT c:Service }
DETACH DELETE o`;

/**
 * DEPENDS_ON taken back, and its count of unpaired calls (calls credited by an expired half, which a
 * late partner may still correct) moved; an edge left with no calls goes.
 */
export const TAKE_BACK_DEPENDS_ON = `
UNWIND $rows AS row
${MINUTE_AND_HOUR}
MATCH (a:Component {key: row.from})-[r:DEPENDS_ON]->(b:Component {key: row.to})
SET r.unpaired = coalesce(r.unpaired, 0) + toInteger(row.unpaired),
    ${TAKE_BACK_MEASURE('r')}
WITH a, b, r WHERE r.calls <= 0
CALL { WITH a, b MATCH (a)-[v:DEPENDS_ON_VERSION]->(b) DELETE v }
DELETE r`;

/**
 * The virtual hop out of a sampled trace skeleton (the real hop is appended by the flush's own
 * MERGE_TRACE_SAMPLES); an operation no hop of the trace names any more is no longer IN_TRACE. The
 * skeleton names a hop's operations by position in its `ops` (ingest/writer.ts MERGE_TRACE_SAMPLES);
 * a hop stored before that names them by key (`keyed`, the hop's text; `quoted`, a key as it appears in it).
 */
export const TAKE_BACK_HOPS = `
UNWIND $rows AS row
MATCH (t:TraceSample {traceId: row.from})
WITH t, row, coalesce(t.ops, []) AS ops
WITH t, row, ops, '[' + toString(${POSITION_IN('ops', 'row.fromKey')}) + ',' + toString(${POSITION_IN('ops', 'row.toKey')}) + ',' + row.figures + ']' AS hop
SET t.hops = [h IN t.hops WHERE h <> hop AND h <> row.keyed]
WITH t, row, ops
UNWIND row.ends AS end
MATCH (:Operation {key: end.key})-[in:IN_TRACE]->(t)
WITH t, in, end, toString(${POSITION_IN('ops', 'end.key')}) AS at
WHERE NONE(h IN t.hops WHERE at IN split(substring(h, 1), ',')[0..2] OR h CONTAINS end.quoted)
DELETE in`;

export const TAKE_BACK_TAGS = `
UNWIND $rows AS row
MATCH (s {key: row.from})-[r:TAGGED]->(:Tag {uid: row.tagUid})
WHERE (s:Operation) = row.onOperation
SET r.calls = r.calls + toInteger(row.calls), r.errors = r.errors + toInteger(row.errors)`;

/** A virtual component (never a service) left with no edge and no operation goes. */
export const DELETE_BARE_VIRTUALS = `
UNWIND $rows AS row
MATCH (c:Component {key: row.from})
WHERE NOT c:Service AND NOT EXISTS { (c)--() }
DELETE c`;

/**
 * Sends the sampled hops taken back on `tx`, without waiting. They go before the flush's own
 * MERGE_TRACE_SAMPLES: a correction may credit the very hop it takes back (a message delivered from
 * its queue's publish operation is the same hop once its producer half comes), and the merge, which
 * adds only hops a skeleton does not hold yet, would otherwise see it still there and the take-back
 * then remove it.
 */
export function sendHopCorrections(
  tx: ManagedTransaction,
  rows: readonly Pick<CorrectionRow, 'kind' | 'from' | 'to' | 'fromVersion' | 'toVersion'>[] | undefined,
): Promise<unknown>[] {
  const hops = (rows ?? []).filter((r) => r.kind === 'hop');
  if (hops.length === 0) return [];
  return [
    tx.run(TAKE_BACK_HOPS, {
      rows: hops.map((r) => ({
        from: r.from,
        ...hopParts(r.to),
        keyed: r.to,
        ends: [r.fromVersion, r.toVersion].map((key) => ({ key, quoted: JSON.stringify(key) })),
      })),
    }),
  ];
}

/**
 * Sends the other corrections on `tx` in dependency order (CALLS before the operations they join,
 * operations and edges before their components), without waiting: the caller awaits them with the
 * rest of the flush, after its facts.
 */
export function sendCorrections(
  tx: ManagedTransaction,
  rows: readonly CorrectionRow[] | undefined,
): Promise<unknown>[] {
  if (!rows || rows.length === 0) return [];
  const of = (kind: CorrectionRow['kind']) => rows.filter((r) => r.kind === kind);
  const sent: Promise<unknown>[] = [];
  const run = (query: string, list: readonly object[]) => {
    if (list.length > 0) sent.push(runRows(tx, query, list));
  };
  run(TAKE_BACK_CALLS, of('call'));
  run(TAKE_BACK_OPERATIONS, of('operation'));
  run(TAKE_BACK_DEPENDS_ON, of('edge'));
  run(
    TAKE_BACK_TAGS,
    of('tag').map((r) => ({ ...r, tagUid: tagKey(r.tagKey, r.tagValue) })),
  );
  run(DELETE_BARE_VIRTUALS, of('virtual'));
  return sent;
}
