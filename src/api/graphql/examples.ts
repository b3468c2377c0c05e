/** The example queries (docs/api.md; the README shows one): GraphiQL opens with them, and tests run them exactly as written. */
export const README_QUERIES = {
  services: `{ services(first: 100) { edges { node { name namespace environment } } } }`,
  service: `{ service(name: "checkout") {
    name
    operations { name kind }
    dependencies(depth: 1) { depth component { name kind } calls errors }
    dependents(depth: 3) { depth component { name kind } }
} }`,
  tag: `{ tag(key: "client.version") { values { value services { name } } } }`,
  library: `{ library(name: "@opentelemetry/instrumentation-http") { versions { version services { name } } } }`,
  operation: `{ operation(service: "gateway", name: "GET /checkout") {
    downstream(depth: 5) { depth from { component { name } name } to { component { name } name } calls }
} }`,
} as const;

/** The other questions (docs/api.md, "The questions"), one query each; GraphiQL offers them after the examples. */
export const QUESTION_QUERIES = {
  topology: `{ topology(environment: "production") { nodes { name kind } edges { from { name } to { name } calls errors } mermaid } }`,
  topologyAt: `{ topology(environment: "production", at: "2026-01-15T09:30:00Z") {
    period { start end } nodes { name kind } edges { from { name } to { name } calls sources }
} }`,
  topologyDiff: `{ topologyDiff(environment: "production", from: "2026-01-14T09:30:00Z", to: "2026-01-15T09:30:00Z") {
    added { from { name } to { name } sources } removed { from { name } to { name } }
    addedComponents { name kind } removedComponents { name kind }
} }`,
  paths: `{ paths(from: "gateway", to: "orders-db", maxDepth: 6) { length hops { name kind } } }`,
  incidentContext: `{ incidentContext(service: "checkout", window: "15m") {
    health { calls errors errorRate }
    upstream { component { name kind } calls errors avgLatencyMs }
    downstream { component { name kind } calls errors avgLatencyMs latency { p95Ms } }
    changes { kind subject at }
    owners { key value }
    exemplarTraceIds
    links { traceId url }
    traces { traceId error hops { depth from { name } to { component { name } name } error latencyMs } }
} }`,
  dependents: `{ component(name: "orders-db", kind: DATABASE) {
    dependents(depth: 3) { depth component { name } path { name } calls }
} }`,
  canary: `{ service(name: "checkout") {
    versions { version firstSeen lastSeen calls errors }
    dependencies(depth: 1) { component { name } byVersion { fromVersion toVersion calls errors errorRate } }
} }`,
  changes: `{ changes(since: "2026-01-01T00:00:00Z", environment: "production", quietFor: "1h") { kind subject at } }`,
  correlations: `{ correlations(service: "checkout", window: "1h") {
    calls errors rule values { key value calls errors errorRate restCalls restErrors lift zScore }
} }`,
  footprint: `{ footprint(key: "tenant.id", value: "acme") {
    calls errors services { component { name } calls errors } operations { operation { name } calls errors }
    downstream(depth: 3) { depth from { name } to { component { name } name } }
} }`,
  trace: `{ trace(traceId: "4bf92f3577b34da6a3ce929d0e0e4736") {
    error entry { name } hops { depth from { name } to { name } error latencyMs } url
} }`,
  traces: `{ operation(service: "gateway", name: "GET /checkout") { traces(first: 3, errorsOnly: true) { traceId url } } }`,
} as const;

const asNamed = ([name, q]: [string, string]) =>
  `\n# ${name}\n${q.replace(/^\{/, `query ${name[0]!.toUpperCase()}${name.slice(1)} {`)}`;

export const GRAPHIQL_DEFAULT_QUERY = [
  '# Topograph: the map of your system, from its traces. The examples of docs/api.md:',
  ...Object.entries(README_QUERIES).map(asNamed),
  '\n# More questions (docs/api.md, "The questions"):',
  ...Object.entries(QUESTION_QUERIES).map(asNamed),
].join('\n');
