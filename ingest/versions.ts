/**
 * Versions on edges (docs/model.md "Versions"): the calls and errors of every DEPENDS_ON and CALLS
 * edge per caller and callee `service.version`, and each service's own versions. Counted beside the
 * aggregator's rows since they were last written (under load they may wait several flushes: docs/ingest.md,
 * "Tag and version counts under load") and written by their own statements, one row per caller with
 * the pairs that had calls meanwhile: a flush where nothing changed writes nothing here.
 *
 * Bounded where it is kept: each edge (and each service) keeps at most `versionsPerEdge` versions in
 * Neo4j; past it the least recently seen go, and the statement says how many went.
 */
import type { ManagedTransaction } from 'neo4j-driver';
import type { EdgeVersionFacts, VersionFacts } from '../src/core/records.js';
import { RowIndex } from './row-index.js';
import { groupedColumns } from './row-groups.js';
import { runRows } from './positional-rows.js';

/** Calls over one edge from one caller version to one callee version ('' when a side reports none). */
export interface EdgeVersionRow extends EdgeVersionFacts {
  /** the component (DEPENDS_ON) or operation (CALLS) keys of the edge's ends */
  from: string;
  to: string;
}

/** A service's own version: when it was seen, and the calls its entry operations served in it. */
export interface ServiceVersionRow extends VersionFacts {
  service: string;
  version: string;
}

function count(row: VersionFacts, calls: number, errors: number, at: number): void {
  row.calls += calls;
  row.errors += errors;
  if (at < row.firstSeen) row.firstSeen = at;
  if (at > row.lastSeen) row.lastSeen = at;
}

/** A row's figures added to another's, its first and last seen widening the other's. */
function add(into: VersionFacts, row: VersionFacts): void {
  into.calls += row.calls;
  into.errors += row.errors;
  if (row.firstSeen < into.firstSeen) into.firstSeen = row.firstSeen;
  if (row.lastSeen > into.lastSeen) into.lastSeen = row.lastSeen;
}

/**
 * The seen times of a version row only taken back (`VersionCounts.takeBack`): the writer's
 * first-seen minimum and last-seen maximum leave a stored pair's times as they are.
 */
const NOT_SEEN = { firstSeen: Number.MAX_SAFE_INTEGER, lastSeen: 0 };

/** A pair's row left with nothing, its credits and take-backs netted to none: nothing to write. */
const moved = (r: EdgeVersionRow) => r.calls !== 0 || r.errors !== 0;

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const byEnds = (a: EdgeVersionRow, b: EdgeVersionRow) =>
  cmp(a.from, b.from) || cmp(a.to, b.to) || cmp(a.fromVersion, b.fromVersion) || cmp(a.toVersion, b.toVersion);

export interface VersionRows {
  edgeVersions: EdgeVersionRow[];
  callVersions: EdgeVersionRow[];
  serviceVersions: ServiceVersionRow[];
}

/** What was seen of versions since they were last drained; the aggregator holds one and drains it with its breakdowns. */
export class VersionCounts {
  private edges = new RowIndex<EdgeVersionRow>(4);
  private calls = new RowIndex<EdgeVersionRow>(4);
  private services = new RowIndex<ServiceVersionRow>(2);

  /**
   * Calls over a DEPENDS_ON (`edges`) or CALLS (`calls`) edge from one version pair, already summed: the
   * aggregator counts calls on its own rows and adds them here (ingest/aggregate.ts `countVersions`),
   * a row's pairs past its few one call at a time.
   */
  add(
    which: 'edges' | 'calls',
    from: string,
    to: string,
    fromVersion: string,
    toVersion: string,
    c: VersionFacts,
  ): void {
    const index = which === 'edges' ? this.edges : this.calls;
    const row =
      index.get(from, to, fromVersion, toVersion) ??
      index.add(
        { from, to, fromVersion, toVersion, calls: 0, errors: 0, firstSeen: c.firstSeen, lastSeen: c.lastSeen },
        from,
        to,
        fromVersion,
        toVersion,
      );
    add(row, c);
  }

  /**
   * Calls a late correction takes back from a version pair (`calls`, `errors` negative), netted with
   * what is counted here: written with the other version counts, never ahead of the credit it undoes,
   * and a credit taken back before it was written is never written at all. First and last seen do
   * not move (high-water marks stay), so a row only taken back carries none.
   */
  takeBack(
    which: 'edges' | 'calls',
    from: string,
    to: string,
    fromVersion: string,
    toVersion: string,
    calls: number,
    errors: number,
  ): void {
    const index = which === 'edges' ? this.edges : this.calls;
    const row =
      index.get(from, to, fromVersion, toVersion) ??
      index.add(
        { from, to, fromVersion, toVersion, calls: 0, errors: 0, firstSeen: NOT_SEEN.firstSeen, lastSeen: 0 },
        from,
        to,
        fromVersion,
        toVersion,
      );
    row.calls += calls;
    row.errors += errors;
  }

