/**
 * The catalog poller against a real Backstage catalog backend (Backstage's own packages, in
 * test/backstage-harness: an in-memory SQLite database, a static access token, and a file location
 * holding the shop's catalog-info.yaml). `npm run test:backstage` installs the harness and runs this.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackstagePoller } from '../../ingest/catalog/backstage-poller.js';
import { createCatalogStore } from '../../ingest/catalog/store.js';
import { defaultConfig } from '../../src/core/config.js';
import { createLogger } from '../../src/core/logger.js';
import { createGql } from '../support/api.js';
import { fileGraph, neo4jEnv, uniqueName } from '../support/graph.js';
import { freePort, ROOT, startProcess, startTs, type Child } from '../support/processes.js';
import { seedSdkShop } from '../support/sdk-shop.js';

const TOKEN = `backstage-${uniqueName('token')}`;
const graph = fileGraph();
const store = createCatalogStore(graph);
const log = createLogger('test', 'silent');
const dir = mkdtempSync(join(tmpdir(), 'topograph-backstage-'));
const catalogFile = join(dir, 'catalog-info.yaml');
let backstage: Child;
let url: string;

/** Asks the real Backstage until it lists what `done` wants (it processes a location in the background). */
async function untilBackstage(done: (entities: any[]) => boolean, what: string) {
  const deadline = Date.now() + 120_000;
  let last: unknown;
  while (Date.now() < deadline) {
    const res = await fetch(`${url}/api/catalog/entities`, { headers: { authorization: `Bearer ${TOKEN}` } });
    last = res.ok ? await res.json() : `HTTP ${res.status}`;
    if (Array.isArray(last) && done(last)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`Backstage never listed ${what}: ${JSON.stringify(last)}`);
}

const poller = (environment: string, token = TOKEN, pageSize?: number) =>
  createBackstagePoller({
    config: { ...defaultConfig().catalog, backstageUrl: url, backstageToken: token, environment },
    store,
    log,
    pageSize,
  });

beforeAll(async () => {
  copyFileSync(join(ROOT, 'test/fixtures/catalog/shop.yaml'), catalogFile);
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  writeFileSync(
    join(dir, 'app-config.yaml'),
    JSON.stringify({
      backend: {
        baseUrl: url,
        listen: { port, host: '127.0.0.1' },
        database: { client: 'better-sqlite3', connection: ':memory:' },
        auth: { externalAccess: [{ type: 'static', options: { token: TOKEN, subject: 'topograph-test' } }] },
      },
      catalog: {
        // Re-read the location every second, so that a changed file shows within seconds.
        processingInterval: { seconds: 1 },
        rules: [{ allow: ['Component', 'Resource', 'System', 'Group', 'API', 'Location'] }],
        locations: [{ type: 'file', target: catalogFile }],
      },
    }),
  );
  backstage = await startProcess(
    process.execPath,
    [join(ROOT, 'test/backstage-harness/catalog-backend.mjs'), '--config', join(dir, 'app-config.yaml')],
    {},
    /Plugin initialization complete/,
    120_000,
  );
  await untilBackstage((es) => es.some((e) => e.metadata.name === 'fraud-check'), 'the shop');
});

afterAll(async () => {
  await backstage?.stop();
});

describe('the Backstage catalog poller', () => {
  it("mirrors the real catalog's entities, and drift compares them with the SDK shop's traffic", async () => {
    const env = uniqueName('backstage');
    await seedSdkShop(graph, env);
    const r = await poller(env).runOnce();
    expect(r.problems).toEqual([]);
    expect(r).toMatchObject({ entities: 8, removed: 0, declaredDependencies: 4, ignored: { API: 2, Location: 1 } });

    const gql = createGql(graph);
    const d = await gql(
      `query($env: String) { drift(environment: $env) {
        declaredNotObserved { from { name } to { name } }
        observedNotDeclared { from { name } to { name } }
      } service(name: "payments", environment: $env) { declared { ref owner source } } }`,
      { env },
    );
    expect(d.errors).toBeUndefined();
    expect(d.data.drift.declaredNotObserved).toEqual([{ from: { name: 'payments' }, to: { name: 'fraud-check' } }]);
    expect(d.data.drift.observedNotDeclared).toEqual([{ from: { name: 'payments' }, to: { name: 'api.stripe.com' } }]);
    expect(d.data.service.declared).toEqual({
      ref: 'component:default/payments-service',
      owner: 'group:default/payments-team',
      source: `backstage:${url}`,
    });
  });

  it('reads a catalog larger than a page page by page, missing and repeating nothing', async () => {
    const env = uniqueName('backstage-pages');
    // 11 entities (8 kept, 2 APIs, 1 Location) in pages of 3: four requests, the last one short.
    const r = await poller(env, TOKEN, 3).runOnce();
    expect(r).toMatchObject({ entities: 8, declaredDependencies: 4, ignored: { API: 2, Location: 1 } });
  });

  it('a refused token is a clear error and the stored catalog stays', async () => {
    const env = uniqueName('backstage-token');
    await poller(env).runOnce();
    await expect(poller(env, 'not-the-token-0123456789').runOnce()).rejects.toThrow(
      `Backstage catalog at ${url} answered HTTP 401 (check TOPOGRAPH_BACKSTAGE_TOKEN)`,
    );
    const gql = createGql(graph);
    const d = await gql(`query($env: String) { drift(environment: $env) { summary { catalogEntities } } }`, { env });
    expect(d.data.drift.summary.catalogEntities).toBe(8);
  });

  it('follows the catalog: an entity Backstage no longer lists is removed, an owner change is recorded', async () => {
    const env = uniqueName('backstage-change');
    await poller(env).runOnce();
    // checkout moves to the payments team, fraud-check is dropped from the file.
    const moved = readFileSync(join(ROOT, 'test/fixtures/catalog/shop.yaml'), 'utf8');
    writeFileSync(
      catalogFile,
      moved
        .split('\n---\n')
        .filter((doc) => !doc.includes('name: fraud-check'))
        .map((doc) =>
          doc.includes('name: checkout\n') ? doc.replace('owner: shop-team', 'owner: payments-team') : doc,
        )
        .join('\n---\n'),
    );
    await untilBackstage(
      (es) =>
        !es.some((e) => e.metadata.name === 'fraud-check') &&
        es.some((e) => e.metadata.name === 'checkout' && e.spec.owner === 'payments-team'),
      'the changed file',
    );
    const r = await poller(env).runOnce();
    expect(r).toMatchObject({ entities: 7, removed: 1, ownerChanges: 1 });
  });

  it('an answer listing no entity it keeps (a catalog being rebuilt) replaces nothing', async () => {
    const env = uniqueName('backstage-empty');
    await poller(env).runOnce();
    const before = readFileSync(catalogFile, 'utf8');
    writeFileSync(catalogFile, '');
    try {
      await untilBackstage((es) => !es.some((e) => e.kind === 'Component'), 'no component');
      await expect(poller(env).runOnce()).rejects.toThrow(
        `Backstage catalog at ${url} listed no Component, Resource, System or Group`,
      );
      const gql = createGql(graph);
      const d = await gql(`query($env: String) { drift(environment: $env) { summary { catalogEntities } } }`, {
        env,
      });
      expect(d.data.drift.summary.catalogEntities).toBe(7);
    } finally {
      writeFileSync(catalogFile, before);
      await untilBackstage((es) => es.some((e) => e.metadata.name === 'checkout'), 'the file again');
    }
  });
});

describe('the ingest worker with TOPOGRAPH_BACKSTAGE_URL', () => {
  it('reads the catalog as it starts', async () => {
    const env = uniqueName('backstage-worker');
    const worker = await startTs(
      'ingest/main.ts',
      {
        ...neo4jEnv(),
        TOPOGRAPH_OTLP_HTTP_PORT: String(await freePort()),
        TOPOGRAPH_OTLP_GRPC_PORT: String(await freePort()),
        TOPOGRAPH_ZIPKIN_PORT: String(await freePort()),
        TOPOGRAPH_BACKSTAGE_URL: url,
        TOPOGRAPH_BACKSTAGE_TOKEN: TOKEN,
        TOPOGRAPH_BACKSTAGE_ENVIRONMENT: env,
      },
      /catalog: Backstage catalog read/,
    );
    try {
      const gql = createGql(graph);
      const d = await gql(`query($env: String) { drift(environment: $env) { summary { catalogEntities } } }`, { env });
      expect(d.data.drift.summary.catalogEntities).toBeGreaterThanOrEqual(7);
    } finally {
      await worker.stop();
    }
  });
});
