import { describe, expect, it } from 'vitest';
import { jaegerToBatch } from '../../ingest/formats/jaeger.js';
import { dependencyLinks, isDependencyLinks } from '../../ingest/formats/dependency-links.js';
import { decodeOtlpJson } from '../../ingest/otlp/decode-json.js';
import { InvalidPayloadError } from '../../ingest/otlp/errors.js';
import { SpanKind, StatusCode, type DecodedBatch } from '../../ingest/span.js';
import { corpusJson, duplicateIds, edges, edgesOf, placedSpans, servicesOf } from './trace-edges.js';
import { defaultConfig } from '../../src/core/config.js';

const LIMITS = defaultConfig().limits.decode;

const TRACE = '2be38093ead7a083';
const jspan = (overrides: Record<string, unknown> = {}) => ({
  traceID: TRACE,
  spanID: '7606ddfe69932d34',
  operationName: 'op',
  references: [],
  startTime: 1605223981761425,
  duration: 267037,
  tags: [],
  processID: 'p1',
  ...overrides,
});
const trace = (spans: unknown[]) => ({
  traceID: TRACE,
  spans,
  processes: { p1: { serviceName: 'svc', tags: [{ key: 'hostname', type: 'string', value: 'h1' }] } },
});
const spanOf = (decoded: DecodedBatch) => {
  expect(decoded.rejected).toEqual([]);
  return placedSpans(decoded)[0]!.span;
};

describe('jaegerToBatch', () => {
  it('reads a UI/API trace: ids padded to 32/16 hex, µs times, process → resource', () => {
    const decoded = jaegerToBatch({ data: [trace([jspan({ spanID: 'a68c6983a6d81a2' })])] });
    expect(decoded.batch[0]!.resource).toEqual({ 'service.name': 'svc', hostname: 'h1' });
    expect(spanOf(decoded)).toMatchObject({
      traceId: '00000000000000002be38093ead7a083',
      spanId: '0a68c6983a6d81a2',
      parentSpanId: '',
      name: 'op',
      startMs: 1605223981761.425,
      endMs: 1605223982028.462,
    });
  });

  it('accepts {data: trace}, a bare trace, and arrays of spans with an inline process', () => {
    const inline = jspan({ process: { serviceName: 'inline', tags: [] }, processID: undefined });
    expect(jaegerToBatch({ data: trace([jspan()]) }).spanCount).toBe(1);
    expect(jaegerToBatch(trace([jspan()])).spanCount).toBe(1);
    expect(servicesOf(jaegerToBatch([inline]))).toEqual(['inline']);
  });

  it('maps span.kind, error and otel.status_code tags, and typed tag values', () => {
    const tags = [
      { key: 'span.kind', type: 'string', value: 'producer' },
      { key: 'error', type: 'bool', value: 'true' },
      { key: 'n', type: 'int64', value: '12' },
      { key: 'f', type: 'float64', value: 2.5 },
      { key: 'blob', type: 'binary', value: 'AAAwOQ==' },
      { key: 'otel.scope.name', type: 'string', value: 'lib' },
    ];
    const span = spanOf(jaegerToBatch(trace([jspan({ tags })])));
    expect(span.kind).toBe(SpanKind.PRODUCER);
    expect(span.status).toBe(StatusCode.ERROR);
    expect(span.attributes).toEqual({ error: true, n: 12, f: 2.5, blob: 'AAAwOQ==' });
    expect(jaegerToBatch(trace([jspan({ tags })])).batch[0]!.scopeSpans[0]!.scope.name).toBe('lib');

    const ok = spanOf(
      jaegerToBatch(trace([jspan({ tags: [{ key: 'otel.status_code', type: 'string', value: 'OK' }] })])),
    );
    expect(ok.status).toBe(StatusCode.OK);
    const odd = spanOf(jaegerToBatch(trace([jspan({ tags: [{ key: 'span.kind', type: 'string', value: 'weird' }] })])));
    expect(odd.kind).toBe(SpanKind.UNSPECIFIED);
  });

  it('CHILD_OF is the parent, FOLLOWS_FROM a link (and the parent when there is no CHILD_OF)', () => {
    const ref = (refType: string, spanID: string, traceID = TRACE) => ({ refType, traceID, spanID });
    const both = spanOf(
      jaegerToBatch(
        trace([jspan({ references: [ref('FOLLOWS_FROM', '1111111111111111'), ref('CHILD_OF', '2222222222222222')] })]),
      ),
    );
    expect(both.parentSpanId).toBe('2222222222222222');
    expect(both.links.map((l) => l.spanId)).toEqual(['1111111111111111']);
    const followsOnly = spanOf(
      jaegerToBatch(trace([jspan({ references: [ref('FOLLOWS_FROM', '1111111111111111')] })])),
    );
    expect(followsOnly.parentSpanId).toBe('1111111111111111');
    expect(followsOnly.links.map((l) => l.spanId)).toEqual(['1111111111111111']);
  });

  it('reads Elasticsearch documents: startTimeMillis, tag maps with @ for dots', () => {
    const doc = {
      traceID: TRACE,
      spanID: '7606ddfe69932d34',
      operationName: 'op',
      startTimeMillis: 1611677021714,
      duration: 1000,
      tag: { 'span@kind': 'server', 'http@status_code': 200 },
      process: { serviceName: 'es', tag: { 'jaeger@version': 'Java-1.5.0', ip: '10.0.0.1' } },
    };
    const decoded = jaegerToBatch([doc]);
    expect(spanOf(decoded)).toMatchObject({
      kind: SpanKind.SERVER,
      startMs: 1611677021714,
      endMs: 1611677021715,
      attributes: { 'http.status_code': 200 },
    });
    expect(decoded.batch[0]!.resource).toEqual({
      'service.name': 'es',
      'jaeger.version': 'Java-1.5.0',
      ip: '10.0.0.1',
    });
  });

  it('rejects spans without a service, with bad ids or end before start; keeps the rest', () => {
    const decoded = jaegerToBatch(
      trace([jspan({ processID: 'nope' }), jspan({ spanID: 'zz' }), jspan({ duration: -5 }), jspan({ spanID: '1' })]),
    );
    expect(decoded.spanCount).toBe(1);
    expect(decoded.rejected).toEqual([
      { at: 'spans[0]', message: 'span 7606ddfe69932d34 has no service name' },
      { at: 'spans[1]', message: 'spanID "zz" is not 8 bytes of hex or base64' },
      { at: 'spans[2]', message: 'span 7606ddfe69932d34: duration -5 is not a length in µs' },
    ]);
  });

  it('throws InvalidPayloadError for documents that are no Jaeger shape', () => {
    for (const doc of [null, 'x', {}, { data: 'x' }, { data: [{ foo: 1 }] }]) {
      expect(() => jaegerToBatch(doc)).toThrow(InvalidPayloadError);
    }
  });
});

