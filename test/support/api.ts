/** Asking the real API (yoga.fetch, no socket) over a test graph. */
import type { ApiSettings } from '../../src/api/graphql/context.js';
import type { Graph } from '../../src/core/neo4j/connection.js';
import { createApi, DEFAULT_API_SETTINGS } from '../../src/api/yoga.js';

export interface GqlResult {
  data?: any;
  errors?: { message: string; path?: string[]; extensions?: { code?: string } }[];
}

export function createGql(graph: Graph, settings: Partial<ApiSettings> = {}) {
  const api = createApi({ graph, settings: { ...DEFAULT_API_SETTINGS, ...settings }, ready: async () => true });
  return async (query: string, variables?: Record<string, unknown>): Promise<GqlResult> => {
    const res = await api.fetch('http://topograph/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as GqlResult;
  };
}
