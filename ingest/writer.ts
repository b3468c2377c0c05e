/**
 * The Neo4j writer: one flush, one transaction, a handful of `UNWIND $rows … MERGE` statements.
 * Counters are added in the database, never overwritten, so several workers can write the same
 * edges; rows arrive sorted by key so that concurrent transactions take their locks in one order.
 *
 * Numbers cross the driver as floats; every count and time is turned back to an integer here.
 */
import type { ManagedTransaction } from 'neo4j-driver';
import { HOUR_SLOTS, LATENCY_BUCKETS, MINUTE_SLOTS } from '../src/core/model.js';
import type { Graph } from '../src/core/neo4j/connection.js';
import type { WriterConfig } from '../src/core/config.js';
import type { FactBatch, TagRow } from './aggregate.js';
import { sendCorrections, sendHopCorrections } from './late-writer.js';
import { MAX_HOPS, POSITION_IN } from './trace-sampling.js';
import { linkPresence, MERGE_COMPONENT_PRESENCE, MERGE_EDGE_PRESENCE } from './presence.js';
import { writeVersions, type VersionWriteOptions } from './versions.js';
import { CURRENT_FIELDS, startOf, type CurrentField } from './current-minute.js';
import { groupedColumns } from './row-groups.js';
import { runRows } from './positional-rows.js';
import { ADD_BUCKETS } from './histogram-cypher.js';

/** What the worker writes to: Neo4j in production, a discarding sink in benchmarks. */
export interface FactSink {
  write(batch: FactBatch): Promise<void>;
}

const SEEN = (v: string) => `
  ${v}.firstSeen = CASE WHEN ${v}.firstSeen IS NULL OR toInteger(row.firstSeen) < ${v}.firstSeen THEN toInteger(row.firstSeen) ELSE ${v}.firstSeen END,
  ${v}.lastSeen = CASE WHEN ${v}.lastSeen IS NULL OR toInteger(row.lastSeen) > ${v}.lastSeen THEN toInteger(row.lastSeen) ELSE ${v}.lastSeen END`;

const ZEROS = (n: number) => `[i IN range(1, ${n}) | 0]`;
const MINUS_ONES = (n: number) => `[i IN range(1, ${n}) | -1]`;

/** Counters, latency histogram and the recent-health rings start at zero on a new node or edge. */
const INIT_MEASURE = (v: string) => `
  ${v}.calls = 0, ${v}.errors = 0, ${v}.latSum = 0.0, ${v}.latMax = 0.0,
  ${v}.latBuckets = ${ZEROS(LATENCY_BUCKETS)},
  ${v}.hm = ${MINUS_ONES(MINUTE_SLOTS)}, ${v}.hmCalls = ${ZEROS(MINUTE_SLOTS)}, ${v}.hmErrors = ${ZEROS(MINUTE_SLOTS)}, ${v}.hmLatSum = ${ZEROS(MINUTE_SLOTS)},
  ${v}.hh = ${MINUS_ONES(HOUR_SLOTS)}, ${v}.hhCalls = ${ZEROS(HOUR_SLOTS)}, ${v}.hhErrors = ${ZEROS(HOUR_SLOTS)}, ${v}.hhLatSum = ${ZEROS(HOUR_SLOTS)}`;

/**
 * Adds `add` to the ring slot of `t` (bound by the caller) of one ring list. A slot that holds an
 * older time is reset; a `t` older than the slot's counts nowhere in the ring.
 */
const ring = (v: string, prefix: 'hm' | 'hh', slots: number, t: string, field: string, add: string) => {
  // Only one slot changes: splice it in rather than rebuild every slot with a CASE (PROFILE: 4x cheaper).
  const list = `${v}.${prefix}${field}`;
  const slot = `${t} % ${slots}`;
  const held = `${v}.${prefix}[${slot}]`;
  return (
    `${list} = ${list}[0..${slot}] + [CASE WHEN ${held} = ${t} THEN ${list}[${slot}] + ${add} ` +
    `WHEN ${held} < ${t} THEN ${add} ELSE ${list}[${slot}] END] + ${list}[${slot} + 1..]`
  );
};

/** Marks the ring slot of `t` as holding `t` (unless it holds a newer one), after the values were added. */
const ringTime = (v: string, prefix: 'hm' | 'hh', slots: number, t: string) => {
  const list = `${v}.${prefix}`;
  const slot = `${t} % ${slots}`;
  return `${list} = ${list}[0..${slot}] + [CASE WHEN ${list}[${slot}] < ${t} THEN ${t} ELSE ${list}[${slot}] END] + ${list}[${slot} + 1..]`;
};

