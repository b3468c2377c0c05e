/**
 * Libraries (instrumentation scopes, telemetry.sdk.*, process.runtime.*, configured version keys) and
 * tags (allow-list with `*` globs, per-key cardinality cap, overflow counted) as the pipeline derives them.
 */
import { describe, expect, it } from 'vitest';
import { Aggregator } from '../../ingest/aggregate.js';
import { librariesOf, scopeLibrary } from '../../ingest/derive.js';
import { SpanKind } from '../../ingest/span.js';
import { createTagFilter, MAX_TAG_LISTS, OVERFLOW_VALUE } from '../../ingest/tags.js';
import { capturePipeline } from '../support/capture.js';
import { TraceBuilder } from '../support/spans.js';

describe('libraries', () => {
  it('reads the SDK, the runtime and configured version attributes from the resource', () => {
    const resource = {
      'telemetry.sdk.name': 'opentelemetry',
      'telemetry.sdk.language': 'nodejs',
      'telemetry.sdk.version': '2.12.0',
      'process.runtime.name': 'nodejs',
      'process.runtime.version': '20.19.0',
      'app.framework.version': '4.21.0',
    };
    expect(librariesOf(resource, ['app.framework.version'])).toEqual([
      { name: 'opentelemetry/nodejs', version: '2.12.0', kind: 'sdk' },
      { name: 'nodejs', version: '20.19.0', kind: 'runtime' },
      { name: 'app.framework.version', version: '4.21.0', kind: 'attribute' },
    ]);
    expect(scopeLibrary({ name: '@opentelemetry/instrumentation-pg', version: '0.40.0' })).toEqual({
      name: '@opentelemetry/instrumentation-pg',
      version: '0.40.0',
      kind: 'instrumentation',
    });
    expect(scopeLibrary({ name: '', version: '' })).toBeUndefined();
  });

  it('gives one USES row per distinct version: two versions of one library, two rows', async () => {
    const { sink, pipeline } = capturePipeline();
    const t = new TraceBuilder();
    for (const version of ['0.52.1', '0.53.0', '0.53.0'])
      t.span({
        service: 'web',
        kind: SpanKind.INTERNAL,
        name: 'x',
        scope: { name: '@opentelemetry/instrumentation-http', version },
      });
    pipeline.ingest(t.batch());
    await pipeline.drainAll();
    const uses = sink.all.uses.filter((u) => u.library === '@opentelemetry/instrumentation-http').map((u) => u.version);
    expect(uses.sort()).toEqual(['0.52.1', '0.53.0']);
  });
});

