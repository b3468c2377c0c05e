/** The Zipkin v2 decoder on the corpus's files (`npm run test:corpus -- DIR`). */
import { describe, expect, it } from 'vitest';
import { zipkinToBatch } from '../../ingest/formats/zipkin.js';
import { SpanKind } from '../../ingest/span.js';
import { duplicateIds, edges, edgesOf, placedSpans, servicesOf } from '../support/trace-edges.js';
import { corpusJson } from './corpus.js';

describe('zipkinToBatch: corpus', () => {
  const decode = (file: string) => {
    const raw = corpusJson(`zipkin/${file}`) as unknown[];
    return { raw, decoded: zipkinToBatch(raw) };
  };

  it('yelp.json: 16 spans, 6 services, the README edges', () => {
    const { decoded } = decode('yelp.json');
    expect(decoded.rejected).toEqual([]);
    expect(decoded.spanCount).toBe(16);
    expect(servicesOf(decoded)).toEqual([
      'mobile_api',
      'routing',
      'spectre',
      'unknown',
      'yelp-main',
      'yelp_main/api_proxy',
    ]);
    expect(duplicateIds(decoded)).toEqual([]);
    const e = edgesOf(decoded);
    // Three of the calls have both halves; the other three README edges have no CLIENT span on the
    // caller's side (routing and the proxy only have SERVER spans), so only parent → child shows them.
    expect(e.calls).toEqual(
      edges(['unknown', 'yelp_main/api_proxy'], ['yelp-main', 'mobile_api'], ['mobile_api', 'spectre']),
    );
    expect(e.parentChild).toEqual(
      edges(
        ['routing', 'yelp-main'],
        ['routing', 'unknown'],
        ['unknown', 'yelp_main/api_proxy'],
        ['yelp_main/api_proxy', 'yelp-main'],
        ['yelp-main', 'mobile_api'],
        ['mobile_api', 'spectre'],
      ),
    );
    // Uninstrumented remotes appear only as peer.service on CLIENT spans.
    const peers = new Set(placedSpans(decoded).map((p) => p.span.attributes['peer.service']));
    for (const peer of ['memcache', 'mysql', 'blt']) expect(peers).toContain(peer);
  });

  it('smartthings-oauth-authorization.json: 175 spans, 8 services, the README edges', () => {
    const { decoded } = decode('smartthings-oauth-authorization.json');
    expect(decoded.rejected).toEqual([]);
    expect(decoded.spanCount).toBe(175);
    expect(servicesOf(decoded)).toEqual([
      'account',
      'auth',
      'bouncer',
      'datamgmt',
      'dove',
      'paperboy',
      'pusher',
      'stlogin',
    ]);
    expect(duplicateIds(decoded)).toEqual([]);
    const e = edgesOf(decoded);
    expect(e.calls).toEqual(
      edges(
        ['datamgmt', 'auth'],
        ['datamgmt', 'account'],
        ['datamgmt', 'bouncer'],
        ['datamgmt', 'stlogin'],
        ['stlogin', 'auth'],
        ['bouncer', 'pusher'],
        ['pusher', 'dove'],
        ['pusher', 'paperboy'],
      ),
    );
    // stlogin → datamgmt: a datamgmt SERVER span directly under a stlogin SERVER span (no CLIENT span).
    expect(e.parentChild).toContain('stlogin -> datamgmt');
  });

  it('smartthings-mobile-web-install.json: 1041 entries = 957 spans + 84 merged fragments, 16 services', () => {
    const { raw, decoded } = decode('smartthings-mobile-web-install.json');
    expect(raw).toHaveLength(1041);
    expect(decoded.rejected).toEqual([]);
    expect(decoded.spanCount).toBe(957);
    expect(servicesOf(decoded)).toEqual(
      [
        'account',
        'alice',
        'auth',
        'bookie',
        'bouncer',
        'coreSrv',
        'dove',
        'execution',
        'gizmo',
        'guardian',
        'oreck',
        'paperboy',
        'platformapi',
        'pusher',
        'stLogin',
        'strongman',
      ].sort(),
    );
    expect(duplicateIds(decoded)).toEqual([]);
    const e = edgesOf(decoded);
    const readme = edges(
      ['platformapi', 'gizmo'],
      ['platformapi', 'bookie'],
      ['platformapi', 'execution'],
      ['platformapi', 'paperboy'],
      ['execution', 'bookie'],
      ['execution', 'guardian'],
      ['execution', 'alice'],
      ['execution', 'bouncer'],
      ['execution', 'auth'],
      ['bookie', 'account'],
      ['bookie', 'auth'],
      ['bookie', 'coreSrv'],
      ['bookie', 'execution'],
      ['guardian', 'platformapi'],
    );
    for (const edge of readme) expect(e.calls).toContain(edge);
    // "About 30 distinct edges": 26 with both halves, plus stLogin ↔ strongman, SERVER directly under SERVER.
    expect(e.calls).toHaveLength(26);
    expect(e.parentChild).toHaveLength(28);
  });

  it('ascend.json: 8 spans, mobile-gateway → auth-service and content-service', () => {
    const { decoded } = decode('ascend.json');
    expect(decoded.spanCount).toBe(8);
    expect(servicesOf(decoded)).toEqual(['auth-service', 'content-service', 'mobile-gateway']);
    expect(edgesOf(decoded).calls).toEqual(
      edges(['mobile-gateway', 'auth-service'], ['mobile-gateway', 'content-service']),
    );
  });

  it('messaging.json: 4 spans, frontend PRODUCER → backend CONSUMER through rabbitmq', () => {
    const { decoded } = decode('messaging.json');
    expect(decoded.spanCount).toBe(4);
    expect(servicesOf(decoded)).toEqual(['backend', 'frontend']);
    expect(edgesOf(decoded).messaging).toEqual(edges(['frontend', 'backend']));
    const producer = placedSpans(decoded).find((p) => p.span.kind === SpanKind.PRODUCER)!;
    expect(producer.span.attributes['peer.service']).toBe('rabbitmq');
    const server = placedSpans(decoded).find((p) => p.span.kind === SpanKind.SERVER)!;
    expect(server.span.attributes).toMatchObject({
      'http.method': 'GET',
      'http.path': '/',
      'network.peer.address': '::1',
      'network.peer.port': 54602,
    });
  });

  it('messaging2.json: 11 spans, 4 services, and no edge (its ids do not connect)', () => {
    const { decoded } = decode('messaging2.json');
    expect(decoded.spanCount).toBe(11);
    expect(servicesOf(decoded)).toEqual(['auth-service', 'mobile-gateway', 'notification-service', 'transfer-service']);
    const e = edgesOf(decoded);
    expect(e.calls).toEqual([]);
    expect(e.messaging).toEqual([]);
  });

  it('messaging-kafka.json: 28 spans, servicea PRODUCERs → serviceb CONSUMERs', () => {
    const { decoded } = decode('messaging-kafka.json');
    expect(decoded.spanCount).toBe(28);
    expect(servicesOf(decoded)).toEqual(['servicea', 'serviceb']);
    expect(edgesOf(decoded).messaging).toEqual(edges(['servicea', 'serviceb']));
  });

  it('simple-db-p6.json: 5 spans, 4 CLIENT spans to app_db, no service edge', () => {
    const { decoded } = decode('simple-db-p6.json');
    expect(decoded.spanCount).toBe(5);
    expect(servicesOf(decoded)).toEqual(['bootifulmeters']);
    const clients = placedSpans(decoded).filter((p) => p.span.kind === SpanKind.CLIENT);
    expect(clients.map((p) => p.span.attributes['peer.service'])).toEqual(['app_db', 'app_db', 'app_db', 'app_db']);
    expect(edgesOf(decoded).parentChild).toEqual([]);
  });

  it('skew.json: the shared id 74280ae0c10d8062 is split into a CLIENT and a SERVER with its own id', () => {
    const { decoded } = decode('skew.json');
    expect(decoded.spanCount).toBe(4);
    expect(duplicateIds(decoded)).toEqual([]);
    expect(edgesOf(decoded).calls).toEqual(edges(['servicea', 'serviceb']));
    const spans = placedSpans(decoded);
    const client = spans.find((p) => p.span.kind === SpanKind.CLIENT)!;
    const server = spans.find((p) => p.service === 'serviceb' && p.span.kind === SpanKind.SERVER)!;
    const async = spans.find((p) => p.span.name === 'async')!;
    expect(client.span).toMatchObject({ spanId: '74280ae0c10d8062', parentSpanId: 'bf396325699c84bf' });
    expect(server.span.parentSpanId).toBe('74280ae0c10d8062');
    expect(server.span.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(server.span.spanId).not.toBe('74280ae0c10d8062');
    // serviceb's own child moves under serviceb's half.
    expect(async.span.parentSpanId).toBe(server.span.spanId);
    // Deterministic: decoding again gives the same id.
    const again = placedSpans(zipkinToBatch(corpusJson('zipkin/skew.json')));
    expect(again.find((p) => p.service === 'serviceb' && p.span.kind === SpanKind.SERVER)!.span.spanId).toBe(
      server.span.spanId,
    );
  });

  it('envoy.json: the span without a service name is rejected', () => {
    const { decoded } = decode('envoy.json');
    expect(decoded.spanCount).toBe(0);
    expect(decoded.batch).toEqual([]);
    expect(decoded.rejected).toHaveLength(1);
    expect(decoded.rejected[0]!.at).toBe('[0]');
    expect(decoded.rejected[0]!.message).toContain('978883983d506fa5');
    expect(decoded.rejected[0]!.message).toContain('no service name');
  });
});