/** Calls, errors and latency of minute `t` (and its hour `th`) added to both rings' lists. */
const RING_SLOTS = (v: string, t: string, th: string, calls: string, errors: string, latSum: string) => `
    ${ring(v, 'hm', MINUTE_SLOTS, t, 'Calls', calls)},
    ${ring(v, 'hm', MINUTE_SLOTS, t, 'Errors', errors)},
    ${ring(v, 'hm', MINUTE_SLOTS, t, 'LatSum', latSum)},
    ${ring(v, 'hh', HOUR_SLOTS, th, 'Calls', calls)},
    ${ring(v, 'hh', HOUR_SLOTS, th, 'Errors', errors)},
    ${ring(v, 'hh', HOUR_SLOTS, th, 'LatSum', latSum)},
    ${ringTime(v, 'hm', MINUTE_SLOTS, t)},
    ${ringTime(v, 'hh', HOUR_SLOTS, th)}`;

/**
 * The recent-health rings without rewriting them on every flush. The minute being counted (the
 * newest a row has brought, `hmCur`) is not in the ring lists: its figures are the totals less the
 * totals at its start (`hmStart…`, ingest/current-minute.ts), so a row of that minute writes nothing
 * here, only the totals after it. The ring lists (eight lists of 60 or 24 slots, ~2.4 KB of property
 * records, written again to the transaction log) and the start are rewritten only when a newer minute
 * comes (the finished minute is folded into its minute and hour slots, once a minute) or a row for an
 * older minute (late data, added to the lists directly, and to the start so that the current minute
 * does not count it). Readers fold the current minute in by the same rule (`minuteRing` in
 * src/api/graphql/measure.ts). `m` is the row's minute, bound by the caller; it runs before the row
 * is added to the totals, and is a CALL subquery, so it ends the clause it follows.
 */
const ROLL_MINUTE = (v: string) => {
  const [calls, errors, latSum] = CURRENT_FIELDS;
  const starts = CURRENT_FIELDS.map((f) => `${startOf(v, f)} AS ${f.start}`).join(', ');
  const startVars = CURRENT_FIELDS.map((f) => f.start).join(', ');
  const rowOf = { calls: 'toInteger(row.calls)', errors: 'toInteger(row.errors)', latSum: 'row.latSum' } as const;
  const newStart = (f: CurrentField) =>
    `${v}.${f.start} = CASE WHEN cur IS NULL OR cur < m THEN ${v}.${f.total} ` +
    `WHEN cur > m THEN ${f.start} + ${rowOf[f.total]} ELSE ${f.start} END`;
  const finished = (f: CurrentField) =>
    `CASE WHEN cur < m THEN ${v}.${f.total} - ${f.start} ELSE ${rowOf[f.total]} END AS ${f.total}`;
  return `
WITH ${v}, row, m
CALL (${v}, row, m) {
  WITH ${v}, row, m WHERE ${v}.hmCur IS NULL OR ${v}.hmCur <> m OR ${v}.${calls.start} IS NULL
  WITH ${v}, row, m, ${v}.hmCur AS cur, ${starts}
  CALL (${v}, row, m, cur, ${startVars}) {
    WITH ${v}, row, m, cur, ${startVars} WHERE cur <> m
    WITH ${v}, CASE WHEN cur < m THEN cur ELSE m END AS t, ${finished(calls)}, ${finished(errors)}, ${finished(latSum)}
    WITH ${v}, t, t / 60 AS th, calls, errors, latSum
    SET ${RING_SLOTS(v, 't', 'th', 'calls', 'errors', 'latSum')}
  }
  SET ${CURRENT_FIELDS.map(newStart).join(',\n      ')},
      ${v}.hmCur = CASE WHEN cur IS NULL OR cur < m THEN m ELSE cur END,
      ${CURRENT_FIELDS.map((f) => `${v}.${f.old} = null`).join(', ')}
}`;
};

/** Totals and histogram, after ROLL_MINUTE has read the totals as they stood before the row. */
const ADD_MEASURE = (v: string) => `
  ${v}.calls = ${v}.calls + toInteger(row.calls),
  ${v}.errors = ${v}.errors + toInteger(row.errors),
  ${v}.latSum = ${v}.latSum + row.latSum,
  ${v}.latMax = CASE WHEN row.latMax > ${v}.latMax THEN row.latMax ELSE ${v}.latMax END,
  ${v}.latBuckets = ${ADD_BUCKETS(v)},
  ${SEEN(v)}`;

