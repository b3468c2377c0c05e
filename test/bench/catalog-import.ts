/**
 * What the declared map costs: a generated catalog of N components (each depending on two others and
 * consuming one API) imported into an environment of its own, then `drift` asked over it. The
 * catalog is written on import only, never on the ingest path, so ingest figures do not move.
 * `npx tsx test/bench/catalog-import.ts [components]` — a tool, not part of `npm run bench`; prints
 * wall and CPU time of the import (first and again, when every entity exists) and of drift.
 */
import { randomBytes } from 'node:crypto';
import { readEntities } from '../../ingest/catalog/descriptors.js';
import { createCatalogStore } from '../../ingest/catalog/store.js';
import { loadDrift } from '../../src/api/graphql/data/catalog.js';
import { createContext } from '../../src/api/graphql/context.js';
import { loadConfig } from '../../src/core/config.js';
import { createGraph, resolveNeo4j } from '../../src/core/neo4j/connection.js';

const n = Number(process.argv[2] ?? 2000);
const config = loadConfig();
const graph = createGraph(await resolveNeo4j(config.neo4j));
const env = `bench-catalog-${randomBytes(4).toString('hex')}`;
const entity = (i: number) => ({
  value: {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: `svc-${i}` },
    spec: {
      type: 'service',
      lifecycle: 'production',
      owner: `team-${i % 40}`,
      system: `system-${i % 25}`,
      dependsOn: [`component:svc-${(i + 1) % n}`, `component:svc-${(i + 7) % n}`],
      providesApis: [`api-${i}`],
      consumesApis: [`api-${(i + 3) % n}`],
    },
  },
  where: `entity ${i}`,
});
const { entities, problems } = readEntities(Array.from({ length: n }, (_, i) => entity(i)));
if (problems.length > 0) throw new Error(problems.join('\n'));

async function timed<T>(what: string, work: () => Promise<T>): Promise<T> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const result = await work();
  const used = process.cpuUsage(cpu);
  console.log(
    `${what}: ${(performance.now() - start).toFixed(0)} ms wall, ${((used.user + used.system) / 1000).toFixed(0)} ms CPU (this process)`,
  );
  return result;
}

const store = createCatalogStore(graph);
try {
  const first = await timed(`import ${n} components (new)`, () =>
    store.write('file', entities, { mirror: false, environment: env }),
  );
  console.log(`  ${first.declaredDependencies} declared dependencies`);
  await timed(`import ${n} components (again)`, () =>
    store.write('file', entities, { mirror: false, environment: env }),
  );
  const ctx = createContext(graph, config.api.settings);
  const drift = await timed('drift', () => loadDrift(ctx, { environment: env, since: 0, first: 200 }));
  console.log(`  ${drift.summary.declaredNotObserved} declared, not observed`);
} finally {
  await graph.write('bench', (tx) => tx.run('MATCH (e:CatalogEntity {environment: $env}) DETACH DELETE e', { env }));
  await graph.close();
}