describe('tags', () => {
  it('keeps allow-listed keys only, `*` matching any run of characters', () => {
    const f = createTagFilter({ keys: ['*.version', 'client.*', 'http.route'], maxValuesPerKey: 10 });
    expect(
      f.select({
        'service.version': '1.2',
        'client.version': '7',
        'client.id': 'c1',
        'http.route': '/a',
        'http.method': 'GET',
        versionx: 'no',
      }),
    ).toEqual([
      ['service.version', '1.2'],
      ['client.version', '7'],
      ['client.id', 'c1'],
      ['http.route', '/a'],
    ]);
  });

  it('caps the distinct values of each key and counts what goes past, under one overflow value', () => {
    const f = createTagFilter({ keys: ['tenant.id', 'team'], maxValuesPerKey: 2 });
    const values = ['a', 'b', 'c', 'a', 'd'].map((v) => f.select({ 'tenant.id': v })[0]![1]);
    expect(values).toEqual(['a', 'b', OVERFLOW_VALUE, 'a', OVERFLOW_VALUE]);
    expect(f.overflowed).toBe(2);
    // The cap is per key: another key has its own.
    expect(f.select({ team: 'x' })).toEqual([['team', 'x']]);
  });

  it('records tag values on the service and on the entry operation, with call and error counts', async () => {
    const { sink, pipeline } = capturePipeline({ tagKeys: ['client.version'], tagMaxValues: 1 });
    for (const [version, error] of [
      ['7.0', false],
      ['7.0', true],
      ['8.0', false],
    ] as const) {
      const t = new TraceBuilder();
      t.span({
        service: 'api',
        kind: SpanKind.SERVER,
        name: 'GET /v',
        error,
        attributes: { 'http.request.method': 'GET', 'http.route': '/v', 'client.version': version },
      });
      pipeline.ingest(t.batch());
    }
    await pipeline.drainAll();
    const onOperation = sink.all.tags.filter((t) => t.onOperation).map((t) => [t.value, t.calls, t.errors]);
    expect(onOperation.sort()).toEqual([
      [OVERFLOW_VALUE, 1, 0],
      ['7.0', 2, 1],
    ]);
    expect(pipeline.stats().tagOverflow).toBe(1);
  });

  it("counts a resource's tags on each operation its spans served: calls, errors, first and last seen", async () => {
    const { sink, clock, pipeline } = capturePipeline({ tagKeys: ['team'] });
    const t0 = clock.now - 60_000;
    const resource = { team: 'payments' };
    const served = (t: TraceBuilder, route: string, startMs: number, error: boolean) =>
      t.span({
        service: 'api',
        kind: SpanKind.SERVER,
        name: `GET ${route}`,
        error,
        startMs,
        durationMs: 10,
        resource,
        attributes: { 'http.request.method': 'GET', 'http.route': route },
      });
    const first = new TraceBuilder();
    served(first, '/a', t0 + 3_000, true);
    served(first, '/a', t0, false);
    served(first, '/b', t0 + 2_000, false);
    served(first, '/a', t0 + 5_000, true);
    first.span({ service: 'api', kind: SpanKind.INTERNAL, name: 'tick', startMs: t0, resource });
    pipeline.ingest(first.batch());
    const second = new TraceBuilder();
    served(second, '/b', t0 + 4_000, true);
    pipeline.ingest(second.batch());
    await pipeline.drainAll();
    const route = (subject: string) => (subject.includes('/a') ? '/a' : subject.includes('/b') ? '/b' : subject);
    const onOperation = sink.all.tags
      .filter((r) => r.onOperation && r.key === 'team')
      .map((r) => [route(r.subject), r.value, r.calls, r.errors, r.firstSeen - t0, r.lastSeen - t0])
      .sort();
    expect(onOperation).toEqual([
      ['/a', 'payments', 3, 2, 10, 5_010],
      ['/b', 'payments', 2, 1, 2_010, 4_010],
    ]);
    const onService = sink.all.tags.filter((r) => !r.onOperation && r.key === 'team');
    expect(onService.reduce((n, r) => [n[0]! + r.calls, n[1]! + r.errors], [0, 0])).toEqual([5, 3]);
  });

  it('counts a pair once on its subject whatever lists it came in: calls, errors, first and last seen, and rows only seen', () => {
    const f = createTagFilter({ keys: ['tenant.id', 'http.route'], maxValuesPerKey: 10 });
    const both = f.select({ 'tenant.id': 'a', 'http.route': '/x' });
    const route = f.select({ 'http.route': '/x' });
    const other = f.select({ 'tenant.id': 'b', 'http.route': '/x' });
    // The same pairs in the same order are the same list: what lets the aggregator count a span at once.
    expect(f.select({ 'tenant.id': 'a', 'http.route': '/x' })).toBe(both);
    const agg = new Aggregator({ exemplarsPerEdge: 1 });
    agg.countTags('op', true, both, 1, false, 500);
    agg.countTags('op', true, route, 1, true, 100);
    agg.countTags('op', true, route, 1, false, 400);
    agg.countTags('op', true, other, 1, true, 900);
    agg.countTags('op', true, other, 1, false, 950);
    agg.countTags('op', true, both, 1, false, 300);
    agg.countTags('svc', false, route, 0, false, 50);
    // A list equal to one counted, but another array (as after the filter's trie starts anew), adds to the same rows.
    agg.countTags('svc', false, [['http.route', '/x']], 2, true, 70);
    expect(agg.breakdownCount).toBe(4);
    const rows = (b: ReturnType<Aggregator['peekBreakdowns']>) =>
      b.tags
        .map((r) => [r.subject, r.onOperation, `${r.key}=${r.value}`, r.calls, r.errors, r.firstSeen, r.lastSeen])
        .sort();
    const expected = [
      ['op', true, 'http.route=/x', 6, 2, 100, 950],
      ['op', true, 'tenant.id=a', 2, 0, 300, 500],
      ['op', true, 'tenant.id=b', 2, 1, 900, 950],
      ['svc', false, 'http.route=/x', 2, 2, 50, 70],
    ];
    expect(rows(agg.peekBreakdowns())).toEqual(expected);
    // Counted on after a peek, and drained once.
    agg.countTags('op', true, route, 1, false, 1_000);
    expected[0] = ['op', true, 'http.route=/x', 7, 2, 100, 1_000];
    expect(rows(agg.drainBreakdowns())).toEqual(expected);
    expect(agg.breakdownCount).toBe(0);
    expect(agg.isEmpty).toBe(true);
  });

  it('gives the same pairs once its bound on trie nodes has started it anew, and shares lists again after', () => {
    const f = createTagFilter({ keys: ['tenant.id', 'http.route'], maxValuesPerKey: MAX_TAG_LISTS * 2 });
    const first = f.select({ 'tenant.id': 't0', 'http.route': '/r' });
    // Two nodes a span: the bound is passed partway, with every list still right.
    let wrong = 0;
    for (let i = 1; i <= MAX_TAG_LISTS; i++) {
      const got = f.select({ 'tenant.id': `t${i}`, 'http.route': '/r' });
      if (got.length !== 2 || got[0]![1] !== `t${i}` || got[1]![1] !== '/r') wrong++;
    }
    expect(wrong).toBe(0);
    const again = f.select({ 'tenant.id': 't0', 'http.route': '/r' });
    expect(again).not.toBe(first);
    expect(again).toEqual([
      ['tenant.id', 't0'],
      ['http.route', '/r'],
    ]);
    expect(f.select({ 'tenant.id': 't0', 'http.route': '/r' })).toBe(again);
    expect(f.select({})).toEqual([]);
  });
});
