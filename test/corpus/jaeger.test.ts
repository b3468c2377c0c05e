/** The Jaeger and dependency-links decoders on the corpus's files (`npm run test:corpus -- DIR`). */
import { describe, expect, it } from 'vitest';
import { jaegerToBatch } from '../../ingest/formats/jaeger.js';
import { dependencyLinks, isDependencyLinks } from '../../ingest/formats/dependency-links.js';
import { decodeOtlpJson } from '../../ingest/otlp/decode-json.js';
import { InvalidPayloadError } from '../../ingest/otlp/errors.js';
import { SpanKind, StatusCode } from '../../ingest/span.js';
import { defaultConfig } from '../../src/core/config.js';
import { duplicateIds, edges, edgesOf, placedSpans, servicesOf, spanEssentials } from '../support/trace-edges.js';
import { corpusJson } from './corpus.js';

const LIMITS = defaultConfig().limits.decode;

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
    expect(fromJaeger.rejected).toEqual([]);
    // The single-span OTLP file holds its span twice; its Jaeger form once.
    const unique = (xs: ReturnType<typeof spanEssentials>) => [...new Map(xs.map((x) => [x.spanId, x])).values()];
    const [jaeger, otlp] = [unique(spanEssentials(fromJaeger)), unique(spanEssentials(fromOtlp))];
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
