/**
 * The declared map against the real Neo4j: the shop recorded with the official OpenTelemetry SDK
 * (test/support/sdk-shop.ts) and its Backstage catalog (test/fixtures/catalog/), each imported into an
 * environment of its own; then drift, Component.declared, the catalog's owners and owner changes, and
 * what bad input costs (only itself).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBackstagePoller } from '../../ingest/catalog/backstage-poller.js';
import { importCatalogFiles } from '../../ingest/catalog/import-files.js';
import { createCatalogStore } from '../../ingest/catalog/store.js';
import { declaredEdgeExists } from '../../src/api/graphql/data/catalog.js';
import { defaultConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { createGql } from '../support/api.js';
import { fileGraph, neo4jEnv, uniqueName } from '../support/graph.js';
import { freePort, ROOT } from '../support/processes.js';
import { seedSdkShop } from '../support/sdk-shop.js';

const graph = fileGraph();
const store = createCatalogStore(graph);
const fixture = (name: string) => join(ROOT, 'test/fixtures/catalog', name);
const env = uniqueName('catalog');
let gql: ReturnType<typeof createGql>;
let importedAt: number;

beforeAll(async () => {
  gql = createGql(graph);
  await seedSdkShop(graph, env);
  importedAt = Date.now();
  const r = await importCatalogFiles([fixture('shop.yaml')], store, env);
  expect(r.problems).toEqual([]);
  expect(r).toMatchObject({ entities: 8, declaredDependencies: 4, ignored: { API: 2 }, unprovidedApis: [] });
});

describe('drift', () => {
  it('lists where the catalog and the traffic disagree, with counts', async () => {
    const r = await gql(
      `query($env: String) { drift(environment: $env) {
        environment
        declaredNotObserved { from { name ref component { name } } to { name ref component { name } } via environment }
        observedNotDeclared { from { name ref component { name } } to { name ref component { kind } } via environment }
        declaredComponentsNotObserved
        servicesNotDeclared { name }
        summary { declaredEdges observedEdges matchingEdges declaredNotObserved observedNotDeclared
                  declaredComponentsNotObserved servicesNotDeclared catalogEntities catalogImportedAt }
      } }`,
      { env },
    );
    expect(r.errors).toBeUndefined();
    const d = r.data.drift;
    expect(d.environment).toBe(env);
    // payments-service names payments by its annotation; fraud-check was never seen.
    expect(d.declaredNotObserved).toEqual([
      {
        from: { name: 'payments', ref: 'component:default/payments-service', component: { name: 'payments' } },
        to: { name: 'fraud-check', ref: 'component:default/fraud-check', component: null },
        via: 'dependsOn',
        environment: env,
      },
    ]);
    expect(d.observedNotDeclared).toEqual([
      {
        from: { name: 'payments', ref: 'component:default/payments-service', component: { name: 'payments' } },
        to: { name: 'api.stripe.com', ref: null, component: { kind: 'EXTERNAL' } },
        via: null,
        environment: env,
      },
    ]);
    expect(d.declaredComponentsNotObserved).toEqual(['component:default/fraud-check']);
    expect(d.servicesNotDeclared).toEqual([]);
    expect(d.summary).toMatchObject({
      declaredEdges: 4,
      observedEdges: 4,
      matchingEdges: 3,
      declaredNotObserved: 1,
      observedNotDeclared: 1,
      declaredComponentsNotObserved: 1,
      servicesNotDeclared: 0,
      catalogEntities: 8,
    });
    expect(Date.parse(d.summary.catalogImportedAt)).toBeGreaterThanOrEqual(importedAt);
  });

  it('matches a consumed API to its provider: gateway -> checkout is declared through checkout-api', async () => {
    const [row] = await graph.query(
      'test',
      `MATCH (a:Component {environment: $env, name: 'gateway'})-[:DEPENDS_ON]->(b:Component {name: 'checkout'})
       RETURN ${declaredEdgeExists('a', 'b')} AS declared`,
      { env },
    );
    expect(row?.get('declared')).toBe(true);
  });

  it('says which observed edges the catalog also declares: TopologyEdge.sources lists declared', async () => {
    const r = await gql(
      `query($env: String) { topology(environment: $env) { edges { from { name } to { name } sources } } }`,
      { env },
    );
    expect(r.errors).toBeUndefined();
    const edges = r.data.topology.edges
      .map((e: any) => [`${e.from.name} -> ${e.to.name}`, e.sources])
      .sort((x: any, y: any) => x[0].localeCompare(y[0]));
    expect(edges).toEqual([
      ['checkout -> orders-db', ['otlp', 'declared']],
      ['checkout -> payments', ['otlp', 'declared']],
      ['gateway -> checkout', ['otlp', 'declared']],
      ['payments -> api.stripe.com', ['otlp']],
    ]);
  });

  it('keeps a catalog to its environment: another environment sees none of it', async () => {
    const other = uniqueName('catalog-other');
    await seedSdkShop(graph, other);
    const r = await gql(
      `query($other: String) {
        drift(environment: $other) { declaredNotObserved { from { name } } servicesNotDeclared { name } summary { catalogEntities } }
        service(name: "checkout", environment: $other) { declared { ref } }
      }`,
      { other },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.drift.summary.catalogEntities).toBe(0);
    expect(r.data.drift.declaredNotObserved).toEqual([]);
    expect(r.data.drift.servicesNotDeclared.map((s: any) => s.name).sort()).toEqual([
      'checkout',
      'gateway',
      'payments',
    ]);
    expect(r.data.service.declared).toBeNull();
  });

  it('refuses a first out of range with BAD_USER_INPUT', async () => {
    const r = await gql(`{ drift(first: 5000) { summary { declaredEdges } } }`);
    expect(r.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(r.errors?.[0]?.message).toMatch(/first must be between 0 and 1000/);
  });
});

describe('Component.declared and the catalog owners', () => {
  it('gives each component its catalog entity, by name or by annotation', async () => {
    const r = await gql(
      `query($env: String) { topology(environment: $env) { nodes { name declared { ref kind owner system lifecycle type title source } } } }`,
      { env },
    );
    expect(r.errors).toBeUndefined();
    const declared = Object.fromEntries(r.data.topology.nodes.map((n: any) => [n.name, n.declared]));
    expect(declared.gateway).toEqual({
      ref: 'component:default/gateway',
      kind: 'Component',
      owner: 'group:default/shop-team',
      system: 'system:default/shop',
      lifecycle: 'production',
      type: 'service',
      title: 'Web gateway',
      source: 'file',
    });
    expect(declared.payments).toMatchObject({
      ref: 'component:default/payments-service',
      owner: 'group:default/payments-team',
    });
    expect(declared['orders-db']).toMatchObject({
      ref: 'resource:default/orders-db',
      kind: 'Resource',
      type: 'database',
    });
    expect(declared['api.stripe.com']).toBeNull();
  });

  it("lists the catalog's owner in incidentContext beside the owner tags", async () => {
    const r = await gql(
      `query($env: String) { incidentContext(service: "checkout", environment: $env) { owners { key value } } }`,
      { env },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.incidentContext.owners).toEqual([
      { key: 'team', value: 'shop-team' },
      { key: 'catalog', value: 'group:default/shop-team' },
    ]);
  });
});

describe('docs/catalog.md', () => {
  const doc = readFileSync(join(ROOT, 'docs/catalog.md'), 'utf8');
  const queries = [...doc.matchAll(/```graphql\n([\s\S]*?)```/g)].map((m) => m[1]!);

  it('has the three queries this file runs', () => {
    expect(queries.map((q) => /^query (\w+)/.exec(q)?.[1])).toEqual(['Drift', 'Owners', 'OwnerChanges']);
  });

  it('Drift answers what the page says', async () => {
    const r = await gql(queries[0]!, { environment: env });
    expect(r.errors).toBeUndefined();
    expect(r.data.drift.declaredNotObserved).toEqual([
      { from: { name: 'payments' }, to: { name: 'fraud-check' }, via: 'dependsOn' },
    ]);
    expect(r.data.drift.observedNotDeclared).toEqual([
      {
        from: { name: 'payments', ref: 'component:default/payments-service' },
        to: { name: 'api.stripe.com', ref: null },
      },
    ]);
    expect(r.data.drift.declaredComponentsNotObserved).toEqual(['component:default/fraud-check']);
  });

  it('Owners answers what the page says', async () => {
    const r = await gql(queries[1]!, { environment: env });
    expect(r.errors).toBeUndefined();
    expect(r.data.service.declared).toMatchObject({
      ref: 'component:default/checkout',
      owner: 'group:default/shop-team',
    });
    expect(r.data.incidentContext.owners).toContainEqual({ key: 'catalog', value: 'group:default/shop-team' });
  });

  it('OwnerChanges answers what the page says after checkout-moved.yaml', async () => {
    const moved = uniqueName('catalog-doc');
    await seedSdkShop(graph, moved);
    await importCatalogFiles([fixture('shop.yaml')], store, moved);
    const since = new Date().toISOString();
    await importCatalogFiles([fixture('checkout-moved.yaml')], store, moved);
    const r = await gql(queries[2]!, { environment: moved, since });
    expect(r.errors).toBeUndefined();
    const said = /`(\{ "kind": "OWNER_CHANGED".*?), … \}`/.exec(doc)![1]!;
    expect(r.data.changes).toEqual([expect.objectContaining(JSON.parse(`${said} }`))]);
  });
});

describe('owner changes', () => {
  it('shows an owner that changed between two imports in changes and in incidentContext', async () => {
    const env2 = uniqueName('catalog-owner');
    await seedSdkShop(graph, env2);
    await importCatalogFiles([fixture('shop.yaml')], store, env2);
    const before = Date.now();
    const r1 = await importCatalogFiles([fixture('checkout-moved.yaml')], store, env2);
    expect(r1.ownerChanges).toBe(1);
    // The same file again changes nothing more.
    expect((await importCatalogFiles([fixture('checkout-moved.yaml')], store, env2)).ownerChanges).toBe(0);

    const r = await gql(
      `query($env: String, $since: DateTime!) {
        changes(since: $since, environment: $env) { kind subject owner previousOwner at component { name } }
        incidentContext(service: "checkout", environment: $env, changesSince: $since) {
          owners { key value } changes { kind owner previousOwner }
        }
        service(name: "checkout", environment: $env) { declared { owner previousOwner ownerChangedAt } }
      }`,
      { env: env2, since: new Date(before).toISOString() },
    );
    expect(r.errors).toBeUndefined();
    const moved = {
      kind: 'OWNER_CHANGED',
      owner: 'group:default/payments-team',
      previousOwner: 'group:default/shop-team',
    };
    expect(r.data.changes).toHaveLength(1);
    expect(r.data.changes[0]).toMatchObject({
      ...moved,
      subject: 'checkout owner group:default/shop-team -> group:default/payments-team',
      component: { name: 'checkout' },
    });
    expect(r.data.incidentContext.changes).toEqual([moved]);
    expect(r.data.incidentContext.owners).toContainEqual({ key: 'catalog', value: 'group:default/payments-team' });
    const declared = r.data.service.declared;
    expect(declared).toMatchObject({ owner: moved.owner, previousOwner: moved.previousOwner });
    expect(Date.parse(declared.ownerChangedAt)).toBeGreaterThanOrEqual(before);
  });
});

describe('bad input costs only itself', () => {
  it('stores the good entities of a file with mistakes, names each mistake, and keeps the rest of the catalog', async () => {
    const env3 = uniqueName('catalog-bad');
    await importCatalogFiles([fixture('shop.yaml')], store, env3);
    const r = await importCatalogFiles([fixture('mistakes.yaml'), fixture('missing.yaml')], store, env3);
    expect(r.entities).toBe(2);
    expect(r.ignored).toEqual({ Template: 1 });
    const problems = r.problems.map((p) => p.replace(join(ROOT, 'test/fixtures/catalog/'), ''));
    expect(problems).toEqual([
      'mistakes.yaml: document 2: malformed YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 18, column 1',
      'mistakes.yaml: document 1 (component:default/search): spec.dependsOn: "index-db" has no kind (write it as kind:name, e.g. resource:index-db); ignored',
      'mistakes.yaml: document 1 (component:default/search): spec.dependsOn: "resource:bad name" is not an entity reference like [kind:][namespace/]name; ignored',
      'mistakes.yaml: document 4: apiVersion undefined is not backstage.io/…',
      'mistakes.yaml: document 5: metadata.name "not a name" is not a name (up to 63 of A-Z a-z 0-9 - _ .)',
      'missing.yaml: cannot be read: ENOENT',
    ]);
    const d = await gql(
      `query($env: String) { drift(environment: $env) { summary { catalogEntities declaredEdges } } }`,
      {
        env: env3,
      },
    );
    // The shop's 8 and search and index; search -> index is declared beside the shop's 4.
    expect(d.data.drift.summary).toEqual({ catalogEntities: 10, declaredEdges: 5 });
  });

  it('an unreachable Backstage URL is a clear error and the stored catalog stays', async () => {
    const port = await freePort(); // nothing listens there
    const config = { ...defaultConfig().catalog, backstageUrl: `http://127.0.0.1:${port}`, environment: env };
    const poller = createBackstagePoller({ config, store, log: createLogger('test', 'silent') });
    await expect(poller.runOnce()).rejects.toThrow(
      `Backstage catalog at http://127.0.0.1:${port} unreachable: ECONNREFUSED`,
    );
    const d = await gql(`query($env: String) { drift(environment: $env) { summary { catalogEntities } } }`, { env });
    expect(d.data.drift.summary.catalogEntities).toBe(8);
  });
});

describe('npm run import:catalog', () => {
  const run = (args: string[]) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'ingest/catalog-import-main.ts'), ...args], {
        env: { ...process.env, ...neo4jEnv() },
        cwd: ROOT,
      });
      let out = '';
      child.stdout.on('data', (c) => (out += c));
      child.stderr.on('data', (c) => (out += c));
      child.on('exit', (code) => resolve({ code, out }));
    });

  it('imports files, prints what it stored and each refused value, and exits 1 when something was refused', async () => {
    const env4 = uniqueName('catalog-cli');
    const ok = await run(['--environment', env4, 'test/fixtures/catalog/shop.yaml']);
    const printed = '8 entities stored, 4 declared dependencies in the catalog, 0 owner changes; ignored: 2 API';
    expect(ok.out).toContain(printed);
    // docs/catalog.md shows the same command and what it prints.
    const doc = readFileSync(join(ROOT, 'docs/catalog.md'), 'utf8');
    expect(doc).toContain('npm run import:catalog -- --environment shop test/fixtures/catalog/shop.yaml');
    expect(doc).toContain(`\`\`\`text\n${printed}\n\`\`\``);
    expect(ok.code).toBe(0);
    const bad = await run(['--environment', env4, 'test/fixtures/catalog/mistakes.yaml']);
    expect(bad.out).toContain('error: test/fixtures/catalog/mistakes.yaml: document 2: malformed YAML');
    expect(bad.out).toContain(
      '2 entities stored, 5 declared dependencies in the catalog, 0 owner changes; ignored: 1 Template',
    );
    expect(bad.code).toBe(1);
  });

  it('prints its usage without files', async () => {
    const r = await run([]);
    expect(r.out).toContain('usage: npm run import:catalog -- [--environment NAME] FILE...');
    expect(r.code).toBe(2);
  });
});
