/**
 * A Neo4j outage under load, against the real processes: a private Neo4j (never the shared one, which
 * other tests use) is stopped while the worker is being sent the two halves of many calls in separate
 * OTLP requests, and started again. While it is down the worker must go on answering 200 (the spool
 * has room), and the API must say so: /readyz 503, GraphQL errors with DATABASE_UNAVAILABLE. Once it is
 * back, the worker catches up from the spool to exactly the acknowledged call counts, and the same API
 * process answers again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGraph, type Graph } from '../../src/core/neo4j/connection.js';
import {
  defaultLocalOptions,
  ensureLocalNeo4j,
  stopLocalNeo4j,
  fetchServer,
  type LocalNeo4jOptions,
} from '../../src/core/neo4j/local-server.js';
import { uniqueName } from '../support/graph.js';
import { eventually, freePort, startTs, type Child } from '../support/processes.js';
import { recordCalls } from '../support/sdk-calls.js';

let neo4jOptions: LocalNeo4jOptions;
let graph: Graph | undefined;
let worker: Child | undefined;
let api: Child | undefined;
let otlpPort: number;
let apiPort: number;

beforeAll(async () => {
  const shared = defaultLocalOptions();
  // This test needs a Neo4j of its own to stop, even when the suite runs against NEO4J_URI: the
  // project's jars (fetched once with Maven; a no-op when they are there) on the machine's Java.
  fetchServer(shared);
  neo4jOptions = defaultLocalOptions({
    dir: mkdtempSync(join(tmpdir(), 'topograph-neo4j-outage-')),
    // The jars the project's server was started from: no second Maven fetch.
    libDir: join(shared.dir, 'lib'),
    boltPort: await freePort(),
    httpPort: await freePort(),
    // Small: this instance holds one test's data, on a machine shared with other tests.
    heap: '512m',
    pageCache: '64m',
  });
  const local = await ensureLocalNeo4j(neo4jOptions);
  const target = { uri: local.uri, user: local.user, password: local.password, database: 'neo4j' };
  graph = createGraph(target);
  const env = {
    NEO4J_URI: target.uri,
    NEO4J_USER: target.user,
    NEO4J_PASSWORD: target.password,
    NEO4J_DATABASE: target.database,
    TOPOGRAPH_LOG_LEVEL: 'info',
  };
  otlpPort = await freePort();
  apiPort = await freePort();
  worker = await startTs(
    'ingest/main.ts',
    {
      ...env,
      TOPOGRAPH_OTLP_HTTP_PORT: String(otlpPort),
      TOPOGRAPH_OTLP_GRPC_PORT: '0',
      TOPOGRAPH_ZIPKIN_PORT: '0',
      TOPOGRAPH_FLUSH_INTERVAL: '200ms',
      // Long enough that no half expires while its other half waits out the outage.
      TOPOGRAPH_PAIRING_TTL: '10m',
    },
    /OTLP\/HTTP receiver on/,
  );
  api = await startTs('src/api/main.ts', { ...env, TOPOGRAPH_API_PORT: String(apiPort) }, /GraphQL API/);
  // Both listen at once but are ready only once the schema is applied to this fresh database.
  for (const port of [otlpPort, apiPort]) {
    await eventually(
      async () => ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200 ? true : undefined),
      120_000,
      `readiness on port ${port}`,
    );
  }
}, 400_000);

afterAll(async () => {
  await worker?.stop();
  await api?.stop();
  await graph?.close();
  if (neo4jOptions) {
    await stopLocalNeo4j(neo4jOptions);
    rmSync(neo4jOptions.dir, { recursive: true, force: true });
  }
}, 120_000);

/** 429s answered so far (processing behind while catching up), each retried after its Retry-After as exporters do */
let behindRefusals = 0;

async function sendSpans(spans: ReadableSpan[]): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`http://127.0.0.1:${otlpPort}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!),
    });
    await res.arrayBuffer();
    if (res.status !== 429 || attempt >= 60) return res.status;
    behindRefusals++;
    await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get('retry-after') ?? 1)));
  }
}

interface GqlAnswer {
  data?: { service?: { dependencies: { component: { name: string }; calls: number }[] } | null };
  errors?: { message: string; extensions?: { code?: string } }[];
}

async function gql(query: string): Promise<GqlAnswer> {
  const res = await fetch(`http://127.0.0.1:${apiPort}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return (await res.json()) as GqlAnswer;
}

const readyz = async () => (await fetch(`http://127.0.0.1:${apiPort}/readyz`)).status;

async function workerMetric(name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${otlpPort}/metrics`)).text();
  return Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.e+]+)`, 'm').exec(text)?.[1]);
}

/** DEPENDS_ON call counts between the services whose names start with `prefix`, by "from>to". */
async function edgeCalls(prefix: string): Promise<Map<string, number>> {
  const rows = await graph!.read(
    'test',
    async (tx) =>
      (
        await tx.run(
          `MATCH (a:Service)-[r:DEPENDS_ON]->(b:Service) WHERE a.name STARTS WITH $prefix
           RETURN a.name AS a, b.name AS b, r.calls AS calls`,
          { prefix },
        )
      ).records,
  );
  return new Map(rows.map((r) => [`${r.get('a')}>${r.get('b')}`, Number(r.get('calls'))]));
}