const MERGE_COMPONENT = (label: string) => `
UNWIND $rows AS row
MERGE (c:Component {key: row.key})
  ON CREATE SET c:${label}, c.kind = $kind, c.name = row.name, c.environment = row.environment
SET c.namespace = coalesce(row.namespace, c.namespace),
    c.system = coalesce(row.system, c.system),
    c.address = coalesce(row.address, c.address),
    c.version = coalesce(row.version, c.version),
    ${SEEN('c')}`;

export const MERGE_SERVICES = MERGE_COMPONENT('Service');
export const MERGE_DATABASES = MERGE_COMPONENT('Database');
export const MERGE_DESTINATIONS = MERGE_COMPONENT('MessagingDestination');
export const MERGE_EXTERNALS = MERGE_COMPONENT('External');

/**
 * An operation's row of a flush: its totals, histogram and recent-health rings. Its HAS_OPERATION link
 * is merged (its times moved) only when the operation is new or its ring turns to another minute:
 * finding the link in every flush was half the statement's db hits (docs/model.md, item 134).
 */
export const MERGE_OPERATIONS = `
UNWIND $rows AS row
WITH row, toInteger(row.minute) AS m
MATCH (c:Component {key: row.componentKey})
MERGE (o:Operation {key: row.key})
  ON CREATE SET o.name = row.name, o.kind = row.kind, o.componentKey = row.componentKey, o.entryCalls = 0, ${INIT_MEASURE('o')}
WITH c, o, row, m
CALL (c, o, row, m) {
  WITH c, o, row, m WHERE o.hmCur IS NULL OR o.hmCur <> m
  MERGE (c)-[has:HAS_OPERATION]->(o)
  SET ${SEEN('has')}
}
${ROLL_MINUTE('o')}
SET o.entryCalls = o.entryCalls + toInteger(row.entryCalls),
    o.entryPoint = o.entryCalls + toInteger(row.entryCalls) > 0,
    ${ADD_MEASURE('o')}`;

export const MERGE_DEPENDS_ON = `
UNWIND $rows AS row
WITH row, toInteger(row.minute) AS m
MATCH (a:Component {key: row.from})
MATCH (b:Component {key: row.to})
MERGE (a)-[r:DEPENDS_ON]->(b)
  ON CREATE SET r.protocols = [], ${INIT_MEASURE('r')}
${ROLL_MINUTE('r')}
SET r.protocols = reduce(acc = r.protocols, p IN row.protocols | CASE WHEN p IN acc THEN acc ELSE acc + p END),
    ${ADD_MEASURE('r')}`;

export const MERGE_CALLS = `
UNWIND $rows AS row
WITH row, toInteger(row.minute) AS m
MATCH (a:Operation {key: row.from})
MATCH (b:Operation {key: row.to})
MERGE (a)-[r:CALLS]->(b)
  ON CREATE SET r.exemplars = [], ${INIT_MEASURE('r')}
${ROLL_MINUTE('r')}
SET r.exemplars = (row.exemplars + [x IN r.exemplars WHERE NOT x IN row.exemplars])[0..toInteger($maxExemplars)],
    ${ADD_MEASURE('r')}`;

export const MERGE_USES = `
UNWIND $rows AS row
MATCH (s:Component {key: row.service})
MERGE (l:Library {name: row.library})
  ON CREATE SET l.kind = row.libraryKind
MERGE (s)-[u:USES {version: row.version}]->(l)
SET ${SEEN('u')}
WITH l, row
SET ${SEEN('l')}`;

/** Adds the subject's `i`th tag counts of the row to its TAGGED relationship `r`. */
const TAG_COUNTS = `r.calls = r.calls + toInteger(row.calls[i]),
    r.errors = r.errors + toInteger(row.errors[i]),
    r.firstSeen = CASE WHEN r.firstSeen IS NULL OR toInteger(row.firstSeen[i]) < r.firstSeen THEN toInteger(row.firstSeen[i]) ELSE r.firstSeen END,
    r.lastSeen = CASE WHEN r.lastSeen IS NULL OR toInteger(row.lastSeen[i]) > r.lastSeen THEN toInteger(row.lastSeen[i]) ELSE r.lastSeen END`;

/**
 * The Tag nodes of a flush, one row per tag value (`tagNodeRows`): created when new, their first and
 * last seen widened. Sent before the subjects' counts, which then only match them.
 */
