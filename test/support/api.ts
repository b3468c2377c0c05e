/** Asking the real API (yoga.fetch, no socket) over a test graph. */
import { defaultConfig, type ApiConfig, type ApiSettings } from '../../src/core/config.js';
import type { Graph } from '../../src/core/neo4j/connection.js';
import { createApi } from '../../src/api/yoga.js';

export interface GqlResult {
  data?: any;
  errors?: { message: string; path?: string[]; extensions?: { code?: string } }[];
}

/** The API's configuration of an empty environment, with some query settings changed. */
export function apiConfig(settings: Partial<ApiSettings> = {}): ApiConfig {
  const api = defaultConfig().api;
  return { ...api, settings: { ...api.settings, ...settings } };
}

export function createGql(graph: Graph, settings: Partial<ApiSettings> = {}) {
  const api = createApi({ graph, config: apiConfig(settings), ready: async () => true });
  return async (query: string, variables?: Record<string, unknown>): Promise<GqlResult> => {
    const res = await api.fetch('http://topograph/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as GqlResult;
  };
}