describe('Neo4j outage', () => {
  it(
    'worker keeps acknowledging into the spool, API reports the outage, both recover with exact counts',
    { timeout: 600_000 },
    async () => {
      const prefix = uniqueName('outage');
      const PAIRS = 60;
      const CALLS = 2;
      // The server half of pair p goes LAG requests after its client half, so halves wait across the outage.
      const LAG = 5;
      const pairs = Array.from({ length: PAIRS }, (_, p) => ({
        client: `${prefix}-a${p}`,
        server: `${prefix}-b${p}`,
        ...recordCalls(`${prefix}-a${p}`, `${prefix}-b${p}`, prefix, CALLS),
      }));
      const sends: (() => Promise<number>)[] = [];
      for (let i = 0; i < PAIRS + LAG; i++) {
        const c = pairs[i];
        if (c) sends.push(() => sendSpans(c.clientSpans));
        const s = pairs[i - LAG];
        if (s) sends.push(() => sendSpans(s.serverSpans));
      }
      const statuses: number[] = [];
      let next = 0;
      /** Sends requests in order, two at a time, up to (not including) request `end`. */
      const sendUpTo = async (end: number) => {
        const runner = async () => {
          while (next < end) statuses[next] = await sends[next++]!();
        };
        await Promise.all([runner(), runner()]);
      };
      const quarter = Math.floor(sends.length / 4);
      const serviceQuery = `{ service(name: "${prefix}-a0", environment: "${prefix}") {
        dependencies(depth: 1) { component { name } calls } } }`;

      // Neo4j up: the first quarter is written as usual.
      await sendUpTo(quarter);
      const pairedBeforeOutage = pairs.slice(0, Math.floor(quarter / 2) - LAG);
      await eventually(
        async () => {
          const calls = await edgeCalls(prefix);
          return pairedBeforeOutage.every((p) => calls.get(`${p.client}>${p.server}`) === CALLS) ? true : undefined;
        },
        120_000,
        'the calls sent before the outage written',
      );

      // Neo4j stops (a clean shutdown) while the second quarter is being sent.
      await Promise.all([stopLocalNeo4j(neo4jOptions), sendUpTo(2 * quarter)]);

      // The API notices by itself, and says so to GraphQL clients.
      await eventually(async () => ((await readyz()) === 503 ? true : undefined), 60_000, '/readyz 503');
      let failedQueryMs = 0;
      const unavailable = await eventually(
        async () => {
          const t = Date.now();
          const answer = await gql(serviceQuery);
          failedQueryMs = Date.now() - t;
          return answer.errors?.[0]?.extensions?.code === 'DATABASE_UNAVAILABLE' ? answer : undefined;
        },
        60_000,
        'a GraphQL error with DATABASE_UNAVAILABLE',
      );
      expect(unavailable.errors![0]!.message).toMatch(/unavailable/);

      // Neo4j down: the third quarter is acknowledged all the same, kept in the spool.
      await sendUpTo(3 * quarter);
      expect(await workerMetric('topograph_spool_checkpoint_lag_records')).toBeGreaterThan(0);

      // Neither while Neo4j was up nor while it was down was anything refused: the spool took it all.
      expect(behindRefusals).toBe(0);

      // Neo4j back on the same data; the rest is sent while the worker catches up. A catch-up that falls
      // more than TOPOGRAPH_INGEST_MAX_LAG behind may answer 429 (retried, as exporters do); nothing else.
      const restartAt = Date.now();
      await ensureLocalNeo4j(neo4jOptions);
      const upAt = Date.now();
      await sendUpTo(sends.length);
      expect(statuses.filter((s) => s !== 200)).toEqual([]);

      // Everything was acknowledged, so every pair must count exactly CALLS calls, none twice.
      await eventually(
        async () => {
          const calls = await edgeCalls(prefix);
          return pairs.every((p) => calls.get(`${p.client}>${p.server}`) === CALLS) && calls.size === PAIRS
            ? true
            : undefined;
        },
        300_000,
        'exact call counts after Neo4j returned',
      );
      const caughtUpAt = Date.now();
      await eventually(
        async () => ((await workerMetric('topograph_spool_checkpoint_lag_records')) === 0 ? true : undefined),
        60_000,
        'no checkpoint lag',
      );

      // The same API process is ready again and answers from the graph.
      await eventually(async () => ((await readyz()) === 200 ? true : undefined), 60_000, '/readyz 200');
      const answer = await eventually(
        async () => {
          const a = await gql(serviceQuery);
          return a.errors ? undefined : a;
        },
        60_000,
        'a GraphQL answer',
      );
      expect(answer.data?.service?.dependencies).toEqual([{ component: { name: `${prefix}-b0` }, calls: CALLS }]);

      // The figures docs/ingest.md's "Durable ingest" quotes (measured, not asserted).
      console.log(
        `[outage] ${sends.length} requests, all 200 (${behindRefusals} retried after a 429 while catching up); GraphQL failed in ${failedQueryMs} ms while Neo4j was down; ` +
          `Neo4j restart took ${((upAt - restartAt) / 1000).toFixed(1)} s; ` +
          `exact counts ${((caughtUpAt - upAt) / 1000).toFixed(1)} s after it accepted connections`,
      );
    },
  );
});