export const MERGE_TAG_NODES = `
UNWIND $rows AS row
MERGE (t:Tag {uid: row.uid})
  ON CREATE SET t.key = row.key, t.value = row.value
SET ${SEEN('t')}`;

/**
 * A subject's tag counts, one row per subject (`subjectTagRows`: its tags as parallel lists). The
 * TAGGED relationships it already has are found by expanding it once, not one `MERGE` per tag: a
 * tag value's node is held by thousands of subjects, and finding the relationship between two
 * given nodes (`Expand(Into)`) walked the subject's relationships again for every tag
 * (docs/benchmarks.md item 95). Only the tags it does not have yet are merged, which also takes the
 * locks that keep two writers from creating one twice.
 */
const MERGE_TAGS = (subject: string) => `
UNWIND $rows AS row
MATCH (s:${subject} {key: row.subject})
CALL (s, row) {
  MATCH (s)-[r:TAGGED]->(t:Tag)
  WITH r, t, [i IN range(0, size(row.tagUid) - 1) WHERE row.tagUid[i] = t.uid] AS at
  WITH r, t, at WHERE size(at) > 0
  WITH r, t, at[0] AS i
  SET ${TAG_COUNTS}
  RETURN collect(t.uid) AS held
}
WITH s, row, held
UNWIND [i IN range(0, size(row.tagUid) - 1) WHERE NOT row.tagUid[i] IN held] AS i
MATCH (t:Tag {uid: row.tagUid[i]})
MERGE (s)-[r:TAGGED]->(t)
  ON CREATE SET r.calls = 0, r.errors = 0
SET ${TAG_COUNTS}`;

export const MERGE_COMPONENT_TAGS = MERGE_TAGS('Component');
export const MERGE_OPERATION_TAGS = MERGE_TAGS('Operation');

/**
 * A row's hops (positions in `row.ops`) with positions in `ops` instead: `at` maps a position in
 * `row.ops` to its place in `ops`; a hop's text after its two positions is kept as it is.
 */
const MOVED_HOPS = `[h IN row.hops | [p IN [split(h, ',')] |
      '[' + toString(at[toInteger(substring(p[0], 1))]) + ',' + toString(at[toInteger(p[1])]) +
      substring(h, size(p[0]) + size(p[1]) + 1)][0]]`;

/** The IN_TRACE links from each operation of the row the sample holds: created on a new sample, merged on a stored one. */
const IN_TRACE_LINKS = (write: 'CREATE' | 'MERGE') => `UNWIND [k IN row.ops WHERE k IN ops] AS k
  MATCH (x:Operation {key: k})
  ${write} (x)-[in:IN_TRACE]->(t)
  SET ${SEEN('in')}`;

/**
 * Sampled trace skeletons, one node per trace hanging off its entry operation (SAMPLED) and linked
 * from every operation it touched (IN_TRACE); hops arriving in a later flush are appended. A hop
 * names its operations by position in the sample's `ops` (src/core/records.ts `TraceSampleFacts`):
 * a new sample takes the row's as they are, an existing one appends the keys it lacks and moves the
 * row's positions to its own. A sample holding MAX_HOPS hops takes no more, nor the operations they
 * name: its `ops` and IN_TRACE links stop growing with it. Each entry operation given a new sample then
 * keeps only its newest `$maxPerOperation` samples, none more than `$maxAgeMs` older than its newest:
 * the store stays bounded by operations, and a rarely called endpoint keeps its last examples however
 * old. Most rows append hops to a sample already stored (a trace's spans come in over several flushes),
 * and appending neither adds a sample nor moves its time by more than the trace lasts, so only a
 * sample new under its entry operation prunes. A new sample has no links yet: they are created, not
 * merged, which spares looking each one up among the operation's and the sample's others
 * (docs/benchmarks.md item 133); the `SET` on the sample locks it before it is asked whether it has
 * any, so a second writer of the same trace sees the first one's links.
 */
