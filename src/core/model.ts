/**
 * The graph model's names, shared by the ingest worker (which writes them) and the API (which reads them).
 *
 * Every node has a `key` string made from its natural key (docs/model.md, "The graph"); keys are
 * JSON arrays so that no name, however odd, can make two keys collide. The API uses them as node ids.
 */

export const ComponentKind = {
  SERVICE: 'SERVICE',
  DATABASE: 'DATABASE',
  MESSAGING_DESTINATION: 'MESSAGING_DESTINATION',
  EXTERNAL: 'EXTERNAL',
} as const;
export type ComponentKind = (typeof ComponentKind)[keyof typeof ComponentKind];

/** The Neo4j label that goes with each kind, beside `:Component`. */
export const KIND_LABEL: Record<ComponentKind, string> = {
  SERVICE: 'Service',
  DATABASE: 'Database',
  MESSAGING_DESTINATION: 'MessagingDestination',
  EXTERNAL: 'External',
};

/** How an operation was observed: the OpenTelemetry span kind of the spans that make it. */
export const OperationKind = {
  SERVER: 'SERVER',
  CONSUMER: 'CONSUMER',
  CLIENT: 'CLIENT',
  PRODUCER: 'PRODUCER',
  INTERNAL: 'INTERNAL',
} as const;
export type OperationKind = (typeof OperationKind)[keyof typeof OperationKind];

/** Keys remembered per builder before its cache starts over: the ingest path's keys repeat, but names are open-ended. */
export const KEY_CACHE_MAX = 50_000;

/**
 * The ingest worker builds these keys for every span (and tag) it reads, and the same few thousand
 * come back all the time: each is built once and then looked up by its parts (nested maps, so no
 * string is made to look it up). CPU profile: the JSON.stringify calls were ~6% of the worker.
 * The parts are positional (two or three, as many as `build` takes), not a rest array: that array
 * was an allocation per lookup, several per span (docs/benchmarks.md item 68). Also what
 * ingest/derive.ts finds its shared operation objects by.
 */
export function remembered<T, A extends [string, string] | [string, string, string]>(
  build: (...parts: A) => T,
): (...parts: A) => T {
  const three = build.length === 3;
  let root = new Map<string, Map<string, unknown>>();
  let size = 0;
  const lookup = (a: string, b: string, c: string): T => {
    let level = root.get(a);
    if (level === undefined) root.set(a, (level = new Map()));
    let last = b;
    if (three) {
      let next = level.get(b) as Map<string, unknown> | undefined;
      if (next === undefined) level.set(b, (next = new Map()));
      level = next;
      last = c;
    }
    let value = level.get(last) as T | undefined;
    if (value === undefined) {
      value = (build as (a: string, b: string, c: string) => T)(a, b, c);
      if (++size > KEY_CACHE_MAX) {
        root = new Map();
        size = 0;
      } else level.set(last, value);
    }
    return value;
  };
  return lookup as unknown as (...parts: A) => T;
}

export const serviceKey = remembered((environment: string, namespace: string, name: string) =>
  JSON.stringify(['service', environment, namespace, name]),
);
export const databaseKey = remembered((environment: string, system: string, name: string) =>
  JSON.stringify(['database', environment, system, name]),
);
export const destinationKey = remembered((environment: string, system: string, name: string) =>
  JSON.stringify(['destination', environment, system, name]),
);
export const externalKey = remembered((environment: string, name: string) =>
  JSON.stringify(['external', environment, name]),
);
export const operationKey: (componentKey: string, kind: OperationKind, name: string) => string = remembered(
  (componentKey: string, kind: string, name: string) => JSON.stringify(['operation', componentKey, kind, name]),
);
export const tagKey = remembered((key: string, value: string) => JSON.stringify([key, value]));

/** The kind a component key names, read back from the key. */
export function kindOfComponentKey(key: string): ComponentKind {
  const first = (JSON.parse(key) as string[])[0];
  switch (first) {
    case 'service':
      return ComponentKind.SERVICE;
    case 'database':
      return ComponentKind.DATABASE;
    case 'destination':
      return ComponentKind.MESSAGING_DESTINATION;
    default:
      return ComponentKind.EXTERNAL;
  }
}

/**
 * Latency histogram bounds in milliseconds (upper bounds; one more bucket catches the rest).
 * The same bounds as the Collector's servicegraph connector defaults, so figures compare.
 */
export const LATENCY_BOUNDS_MS = [2, 4, 6, 8, 10, 50, 100, 200, 400, 800, 1000, 1400, 2000, 5000, 10000, 15000];
export const LATENCY_BUCKETS = LATENCY_BOUNDS_MS.length + 1;

/**
 * Recent health rings kept on edges and entry operations: one slot per minute for the last hour and
 * one per hour for the last day, each slot remembering which minute (hour) it holds. Storage stays
 * constant; "the last 15 minutes" reads 60 small numbers, "the last 24 hours" 24.
 */
export const MINUTE_SLOTS = 60;
export const HOUR_SLOTS = 24;
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

/**
 * Every name a DEPENDS_ON edge's `sources` may hold, in the order the API lists them: the worker
 * writes `otlp`, `zipkin` and `import` (ingest/presence.ts), a catalog import `declared`.
 */
export const EDGE_SOURCES = ['otlp', 'zipkin', 'import', 'declared'] as const;
export type EdgeSource = (typeof EDGE_SOURCES)[number];
