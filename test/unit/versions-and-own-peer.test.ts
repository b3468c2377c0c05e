/**
 * Versions on edges (docs/model.md "Versions"): every call is counted per caller and callee
 * `service.version`, over DEPENDS_ON and CALLS alike, and each service's own versions; and a client
 * span whose `service.peer.name` (or `peer.service`) names its own service describes that service.
 */
import { describe, expect, it } from 'vitest';
import { Aggregator } from '../../ingest/aggregate.js';
import { SpanKind } from '../../ingest/span.js';
import { capturePipeline } from '../support/capture.js';
import { TraceBuilder } from '../support/spans.js';

const nameOf = (key: string) => (JSON.parse(key) as string[]).at(-1)!;

/** checkout (at `version`) → payments 1.0.0, `calls` calls, the first `errors` failing. */
function canary(t: TraceBuilder[], version: string, calls: number, errors: number) {
  for (let i = 0; i < calls; i++) {
    const tb = new TraceBuilder();
    const resource = { 'service.version': version };
    const c = tb.server('checkout', '/checkout', { method: 'POST', resource });
    const cc = tb.client('checkout', { method: 'POST', parent: c, resource, error: i < errors });
    tb.server('payments', '/pay', {
      method: 'POST',
      parent: cc,
      resource: { 'service.version': '1.0.0' },
      error: i < errors,
    });
    t.push(tb);
  }
}

