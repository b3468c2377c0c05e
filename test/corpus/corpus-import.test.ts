/**
 * Every trace file of the corpus (`npm run test:corpus -- DIR`) imported through `importFiles` (the code behind
 * `npm run import`) into Neo4j, each into an environment of its own, yields the topology its README
 * line describes. Edges here are Service → Service DEPENDS_ON unless a kind is named.
 *
 * What the data supports, honestly: several README edges are SERVER-under-SERVER or parent → child
 * without a CLIENT span; Topograph counts every cross-service parent → child as a call (as Jaeger's
 * and Zipkin's dependency linkers do), so they are here. Zipkin spans carry no `db.system` or
 * `messaging.system`, so Zipkin's remote databases and brokers are External peers named by
 * `remoteEndpoint.serviceName`.
 */
import { describe, expect, it } from 'vitest';
import { fileGraph, uniqueName } from '../support/graph.js';
import { corpusJson, corpusPath } from './corpus.js';
import { componentsIn, edgesIn, importInto, operationsIn } from '../support/model-graph.js';

const graph = fileGraph();
async function load(file: string) {
  const env = uniqueName('corpus');
  const result = await importInto(graph, env, [corpusPath(file)]);
  const edges = await edgesIn(graph, env);
  const between = (fromKind: string, toKind: string) =>
    edges
      .filter((e) => e.fromKind === fromKind && e.toKind === toKind)
      .map((e) => `${e.from} -> ${e.to}`)
      .sort();
  const components = await componentsIn(graph, env);
  return {
    env,
    file: result.files[0]!,
    edges,
    services: between('SERVICE', 'SERVICE'),
    between,
    serviceNames: components
      .filter((c) => c.kind === 'SERVICE')
      .map((c) => c.name)
      .sort(),
    components,
  };
}

const e = (...pairs: string[]) => pairs.sort();
// ui_01: service-y's spans are CHILD_OF service-x's span 2.
const CORPUS_UI_01_EDGES = ['service-x -> service-y'];

