/**
 * Records both processes share: what the worker writes to a node and the API reads back, one shape
 * each, so that a field added on one side is seen on the other.
 */

/** The facts a component node holds besides its kind (which a flush knows from the list a row is in). */
export interface ComponentFacts {
  key: string;
  name: string;
  environment: string;
  namespace: string | null;
  system: string | null;
  address: string | null;
  version: string | null;
  firstSeen: number;
  lastSeen: number;
}

/** A kept trace's skeleton, as the worker's sampling writes it and the API reads it back. */
export interface TraceSampleFacts {
  traceId: string;
  /** the entry operation's key: the caller no other hop of the trace calls */
  entry: string;
  error: boolean;
  firstSeen: number;
  lastSeen: number;
  /** the operation keys its hops name, each once, in the order they were first written */
  ops: string[];
  /**
   * each hop as JSON [from, to, error 0|1, latencyMs, atMs], `from` and `to` positions in `ops` (a
   * skeleton written before `ops` existed names them by key instead: `readHop` reads both)
   */
  hops: string[];
}

/** A stored hop's caller and callee keys and its figures (`TraceSampleFacts.hops`). */
export function readHop(
  sample: Pick<TraceSampleFacts, 'ops'>,
  text: string,
): { from: string; to: string; error: boolean; latencyMs: number; at: number } {
  const [from, to, error, latencyMs, at] = JSON.parse(text) as [
    number | string,
    number | string,
    number,
    number,
    number,
  ];
  const key = (end: number | string) => (typeof end === 'number' ? sample.ops[end]! : end);
  return { from: key(from), to: key(to), error: error === 1, latencyMs, at };
}

/** What a version pair of an edge, or a version of a service, counts (ingest/versions.ts writes it). */
export interface VersionFacts {
  calls: number;
  errors: number;
  firstSeen: number;
  lastSeen: number;
}

/** One version pair of an edge: '' where a side reports no `service.version` (the API answers null). */
export interface EdgeVersionFacts extends VersionFacts {
  fromVersion: string;
  toVersion: string;
}