  /** A service seen running `version` (`calls`: how many calls it served in it, 0 when it only ran; `errors` of them failed). */
  service(service: string, version: string, calls: number, errors: number, at: number): void {
    if (version === '') return;
    const row =
      this.services.get(service, version) ??
      this.services.add({ service, version, calls: 0, errors: 0, firstSeen: at, lastSeen: at }, service, version);
    count(row, calls, errors, at);
  }

  get size(): number {
    return this.edges.size + this.calls.size + this.services.size;
  }

  /** The rows since the last drain, copied and left in place (what a checkpoint holds while they wait). */
  peek(): VersionRows {
    const copy = <R>(rows: readonly R[]) => rows.map((r) => ({ ...r }));
    return {
      edgeVersions: copy(this.edges.current()),
      callVersions: copy(this.calls.current()),
      serviceVersions: copy(this.services.current()),
    };
  }

  /** Counts rows as `peek` gave them, on top of what is counted (a restart from a checkpoint). */
  restore(rows: VersionRows): void {
    // Added as they stand: a row only taken back keeps the times it carries (NOT_SEEN).
    const into = (index: RowIndex<EdgeVersionRow>, r: EdgeVersionRow) => {
      const row =
        index.get(r.from, r.to, r.fromVersion, r.toVersion) ??
        index.add({ ...r, calls: 0, errors: 0, ...NOT_SEEN }, r.from, r.to, r.fromVersion, r.toVersion);
      add(row, r);
    };
    for (const r of rows.edgeVersions) into(this.edges, r);
    for (const r of rows.callVersions) into(this.calls, r);
    for (const r of rows.serviceVersions) {
      const row =
        this.services.get(r.service, r.version) ??
        this.services.add({ ...r, calls: 0, errors: 0, ...NOT_SEEN }, r.service, r.version);
      add(row, r);
    }
  }

  /** The rows since the last drain, sorted by their ends so that concurrent writers lock in one order. */
  drain(): VersionRows {
    return {
      edgeVersions: this.edges.drain().filter(moved).sort(byEnds),
      callVersions: this.calls.drain().filter(moved).sort(byEnds),
      serviceVersions: this.services.drain().sort((a, b) => cmp(a.service, b.service) || cmp(a.version, b.version)),
    };
  }
}

/** `row.<field>` as the statement reads it: `[i]` after it when the row holds a group's fields as lists. */
type At = '' | '[i]';

const SEEN = (v: string, at: At = '') => `
  ${v}.firstSeen = CASE WHEN ${v}.firstSeen IS NULL OR toInteger(row.firstSeen${at}) < ${v}.firstSeen THEN toInteger(row.firstSeen${at}) ELSE ${v}.firstSeen END,
  ${v}.lastSeen = CASE WHEN ${v}.lastSeen IS NULL OR toInteger(row.lastSeen${at}) > ${v}.lastSeen THEN toInteger(row.lastSeen${at}) ELSE ${v}.lastSeen END`;

/** Counts added; a version just merged has none yet (`fresh`, bound by the caller before this SET). */
const COUNT = (v: string, at: At = '') => `
  ${v}.calls = coalesce(${v}.calls, 0) + toInteger(row.calls${at}),
  ${v}.errors = coalesce(${v}.errors, 0) + toInteger(row.errors${at}),
  ${SEEN(v, at)}`;

/**
 * Keeps the newest `$maxVersions` of what `pattern` matches (as `v`) from each `scope` that gained a
 * version in this statement (`fresh`): only a new version can pass the bound, and nearly every row
 * adds to a known one, so the others are not read again. Drops the least recently seen; returns how
 * many it dropped.
 */
const KEEP_NEWEST = (scope: string, pattern: string) => `
WITH ${scope}, fresh WHERE fresh
WITH DISTINCT ${scope}
CALL (${scope}) {
  MATCH ${pattern}
  WITH v ORDER BY v.lastSeen DESC
  SKIP toInteger($maxVersions)
  DETACH DELETE v
  RETURN count(*) AS dropped
}
RETURN sum(dropped) AS dropped`;

/**
 * Version pairs from one node of `label` to others, one row per node they start from (`groupedColumns`:
 * its pairs' fields as lists). The node's relationships of `type` are walked once and the counts added
 * to the pairs it holds; only pairs it does not hold yet are merged (by their two versions, '' for none:
 * MERGE takes no null). With both ends given, a MERGE per pair walked the node's relationships again
 * for every pair (docs/benchmarks.md item 96). Counts may be negative (late take-backs netted in,
 * `VersionCounts.takeBack`): a pair left with no calls goes, and one not held is not made for them.
 */
