/**
 * The pairing buffer on its own (injected clock, no sleeping) and PRODUCER ↔ CONSUMER pairing through
 * the pipeline: by parent, and by span links for batch consumers.
 */
import { describe, expect, it } from 'vitest';
import { NO_LINKS, PairingStore } from '../../ingest/pairing.js';
import { SpanKind } from '../../ingest/span.js';
import { capturePipeline } from '../support/capture.js';
import { TraceBuilder } from '../support/spans.js';

/** the trace of these tests' halves: their span ids ('k1', 'p' …) are not model hex, so found by string */
const T = 'trace';
const link = (spanId: string) => ({ traceId: T, spanId });

function store(ttlMs = 10_000, maxEntries = 100) {
  const events: string[] = [];
  const s = new PairingStore<string, string>(
    { ttlMs, maxEntries },
    {
      onComplete: (c, v) => events.push(`pair ${c}+${v}`),
      onExpireClient: (c, why) => events.push(`client ${c} ${why}`),
      onExpireServer: (v, why) => events.push(`server ${v} ${why}`),
    },
  );
  return { s, events };
}

describe('PairingStore', () => {
  it('pairs a client and a server in either order', () => {
    const { s, events } = store();
    s.addClient(T, 'k1', 'c1', 0);
    s.addServer(T, 'k1', NO_LINKS, 's1', 1);
    s.addServer(T, 'k2', NO_LINKS, 's2', 2);
    s.addClient(T, 'k2', 'c2', 3);
    expect(events).toEqual(['pair c1+s1', 'pair c2+s2']);
    expect(s.size).toBe(0);
    expect(s.stats.completed).toBe(2);
  });

  it('expires halves only once the TTL has passed, by the injected clock', () => {
    const { s, events } = store(10_000);
    s.addClient(T, 'a', 'c', 1_000);
    s.addServer(T, 'b', NO_LINKS, 's', 5_000);
    s.expire(10_999);
    expect(events).toEqual([]);
    s.expire(11_000);
    expect(events).toEqual(['client c ttl']);
    s.expire(15_000);
    expect(events).toEqual(['client c ttl', 'server s ttl']);
    expect(s.stats).toMatchObject({ expiredClients: 1, expiredServers: 1, evicted: 0 });
    expect(s.size).toBe(0);
  });

  it('keeps every server waiting under one key: several children of one parent each pair or expire', () => {
    const { s, events } = store();
    s.addServer(T, 'p', NO_LINKS, 's1', 0);
    s.addServer(T, 'p', NO_LINKS, 's2', 1);
    expect(s.size).toBe(2);
    s.addClient(T, 'p', 'c', 2);
    expect(events).toEqual(['pair c+s1']);
    s.expireAll();
    expect(events).toEqual(['pair c+s1', 'server s2 ttl']);
  });

  it('lets a batch consumer wait under each link and pair once, with the first producer to arrive', () => {
    const { s, events } = store();
    s.addServer(T, '', ['l1', 'l2', 'l3'].map(link), 'batch', 0);
    expect(s.size).toBe(1);
    s.addClient(T, 'l2', 'p2', 1);
    s.addClient(T, 'l1', 'p1', 2);
    expect(events).toEqual(['pair p2+batch']);
    // The consumer left under all its keys: p1 now waits on its own.
    expect(s.size).toBe(1);
  });

  it('stays bounded: past maxEntries the oldest halves are evicted, expired early and counted', () => {
    const { s, events } = store(10_000, 3);
    s.addClient(T, 'a', 'c1', 1);
    s.addServer(T, 'b', NO_LINKS, 's1', 2);
    s.addClient(T, 'c', 'c2', 3);
    s.addServer(T, 'd', NO_LINKS, 's2', 4);
    s.addClient(T, 'e', 'c3', 5);
    expect(s.size).toBe(3);
    expect(events).toEqual(['client c1 evicted', 'server s1 evicted']);
    expect(s.stats.evicted).toBe(2);
    // What was evicted can no longer pair.
    s.addServer(T, 'a', NO_LINKS, 'late', 6);
    expect(events).not.toContain('pair c1+late');
  });
});