describe('jaegerToBatch: corpus', () => {
  const decode = (file: string) => jaegerToBatch(corpusJson(`jaeger/${file}`));

  it('jaeger-ui/testTrace.json ({data: trace}): 4 spans, load-generator → ride-sharing-app', () => {
    const decoded = decode('jaeger-ui/testTrace.json');
    expect(decoded.rejected).toEqual([]);
    expect(decoded.spanCount).toBe(4);
    expect(servicesOf(decoded)).toEqual(['load-generator', 'ride-sharing-app']);
    expect(edgesOf(decoded).calls).toEqual(edges(['load-generator', 'ride-sharing-app']));
  });

  it('jaeger-ui/testTraceNormal.json: 5 spans, api-gateway → customers-service', () => {
    const decoded = decode('jaeger-ui/testTraceNormal.json');
    expect(decoded.spanCount).toBe(5);
    expect(servicesOf(decoded)).toEqual(['api-gateway', 'customers-service']);
    expect(edgesOf(decoded).calls).toEqual(edges(['api-gateway', 'customers-service']));
  });

  it('jaeger-ui/spansAmongEachOther.json: 12 spans (ids with dropped leading zeros), api-gateway → customers-service', () => {
    const decoded = decode('jaeger-ui/spansAmongEachOther.json');
    expect(decoded.rejected).toEqual([]);
    expect(decoded.spanCount).toBe(12);
    expect(servicesOf(decoded)).toEqual(['api-gateway', 'customers-service']);
    expect(edgesOf(decoded).calls).toEqual(edges(['api-gateway', 'customers-service']));
    expect(placedSpans(decoded).every((p) => p.span.traceId.length === 32 && p.span.spanId.length === 16)).toBe(true);
  });

  it('jaeger-ui/genaiTestTrace.json: 57 spans, 10 services; the README edges are SERVER-under-SERVER', () => {
    const decoded = decode('jaeger-ui/genaiTestTrace.json');
    expect(decoded.spanCount).toBe(57);
    expect(servicesOf(decoded)).toHaveLength(10);
    const e = edgesOf(decoded);
    expect(e.parentChild).toEqual(
      edges(
        ['api-edge', 'graphql-gateway'],
        ['graphql-gateway', 'coding-agent'],
        ['coding-agent', 'mcp-gateway'],
        ['coding-agent', 'vector-store'],
        ['mcp-gateway', 'auth-service'],
        ['mcp-gateway', 'metrics-backend'],
        ['mcp-gateway', 'summarizer-agent'],
        ['mcp-gateway', 'trace-store'],
        ['trace-store', 'k8s-api'],
      ),
    );
    // The synthetic trace has CLIENT spans for only one of those calls.
    expect(e.calls).toEqual(edges(['coding-agent', 'vector-store']));
  });

  it.each([
    ['jaeger-ui/otlp2jaeger-out.json', 'jaeger-ui/otlp2jaeger-in.json'],
    ['jaeger-ui/oltp2jaeger-multi-out.json', 'jaeger-ui/otlp2jaeger-multi-in-combined.json'],
  ])('%s decodes to the same spans as its OTLP original', (jaegerFile, otlpFile) => {
    const fromJaeger = decode(jaegerFile);
    const fromOtlp = decodeOtlpJson(corpusJson(`jaeger/${otlpFile}`), LIMITS);
    const essentials = (d: DecodedBatch) =>
      placedSpans(d)
        .map(({ service, span }) => ({
          service,
          traceId: span.traceId,
          spanId: span.spanId,
          parentSpanId: span.parentSpanId,
          name: span.name,
          kind: span.kind,
          startMs: span.startMs,
          endMs: span.endMs,
        }))
        .sort((a, b) => a.spanId.localeCompare(b.spanId));
    expect(fromJaeger.rejected).toEqual([]);
    // The single-span OTLP file holds its span twice; its Jaeger form once.
    const unique = (xs: ReturnType<typeof essentials>) => [...new Map(xs.map((x) => [x.spanId, x])).values()];
    const [jaeger, otlp] = [unique(essentials(fromJaeger)), unique(essentials(fromOtlp))];
    const untimed = (xs: typeof jaeger) => xs.map(({ startMs: _s, endMs: _e, ...rest }) => rest);
    expect(untimed(jaeger)).toEqual(untimed(otlp));
    // Jaeger keeps whole microseconds of the start and the duration, OTLP nanoseconds.
    jaeger.forEach((j, i) => {
      expect(Math.abs(j.startMs - otlp[i]!.startMs)).toBeLessThan(0.002);
      expect(Math.abs(j.endMs - otlp[i]!.endMs)).toBeLessThan(0.002);
    });
  });

  it('jaeger/ui_01.json: 5 spans, references, typed tags', () => {
    const decoded = decode('jaeger/ui_01.json');
    expect(decoded.rejected).toEqual([]);
    expect(decoded.spanCount).toBe(5);
    expect(servicesOf(decoded)).toEqual(['service-x', 'service-y']);
    // Span id 0000000000000002 is there twice in service-x, neither with a kind: left as it is.
    expect(duplicateIds(decoded)).toHaveLength(1);
    const byName = (name: string) => placedSpans(decoded).filter((p) => p.span.name === name);
    const tagged = byName('some-operation').find((p) => p.service === 'service-x')!.span;
    expect(tagged.status).toBe(StatusCode.ERROR);
    expect(tagged.attributes).toMatchObject({ 'peer.service': 'service-y', 'peer.ipv4': 23456, temperature: 72.5 });
    expect(tagged.attributes.blob).toBe('AAAwOQ==');
    const ref = byName('reference-test')[0]!.span;
    expect(ref.parentSpanId).toBe('0000000000000002');
    expect(ref.links).toEqual([
      { traceId: '000000000000000000000000000000ff', spanId: '00000000000000ff' },
      { traceId: '00000000000000000000000000000001', spanId: '0000000000000002' },
    ]);
  });

  it('jaeger/trace_success.json (spans with inline process): SERVER → CLIENT with error=true', () => {
    const decoded = decode('jaeger/trace_success.json');
    expect(decoded.spanCount).toBe(2);
    expect(servicesOf(decoded)).toEqual(['16af988c443cff37', '3c220036602f839e']);
    expect(edgesOf(decoded).parentChild).toEqual(edges(['16af988c443cff37', '3c220036602f839e']));
    const client = placedSpans(decoded).find((p) => p.span.kind === SpanKind.CLIENT)!;
    expect(client).toMatchObject({ service: '3c220036602f839e', span: { status: StatusCode.ERROR } });
  });

  it('spark-dependencies/spans.json (Elasticsearch docs with shared span ids): 19 spans, 7 services', () => {
    const decoded = decode('spark-dependencies/spans.json');
    expect(decoded.rejected).toEqual([]);
    expect(decoded.spanCount).toBe(19);
    expect(servicesOf(decoded)).toEqual([
      'crm-conductor_prod_svc_8080',
      'crm-database_prod_svc_8080',
      'crm-mobile_prod_svc_8080',
      'crm-salesforce_prod_svc_8080',
      'kong-prod-kong-admin_kong_svc_8001',
      'prod-crm-database',
      'prod-crm-salesforce',
    ]);
    // Four Envoy CLIENT/SERVER pairs shared their ids; after the repair every id is unique.
    expect(duplicateIds(decoded)).toEqual([]);
    const e = edgesOf(decoded);
    expect(e.calls).toEqual(
      edges(
        ['kong-prod-kong-admin_kong_svc_8001', 'crm-mobile_prod_svc_8080'],
        ['crm-mobile_prod_svc_8080', 'crm-conductor_prod_svc_8080'],
        ['crm-conductor_prod_svc_8080', 'crm-database_prod_svc_8080'],
        ['crm-conductor_prod_svc_8080', 'crm-salesforce_prod_svc_8080'],
      ),
    );
    // Sidecar → application: the app's SERVER span sits directly under the sidecar's inbound SERVER span.
    expect(e.parentChild).toEqual(
      [
        ...e.calls,
        ...edges(
          ['crm-database_prod_svc_8080', 'prod-crm-database'],
          ['crm-salesforce_prod_svc_8080', 'prod-crm-salesforce'],
        ),
      ].sort(),
    );
    const es = placedSpans(decoded).find((p) => p.service === 'prod-crm-database')!;
    expect(es.span.attributes).not.toHaveProperty('internal.span.format');
    expect(decoded.batch.find((rs) => rs.resource['service.name'] === 'prod-crm-database')!.resource).toMatchObject({
      'jaeger.version': 'Java-1.5.0',
      ip: '100.104.0.5',
    });
  });
});

