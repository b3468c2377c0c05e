/** What every resolver gets: the graph, per-request loaders, the settings queries default to. */
import type { ApiSettings } from '../../core/config.js';
import type { Graph } from '../../core/neo4j/connection.js';
import { createLoaders, type Loaders } from './loaders.js';

/** TOPOGRAPH_LIVE_WINDOW, the query limits and the trace-UI link (src/core/config.ts). */
export type { ApiSettings } from '../../core/config.js';

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
