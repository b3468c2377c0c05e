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

  it('expires a client `expireSoon` names at the next expiry, still pairing it until then', () => {
    const { s, events } = store(10_000);
    const older = s.addClient(T, 'a', 'c1', 1_000);
    const soon = s.addClient(T, 'b', 'c2', 2_000);
    const paired = s.addClient(T, 'c', 'c3', 2_000);
    expect(s.expireSoon(soon, 'c2')).toBe(true);
    expect(s.expireSoon(paired, 'c3')).toBe(true);
    expect(s.expireSoon(older, 'not the client waiting there')).toBe(false);
    s.addServer(T, 'c', NO_LINKS, 's3', 2_500);
    // Sent again, a client takes the place, and the early expiry, of the one it replaces.
    s.addClient(T, 'b', 'c2 again', 3_000);
    s.addClient(T, 'd', 'c4', 3_000);
    s.expire(3_500);
    expect(events).toEqual(['pair c3+s3', 'client c2 again unanswered']);
    s.expire(13_000);
    expect(events.slice(2)).toEqual(['client c1 ttl', 'client c4 ttl']);
    expect(s.stats).toMatchObject({ completed: 1, expiredClients: 2, unanswered: 1 });
  });

  it('forgets a client without expiring it, only where it still waits', () => {
    const { s, events } = store(10_000);
    const at = s.addClient(T, 'a', 'c1', 1_000);
    expect(s.forget(at, 'another')).toBe(false);
    expect(s.forget(at, 'c1')).toBe(true);
    expect(s.forget(at, 'c1')).toBe(false);
    s.expire(20_000);
    expect(events).toEqual([]);
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

describe('PairingStore with model hex ids, against a plain model of its rules', () => {
  const trace = (n: number) => n.toString(16).padStart(32, '0');
  const span = (n: number) => (0xabc0000 + n).toString(16).padStart(16, '0');

  it('pairs the oldest of several servers waiting under one key first, also once the store has grown', () => {
    const { s, events } = store(10_000, 1_000);
    // A record freed early is reused by a newer half: record numbers stop following arrival order.
    s.addClient(trace(1), span(1), 'c-freed', 0);
    s.addServer(trace(1), span(2), NO_LINKS, 's-older', 1);
    s.addServer(trace(1), span(1), NO_LINKS, 's-pairs-c-freed', 2);
    s.addServer(trace(1), span(2), NO_LINKS, 's-newer', 3);
    // Enough halves to make the store grow and rebuild its table.
    for (let i = 0; i < 200; i++) s.addClient(trace(2), span(100 + i), `filler${i}`, 4);
    s.addClient(trace(1), span(2), 'c', 5);
    expect(events).toEqual(['pair c-freed+s-pairs-c-freed', 'pair c+s-older']);
  });

  // Short waits under a small bound (evictions), and long waits that let the store grow several times
  // while records are reused out of arrival order.
  it.each([
    { ttlMs: 50, maxEntries: 300, kinds: ['pair', 'client h', 'server h', 'ttl', 'evicted'] },
    { ttlMs: 3_000, maxEntries: 2_500, kinds: ['pair', 'client h', 'server h', 'ttl'] },
  ])(
    'pairs, replaces, expires and evicts as a map of clients and a list of servers would, over 20,000 random halves (%o)',
    ({ ttlMs, maxEntries, kinds }) => {
      // A seeded generator: the same halves every run.
      let seed = 12345;
      const rand = (n: number) => {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        return (seed >>> 8) % n;
      };
      const events: string[] = [];
      const keysOnExpiry: string[] = [];
      const s = new PairingStore<string, string>(
        { ttlMs, maxEntries },
        {
          onComplete: (c, v) => events.push(`pair ${c}+${v}`),
          onExpireClient: (c, why) => events.push(`client ${c} ${why}`),
          onExpireServer: (v, why, keys) => {
            events.push(`server ${v} ${why}`);
            keysOnExpiry.push(keys.join(','));
          },
        },
      );
      // The model: clients by key in arrival order (a key given again keeps its place, takes the newer
      // half and time), servers in arrival order, each under all its keys.
      const expected: string[] = [];
      const expectedKeys: string[] = [];
      const clients = new Map<string, { v: string; at: number }>();
      const servers: { v: string; at: number; keys: string[] }[] = [];
      const size = () => clients.size + servers.length;
      const expireServer = (i: number, why: string) => {
        const [x] = servers.splice(i, 1);
        expected.push(`server ${x!.v} ${why}`);
        expectedKeys.push(x!.keys.join(','));
      };
      const bound = () => {
        while (size() > maxEntries) {
          const c = clients.entries().next();
          if (!c.done && (servers.length === 0 || c.value[1].at <= servers[0]!.at)) {
            clients.delete(c.value[0]);
            expected.push(`client ${c.value[1].v} evicted`);
          } else expireServer(0, 'evicted');
        }
      };
      const id = () => [trace(rand(40)), span(rand(60))] as const;
      let now = 0;
      for (let n = 0; n < 20_000; n++) {
        now += rand(3);
        const v = `h${n}`;
        if (rand(2) === 0) {
          const [t, sp] = id();
          const key = t + sp;
          s.addClient(t, sp, v, now);
          const i = servers.findIndex((x) => x.keys.includes(key));
          if (i >= 0) {
            expected.push(`pair ${v}+${servers[i]!.v}`);
            servers.splice(i, 1);
          } else {
            const waiting = clients.get(key);
            if (waiting) {
              waiting.v = v;
              waiting.at = now;
            } else clients.set(key, { v, at: now });
            bound();
          }
        } else {
          const [t, parent] = rand(4) === 0 ? [trace(rand(40)), ''] : id();
          const links = Array.from({ length: parent === '' ? 1 + rand(3) : rand(8) === 0 ? 2 : 0 }, () => {
            const [lt, ls] = id();
            return { traceId: lt, spanId: ls };
          });
          s.addServer(t, parent, links, v, now);
          const keys = [...(parent === '' ? [] : [t + parent]), ...links.map((l) => l.traceId + l.spanId)];
          const paired = keys.find((k) => clients.has(k));
          if (paired !== undefined) {
            expected.push(`pair ${clients.get(paired)!.v}+${v}`);
            clients.delete(paired);
          } else {
            servers.push({ v, at: now, keys });
            bound();
          }
        }
        if (rand(50) === 0) {
          s.expire(now);
          for (const [k, c] of clients) {
            if (c.at > now - ttlMs) break;
            clients.delete(k);
            expected.push(`client ${c.v} ttl`);
          }
          while (servers.length > 0 && servers[0]!.at <= now - ttlMs) expireServer(0, 'ttl');
        }
        expect(s.size).toBe(size());
      }
      expect(events).toEqual(expected);
      expect(keysOnExpiry).toEqual(expectedKeys);
      // Every kind of event happened, so each rule was checked.
      for (const kind of kinds) expect(events.some((e) => e.includes(kind))).toBe(true);
      expect(s.stats.completed).toBe(expected.filter((e) => e.startsWith('pair')).length);
    },
  );
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