describe('versions on edges', () => {
  it('counts calls and errors per caller and callee version on DEPENDS_ON and CALLS', async () => {
    const { sink, pipeline } = capturePipeline();
    const traces: TraceBuilder[] = [];
    canary(traces, '2.1.0', 100, 1);
    canary(traces, '2.2.0', 25, 3);
    for (const t of traces) {
      pipeline.ingest(t.batch(['payments']));
      pipeline.ingest(t.batch(['checkout']));
    }
    await pipeline.drainAll();
    const edges = sink.all.edgeVersions.map(
      (v) => `${nameOf(v.from)} ${v.fromVersion} -> ${nameOf(v.to)} ${v.toVersion}: ${v.calls}/${v.errors}`,
    );
    expect(edges).toEqual(['checkout 2.1.0 -> payments 1.0.0: 100/1', 'checkout 2.2.0 -> payments 1.0.0: 25/3']);
    const calls = sink.all.callVersions.map(
      (v) => `${nameOf(v.from)} ${v.fromVersion} -> ${nameOf(v.to)} ${v.toVersion}: ${v.calls}/${v.errors}`,
    );
    expect(calls).toEqual([
      'POST /checkout 2.1.0 -> POST /pay 1.0.0: 100/1',
      'POST /checkout 2.2.0 -> POST /pay 1.0.0: 25/3',
    ]);
    // The edge's own totals are the sum of its versions.
    expect(sink.edges()['checkout -> payments']).toEqual({ calls: 125, errors: 4 });
  });

  it('counts each call under its own versions when they change from call to call, and after the counts were taken', () => {
    const agg = new Aggregator({ exemplarsPerEdge: 0 });
    const at = 1_700_000_000_000;
    const oneOfEach = (fromVersion: string, toVersion: string, error: boolean) => {
      agg.edge('web', 'api', 'http', error, 5, at, fromVersion, toVersion);
      agg.call('web GET /', 'api GET /v', error, 5, at, 'trace', fromVersion, toVersion);
    };
    const counted = (rows: { fromVersion: string; toVersion: string; calls: number; errors: number }[]) =>
      rows.map((v) => `${v.fromVersion} -> ${v.toVersion}: ${v.calls}/${v.errors}`);
    oneOfEach('1', '2', false);
    oneOfEach('1', '3', false);
    oneOfEach('1', '2', true);
    oneOfEach('4', '2', false);
    oneOfEach('1', '2', false);
    // The version counts are taken while the edges' own rows are still gathering (a flush that holds them).
    const taken = agg.drainBreakdowns();
    oneOfEach('1', '2', true);
    const rest = agg.drain();
    for (const rows of [taken.edgeVersions, taken.callVersions])
      expect(counted(rows)).toEqual(['1 -> 2: 3/1', '1 -> 3: 1/0', '4 -> 2: 1/0']);
    for (const rows of [rest.edgeVersions, rest.callVersions]) expect(counted(rows)).toEqual(['1 -> 2: 1/1']);
    expect(rest.edges.map((e) => [e.calls, e.errors])).toEqual([[6, 2]]);
  });

  it('counts every version pair of one edge, however many, each with its own first and last seen, before and after they were counted', () => {
    const agg = new Aggregator({ exemplarsPerEdge: 0 });
    const at = 1_700_000_000_000;
    // Twelve callee versions over one edge in one minute: more than a row tallies itself.
    for (let round = 0; round < 3; round++)
      for (let v = 0; v < 12; v++) {
        const when = at + round * 1000 + v;
        agg.edge('web', 'api', 'http', v === round, 5, when, '1', `v${v}`);
        agg.call('web GET /', 'api GET /v', v === round, 5, when, 'trace', '1', `v${v}`);
      }
    // Counted before a flush (what the worker plans its next flush by): one row per pair and edge.
    expect(agg.breakdownCount).toBe(24);
    // More calls on the same rows after that count, and on the next minute's rows: added, not lost or doubled.
    for (const when of [at + 2500, at + 60_000])
      for (let v = 0; v < 12; v++) {
        agg.edge('web', 'api', 'http', false, 5, when + v, '1', `v${v}`);
        agg.call('web GET /', 'api GET /v', false, 5, when + v, 'trace', '1', `v${v}`);
      }
    const batch = agg.drain();
    const expected = Array.from(
      { length: 12 },
      (_, v) => `1 -> v${v}: 5/${v < 3 ? 1 : 0} seen ${v}..${60_000 + v}`,
    ).sort();
    for (const rows of [batch.edgeVersions, batch.callVersions])
      expect(
        rows
          .map(
            (r) =>
              `${r.fromVersion} -> ${r.toVersion}: ${r.calls}/${r.errors} seen ${r.firstSeen - at}..${r.lastSeen - at}`,
          )
          .sort(),
      ).toEqual(expected);
    expect(batch.edges.map((e) => [e.calls, e.errors])).toEqual([
      [48, 3],
      [12, 0],
    ]);
  });

  it('nets take-backs with the counts: a pair netted to none is not written, one only taken back moves no seen time, across a checkpoint too', () => {
    const at = 1_700_000_000_000;
    const agg = new Aggregator({ exemplarsPerEdge: 0 });
    agg.edge('web', 'unknown', 'http', true, 5, at, '1', '');
    agg.takeBackVersion('edges', 'web', 'unknown', '1', '', -1, -1);
    agg.edge('web', 'api', 'http', false, 5, at + 10, '1', '2');
    agg.takeBackVersion('edges', 'web', 'api', '1', '2', -2, 0);
    agg.takeBackVersion('calls', 'web GET /', 'unknown GET', '1', '', -1, 0);
    // A restart: the held counts come back from the checkpoint as they stand, and counting goes on.
    const restarted = new Aggregator({ exemplarsPerEdge: 0 });
    restarted.restoreBreakdowns(agg.peekBreakdowns());
    restarted.takeBackVersion('calls', 'web GET /', 'unknown GET', '1', '', -1, -1);
    const rows = restarted.drainBreakdowns();
    const seen = (r: { firstSeen: number; lastSeen: number }) => [r.firstSeen - at, r.lastSeen - at];
    expect(rows.edgeVersions.map((r) => [r.to, r.calls, r.errors, ...seen(r)])).toEqual([['api', -1, 0, 10, 10]]);
    expect(rows.callVersions.map((r) => [r.to, r.calls, r.errors, r.firstSeen > at, r.lastSeen])).toEqual([
      ['unknown GET', -2, -1, true, 0],
    ]);
  });

  it("lists a service's own versions with the calls its entry operations served", async () => {
    const { sink, pipeline } = capturePipeline();
    const traces: TraceBuilder[] = [];
    canary(traces, '2.1.0', 4, 0);
    canary(traces, '2.2.0', 2, 2);
    for (const t of traces) pipeline.ingest(t.batch());
    await pipeline.drainAll();
    const summary = sink.all.serviceVersions.map(
      (v) => `${(JSON.parse(v.service) as string[]).at(-1)} ${v.version}: ${v.calls}/${v.errors}`,
    );
    expect(summary.sort()).toEqual(['checkout 2.1.0: 4/0', 'checkout 2.2.0: 2/0', 'payments 1.0.0: 6/2']);
  });

  it('records the version of the side that has one toward a database, and nothing when no side has one', async () => {
    const { sink, pipeline } = capturePipeline();
    const t = new TraceBuilder();
    const db = { 'db.system': 'postgresql', 'server.address': 'orders-db', 'db.operation.name': 'SELECT' };
    const a = t.span({ service: 'a', kind: SpanKind.SERVER, name: 'GET /a', resource: { 'service.version': '3' } });
    t.span({
      service: 'a',
      kind: SpanKind.CLIENT,
      name: 'SELECT',
      parent: a,
      resource: { 'service.version': '3' },
      attributes: db,
    });
    const b = t.span({ service: 'b', kind: SpanKind.SERVER, name: 'GET /b' });
    t.span({ service: 'b', kind: SpanKind.CLIENT, name: 'SELECT', parent: b, attributes: db });
    pipeline.ingest(t.batch());
    await pipeline.drainAll();
    expect(Object.keys(sink.edges()).sort()).toEqual(['a -> orders-db', 'b -> orders-db']);
    expect(sink.all.edgeVersions.map((v) => [nameOf(v.from), v.fromVersion, v.toVersion, v.calls])).toEqual([
      ['a', '3', '', 1],
    ]);
  });
});