describe('corpus files import and give the topology they describe', () => {
  it('istio-bookinfo/responseTrace.json (Tempo response, base64 ids, enum names)', async () => {
    const g = await load('istio-bookinfo/responseTrace.json');
    expect(g.file).toMatchObject({ spans: 8, rejected: [] });
    expect(g.services).toEqual(
      e(
        'istio-ingressgateway.istio-system -> productpage.bookinfo',
        'productpage.bookinfo -> details.bookinfo',
        'productpage.bookinfo -> reviews.bookinfo',
        'reviews.bookinfo -> ratings.bookinfo',
      ),
    );
  });

  it('jaeger-ui/genaiTestTrace.json: 10 services, SERVER-under-SERVER calls included', async () => {
    const g = await load('jaeger/jaeger-ui/genaiTestTrace.json');
    expect(g.file).toMatchObject({ spans: 57, rejected: [] });
    expect(g.serviceNames).toHaveLength(10);
    expect(g.services).toEqual(
      e(
        'api-edge -> graphql-gateway',
        'graphql-gateway -> coding-agent',
        'coding-agent -> mcp-gateway',
        'coding-agent -> vector-store',
        'mcp-gateway -> auth-service',
        'mcp-gateway -> metrics-backend',
        'mcp-gateway -> summarizer-agent',
        'mcp-gateway -> trace-store',
        'trace-store -> k8s-api',
      ),
    );
    // Its database clients (db.system.name) reach Database nodes.
    expect(g.between('SERVICE', 'DATABASE')).toEqual(e('metrics-backend -> metrics', 'trace-store -> jaeger-span'));
  });

  it.each([
    ['jaeger/jaeger-ui/testTrace.json', 4, ['load-generator -> ride-sharing-app']],
    ['jaeger/jaeger-ui/testTraceNormal.json', 5, ['api-gateway -> customers-service']],
    ['jaeger/jaeger-ui/spansAmongEachOther.json', 12, ['api-gateway -> customers-service']],
    ['jaeger/jaeger/ui_01.json', 5, ['service-x -> service-y']],
    ['zipkin/ascend.json', 8, ['mobile-gateway -> auth-service', 'mobile-gateway -> content-service']],
    ['zipkin/skew.json', 4, ['servicea -> serviceb']],
  ])('%s: %i spans, edges %j', async (file, spans, edges) => {
    const g = await load(file);
    expect(g.file).toMatchObject({ spans, rejected: [] });
    expect(g.services).toEqual(e(...edges));
  });

  it('jaeger/trace_success.json (anonymised): a SERVER whose child is a failing CLIENT of another service', async () => {
    const g = await load('jaeger/jaeger/trace_success.json');
    expect(g.edges.find((x) => x.from === '16af988c443cff37' && x.to === '3c220036602f839e')).toMatchObject({
      calls: 1,
      errors: 1,
    });
  });

  it('spark-dependencies/spans.json (Jaeger Elasticsearch documents, duplicated span ids)', async () => {
    const g = await load('jaeger/spark-dependencies/spans.json');
    expect(g.file).toMatchObject({ spans: 19, rejected: [] });
    expect(g.serviceNames).toHaveLength(7);
    // Upstream's Spark job reports 10 links; the spans' cross-service parent → child relations give
    // these 6 distinct service pairs (test/unit's edgesOf reads the same from the decoded file).
    expect(g.services).toEqual(
      e(
        'kong-prod-kong-admin_kong_svc_8001 -> crm-mobile_prod_svc_8080',
        'crm-mobile_prod_svc_8080 -> crm-conductor_prod_svc_8080',
        'crm-conductor_prod_svc_8080 -> crm-database_prod_svc_8080',
        'crm-conductor_prod_svc_8080 -> crm-salesforce_prod_svc_8080',
        'crm-database_prod_svc_8080 -> prod-crm-database',
        'crm-salesforce_prod_svc_8080 -> prod-crm-salesforce',
      ),
    );
  });

  it.each([
    ['jaeger/jaeger-ui/otlp2jaeger-in.json', 2, 'SERVER'],
    ['jaeger/jaeger-ui/otlp2jaeger-out.json', 2, 'SERVER'],
    // INTERNAL spans only: a service with nothing it serves or calls.
    ['jaeger/jaeger-ui/otlp2jaeger-multi-in-combined.json', 4, undefined],
    ['jaeger/jaeger-ui/oltp2jaeger-multi-out.json', 4, undefined],
    ['otlp-proto-examples/trace.json', 1, 'SERVER'],
  ])('%s: %i spans, a service, no edges, entry operations of kind %s', async (file, spans, kind) => {
    const g = await load(file);
    expect(g.file).toMatchObject({ spans, rejected: [] });
    expect(g.serviceNames.length).toBeGreaterThan(0);
    expect(g.edges).toEqual([]);
    const kinds = [...new Set((await operationsIn(graph, g.env)).map((o) => o.kind))];
    expect(kinds).toEqual(kind ? [kind] : []);
  });

  it('otlp-proto-examples/trace.json: my.service with its SERVER span as an entry point (upper-case hex ids)', async () => {
    const g = await load('otlp-proto-examples/trace.json');
    expect(g.serviceNames).toEqual(['my.service']);
    const ops = await operationsIn(graph, g.env);
    expect(ops).toMatchObject([{ component: 'my.service', kind: 'SERVER', entryCalls: 1 }]);
  });

  it('zipkin/messaging.json: frontend → the backend queue → backend (Brave tags name the RabbitMQ queue)', async () => {
    const g = await load('zipkin/messaging.json');
    expect(g.between('SERVICE', 'MESSAGING_DESTINATION')).toEqual(['frontend -> backend']);
    expect(g.between('MESSAGING_DESTINATION', 'SERVICE')).toEqual(['backend -> backend']);
    expect(g.components.find((c) => c.kind === 'MESSAGING_DESTINATION')).toMatchObject({
      name: 'backend',
      system: 'rabbitmq',
    });
  });

  it('zipkin/messaging-kafka.json: servicea PRODUCERs → kafka topics → serviceb CONSUMERs, redeliveries counted from the topic', async () => {
    const g = await load('zipkin/messaging-kafka.json');
    expect(g.file).toMatchObject({ spans: 28, rejected: [] });
    expect(g.between('SERVICE', 'MESSAGING_DESTINATION')).toEqual(
      e('servicea -> messages', 'servicea -> central.messages', 'servicea -> command-messages'),
    );
    expect(g.between('MESSAGING_DESTINATION', 'SERVICE')).toEqual(e('messages -> servicea', 'messages -> serviceb'));
    expect(g.components.filter((c) => c.kind === 'MESSAGING_DESTINATION').every((c) => c.system === 'kafka')).toBe(
      true,
    );
    expect(g.services).toEqual([]);
  });

  it('zipkin/messaging2.json: the four services; its cross-service parents are not in the file', async () => {
    const g = await load('zipkin/messaging2.json');
    expect(g.file).toMatchObject({ spans: 11, rejected: [] });
    expect(g.serviceNames).toEqual(['auth-service', 'mobile-gateway', 'notification-service', 'transfer-service']);
    expect(g.between('SERVICE', 'EXTERNAL')).toContain('transfer-service -> rabbitmq');
  });

  it('zipkin/simple-db-p6.json: bootifulmeters → app_db, four calls to a peer with no spans of its own', async () => {
    const g = await load('zipkin/simple-db-p6.json');
    expect(g.edges).toMatchObject([{ from: 'bootifulmeters', to: 'app_db', toKind: 'EXTERNAL', calls: 4 }]);
  });

  it('zipkin/yelp.json: routing, unknown, the api proxy, yelp-main, mobile_api, spectre and uninstrumented remotes', async () => {
    const g = await load('zipkin/yelp.json');
    expect(g.services).toEqual(
      expect.arrayContaining([
        'routing -> yelp-main',
        'routing -> unknown',
        'unknown -> yelp_main/api_proxy',
        'yelp_main/api_proxy -> yelp-main',
        'yelp-main -> mobile_api',
        'mobile_api -> spectre',
      ]),
    );
    expect(g.between('SERVICE', 'EXTERNAL')).toEqual(
      expect.arrayContaining(['yelp-main -> memcache', 'yelp-main -> mysql', 'mobile_api -> blt']),
    );
  });

  it('zipkin/smartthings-oauth-authorization.json: 8 services and the stated edges', async () => {
    const g = await load('zipkin/smartthings-oauth-authorization.json');
    expect(g.file).toMatchObject({ spans: 175, rejected: [] });
    expect(g.serviceNames).toEqual(['account', 'auth', 'bouncer', 'datamgmt', 'dove', 'paperboy', 'pusher', 'stlogin']);
    expect(g.services).toEqual(
      expect.arrayContaining([
        'datamgmt -> auth',
        'datamgmt -> account',
        'datamgmt -> bouncer',
        'datamgmt -> stlogin',
        'stlogin -> auth',
        'stlogin -> datamgmt',
        'bouncer -> pusher',
        'pusher -> dove',
        'pusher -> paperboy',
      ]),
    );
  });

  it('zipkin/smartthings-mobile-web-install.json (the largest file): 16 services and the stated edges', async () => {
    const g = await load('zipkin/smartthings-mobile-web-install.json');
    expect(g.file.rejected).toEqual([]);
    expect(g.serviceNames).toHaveLength(16);
    expect(g.services).toEqual(
      expect.arrayContaining([
        'platformapi -> gizmo',
        'platformapi -> bookie',
        'platformapi -> execution',
        'platformapi -> paperboy',
        'execution -> bookie',
        'execution -> guardian',
        'execution -> alice',
        'execution -> bouncer',
        'execution -> auth',
        'bookie -> account',
        'bookie -> auth',
        'bookie -> coreSrv',
        'bookie -> execution',
        'guardian -> platformapi',
      ]),
    );
    expect(g.services.length).toBeGreaterThanOrEqual(28);
  });

  // The smaller files the unit tests decode, imported all the way into Neo4j too: services and edges.
  it.each([
    [
      'zipkin/ascend.json',
      8,
      ['auth-service', 'content-service', 'mobile-gateway'],
      e('mobile-gateway -> auth-service', 'mobile-gateway -> content-service'),
    ],
    // Shared client/server span id, and serviceb's clock skewed before servicea's: still one edge.
    ['zipkin/skew.json', 4, ['servicea', 'serviceb'], e('servicea -> serviceb')],
    [
      'jaeger/jaeger-ui/testTrace.json',
      4,
      ['load-generator', 'ride-sharing-app'],
      e('load-generator -> ride-sharing-app'),
    ],
    [
      'jaeger/jaeger-ui/testTraceNormal.json',
      5,
      ['api-gateway', 'customers-service'],
      e('api-gateway -> customers-service'),
    ],
    [
      'jaeger/jaeger-ui/spansAmongEachOther.json',
      12,
      ['api-gateway', 'customers-service'],
      e('api-gateway -> customers-service'),
    ],
    ['jaeger/jaeger/ui_01.json', 5, ['service-x', 'service-y'], CORPUS_UI_01_EDGES],
    ['jaeger/jaeger-ui/otlp2jaeger-in.json', 2, ['telemetrygen'], []],
    ['jaeger/jaeger-ui/otlp2jaeger-out.json', 2, ['telemetrygen'], []],
    ['jaeger/jaeger-ui/otlp2jaeger-multi-in-combined.json', 4, ['example-trace'], []],
    ['jaeger/jaeger-ui/oltp2jaeger-multi-out.json', 4, ['example-trace'], []],
  ])('%s: %i spans, its services and edges', async (file, spans, services, edges) => {
    const g = await load(file);
    expect(g.file).toMatchObject({ spans, rejected: [] });
    expect(g.serviceNames).toEqual(services);
    expect(g.services).toEqual(edges);
  });

  it('zipkin/envoy.json: the span without a service name is rejected with a clear message', async () => {
    const g = await load('zipkin/envoy.json');
    expect(g.file.spans).toBe(0);
    expect(g.file.rejected).toEqual([{ at: '[0]', message: expect.stringMatching(/has no service name/) }]);
  });

  it('a file mixing that span with good ones: the bad span is reported, the rest imports', async () => {
    const envoy = corpusJson('zipkin/envoy.json') as unknown[];
    const skew = corpusJson('zipkin/skew.json') as unknown[];
    const env = uniqueName('corpus-mixed');
    const result = await importInto(graph, env, [
      { name: 'mixed.json', read: async () => JSON.stringify([...skew, ...envoy]) },
    ]);
    expect(result.files[0]).toMatchObject({
      spans: 4,
      rejected: [{ at: '[4]', message: expect.stringMatching(/no service name/) }],
    });
    expect((await edgesIn(graph, env)).map((x) => `${x.from} -> ${x.to}`)).toEqual(['servicea -> serviceb']);
  });

  it('jaeger-ui/small.json (dependency links): DEPENDS_ON edges with their call counts', async () => {
    const g = await load('jaeger/jaeger-ui/small.json');
    expect(g.file.links).toBe(7);
    expect(g.serviceNames).toHaveLength(8);
    expect(g.edges).toHaveLength(7);
    expect(g.edges.reduce((n, x) => n + x.calls, 0)).toBe(290_225);
    expect(g.edges.every((x) => x.protocols.includes('jaeger-dependencies'))).toBe(true);
  });

  it('jaeger-ui/large.json (dependency links): 1238 services, 2 985 281 calls', async () => {
    const g = await load('jaeger/jaeger-ui/large.json');
    expect(g.file.links).toBe(4271);
    expect(g.serviceNames).toHaveLength(1238);
    expect(g.edges.reduce((n, x) => n + x.calls, 0)).toBe(2_985_281);
  });

  it('refuses a file it cannot read, naming it, and goes on with the next', async () => {
    const env = uniqueName('corpus-refused');
    const result = await importInto(graph, env, [
      corpusPath('otel-servicegraph/messaging-system-trace-expected-metrics.yaml'),
      corpusPath('zipkin/skew.json'),
    ]);
    expect(result.files[0]!.error).toMatch(
      /messaging-system-trace-expected-metrics\.yaml: not a pdata YAML traces file/,
    );
    expect(result.files[1]).toMatchObject({ spans: 4, rejected: [] });
  });
});
