/** The README's example queries: GraphiQL opens with them, and tests run them exactly as written. */
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

export const GRAPHIQL_DEFAULT_QUERY = [
  '# Topograph: the map of your system, from its traces. Examples from the README:',
  ...Object.entries(README_QUERIES).map(([name, q]) => `\n# ${name}\n${q.replace(/^\{/, `query ${name[0]!.toUpperCase()}${name.slice(1)} {`)}`),
].join('\n');