describe('a client span whose peer attribute names its own service', () => {
  /** HotROD's shape: customer's SERVER span, under it a span of the `mysql` service naming itself. */
  function hotrod(peer: Record<string, string>) {
    const t = new TraceBuilder();
    const s = t.server('customer', '/customer', { name: 'HTTP GET /customer' });
    t.span({
      service: 'mysql',
      kind: SpanKind.CLIENT,
      name: 'SQL SELECT',
      parent: s,
      attributes: { ...peer, 'db.system': 'mysql', 'db.operation.name': 'SELECT', 'db.collection.name': 'customer' },
    });
    return t;
  }

  it.each([
    ['service.peer.name', { 'service.peer.name': 'mysql' }],
    ['peer.service', { 'peer.service': 'mysql' }],
  ])(
    '(%s) is the service itself: no twin, no edge to itself, a CLIENT operation called by its parent',
    async (_, peer) => {
      const { sink, pipeline } = capturePipeline();
      pipeline.ingest(hotrod(peer).batch());
      await pipeline.drainAll();
      expect(sink.all.databases).toEqual([]);
      expect(sink.all.externals).toEqual([]);
      expect(sink.edges()).toEqual({ 'customer -> mysql': { calls: 1, errors: 0 } });
      const mysqlOps = sink.all.operations.filter((o) => nameOf(o.componentKey) === 'mysql');
      expect(mysqlOps.map((o) => [o.name, o.kind, o.calls, o.entryCalls])).toEqual([
        ['SELECT customer', 'CLIENT', 1, 0],
      ]);
      expect(sink.calls()).toEqual({ 'customer:GET /customer -> mysql:SELECT customer': 1 });
    },
  );

  it('pairs with a client span of another service naming it, instead of an External twin', async () => {
    const { sink, pipeline } = capturePipeline();
    const t = new TraceBuilder();
    const s = t.server('driver', '/driver');
    const c = t.span({
      service: 'driver',
      kind: SpanKind.CLIENT,
      name: 'GetDriver',
      parent: s,
      attributes: { 'service.peer.name': 'redis' },
    });
    t.span({
      service: 'redis',
      kind: SpanKind.CLIENT,
      name: 'GetDriver',
      parent: c,
      attributes: { 'service.peer.name': 'redis' },
    });
    pipeline.ingest(t.batch(['redis']));
    pipeline.ingest(t.batch(['driver']));
    await pipeline.drainAll();
    expect(sink.all.externals).toEqual([]);
    expect(sink.edges()).toEqual({ 'driver -> redis': { calls: 1, errors: 0 } });
    expect(sink.calls()).toEqual({ 'driver:GET /driver -> redis:GetDriver': 1 });
  });

  it('is an entry point when it starts the trace, and a root server naming itself has no External caller', async () => {
    const { sink, pipeline } = capturePipeline();
    const t = new TraceBuilder();
    t.span({ service: 'cache', kind: SpanKind.CLIENT, name: 'GET', attributes: { 'peer.service': 'cache' } });
    const u = new TraceBuilder();
    u.server('api', '/x', { attributes: { 'service.peer.name': 'api' } });
    pipeline.ingest(t.batch());
    pipeline.ingest(u.batch());
    await pipeline.drainAll();
    expect(sink.all.externals).toEqual([]);
    expect(sink.edges()).toEqual({});
    expect(sink.all.operations.map((o) => [nameOf(o.componentKey), o.name, o.kind, o.entryCalls]).sort()).toEqual([
      ['api', 'GET /x', 'SERVER', 1],
      ['cache', 'GET', 'CLIENT', 1],
    ]);
  });

  /** The External peers a client span of service `a` (under its own SERVER span) with `attributes` reaches. */
  async function externalsReachedWith(attributes: Record<string, string>) {
    const { sink, pipeline } = capturePipeline();
    const t = new TraceBuilder();
    const s = t.span({ service: 'a', kind: SpanKind.SERVER, name: 'GET /a' });
    t.span({ service: 'a', kind: SpanKind.CLIENT, name: 'GET', parent: s, attributes });
    pipeline.ingest(t.batch());
    await pipeline.drainAll();
    return sink.all.externals.map((e) => e.name);
  }

  it('a peer in another namespace is another service: an External peer as before', async () => {
    expect(await externalsReachedWith({ 'service.peer.name': 'a', 'service.peer.namespace': 'other' })).toEqual(['a']);
  });

  it('reads service.peer.name before peer.service when naming a peer', async () => {
    expect(await externalsReachedWith({ 'service.peer.name': 'new-name', 'peer.service': 'old-name' })).toEqual([
      'new-name',
    ]);
  });
});
