/**
 * The limit of the plain `changes` question (docs/api.md, "What `changes` costs"): each kind is read
 * newest first across every environment until `first` of the asked one are found, so an environment
 * whose changes are older than more than `first` changes of another still gets its own, and only its
 * own.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { DecodedBatch } from '../../ingest/span.js';
import { createGql } from '../support/api.js';
import { fileGraph, seed, uniqueName } from '../support/graph.js';
import { TraceBuilder } from '../support/spans.js';

const graph = fileGraph();
const older = uniqueName('changes-older');
const newer = uniqueName('changes-newer');
let gql: ReturnType<typeof createGql>;

/** `caller` calls `callee` over HTTP in `env`, `agoMs` before now. */
function call(env: string, caller: string, callee: string, agoMs: number): DecodedBatch {
  const resource = { 'deployment.environment.name': env };
  const startMs = Date.now() - agoMs;
  const t = new TraceBuilder();
  const entry = t.server(caller, `/${caller}`, { resource, startMs });
  const out = t.client(caller, { parent: entry, resource, startMs: startMs + 1 });
  t.server(callee, `/${callee}`, { parent: out, resource, startMs: startMs + 2 });
  return t.batch();
}

beforeAll(async () => {
  gql = createGql(graph);
  await seed(graph, [call(older, 'old-a', 'old-b', 2 * 3_600_000)]);
  // More new components, edges and operations in another environment than `first` below, all newer.
  await seed(
    graph,
    Array.from({ length: 4 }, (_, i) => call(newer, `new-${i}`, `new-${i + 1}`, 3_600_000)),
  );
});

describe('changes in one environment among newer changes of another', () => {
  it('finds its own past more than `first` newer changes elsewhere, and nothing else', async () => {
    const ask = (env: string) =>
      gql(
        `query($env: String) { changes(since: "2020-01-01T00:00:00Z", environment: $env, first: 3) {
          kind subject component { name environment } from { environment } } }`,
        { env },
      );
    const mine = await ask(older);
    expect(mine.errors).toBeUndefined();
    expect(mine.data.changes).toHaveLength(3);
    for (const c of mine.data.changes) {
      expect(c.component?.environment ?? c.from?.environment, c.subject).toBe(older);
    }
    const theirs = await ask(newer);
    expect(theirs.data.changes).toHaveLength(3);
    for (const c of theirs.data.changes) {
      expect(c.component?.environment ?? c.from?.environment, c.subject).toBe(newer);
    }
  });
});
