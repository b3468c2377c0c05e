/**
 * The map at a point in time and what changed between two (topology(at:), topologyDiff), and which
 * sources saw each edge, against the real Neo4j seeded through the ingest path. The spans are late:
 * they end hours before they are ingested, as an import or a slow exporter sends them, and must
 * land in the hour they ended in.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { DecodedBatch } from '../../ingest/span.js';
import { QUESTION_QUERIES } from '../../src/api/graphql/examples.js';
import { HOUR_MS } from '../../src/core/model.js';
import { createGql } from '../support/api.js';
import { fileGraph, seed, uniqueName } from '../support/graph.js';
import { httpCalls } from '../support/spans.js';

const graph = fileGraph();
const gql = createGql(graph);
const env = uniqueName('time');
const hour = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
/** Ten minutes into the hour three hours ago, and into the last hour. */
const T1 = hour - 3 * HOUR_MS + 600_000;
const T2 = hour - HOUR_MS + 600_000;

/** front calls each callee at `at`: the client halves in one request, the server halves (sent by `serverOrigin`) in another. */
function calls(at: number, callees: string[], serverOrigin?: DecodedBatch['origin']): DecodedBatch[] {
  const all = callees.flatMap((callee) => httpCalls('front', callee, env, 1, at).batch);
  const sentBy = (front: boolean) => all.filter((rs) => (rs.resource['service.name'] === 'front') === front);
  return [
    { batch: sentBy(true), spanCount: callees.length, rejected: [] },
    { batch: sentBy(false), spanCount: callees.length, rejected: [], origin: serverOrigin },
  ];
}

const edgeNames = (edges: { from: { name: string }; to: { name: string } }[]) =>
  edges.map((e) => `${e.from.name} -> ${e.to.name}`).sort();
const names = (list: { name: string }[]) => list.map((c) => c.name).sort();

beforeAll(async () => {
  await seed(graph, [...calls(T1, ['a', 'b']), ...calls(T2, ['a'], 'zipkin'), ...calls(T2, ['c'])]);
});

describe('time and provenance', () => {
  it('topology(at:) gives what was live in the hour of `at`', async () => {
    const r = await gql(
      `query($env: String, $at: DateTime) { topology(environment: $env, at: $at) {
        period { start end } nodes { name } edges { from { name } to { name } calls sources } } }`,
      { env, at: new Date(T1).toISOString() },
    );
    expect(r.errors).toBeUndefined();
    expect(r.data.topology.period).toEqual({
      start: new Date(hour - 3 * HOUR_MS).toISOString(),
      end: new Date(hour - 2 * HOUR_MS).toISOString(),
    });
    expect(names(r.data.topology.nodes)).toEqual(['a', 'b', 'front']);
    expect(edgeNames(r.data.topology.edges)).toEqual(['front -> a', 'front -> b']);
  });

  it('topologyDiff gives the edges and components added and removed between two hours', async () => {
    const r = await gql(
      `query($env: String, $from: DateTime!, $to: DateTime!) { topologyDiff(environment: $env, from: $from, to: $to) {
        from { start } to { start }
        added { from { name } to { name } } removed { from { name } to { name } }
        addedComponents { name kind } removedComponents { name kind } } }`,
      { env, from: new Date(T1).toISOString(), to: new Date(T2).toISOString() },
    );
    expect(r.errors).toBeUndefined();
    const d = r.data.topologyDiff;
    expect(d.from.start).toBe(new Date(hour - 3 * HOUR_MS).toISOString());
    expect(d.to.start).toBe(new Date(hour - HOUR_MS).toISOString());
    expect(edgeNames(d.added)).toEqual(['front -> c']);
    expect(edgeNames(d.removed)).toEqual(['front -> b']);
    expect(d.addedComponents).toEqual([{ name: 'c', kind: 'SERVICE' }]);
    expect(d.removedComponents).toEqual([{ name: 'b', kind: 'SERVICE' }]);

    // The reverse question swaps the two lists; an hour compared with itself differs in nothing.
    const back = await gql(
      `query($env: String, $from: DateTime!, $to: DateTime!) { topologyDiff(environment: $env, from: $from, to: $to) {
        added { to { name } } removed { to { name } } } }`,
      { env, from: new Date(T2).toISOString(), to: new Date(T1).toISOString() },
    );
    expect(back.data.topologyDiff).toEqual({ added: [{ to: { name: 'b' } }], removed: [{ to: { name: 'c' } }] });
    const same = await gql(
      `query($env: String, $t: DateTime!) { topologyDiff(environment: $env, from: $t, to: $t) { added { calls } removed { calls } addedComponents { name } } }`,
      { env, t: new Date(T2).toISOString() },
    );
    expect(same.data.topologyDiff).toEqual({ added: [], removed: [], addedComponents: [] });
  });

  it('each edge lists the sources that saw it', async () => {
    const r = await gql(
      `query($env: String, $at: DateTime) { topology(environment: $env, at: $at) { edges { to { name } sources } } }`,
      { env, at: new Date(T2).toISOString() },
    );
    const byCallee = Object.fromEntries(r.data.topology.edges.map((e: any) => [e.to.name, e.sources]));
    // front -> a: client halves over OTLP, server halves once over OTLP (T1) and once over Zipkin (T2).
    expect(byCallee).toEqual({ a: ['otlp', 'zipkin'], c: ['otlp'] });
  });

  it('answers the docs/api.md examples, as written but for this environment and these hours', async () => {
    const iso = (t: number) => new Date(t).toISOString();
    const diff = await gql(
      QUESTION_QUERIES.topologyDiff
        .replace('"production"', JSON.stringify(env))
        .replace('2026-01-14T09:30:00Z', iso(T1))
        .replace('2026-01-15T09:30:00Z', iso(T2)),
    );
    expect(diff.errors).toBeUndefined();
    expect(diff.data.topologyDiff).toEqual({
      added: [{ from: { name: 'front' }, to: { name: 'c' }, sources: ['otlp'] }],
      removed: [{ from: { name: 'front' }, to: { name: 'b' } }],
      addedComponents: [{ name: 'c', kind: 'SERVICE' }],
      removedComponents: [{ name: 'b', kind: 'SERVICE' }],
    });
    const at = await gql(
      QUESTION_QUERIES.topologyAt.replace('"production"', JSON.stringify(env)).replace('2026-01-15T09:30:00Z', iso(T1)),
    );
    expect(at.errors).toBeUndefined();
    expect(edgeNames(at.data.topology.edges)).toEqual(['front -> a', 'front -> b']);
    // Presence chooses what is shown; the figures stay the edge's totals (front -> a was called at T2 too).
    expect(at.data.topology.edges.map((e: any) => e.calls)).toEqual([2, 1]);
  });

  it('refuses `since` with `at`, and times after the hour under way', async () => {
    const both = await gql(
      `query($at: DateTime, $env: String) { topology(environment: $env, at: $at, since: $at) { nodes { name } } }`,
      {
        env,
        at: new Date(T1).toISOString(),
      },
    );
    expect(both.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const future = await gql(
      `query($env: String, $to: DateTime!) { topologyDiff(environment: $env, from: "2020-01-01T00:00:00Z", to: $to) { added { calls } } }`,
      { env, to: new Date(hour + 2 * HOUR_MS).toISOString() },
    );
    expect(future.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(future.errors?.[0]?.message).toMatch(/`to` is in the future/);
  });
});