const MERGE_VERSIONS_BETWEEN = (label: string, type: string) => `
UNWIND $rows AS row
MATCH (a:${label} {key: row.from})
CALL (a, row) {
  MATCH (a)-[v:${type}]->(b:${label})
  WITH v, [i IN range(0, size(row.to) - 1)
           WHERE row.to[i] = b.key AND row.fromVersion[i] = v.fromVersion AND row.toVersion[i] = v.toVersion] AS at
  WITH v, at WHERE size(at) > 0
  WITH v, at[0] AS i
  SET ${COUNT('v', '[i]')}
  WITH v, i
  FOREACH (gone IN CASE WHEN v.calls <= 0 THEN [v] ELSE [] END | DELETE gone)
  RETURN collect(i) AS held
}
WITH a, row, held
UNWIND [i IN range(0, size(row.to) - 1) WHERE NOT i IN held AND toInteger(row.calls[i]) > 0] AS i
MATCH (b:${label} {key: row.to[i]})
MERGE (a)-[v:${type} {fromVersion: row.fromVersion[i], toVersion: row.toVersion[i]}]->(b)
WITH a, b, v, row, i, v.calls IS NULL AS fresh
SET ${COUNT('v', '[i]')}
${KEEP_NEWEST('a, b', `(a)-[v:${type}]->(b)`)}`;

/** (:Component)-[:DEPENDS_ON_VERSION {fromVersion, toVersion}]->(:Component), beside each DEPENDS_ON. */
export const MERGE_EDGE_VERSIONS = MERGE_VERSIONS_BETWEEN('Component', 'DEPENDS_ON_VERSION');

/** (:Operation)-[:CALLS_VERSION {fromVersion, toVersion}]->(:Operation), beside each CALLS. */
export const MERGE_CALL_VERSIONS = MERGE_VERSIONS_BETWEEN('Operation', 'CALLS_VERSION');

/**
 * (:Service)-[:HAS_VERSION]->(:ServiceVersion {key}): a node per version of a service, with its counts.
 * The service is found as a Component: the key's uniqueness (and its index) is on that label.
 */
export const MERGE_SERVICE_VERSIONS = `
UNWIND $rows AS row
MATCH (s:Component {key: row.service})
MERGE (n:ServiceVersion {key: row.key})
  ON CREATE SET n.service = row.service, n.version = row.version
MERGE (s)-[:HAS_VERSION]->(n)
WITH s, n, row, n.calls IS NULL AS fresh
SET ${COUNT('n')}
${KEEP_NEWEST('s', '(s)-[:HAS_VERSION]->(v:ServiceVersion)')}`;

/** The key of a service's version node: the service's key and the version, as a JSON array like every key. */
export const serviceVersionKey = (service: string, version: string) => JSON.stringify([service, version]);

/** What the version statements read of a pair, as lists per node it starts from. */
const PAIR_COLUMNS = ['to', 'fromVersion', 'toVersion', 'calls', 'errors', 'firstSeen', 'lastSeen'] as const;

export interface VersionWriteOptions {
  versionsPerEdge: number;
  /** told how many versions the bound dropped (the worker counts them in a metric) */
  onVersionsDropped?: (dropped: number) => void;
}

/**
 * The version statements of one flush, sent in `tx` after the edges they hang beside (the writer
 * pipelines them with its own); resolves once they are done.
 */
export function writeVersions(
  tx: ManagedTransaction,
  batch: { edgeVersions?: EdgeVersionRow[]; callVersions?: EdgeVersionRow[]; serviceVersions?: ServiceVersionRow[] },
  opts: VersionWriteOptions,
): Promise<unknown>[] {
  const params = { maxVersions: opts.versionsPerEdge };
  const statements: [string, readonly object[]][] = [
    [MERGE_EDGE_VERSIONS, groupedColumns(batch.edgeVersions ?? [], 'from', PAIR_COLUMNS)],
    [MERGE_CALL_VERSIONS, groupedColumns(batch.callVersions ?? [], 'from', PAIR_COLUMNS)],
    [
      MERGE_SERVICE_VERSIONS,
      (batch.serviceVersions ?? []).map((r) => ({ ...r, key: serviceVersionKey(r.service, r.version) })),
    ],
  ];
  return statements
    .filter(([, rows]) => rows.length > 0)
    .map(async ([query, rows]) => {
      const result = await runRows(tx, query, rows as object[], params);
      const dropped = Number(result.records[0]?.get('dropped') ?? 0);
      if (dropped > 0) opts.onVersionsDropped?.(dropped);
    });
}
