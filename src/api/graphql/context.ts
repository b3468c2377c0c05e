/** What every resolver gets: the graph, per-request loaders, the settings queries default to. */
import type { Graph } from '../../core/neo4j/connection.js';
import { createLoaders, type Loaders } from './loaders.js';

export interface ApiSettings {
  liveWindowMs: number;
  maxDepth: number;
  queryTimeoutMs: number;
  maxComplexity: number;
  maxQueryDepth: number;
  maxBreadth: number;
  /** A trace UI's URL with `{traceId}` in it; when set, exemplar traces come with links. */
  traceUrlTemplate?: string;
}

export interface Context {
  graph: Graph;
  loaders: Loaders;
  settings: ApiSettings;
  now: number;
  limits: { complexity: number; depth: number; breadth: number };
}

export function createContext(graph: Graph, settings: ApiSettings): Context {
  return {
    graph,
    settings,
    now: Date.now(),
    loaders: createLoaders(graph, settings),
    limits: { complexity: settings.maxComplexity, depth: settings.maxQueryDepth, breadth: settings.maxBreadth },
  };
}

/** The lower time bound of a query: its `since`, else the live window before now. */
export function sinceMs(ctx: Context, since: Date | null | undefined): number {
  return since ? since.getTime() : ctx.now - ctx.settings.liveWindowMs;
}
