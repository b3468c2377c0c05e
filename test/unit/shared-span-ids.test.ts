import { describe, expect, it } from 'vitest';
import { assembleBatch, repairSharedSpanIds, type SpanDraft } from '../../ingest/formats/shared-span-ids.js';
import { SpanKind, type Span } from '../../ingest/span.js';

const TRACE = '0123456789abcdef0123456789abcdef';

function draft(
  spanId: string,
  parentSpanId: string,
  kind: SpanKind,
  service: string,
  extra: Partial<SpanDraft> = {},
): SpanDraft {
  const span: Span = {
    traceId: TRACE,
    spanId,
    parentSpanId,
    name: `${service}:${spanId}`,
    kind,
    startMs: 0,
    endMs: 1,
    status: 0,
    attributes: {},
    links: [],
  };
  return { span, service, resource: { 'service.name': service }, scope: { name: '', version: '' }, ...extra };
}

describe('repairSharedSpanIds', () => {
  it('splits a CLIENT/SERVER pair sharing an id and re-parents each side’s children', () => {
    const root = draft('000000000000000a', '', SpanKind.SERVER, 'a');
    const client = draft('00000000000000cc', '000000000000000a', SpanKind.CLIENT, 'a');
    const server = draft('00000000000000cc', '000000000000000a', SpanKind.SERVER, 'b');
    const serverChild = draft('00000000000000b1', '00000000000000cc', SpanKind.CLIENT, 'b');
    const thirdService = draft('00000000000000d1', '00000000000000cc', SpanKind.INTERNAL, 'c');
    const clientChild = draft('00000000000000a1', '00000000000000cc', SpanKind.INTERNAL, 'a');
    const drafts = [root, client, server, serverChild, thirdService, clientChild];

    expect(repairSharedSpanIds(drafts)).toBe(1);
    expect(client.span).toMatchObject({ spanId: '00000000000000cc', parentSpanId: '000000000000000a' });
    expect(server.span.parentSpanId).toBe('00000000000000cc');
    expect(server.span.spanId).toMatch(/^[0-9a-f]{16}$/);
    expect(server.span.spanId).not.toMatch(/^0+$/);
    expect(serverChild.span.parentSpanId).toBe(server.span.spanId);
    expect(thirdService.span.parentSpanId).toBe(server.span.spanId);
    expect(clientChild.span.parentSpanId).toBe('00000000000000cc');
    expect(root.span.parentSpanId).toBe('');
  });

  it('gives the same new id for the same input (and so across batches)', () => {
    const run = () => {
      const server = draft('00000000000000cc', '000000000000000a', SpanKind.SERVER, 'b', { shared: true });
      repairSharedSpanIds([server]);
      return server.span.spanId;
    };
    expect(run()).toBe(run());
  });

  it('repairs a lone server marked shared, but not an unmarked one with no client', () => {
    const shared = draft('00000000000000cc', '000000000000000a', SpanKind.SERVER, 'b', { shared: true });
    const plain = draft('00000000000000dd', '000000000000000a', SpanKind.SERVER, 'b');
    expect(repairSharedSpanIds([shared, plain])).toBe(1);
    expect(shared.span.parentSpanId).toBe('00000000000000cc');
    expect(plain.span).toMatchObject({ spanId: '00000000000000dd', parentSpanId: '000000000000000a' });
  });

  it('tells apart several servers on one client id by host, and hands children to the server on their host', () => {
    const client = draft('00000000000000cc', '', SpanKind.CLIENT, 'bouncer');
    const servers = ['10.0.0.1', '10.0.0.2', '10.0.0.2'].map((host) =>
      draft('00000000000000cc', '', SpanKind.SERVER, 'pusher', { shared: true, host }),
    );
    const child = draft('00000000000000e1', '00000000000000cc', SpanKind.INTERNAL, 'pusher', { host: '10.0.0.2' });
    expect(repairSharedSpanIds([client, ...servers, child])).toBe(3);
    const ids = servers.map((s) => s.span.spanId);
    expect(new Set(ids).size).toBe(3);
    expect(child.span.parentSpanId).toBe(ids[1]);
  });

  it('leaves duplicate ids that are not a client/server pair alone', () => {
    const a = draft('0000000000000002', '', SpanKind.UNSPECIFIED, 'x');
    const b = draft('0000000000000002', '', SpanKind.UNSPECIFIED, 'x');
    expect(repairSharedSpanIds([a, b])).toBe(0);
    expect([a.span.spanId, b.span.spanId]).toEqual(['0000000000000002', '0000000000000002']);
  });
});

describe('assembleBatch', () => {
  it('groups by resource then scope, in order of first appearance', () => {
    const scoped = (id: string, service: string, scope: string) =>
      draft(id, '', SpanKind.INTERNAL, service, { scope: { name: scope, version: '1' } });
    const batch = assembleBatch([
      scoped('0000000000000001', 'a', 's1'),
      scoped('0000000000000002', 'b', 's1'),
      scoped('0000000000000003', 'a', 's2'),
      scoped('0000000000000004', 'a', 's1'),
    ]);
    expect(
      batch.map((rs) => [rs.resource['service.name'], rs.scopeSpans.map((ss) => [ss.scope.name, ss.spans.length])]),
    ).toEqual([
      [
        'a',
        [
          ['s1', 2],
          ['s2', 1],
        ],
      ],
      ['b', [['s1', 1]]],
    ]);
  });
});
