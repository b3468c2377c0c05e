/** What every resolver gets: the data layer (reads and per-request loaders), the settings queries default to. */
import type { ApiSettings } from '../../core/config.js';
import type { Graph } from '../../core/neo4j/connection.js';
import { createLoaders, type Loaders } from './data/loaders.js';
import { createReader, type Reader } from './data/reader.js';

/** TOPOGRAPH_LIVE_WINDOW, the query limits and the trace-UI link (src/core/config.ts). */
export type { ApiSettings } from '../../core/config.js';

export interface Context {
  /** the one way to read Neo4j (./data/reader.ts); only the data layer uses it */
  reader: Reader;
  loaders: Loaders;
  settings: ApiSettings;
  now: number;
  limits: { complexity: number; depth: number; breadth: number };
}

export function createContext(graph: Graph, settings: ApiSettings): Context {
  const reader = createReader(graph, settings);
  return {
    reader,
    settings,
    now: Date.now(),
    loaders: createLoaders(reader),
    limits: { complexity: settings.maxComplexity, depth: settings.maxQueryDepth, breadth: settings.maxBreadth },
  };
}

/** The lower time bound of a query: its `since`, else the live window before now. */
export function sinceMs(ctx: Context, since: Date | null | undefined): number {
  return since ? since.getTime() : ctx.now - ctx.settings.liveWindowMs;
}