export const MERGE_TRACE_SAMPLES = `
UNWIND $rows AS row
MATCH (o:Operation {key: row.entry})
MERGE (t:TraceSample {traceId: row.traceId})
  ON CREATE SET t.entry = row.entry, t.ops = [], t.hops = [], t.error = false
WITH o, t, row, coalesce(t.ops, []) AS held
WITH o, t, row, held,
     CASE WHEN size(t.hops) >= ${MAX_HOPS} THEN held ELSE held + [k IN row.ops WHERE NOT k IN held] END AS ops
WITH o, t, row, held, ops, CASE WHEN size(held) = 0 THEN [] ELSE [k IN row.ops | ${POSITION_IN('ops', 'k')}] END AS at
WITH o, t, row, ops, CASE WHEN size(held) = 0 THEN row.hops ELSE ${MOVED_HOPS} END AS hops
SET t.ops = ops,
    t.hops = (t.hops + [h IN hops WHERE NOT h IN t.hops])[0..${MAX_HOPS}],
    t.error = t.error OR row.error,
    ${SEEN('t')}
WITH o, t, row, ops, NOT EXISTS { (t)--() } AS bare, NOT EXISTS { (o)-[:SAMPLED]->(t) } AS added
CALL (o, t, row, ops, bare) {
  WITH o, t, row, ops WHERE bare
  CREATE (o)-[sampled:SAMPLED]->(t)
  SET ${SEEN('sampled')}
  WITH t, row, ops
  ${IN_TRACE_LINKS('CREATE')}
}
CALL (o, t, row, ops, bare) {
  WITH o, t, row, ops WHERE NOT bare
  CALL (t, row, ops) {
    ${IN_TRACE_LINKS('MERGE')}
  }
  MERGE (o)-[sampled:SAMPLED]->(t)
  SET ${SEEN('sampled')}
}
WITH o, added WHERE added
WITH DISTINCT o
CALL (o) {
  MATCH (o)-[:SAMPLED]->(s:TraceSample)
  WITH s ORDER BY s.lastSeen DESC
  WITH collect(s) AS samples
  UNWIND range(0, size(samples) - 1) AS i
  WITH samples[i] AS s, i, samples[0].lastSeen AS newest
  WHERE i >= $maxPerOperation OR s.lastSeen < newest - $maxAgeMs
  DETACH DELETE s
}`;

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** One row per tag value of the flush, its first and last seen over every subject; sorted, so writers lock in one order. */
export function tagNodeRows(tags: readonly TagRow[]) {
  const nodes = new Map<string, { uid: string; key: string; value: string; firstSeen: number; lastSeen: number }>();
  for (const t of tags) {
    const n = nodes.get(t.tagUid);
    if (!n)
      nodes.set(t.tagUid, { uid: t.tagUid, key: t.key, value: t.value, firstSeen: t.firstSeen, lastSeen: t.lastSeen });
    else {
      if (t.firstSeen < n.firstSeen) n.firstSeen = t.firstSeen;
      if (t.lastSeen > n.lastSeen) n.lastSeen = t.lastSeen;
    }
  }
  return [...nodes.values()].sort((a, b) => byText(a.uid, b.uid));
}

/** The tag rows of components (or operations) as one row per subject, its tags as parallel lists; sorted by subject. */
export const subjectTagRows = (tags: readonly TagRow[], onOperation: boolean) =>
  groupedColumns(
    tags.filter((t) => t.onOperation === onOperation),
    'subject',
    ['tagUid', 'calls', 'errors', 'firstSeen', 'lastSeen'],
  );

/**
 * Exemplars per edge, the sampled traces and versions kept (TOPOGRAPH_EXEMPLARS_PER_EDGE,
 * TOPOGRAPH_TRACE_SAMPLE*, TOPOGRAPH_VERSIONS_PER_EDGE), and who hears of versions dropped.
 */
export type WriterOptions = WriterConfig & Pick<VersionWriteOptions, 'onVersionsDropped'>;

/**
 * Writes one FactBatch in the given transaction: components first, then what hangs off them. The
 * statements are sent without waiting for each other's answers (the driver pipelines them on the
 * connection, Neo4j runs them in order): a busy event loop between two answers no longer leaves
 * Neo4j idle, and a failing statement still fails the whole transaction.
 */
