/**
 * The one way the API reads Neo4j. Every statement carries the request's timeout and metadata naming
 * the question (`op`), so a slow query shows up in Neo4j's query log under its name and is cut off
 * there; every Neo4j failure is mapped here, once, to an error a user can act on.
 *
 * One statement is an auto-commit read (one round trip, retried on transient errors like a managed
 * transaction); several that belong together (a walk's levels, a lookup and its walk) share one
 * managed read transaction: a transaction per statement cost a session, BEGIN and COMMIT each.
 */
import type { Record as Neo4jRecord } from 'neo4j-driver';
import type { Graph } from '../../../core/neo4j/connection.js';
import type { ApiSettings } from '../context.js';
import { mapNeo4jError } from '../errors.js';

/** The name the API's transactions carry in Neo4j's query log (metadata `app`). */
export const API_APP = 'topograph-api';

export type Params = Record<string, unknown>;

/** One statement of a transaction, its rows as plain objects. */
export type Run = <T>(cypher: string, params: Params) => Promise<T[]>;

export interface Reader {
  /** One statement on its own. */
  rows<T>(op: string, cypher: string, params: Params): Promise<T[]>;
  /** Statements that belong together, in one read transaction; `work` starts afresh if the driver retries. */
  transaction<T>(op: string, work: (run: Run) => Promise<T>, metadata?: Params): Promise<T>;
}

/**
 * Rows as plain objects. The driver's `toObject()` walks each record through a down-levelled
 * generator: ~1 µs a row, as much as the walk's own work for a deep walk's ~700 rows; its records
 * of one result share their keys, read here by index.
 */
function objects<T>(records: Neo4jRecord[]): T[] {
  const out: T[] = new Array(records.length);
  for (let r = 0; r < records.length; r++) {
    const record = records[r]!;
    const keys = record.keys;
    const row: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i++) row[keys[i] as string] = record.get(i);
    out[r] = row as T;
  }
  return out;
}

function mapped(error: unknown): never {
  throw mapNeo4jError(error) ?? error;
}

export function createReader(graph: Graph, settings: Pick<ApiSettings, 'queryTimeoutMs'>): Reader {
  const opts = (op: string, metadata?: Params) => ({
    timeoutMs: settings.queryTimeoutMs,
    metadata: { op, ...metadata },
  });
  return {
    rows: <T>(op: string, cypher: string, params: Params) =>
      graph.query(API_APP, cypher, params, opts(op)).then(objects<T>, mapped),
    transaction: (op, work, metadata) =>
      graph
        .read(
          API_APP,
          (tx) => work(async <T>(cypher: string, params: Params) => objects<T>((await tx.run(cypher, params)).records)),
          opts(op, metadata),
        )
        .catch(mapped),
  };
}