describe('dependency links', () => {
  const total = (links: { callCount: number }[]) => links.reduce((n, l) => n + l.callCount, 0);
  const services = (links: { parent: string; child: string }[]) => new Set(links.flatMap((l) => [l.parent, l.child]));

  it('jaeger-ui/small.json: 7 links, 8 services, 290 225 calls', () => {
    const doc = corpusJson('jaeger/jaeger-ui/small.json');
    expect(isDependencyLinks(doc)).toBe(true);
    const links = dependencyLinks(doc);
    expect(links).toHaveLength(7);
    expect(services(links).size).toBe(8);
    expect(total(links)).toBe(290225);
  });

  it('jaeger-ui/large.json: 4271 links, 1238 services, 2 985 281 calls', () => {
    const links = dependencyLinks(corpusJson('jaeger/jaeger-ui/large.json'));
    expect(links).toHaveLength(4271);
    expect(services(links).size).toBe(1238);
    expect(total(links)).toBe(2985281);
  });

  it('accepts the query API wrapper and refuses traces', () => {
    expect(dependencyLinks({ data: [{ parent: 'a', child: 'b', callCount: 3 }] })).toEqual([
      { parent: 'a', child: 'b', callCount: 3 },
    ]);
    expect(isDependencyLinks(corpusJson('jaeger/jaeger/trace_success.json'))).toBe(false);
    expect(isDependencyLinks([])).toBe(false);
    expect(() => dependencyLinks([{ parent: 'a' }])).toThrow(InvalidPayloadError);
  });
});