export async function writeFacts(tx: ManagedTransaction, batch: FactBatch, opts: WriterOptions): Promise<void> {
  const sent: Promise<unknown>[] = [];
  const run = (query: string, rows: readonly object[], extra: Record<string, unknown> = {}) => {
    if (rows.length > 0) sent.push(runRows(tx, query, rows, extra));
  };
  run(MERGE_SERVICES, batch.services, { kind: 'SERVICE' });
  run(MERGE_DATABASES, batch.databases, { kind: 'DATABASE' });
  run(MERGE_DESTINATIONS, batch.destinations, { kind: 'MESSAGING_DESTINATION' });
  run(MERGE_EXTERNALS, batch.externals, { kind: 'EXTERNAL' });
  run(MERGE_OPERATIONS, batch.operations);
  run(MERGE_DEPENDS_ON, batch.edges);
  run(MERGE_CALLS, batch.calls, { maxExemplars: opts.exemplarsPerEdge });
  run(MERGE_USES, batch.uses);
  run(MERGE_TAG_NODES, tagNodeRows(batch.tags));
  run(MERGE_COMPONENT_TAGS, subjectTagRows(batch.tags, false));
  run(MERGE_OPERATION_TAGS, subjectTagRows(batch.tags, true));
  // A correction's hops out first: the merge below may add the same hop back (ingest/late-writer.ts).
  sent.push(...sendHopCorrections(tx, batch.corrections));
  run(MERGE_TRACE_SAMPLES, batch.traceSamples ?? [], {
    maxPerOperation: opts.traceSamplesPerOperation,
    maxAgeMs: opts.traceSampleMaxAgeMs,
  });
  run(MERGE_EDGE_PRESENCE, batch.edgePresence);
  run(MERGE_COMPONENT_PRESENCE, batch.componentPresence);
  sent.push(...writeVersions(tx, batch, opts));
  sent.push(...sendCorrections(tx, batch.corrections));
  await Promise.all(sent);
}

/**
 * Jaeger dependency links (`{parent, child, callCount}`) are already-aggregated service → service
 * counts with no spans behind them: they add calls (totals and the current ring slot) but no latency
 * and no errors, which they do not carry.
 */
export const MERGE_DEPENDENCY_LINKS = `
UNWIND $rows AS row
WITH row, toInteger(row.lastSeen) / 60000 AS m, toInteger(row.lastSeen) / 3600000 AS h
MATCH (a:Component {key: row.from})
MATCH (b:Component {key: row.to})
MERGE (a)-[r:DEPENDS_ON]->(b)
  ON CREATE SET r.protocols = [], ${INIT_MEASURE('r')}
SET r.protocols = CASE WHEN $protocol IN r.protocols THEN r.protocols ELSE r.protocols + $protocol END,
    r.calls = r.calls + toInteger(row.calls),
    r.hmStartCalls = r.hmStartCalls + toInteger(row.calls),
    ${ring('r', 'hm', MINUTE_SLOTS, 'm', 'Calls', 'toInteger(row.calls)')},
    ${ring('r', 'hh', HOUR_SLOTS, 'h', 'Calls', 'toInteger(row.calls)')},
    r.hm = [i IN range(0, ${MINUTE_SLOTS - 1}) | CASE WHEN i = m % ${MINUTE_SLOTS} AND r.hm[i] < m THEN m ELSE r.hm[i] END],
    r.hh = [i IN range(0, ${HOUR_SLOTS - 1}) | CASE WHEN i = h % ${HOUR_SLOTS} AND r.hh[i] < h THEN h ELSE r.hh[i] END],
    ${SEEN('r')}`;

export interface DependencyLinkRow {
  from: string;
  to: string;
  calls: number;
  firstSeen: number;
  lastSeen: number;
}

/** Where imported dependency links go: the services they name, then one DEPENDS_ON per link. */
export interface LinkSink {
  writeLinks(services: FactBatch['services'], links: DependencyLinkRow[]): Promise<void>;
}

export function createNeo4jLinkSink(graph: Graph): LinkSink {
  return {
    writeLinks: (services, links) =>
      graph.write(
        'topograph-import',
        async (tx) => {
          if (services.length > 0) await tx.run(MERGE_SERVICES, { rows: services, kind: 'SERVICE' });
          if (links.length > 0) await tx.run(MERGE_DEPENDENCY_LINKS, { rows: links, protocol: 'jaeger-dependencies' });
          const presence = linkPresence(services, links);
          if (links.length > 0) await tx.run(MERGE_EDGE_PRESENCE, { rows: presence.edges });
          if (services.length > 0) await tx.run(MERGE_COMPONENT_PRESENCE, { rows: presence.components });
        },
        { metadata: { op: 'dependency-links' } },
      ),
  };
}

export function createNeo4jSink(graph: Graph, opts: WriterOptions): FactSink {
  return {
    write: (batch) =>
      graph.write('topograph-ingest', (tx) => writeFacts(tx, batch, opts), { metadata: { op: 'flush' } }),
  };
}

/** A sink that discards: the baseline the ingest benchmark compares the Neo4j writer against. */
export function createNoopSink(): FactSink {
  return { write: async () => {} };
}
