/** The cost of a query grows with the pages and walks it asks for, so a costly one is refused before it runs. */
import { describe, expect, it } from 'vitest';
import { README_QUERIES } from '../../src/api/graphql/examples.js';
import { createApi } from '../../src/api/yoga.js';
import { apiConfig } from '../support/api.js';
import { fileGraph } from '../support/graph.js';

const graph = fileGraph();
async function ask(query: string) {
  const api = createApi({ graph, config: apiConfig(), ready: async () => true });
  const res = await api.fetch('http://topograph/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return (await res.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
}

describe('query cost', () => {
  it.each(Object.entries(README_QUERIES))('lets the README %s query through', async (_name, query) => {
    const r = await ask(query);
    expect(r.errors ?? []).toEqual([]);
  });

  it('refuses a page of 100 services each walking five hops of dependents', async () => {
    const r = await ask(`{ services(first: 100) { edges { node { name
      dependents(depth: 5) { depth component { name } path { name } } } } } }`);
    expect(r.data ?? null).toBeNull();
    expect(r.errors?.[0]?.message).toMatch(/complexity \d+ exceeds the limit of 5000/);
    expect(r.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
  });

  it('lets the same walk through for one service', async () => {
    const r = await ask(
      `{ services(first: 1) { edges { node { name dependents(depth: 5) { depth component { name } } } } } }`,
    );
    expect(r.errors ?? []).toEqual([]);
  });
});
