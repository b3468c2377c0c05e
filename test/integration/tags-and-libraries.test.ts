/**
 * Tags and libraries in Neo4j: TAGGED relationships with call and error counts on services and
 * operations, values past a key's cap stored as one overflow value, and one USES per library version.
 */
import { describe, expect, it } from 'vitest';
import { createEngine, engineOptions } from '../../ingest/engine.js';
import { SpanKind } from '../../ingest/span.js';
import { OVERFLOW_VALUE } from '../../ingest/tags.js';
import { createNeo4jSink } from '../../ingest/writer.js';
import { defaultConfig, loadConfig } from '../../src/core/config.js';
import { fileGraph, uniqueName } from '../support/graph.js';
import { TraceBuilder } from '../support/spans.js';
import { driveEngine } from '../support/capture.js';

const graph = fileGraph();
const TAGGED_IN_ENVIRONMENT = `
MATCH (c:Service {environment: $env})
OPTIONAL MATCH (c)-[:HAS_OPERATION]->(o:Operation)
WITH c, collect(o) AS ops
UNWIND [c] + ops AS subject
MATCH (subject)-[r:TAGGED]->(t:Tag {key: $key})
RETURN CASE WHEN subject:Operation THEN 'op ' + subject.name ELSE 'service ' + subject.name END AS at, t.value AS value, r.calls AS calls, r.errors AS errors
ORDER BY at, value`;

const USES_IN_ENVIRONMENT = `
MATCH (s:Service {environment: $env})-[u:USES]->(l:Library {name: $library})
RETURN s.name + ' ' + u.version AS use ORDER BY use`;

/** One request: a SERVER span of `service` answering GET `route` for a client of `client.version` `version`. */
function clientCall(env: string, service: string, route: string, version: string, error: boolean) {
  const t = new TraceBuilder();
  t.span({
    service,
    kind: SpanKind.SERVER,
    name: `GET ${route}`,
    error,
    resource: { 'deployment.environment.name': env },
    attributes: { 'http.request.method': 'GET', 'http.route': route, 'client.version': version },
  });
  return t.batch();
}

describe('tags and libraries in the graph', () => {
  it('stores allow-listed tag values with counts and errors, and one overflow value past the cap', async () => {
    const env = uniqueName('tags');
    const config = loadConfig({ TOPOGRAPH_TAG_KEYS: 'client.version', TOPOGRAPH_TAG_MAX_VALUES: '2' });
    const pipeline = driveEngine(
      createEngine(engineOptions(config)),
      createNeo4jSink(graph, defaultConfig().ingest.writer),
    );
    // The cap is per key and per worker: other tests' values do not count here.
    const requests: [string, boolean][] = [
      ['1.0', false],
      ['1.0', true],
      ['2.0', false],
      ['3.0', true],
      ['4.0', false],
    ];
    for (const [version, error] of requests) pipeline.ingest(clientCall(env, 'app-api', '/items', version, error));
    await pipeline.drainAll();
    const rows = await graph.read('test', async (tx) =>
      (await tx.run(TAGGED_IN_ENVIRONMENT, { env, key: 'client.version' })).records.map(
        (r) => `${r.get('at')}: ${r.get('value')} x${r.get('calls')} (${r.get('errors')} errors)`,
      ),
    );
    expect(rows).toEqual([
      `op GET /items: ${OVERFLOW_VALUE} x2 (1 errors)`,
      'op GET /items: 1.0 x2 (1 errors)',
      'op GET /items: 2.0 x1 (0 errors)',
      `service app-api: ${OVERFLOW_VALUE} x2 (1 errors)`,
      'service app-api: 1.0 x2 (1 errors)',
      'service app-api: 2.0 x1 (0 errors)',
    ]);
    expect(pipeline.stats().tagOverflow).toBe(2);
  });

  it('adds a later flush to the tag counts a subject already holds, beside the values new to it', async () => {
    const env = uniqueName('tags-again');
    const config = loadConfig({ TOPOGRAPH_TAG_KEYS: 'client.version' });
    const clock = { now: 1_700_000_000_000 };
    const pipeline = driveEngine(
      createEngine(engineOptions(config)),
      createNeo4jSink(graph, defaultConfig().ingest.writer),
      () => clock.now,
    );
    const call = (version: string, error: boolean) =>
      pipeline.ingest(clientCall(env, 'app-web', '/cart', version, error));
    call('1.0', false);
    call('2.0', true);
    await pipeline.flush();
    // The second flush: 1.0 and 2.0 are held already (their counts grow), 3.0 is new.
    clock.now += 60_000;
    call('1.0', true);
    call('2.0', false);
    call('3.0', false);
    await pipeline.drainAll();
    const rows = await graph.read('test', async (tx) =>
      (await tx.run(TAGGED_IN_ENVIRONMENT, { env, key: 'client.version' })).records.map(
        (r) => `${r.get('at')}: ${r.get('value')} x${r.get('calls')} (${r.get('errors')} errors)`,
      ),
    );
    expect(rows).toEqual([
      'op GET /cart: 1.0 x2 (1 errors)',
      'op GET /cart: 2.0 x2 (1 errors)',
      'op GET /cart: 3.0 x1 (0 errors)',
      'service app-web: 1.0 x2 (1 errors)',
      'service app-web: 2.0 x2 (1 errors)',
      'service app-web: 3.0 x1 (0 errors)',
    ]);
  });

  it('gives two USES relationships for two versions of one library, from two processes of one service', async () => {
    const env = uniqueName('uses');
    const pipeline = driveEngine(
      createEngine(engineOptions(defaultConfig())),
      createNeo4jSink(graph, defaultConfig().ingest.writer),
    );
    for (const version of ['8.11.0', '8.12.1']) {
      const t = new TraceBuilder();
      t.span({
        service: 'app-db',
        kind: SpanKind.CLIENT,
        name: 'SELECT',
        resource: { 'deployment.environment.name': env, 'service.instance.id': version },
        scope: { name: '@opentelemetry/instrumentation-pg', version },
        attributes: { 'db.system': 'postgresql', 'server.address': 'db' },
      });
      pipeline.ingest(t.batch());
    }
    await pipeline.drainAll();
    const uses = await graph.read('test', async (tx) =>
      (await tx.run(USES_IN_ENVIRONMENT, { env, library: '@opentelemetry/instrumentation-pg' })).records.map((r) =>
        r.get('use'),
      ),
    );
    expect(uses).toEqual(['app-db 8.11.0', 'app-db 8.12.1']);
  });
});