describe('PRODUCER ↔ CONSUMER through the pipeline', () => {
  const kafka = (topic: string) => ({ 'messaging.system': 'kafka', 'messaging.destination.name': topic });

  it('pairs a CONSUMER with its PRODUCER parent: producer → destination → consumer, with publish and receive operations', async () => {
    const { sink, pipeline } = capturePipeline();
    const t = new TraceBuilder();
    const p = t.span({ service: 'shop', kind: SpanKind.PRODUCER, name: 'orders publish', attributes: kafka('orders') });
    t.span({
      service: 'billing',
      kind: SpanKind.CONSUMER,
      name: 'orders process',
      parent: p,
      attributes: kafka('orders'),
    });
    pipeline.ingest(t.batch(['billing']));
    pipeline.ingest(t.batch(['shop']));
    await pipeline.drainAll();
    expect(sink.edges()).toEqual({
      'shop -> orders': { calls: 1, errors: 0 },
      'orders -> billing': { calls: 1, errors: 0 },
    });
    expect(sink.all.destinations.map((d) => [d.name, d.system])).toEqual([['orders', 'kafka']]);
    expect(sink.calls()).toEqual({
      'shop:orders publish -> orders:publish': 1,
      'orders:publish -> billing:orders process': 1,
    });
    expect(pipeline.pairing.stats.completed).toBe(1);
  });

  it('pairs a batch CONSUMER with each PRODUCER it links to', async () => {
    const { sink, clock, pipeline } = capturePipeline({ pairingTtlMs: 10_000 });
    const t = new TraceBuilder();
    const producers = [0, 1, 2].map(() =>
      t.span({ service: 'shop', kind: SpanKind.PRODUCER, name: 'publish', attributes: kafka('orders') }),
    );
    const u = new TraceBuilder();
    // A batch receive: a root span of its own trace, linked to the three messages it took.
    u.span({
      service: 'billing',
      kind: SpanKind.CONSUMER,
      name: 'orders receive',
      attributes: kafka('orders'),
      links: producers,
    });
    pipeline.ingest(t.batch());
    pipeline.ingest(u.batch());
    clock.now += 10_000;
    await pipeline.flush();
    // One consumer span pairs once, with the first linked producer; the other two reached the destination.
    expect(sink.edges()).toEqual({
      'shop -> orders': { calls: 3, errors: 0 },
      'orders -> billing': { calls: 1, errors: 0 },
    });
    expect(pipeline.pairing.stats).toMatchObject({ completed: 1, expiredClients: 2 });
  });

  it('expires an unconsumed PRODUCER to its destination, and a parentless CONSUMER is an entry from the destination', async () => {
    const { sink, clock, pipeline } = capturePipeline({ pairingTtlMs: 10_000 });
    const t = new TraceBuilder();
    t.span({ service: 'shop', kind: SpanKind.PRODUCER, name: 'publish', attributes: kafka('audit') });
    const u = new TraceBuilder();
    u.span({ service: 'auditor', kind: SpanKind.CONSUMER, name: 'audit process', attributes: kafka('audit') });
    pipeline.ingest(t.batch());
    pipeline.ingest(u.batch());
    await pipeline.flush();
    expect(sink.edges()).toEqual({ 'audit -> auditor': { calls: 1, errors: 0 } });
    clock.now += 9_999;
    await pipeline.flush();
    expect(sink.edges()['shop -> audit']).toBeUndefined();
    clock.now += 1;
    await pipeline.flush();
    expect(sink.edges()['shop -> audit']).toEqual({ calls: 1, errors: 0 });
  });

  it('counts evictions when the buffer is full', async () => {
    const { pipeline } = capturePipeline({ pairingMaxEntries: 2 });
    const t = new TraceBuilder();
    for (let i = 0; i < 5; i++)
      t.span({ service: 'a', kind: SpanKind.CLIENT, name: 'call', attributes: { 'peer.service': 'x' } });
    pipeline.ingest(t.batch());
    expect(pipeline.pairing.size).toBe(2);
    expect(pipeline.pairing.stats.evicted).toBe(3);
    await pipeline.drainAll();
  });
});

describe('messages delivered more than once', () => {
  it('counts every delivery from the destination, the publish once', async () => {
    const { sink, pipeline } = capturePipeline();
    const t = new TraceBuilder();
    const kafka = { 'messaging.system': 'kafka', 'messaging.destination.name': 'orders' };
    const p = t.span({ service: 'shop', kind: SpanKind.PRODUCER, name: 'publish', attributes: kafka });
    t.span({ service: 'billing', kind: SpanKind.CONSUMER, name: 'process', parent: p, attributes: kafka });
    t.span({ service: 'billing', kind: SpanKind.CONSUMER, name: 'process', parent: p, attributes: kafka });
    pipeline.ingest(t.batch());
    await pipeline.drainAll();
    expect(sink.edges()).toEqual({
      'shop -> orders': { calls: 1, errors: 0 },
      'orders -> billing': { calls: 2, errors: 0 },
    });
    expect(sink.all.operations.filter((o) => o.name === 'process').reduce((n, o) => n + o.entryCalls, 0)).toBe(0);
  });

  it('reads Brave (Zipkin) messaging tags: kafka.topic, rabbit.queue', async () => {
    const { sink, pipeline } = capturePipeline();
    const t = new TraceBuilder();
    t.span({
      service: 'a',
      kind: SpanKind.PRODUCER,
      name: 'send',
      attributes: { 'kafka.topic': 'events', 'peer.service': 'kafka' },
    });
    t.span({
      service: 'b',
      kind: SpanKind.CONSUMER,
      name: 'next-message',
      attributes: { 'rabbit.queue': 'jobs', 'rabbit.exchange': '' },
    });
    pipeline.ingest(t.batch());
    await pipeline.drainAll();
    expect(sink.all.destinations.map((d) => `${d.system} ${d.name}`).sort()).toEqual(['kafka events', 'rabbitmq jobs']);
  });
});

describe('calls that never get a server half', () => {
  it('counts a database call at the next flush, without waiting for the pairing TTL', async () => {
    const { sink, pipeline } = capturePipeline({ pairingTtlMs: 10_000 });
    const t = new TraceBuilder();
    const entry = t.span({ service: 'shop', kind: SpanKind.SERVER, name: 'GET /cart', attributes: {} });
    t.span({
      service: 'shop',
      kind: SpanKind.CLIENT,
      name: 'SELECT carts',
      parent: entry,
      attributes: { 'db.system': 'postgresql', 'db.operation.name': 'SELECT', 'db.collection.name': 'carts' },
    });
    const c = t.span({ service: 'shop', kind: SpanKind.CLIENT, name: 'GET', parent: entry, attributes: {} });
    pipeline.ingest(t.batch());
    // The clock has not moved: only what needs no other half is a fact yet.
    await pipeline.flush();
    expect(sink.edges()).toEqual({ 'shop -> postgresql': { calls: 1, errors: 0 } });
    expect(sink.calls()).toEqual({ 'shop:GET /cart -> postgresql:SELECT carts': 1 });
    // The HTTP call still waits for its server half.
    expect([...pipeline.pairing.waiting()].map((w) => w.client?.spanId)).toEqual([c.spanId]);
  });
});
