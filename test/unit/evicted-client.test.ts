/**
 * A client half pushed out of the full pairing buffer while a request is read, whose server half then
 * arrives before the next collect: its call must be counted once, as the real call, with nothing
 * credited to the virtual callee and taken back in the same flush. Neo4j applies a trace sample's hop
 * take-backs before it merges the flush's samples, so a hop credited and taken back in one flush would
 * stay in the stored sample.
 */
import { describe, expect, it } from 'vitest';
import { createEngine, engineOptions } from '../../ingest/engine.js';
import { defaultConfig } from '../../src/core/config.js';
import { readHop } from '../../src/core/records.js';
import { TraceBuilder } from '../support/spans.js';

const T0 = 1_700_000_000_000;
/** an operation key's service name and operation name, for reading */
const opName = (key: string) => {
  const [, service, , name] = JSON.parse(key) as string[];
  return `${(JSON.parse(service!) as string[])[3]} ${name}`;
};

describe('a client evicted before its server half arrives', () => {
  it('counts the real call alone: no virtual hop or call credited and taken back', () => {
    const engine = createEngine({ ...engineOptions(defaultConfig()), pairingMaxEntries: 1 });
    const t = new TraceBuilder();
    const root = t.server('web', '/checkout', { startMs: T0 - 300 });
    const call = t.client('web', {
      parent: root,
      startMs: T0 - 200,
      attributes: { 'server.address': 'orders-host', 'http.request.method': 'GET' },
    });
    t.server('orders', '/orders', { parent: call, startMs: T0 - 150 });
    const others = new TraceBuilder();
    for (let i = 0; i < 2; i++)
      others.client('batch', {
        startMs: T0 - 100,
        attributes: { 'server.address': 'elsewhere', 'http.request.method': 'GET' },
      });

    engine.ingest(t.batch(['web']), T0, 1);
    // Two more waiting clients push the first out of a buffer of one.
    engine.ingest(others.batch(['batch']), T0 + 100, 2);
    engine.ingest(t.batch(['orders']), T0 + 200, 3);
    const batch = engine.collect(T0 + 1_000);

    const hops = batch.traceSamples
      .filter((row) => row.traceId === t.traceId)
      .flatMap((row) => row.hops.map((h) => readHop(row, h)))
      .map((h) => `${opName(h.from)} -> ${opName(h.to)}`);
    expect(hops).toEqual(['web GET /checkout -> orders GET /orders']);
    const takenBack = (batch.corrections ?? []).filter((c) => c.kind === 'hop' || c.kind === 'call');
    expect(takenBack).toEqual([]);
    const calls = batch.calls.filter((c) => opName(c.from) === 'web GET /checkout');
    expect(calls.map((c) => [opName(c.to), c.calls])).toEqual([['orders GET /orders', 1]]);
  });
});
